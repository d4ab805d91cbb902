"""Writes about analysis jobs: the one state machine of a job, shared by the web app, the API,
the consent rules and the workers.

    QUEUED ──claim──> RUNNING ──results──> SUCCEEDED
       │                 │  └──error──────> FAILED ──retry──> (a new QUEUED job)
       └──cancel─────────┴──cancel────────> CANCELLED ──retry──> (a new QUEUED job)

Every move out of RUNNING is a conditional UPDATE on the status (and on the Celery task that
holds the job), in the manner of healthchecks' sendalerts: a job cancelled while a worker runs
it is never overwritten to succeeded, and a job taken over after its worker was lost is never
finished by the lost one.
"""

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.errors import ApplicationError
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from recordings.models import Recording
from results.models import AnalysisJob, BehaviourEvent, EventReview, MetricSample

logger = logging.getLogger(__name__)


def _dispatch_after_commit(job: AnalysisJob) -> None:
    """Hand the job to the task queue once the transaction that created it is committed."""
    dispatcher = import_string(settings.ANALYSIS_DISPATCHER)
    transaction.on_commit(lambda: dispatcher(job.pk))


@transaction.atomic
def analysis_job_create(
    *, recording: Recording, requested_by=None, queue: str = AnalysisJob.Queue.CPU
) -> AnalysisJob:
    """Queue an analysis of a stored recording. Needs the patient's current analyse consent.

    An active job for the same recording and pipeline version is returned instead of a duplicate.
    """
    from analysis import PIPELINE_VERSION

    patient = recording.session.patient
    if recording.status != Recording.Status.STORED:
        raise ApplicationError("This recording's video has been deleted, so it cannot be analysed.")
    if ConsentScope.ANALYSE not in consent_active_scopes(patient=patient):
        raise ApplicationError(
            f"Patient {patient.code} has not consented to analysis. Record the analyse consent first.",
            extra={"missing_scope": ConsentScope.ANALYSE},
        )
    active = AnalysisJob.objects.filter(
        recording=recording, pipeline_version=PIPELINE_VERSION, status__in=AnalysisJob.ACTIVE_STATUSES
    ).first()
    if active is not None:
        return active
    job = AnalysisJob(
        recording=recording,
        pipeline_version=PIPELINE_VERSION,
        queue=queue,
        requested_by=requested_by,
        patient_point=recording.patient_point,
    )
    job.stage = "waiting for a worker"
    job.full_clean()
    job.save()
    _dispatch_after_commit(job)
    return job


@transaction.atomic
def analysis_jobs_cancel_for_patient(*, patient, reason: str) -> int:
    """Cancel the patient's queued jobs now; running jobs see the cancelled status at their next
    batch of frames (workers check it) and discard their partial results. Returns how many."""
    now = timezone.now()
    return AnalysisJob.objects.filter(
        recording__session__patient=patient, status__in=AnalysisJob.ACTIVE_STATUSES
    ).update(status=AnalysisJob.Status.CANCELLED, stage="cancelled", error=reason, finished_at=now)


# --- users: cancel and retry ----------------------------------------------------------------


@transaction.atomic
def analysis_job_cancel(*, job: AnalysisJob, by=None, reason: str = "") -> AnalysisJob:
    """Cancel a queued or running job. A queued job never starts; a running one stops at its
    next batch of frames and its partial results are discarded (the worker sees the status)."""
    reason = reason or (f"Cancelled by {by.get_username()}." if by is not None else "Cancelled.")
    changed = AnalysisJob.objects.filter(pk=job.pk, status__in=AnalysisJob.ACTIVE_STATUSES).update(
        status=AnalysisJob.Status.CANCELLED, stage="cancelled", error=reason, finished_at=timezone.now()
    )
    job.refresh_from_db()
    if not changed:
        raise ApplicationError(
            f"This analysis has already {job.get_status_display()}, so there is nothing to cancel.",
            extra={"status": job.status},
        )
    return job


@transaction.atomic
def analysis_job_retry(*, job: AnalysisJob, by=None) -> AnalysisJob:
    """Analyse a failed or cancelled job's recording again, as a new job (the old one stays as the
    record of what happened). Consent is checked again; an active job of the same recording and
    pipeline version is returned instead of a second one."""
    if job.status not in (AnalysisJob.Status.FAILED, AnalysisJob.Status.CANCELLED):
        raise ApplicationError(
            f"Only a failed or cancelled analysis can be retried; this one is {job.get_status_display()}.",
            extra={"status": job.status},
        )
    return analysis_job_create(recording=job.recording, requested_by=by, queue=job.queue)


