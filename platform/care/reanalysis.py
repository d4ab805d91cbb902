"""A recording analysed again: a clinician's choice of the patient starting a new analysis, and a
finished analysis replacing the recording's results with the clinicians' reviews carried over
(the one place where a worker's outcome meets consent, results, reviews and files)."""

import logging
import math
import time
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.errors import ApplicationError
from audit.models import AccessEvent
from audit.services import access_record
from care.tasks import session_tasks_after_analysis
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from recordings.models import Recording
from results.jobs import (
    analysis_job_cancel_running,
    analysis_job_create,
    analysis_job_finish,
    analysis_job_running_locked,
    analysis_jobs_cancel_for_recording,
)
from results.models import AnalysisJob, BehaviourEvent, EventReview
from results.services import AnalysisOutcome, analysis_results_store

logger = logging.getLogger(__name__)

# A review moves to the new event of the same kind and body part that overlaps it at least this
# much (temporal intersection over union): half of the two events' joint span.
_REVIEW_CARRY_MIN_IOU = 0.5


@transaction.atomic
def recording_patient_choose(
    *, recording: Recording, x_px: float, y_px: float, time_s: float, by: Any, request: Any = None
) -> AnalysisJob:
    """Store where a clinician clicked the patient on a frame and analyse the video again with
    that choice (the caller has checked Action.CHOOSE_ANALYSED_PERSON). Choosing is confirming.
    An analysis already queued or running is cancelled first, so the new one uses the choice.
    Returns the new analysis job."""
    values = (x_px, y_px, time_s)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise ApplicationError("Click on the person in the video to choose them.")
    if not (0 <= x_px < recording.width and 0 <= y_px < recording.height):
        raise ApplicationError(
            f"The point ({x_px:.0f}, {y_px:.0f}) px is outside the {recording.width} by {recording.height} px frame."
        )
    if not 0 <= time_s <= recording.duration_s + 0.5:
        raise ApplicationError(
            f"The time {time_s:.1f} s is outside the video ({recording.duration_s:.1f} s)."
        )
    recording = Recording.objects.select_for_update().get(pk=recording.pk)
    recording.patient_point = {"x_px": round(x_px, 1), "y_px": round(y_px, 1), "time_s": round(time_s, 3)}
    recording.patient_confirmed_by, recording.patient_confirmed_at = by, timezone.now()
    recording.save(update_fields=["patient_point", "patient_confirmed_by", "patient_confirmed_at"])
    analysis_jobs_cancel_for_recording(
        recording=recording, reason="Replaced by an analysis of the person the clinician chose."
    )
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="patient_choice",
        object_id=recording.pk,
        patient=recording.session.patient,
        details={"point": recording.patient_point},
        request=request,
    )
    return analysis_job_create(recording=recording, requested_by=by)


@transaction.atomic
def recording_reanalyse(*, recording: Recording, by: Any, request: Any = None) -> AnalysisJob:
    """Analyse the recording's stored video again (the caller has checked
    Action.CHOOSE_ANALYSED_PERSON): asked from the session page when segments were marked after an
    analysis whose tracks are gone, so that its metrics cannot be recomputed from them. An active
    analysis of the recording is returned instead of a second one."""
    job = analysis_job_create(recording=recording, requested_by=by)
    access_record(
        user=by,
        action=AccessEvent.Action.UPDATE,
        object_type="analysis_job",
        object_id=job.pk,
        patient=recording.session.patient,
        details={"recording_id": recording.pk, "why": "marked segments need a re-analysis"},
        request=request,
    )
    return job


@transaction.atomic
def analysis_results_replace(*, job_id: int, task_id: str, outcome: AnalysisOutcome) -> AnalysisJob | None:
    """Store a finished analysis in one transaction and mark the job SUCCEEDED.

    The results of every earlier job of the same recording and pipeline version are deleted
    first, so re-running a recording replaces its rows and never duplicates them. Clinicians'
    reviews are never lost: they move to the matching new event (_reviews_carry_over), and a
    reviewed event with no match is kept, marked superseded. Nothing is stored, and None is
    returned, when the job is no longer this task's running job (cancelled meanwhile) or the
    patient's analyse consent was withdrawn meanwhile (the job is then cancelled). The job row
    is locked first, so a concurrent cancellation waits for this transaction and then finds the
    job finished.
    """
    job = analysis_job_running_locked(job_id=job_id, task_id=task_id)
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
    samples, events = analysis_results_store(job=job, earlier=earlier, outcome=outcome)
    earlier_events = BehaviourEvent.objects.filter(job__in=earlier).exclude(job=job)
    # Reviews follow the same person only: after a new choice of the patient, the previous
    # person's reviewed events are kept, marked superseded, and nothing carries over.
    same_person = earlier_events.filter(job__patient_point=job.patient_point)
    kept = _reviews_carry_over(earlier_events=same_person, new_events=events)
    kept |= _reviews_carry_over(earlier_events=earlier_events.exclude(pk__in=same_person), new_events=[])
    earlier_events.exclude(pk__in=kept).delete()
    superseded = list(
        earlier.exclude(pk=job.pk)
        .exclude(tracks_file="")
        .exclude(tracks_file=outcome.tracks_name)
        .values_list("tracks_file", flat=True)
    )
    earlier.exclude(pk=job.pk).exclude(tracks_file="").update(tracks_file="")
    finished = analysis_job_finish(
        job_id=job_id,
        task_id=task_id,
        result_status=outcome.result_status,
        model_versions=outcome.model_versions,
        tracks_name=outcome.tracks_name,
    )
    if finished is not None:
        session_tasks_after_analysis(job=finished, outcome=outcome)
    transaction.on_commit(lambda: _delete_files(superseded))
    logger.info(
        "job %s stored %d metric samples and %d events in %.3f s",
        job_id,
        len(samples),
        len(events),
        time.monotonic() - started,
        extra={"job_id": job_id, "result_status": outcome.result_status},
    )
    return finished


def _temporal_iou(a: BehaviourEvent, b: BehaviourEvent) -> float:
    overlap = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    union = max(a.end_s, b.end_s) - min(a.start_s, b.start_s)
    return overlap / union if overlap > 0 and union > 0 else 0.0


def _reviews_carry_over(
    *, earlier_events: QuerySet[BehaviourEvent], new_events: list[BehaviourEvent]
) -> set[int]:
    """Move each review of an earlier event to the new event of the same kind and body part
    that overlaps it most (temporal IoU at least 0.5). Reviewed earlier events with no such
    match are kept and marked superseded; their ids are returned so they are not deleted."""
    kept: set[int] = set()
    for old in earlier_events.filter(reviews__isnull=False).distinct():
        candidates = [e for e in new_events if e.kind == old.kind and e.body_part == old.body_part]
        best = max(candidates, key=lambda e: _temporal_iou(old, e), default=None)
        if best is not None and _temporal_iou(old, best) >= _REVIEW_CARRY_MIN_IOU:
            EventReview.objects.filter(event=old).update(event=best)
        else:
            old.attributes = {**old.attributes, "superseded": True}
            old.save(update_fields=["attributes"])
            kept.add(old.pk)
    return kept


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
