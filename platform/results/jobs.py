"""The one state machine of an analysis job, shared by the web app, the API, the consent rules
and the workers. Nothing else writes AnalysisJob.status (a test checks it).

    QUEUED ──claim──> RUNNING ──finish──> SUCCEEDED
       │   <─requeue─┘  │  └──fail──────> FAILED ──retry──> (a new QUEUED job)
       ├──fail (not queued)─────────────> FAILED
       └──cancel────────┴──cancel───────> CANCELLED ──retry──> (a new QUEUED job)

Every move is a conditional UPDATE on the current status (and, out of RUNNING, on the Celery
task that holds the job), in the manner of healthchecks' sendalerts: a job cancelled while a
worker runs it is never overwritten to succeeded, and a job taken over after its worker was lost
is never finished by the lost one.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.errors import ApplicationError
from analysis import PIPELINE_VERSION
from patients.models import ConsentScope, Patient
from patients.selectors import consent_active_scopes
from recordings.models import Recording
from results.models import AnalysisJob

logger = logging.getLogger(__name__)

Status = AnalysisJob.Status


def _move(jobs: QuerySet[AnalysisJob], *, to: str, **fields: Any) -> int:
    """The one write of a job's status: move the jobs of `jobs` (already narrowed to the states
    the move starts from) to `to`, with the other fields of the move. Returns how many moved."""
    return jobs.update(status=to, **fields)


def _dispatch_after_commit(job: AnalysisJob) -> None:
    """Hand the job to the task queue once the transaction that created it is committed."""
    dispatcher = import_string(settings.ANALYSIS_DISPATCHER)
    transaction.on_commit(lambda: dispatcher(job.pk))


# --- people: create, cancel, retry -----------------------------------------------------------


@transaction.atomic
def analysis_job_create(
    *, recording: Recording, requested_by: Any = None, queue: str = AnalysisJob.Queue.CPU
) -> AnalysisJob:
    """Queue an analysis of a stored recording. Needs the patient's current analyse consent.

    An active job for the same recording and pipeline version is returned instead of a duplicate.
    """
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


def _cancel(jobs: QuerySet[AnalysisJob], *, reason: str) -> int:
    """Cancel the queued and running jobs among `jobs`. A queued job never starts; a running one
    sees the cancelled status at its next batch of frames (workers check it) and discards its
    partial results."""
    return _move(
        jobs.filter(status__in=AnalysisJob.ACTIVE_STATUSES),
        to=Status.CANCELLED,
        stage="cancelled",
        error=reason,
        finished_at=timezone.now(),
    )


@transaction.atomic
def analysis_job_cancel(*, job: AnalysisJob, by: Any = None, reason: str = "") -> AnalysisJob:
    """A person cancels a queued or running job."""
    reason = reason or (f"Cancelled by {by.get_username()}." if by is not None else "Cancelled.")
    changed = _cancel(AnalysisJob.objects.filter(pk=job.pk), reason=reason)
    job.refresh_from_db()
    if not changed:
        raise ApplicationError(
            f"This analysis has already {job.get_status_display()}, so there is nothing to cancel.",
            extra={"status": job.status},
        )
    return job


@transaction.atomic
def analysis_jobs_cancel_for_patient(*, patient: Patient, reason: str) -> int:
    """Cancel every active job of the patient (analyse consent withdrawn). Returns how many."""
    return _cancel(AnalysisJob.objects.filter(recording__session__patient=patient), reason=reason)


@transaction.atomic
def analysis_jobs_cancel_for_recording(*, recording: Recording, reason: str) -> int:
    """Cancel every active job of the recording (its video deleted). Returns how many."""
    return _cancel(AnalysisJob.objects.filter(recording=recording), reason=reason)


@transaction.atomic
def analysis_job_retry(*, job: AnalysisJob, by: Any = None) -> AnalysisJob:
    """Analyse a failed or cancelled job's recording again, as a new job (the old one stays as the
    record of what happened). Consent is checked again; an active job of the same recording and
    pipeline version is returned instead of a second one."""
    if job.status not in (Status.FAILED, Status.CANCELLED):
        raise ApplicationError(
            f"Only a failed or cancelled analysis can be retried; this one is {job.get_status_display()}.",
            extra={"status": job.status},
        )
    return analysis_job_create(recording=job.recording, requested_by=by, queue=job.queue)


# --- workers: claim, progress, finish, fail, cancel ------------------------------------------


def _held(job_id: int, task_id: str) -> QuerySet[AnalysisJob]:
    """The job, while it is this task's running job."""
    return AnalysisJob.objects.filter(pk=job_id, status=Status.RUNNING, celery_task_id=task_id)


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
    claimable = Q(status=Status.QUEUED) | (
        Q(status=Status.RUNNING)
        & (Q(celery_task_id=task_id) | Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True))
    )
    changed = _move(
        AnalysisJob.objects.filter(claimable, pk=job_id),
        to=Status.RUNNING,
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
        _held(job_id, task_id).update(
            stage=stage[:60], progress=max(0, min(100, int(progress))), heartbeat_at=timezone.now()
        )
    )