# --- workers: claim, progress, failure, results ---------------------------------------------


def analysis_job_claim(
    *, job_id: int, task_id: str, stale_after: timedelta | None = None
) -> AnalysisJob | None:
    """Move the job to RUNNING for this Celery task, or return None when it is not ours to run.

    Claimable: a QUEUED job; a RUNNING job held by this same task id (the broker redelivered the
    message after the worker was lost: acks_late and reject_on_worker_lost, or a retry after a
    transient error); a RUNNING job whose heartbeat is older than `stale_after` (its worker
    died without anyone noticing). Anything else (cancelled, finished, held by a live worker)
    is left alone, so a duplicate message does nothing.
    """
    stale_after = stale_after or timedelta(seconds=settings.ANALYSIS_HEARTBEAT_STALE_S)
    now = timezone.now()
    claimable = Q(status=AnalysisJob.Status.QUEUED) | (
        Q(status=AnalysisJob.Status.RUNNING)
        & (Q(celery_task_id=task_id) | Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True))
    )
    changed = AnalysisJob.objects.filter(claimable, pk=job_id).update(
        status=AnalysisJob.Status.RUNNING,
        celery_task_id=task_id,
        attempts=F("attempts") + 1,
        stage="starting",
        progress=0,
        error="",
        started_at=now,
        heartbeat_at=now,
    )
    if not changed:
        return None
    return AnalysisJob.objects.select_related("recording__session__patient").get(pk=job_id)


def analysis_job_progress(*, job_id: int, task_id: str, stage: str, progress: int) -> bool:
    """Record what a running job is doing (stage in plain words, progress 0 to 100) and that its
    worker is alive. False when the job is no longer this task's to run (cancelled, or taken
    over): the worker then stops."""
    return bool(
        AnalysisJob.objects.filter(
            pk=job_id, status=AnalysisJob.Status.RUNNING, celery_task_id=task_id
        ).update(stage=stage[:60], progress=max(0, min(100, int(progress))), heartbeat_at=timezone.now())
    )


def analysis_job_fail(*, job_id: int, message: str, task_id: str | None = None) -> bool:
    """Mark a running job failed with a sentence for the person who uploaded the video. Only the
    task holding the job may fail it (task_id None: any running holder, for sweeps)."""
    running = AnalysisJob.objects.filter(pk=job_id, status=AnalysisJob.Status.RUNNING)
    if task_id is not None:
        running = running.filter(celery_task_id=task_id)
    return bool(
        running.update(
            status=AnalysisJob.Status.FAILED, stage="failed", error=message, finished_at=timezone.now()
        )
    )


def analysis_job_cancel_running(*, job_id: int, task_id: str, reason: str) -> bool:
    """The worker's own cancellation (consent found withdrawn, video deleted): conditional on
    the job still being this task's running job."""
    return bool(
        AnalysisJob.objects.filter(
            pk=job_id, status=AnalysisJob.Status.RUNNING, celery_task_id=task_id
        ).update(
            status=AnalysisJob.Status.CANCELLED, stage="cancelled", error=reason, finished_at=timezone.now()
        )
    )