def analysis_job_running_locked(*, job_id: int, task_id: str) -> AnalysisJob | None:
    """Lock the job's row while it is this task's running job (None otherwise), so a concurrent
    cancellation waits for the caller's transaction and then finds the job finished."""
    return (
        _held(job_id, task_id)
        .select_for_update(of=("self",))
        .select_related("recording__session__patient")
        .first()
    )


def analysis_job_finish(
    *,
    job_id: int,
    task_id: str,
    result_status: str,
    model_versions: list[dict[str, str]],
    tracks_name: str,
) -> AnalysisJob | None:
    """Mark this task's running job SUCCEEDED with what it produced; None if it is no longer ours."""
    now = timezone.now()
    stage = "finished" if result_status == "ok" else _finished_stage(result_status)
    changed = _move(
        _held(job_id, task_id),
        to=Status.SUCCEEDED,
        stage=stage,
        progress=100,
        result_status=result_status,
        model_versions=model_versions,
        tracks_file=tracks_name,
        error="",
        heartbeat_at=now,
        finished_at=now,
    )
    return AnalysisJob.objects.get(pk=job_id) if changed else None


def _finished_stage(result_status: str) -> str:
    if result_status == "no_person_found":
        return "finished: no person was found in the video"
    return f"finished: {result_status}"[:60]


def analysis_job_fail(*, job_id: int, message: str, task_id: str | None = None) -> bool:
    """Mark a running job failed with a sentence for the person who uploaded the video. Only the
    task holding the job may fail it (task_id None: any running holder, for sweeps)."""
    running = AnalysisJob.objects.filter(pk=job_id, status=Status.RUNNING)
    if task_id is not None:
        running = running.filter(celery_task_id=task_id)
    return bool(_move(running, to=Status.FAILED, stage="failed", error=message, finished_at=timezone.now()))


def analysis_job_fail_unqueued(*, job_id: int, message: str) -> bool:
    """Fail a queued job that could not be handed to the task queue (no worker will ever see it)."""
    return bool(
        _move(
            AnalysisJob.objects.filter(pk=job_id, status=Status.QUEUED),
            to=Status.FAILED,
            stage="failed",
            error=message,
            finished_at=timezone.now(),
        )
    )


def analysis_job_cancel_running(*, job_id: int, task_id: str, reason: str) -> bool:
    """The worker's own cancellation (consent found withdrawn, video deleted): conditional on
    the job still being this task's running job."""
    return bool(
        _move(
            _held(job_id, task_id),
            to=Status.CANCELLED,
            stage="cancelled",
            error=reason,
            finished_at=timezone.now(),
        )
    )


# --- recovery: the periodic sweep ------------------------------------------------------------


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def analysis_jobs_sweep(*, now: datetime | None = None) -> SweepReport:
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
    running = AnalysisJob.objects.filter(status=Status.RUNNING)
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
            if _move(still, to=Status.QUEUED, stage="waiting for a worker (the last one stopped)"):
                report.requeued.append(job.pk)
                _dispatch_after_commit(job)
            continue
        if _move(still, to=Status.FAILED, stage="failed", error=message, finished_at=now):
            report.failed.append(job.pk)
    return report