@dataclass
class AnalysisOutcome:
    """What the worker hands over when an analysis has finished (plain values, no analysis/ types
    beyond the MetricsReport contract).

    report : analysis.results.MetricsReport
    duration_s : the video's duration, the window of the session-level samples
    model_versions : [{"name": ..., "version": ...}]
    result_status : "ok" or "no_person_found"
    message : a sentence when result_status is not "ok"
    tracks_name : the storage name of the tracks Parquet, "" if none was stored
    """

    report: Any
    duration_s: float
    model_versions: list[dict[str, str]] = field(default_factory=list)
    result_status: str = "ok"
    message: str = ""
    tracks_name: str = ""


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_safe(value: Any) -> Any:
    """Event attributes as plain JSON: NumPy scalars and arrays become numbers and lists, and a
    NaN or infinite number becomes null (JSON has no NaN)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float):
        return _finite_or_none(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"An event attribute of type {type(value).__name__} cannot be stored as JSON.")


def _result_rows(
    job: AnalysisJob, outcome: AnalysisOutcome
) -> tuple[list[MetricSample], list[BehaviourEvent]]:
    session = job.recording.session
    common = {"job": job, "patient_id": session.patient_id, "session": session}
    version = job.pipeline_version
    duration_s = max(0.0, float(outcome.duration_s))
    samples = [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=key,
            value=_finite_or_none(metric.value),
            unit=metric.unit,
            reason=metric.reason[:300],
            analysable_s=None if metric.analysable_s is None else _finite_or_none(metric.analysable_s),
            window_start_s=0.0,
            window_end_s=duration_s,
            is_session_level=True,
            pipeline_version=version,
        )
        for values in outcome.report.metrics.values()
        for key, metric in values.items()
    ]
    samples += [
        MetricSample(
            **common,
            session_date=session.session_date,
            metric=sample.metric,
            value=_finite_or_none(sample.value),
            unit=sample.unit,
            window_start_s=max(0.0, float(sample.window_start_s)),
            window_end_s=max(0.0, float(sample.window_end_s)),
            is_session_level=False,
            pipeline_version=version,
        )
        for sample in outcome.report.samples
    ]
    events = [
        BehaviourEvent(
            **common,
            kind=event.kind,
            body_part=event.body_part,
            start_s=float(event.start_s),
            end_s=float(event.end_s),
            frequency_hz=_finite_or_none(event.frequency_hz),
            confidence=float(event.confidence),
            attributes=_json_safe(event.attributes),
            pipeline_version=version,
        )
        for event in outcome.report.events
    ]
    for row in (*samples, *events):
        # value may be null (a metric that could not be computed), which the model allows in
        # the database (null=True) but clean_fields would call blank.
        row.clean_fields(exclude=["job", "patient", "session", "value"])
    return samples, events


@transaction.atomic
def analysis_results_replace(*, job_id: int, task_id: str, outcome: AnalysisOutcome) -> AnalysisJob | None:
    """Store a finished analysis in one transaction and mark the job SUCCEEDED.

    The results of every earlier job of the same recording and pipeline version are deleted
    first, so re-running a recording replaces its rows and never duplicates them. Clinicians'
    reviews are never lost: they move to the matching new event (_reviews_carry_over), and a
    reviewed event with no match is kept, marked superseded. Nothing is stored, and None is returned, when
    the job is no longer this task's running job (cancelled meanwhile) or the patient's analyse
    consent was withdrawn meanwhile (the job is then cancelled). The job row is locked first, so
    a concurrent cancellation waits for this transaction and then finds the job finished.
    """
    job = (
        AnalysisJob.objects.select_for_update(of=("self",))
        .select_related("recording__session__patient")
        .filter(pk=job_id, status=AnalysisJob.Status.RUNNING, celery_task_id=task_id)
        .first()
    )
    if job is None:
        return None
    recording = job.recording
    if ConsentScope.ANALYSE not in consent_active_scopes(patient=recording.session.patient):
        analysis_job_cancel_running(
            job_id=job_id,
            task_id=task_id,
            reason="The patient withdrew consent to analysis; nothing was saved.",
        )
        return None
    started = time.monotonic()
    earlier = AnalysisJob.objects.filter(recording=recording, pipeline_version=job.pipeline_version)
    MetricSample.objects.filter(job__in=earlier).delete()
    samples, events = _result_rows(job, outcome)
    MetricSample.objects.bulk_create(samples, batch_size=2000)
    BehaviourEvent.objects.bulk_create(events, batch_size=2000)
    earlier_events = BehaviourEvent.objects.filter(job__in=earlier).exclude(job=job)
    # Reviews follow the same person only: after a new choice of the patient, the previous
    # person's reviewed events are kept, marked superseded, and nothing carries over.
    same_person = earlier_events.filter(job__patient_point=job.patient_point)
    kept = _reviews_carry_over(earlier_events=same_person, new_events=events)
    kept |= _reviews_carry_over(earlier_events=earlier_events.exclude(pk__in=same_person), new_events=[])
    BehaviourEvent.objects.filter(job__in=earlier).exclude(job=job).exclude(pk__in=kept).delete()
    superseded = list(
        earlier.exclude(pk=job.pk)
        .exclude(tracks_file="")
        .exclude(tracks_file=outcome.tracks_name)
        .values_list("tracks_file", flat=True)
    )
    earlier.exclude(pk=job.pk).exclude(tracks_file="").update(tracks_file="")
    job.status = AnalysisJob.Status.SUCCEEDED
    job.stage = "finished" if outcome.result_status == "ok" else _stage_for(outcome)
    job.progress = 100
    job.result_status = outcome.result_status
    job.model_versions = outcome.model_versions
    job.tracks_file.name = outcome.tracks_name
    job.error = ""
    job.heartbeat_at = job.finished_at = timezone.now()
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _delete_files(superseded))
    logger.info(
        "job %s stored %d metric samples and %d events in %.3f s",
        job_id,
        len(samples),
        len(events),
        time.monotonic() - started,
        extra={"job_id": job_id, "result_status": outcome.result_status},
    )
    return job


def _temporal_iou(a: BehaviourEvent, b: BehaviourEvent) -> float:
    overlap = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    union = max(a.end_s, b.end_s) - min(a.start_s, b.start_s)
    return overlap / union if overlap > 0 and union > 0 else 0.0


def _reviews_carry_over(*, earlier_events, new_events: list[BehaviourEvent]) -> set[int]:
    """Move each review of an earlier event to the new event of the same kind and body part
    that overlaps it most (temporal IoU at least 0.5). Reviewed earlier events with no such
    match are kept and marked superseded; their ids are returned so they are not deleted."""
    kept: set[int] = set()
    for old in earlier_events.filter(reviews__isnull=False).distinct():
        candidates = [e for e in new_events if e.kind == old.kind and e.body_part == old.body_part]
        best = max(candidates, key=lambda e: _temporal_iou(old, e), default=None)
        if best is not None and _temporal_iou(old, best) >= 0.5:
            EventReview.objects.filter(event=old).update(event=best)
        else:
            old.attributes = {**old.attributes, "superseded": True}
            old.save(update_fields=["attributes"])
            kept.add(old.pk)
    return kept


def _stage_for(outcome: AnalysisOutcome) -> str:
    if outcome.result_status == "no_person_found":
        return "finished: no person was found in the video"
    return f"finished: {outcome.result_status}"[:60]


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# --- recovery: the periodic sweep ------------------------------------------------------------


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def analysis_jobs_sweep(*, now=None) -> SweepReport:
    """Recover running jobs whose worker was lost (no heartbeat for ANALYSIS_HEARTBEAT_STALE_S).

    A worker killed with its whole host never gives its message back before the broker's
    visibility timeout (hours), so the database, not the broker, decides: such a job is queued
    again (a new message), up to ANALYSIS_MAX_ATTEMPTS runs; then, or when it has run past the
    hard time limit, it is failed with a message saying what to do. Each move is a conditional
    UPDATE, so a sweep racing a live worker or another sweep changes nothing twice.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ANALYSIS_HEARTBEAT_STALE_S)
    overdue_before = now - timedelta(seconds=settings.ANALYSIS_HARD_TIME_LIMIT_S)
    report = SweepReport()
    running = AnalysisJob.objects.filter(status=AnalysisJob.Status.RUNNING)
    for job in running.filter(Q(heartbeat_at__lt=stale_before) | Q(started_at__lt=overdue_before)):
        still = running.filter(pk=job.pk, heartbeat_at=job.heartbeat_at)
        if job.started_at is not None and job.started_at < overdue_before:
            minutes = settings.ANALYSIS_HARD_TIME_LIMIT_S // 60
            message = (
                f"The analysis ran longer than the time limit of {minutes} minutes and was stopped. "
                "Retry it; if it stops again, ask an administrator to check the workers."
            )
        elif job.attempts >= settings.ANALYSIS_MAX_ATTEMPTS:
            message = (
                f"The analysis stopped {job.attempts} times without finishing (its worker was lost each "
                "time). Retry it; if it stops again, ask an administrator to check the workers."
            )
        else:
            if still.update(
                status=AnalysisJob.Status.QUEUED, stage="waiting for a worker (the last one stopped)"
            ):
                report.requeued.append(job.pk)
                _dispatch_after_commit(job)
            continue
        if still.update(status=AnalysisJob.Status.FAILED, stage="failed", error=message, finished_at=now):
            report.failed.append(job.pk)
    return report
