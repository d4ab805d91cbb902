"""Writes about analysis jobs: creating them (consent checked), cancelling them.

The job's execution lives in workers/; this module only moves jobs between states, so that
the web app, the API and the consent rules share one state machine.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.errors import ApplicationError
from analyses.models import AnalysisJob
from patients.models import ConsentScope
from patients.selectors import consent_active_scopes
from recordings.models import Recording


def _dispatch_after_commit(job: AnalysisJob) -> None:
    """Hand the job to the task queue once the transaction that created it is committed."""
    dispatcher = import_string(settings.ANALYSIS_DISPATCHER)
    transaction.on_commit(lambda: dispatcher(job.pk))


@transaction.atomic
def analysis_job_create(*, recording: Recording, requested_by=None, queue: str = AnalysisJob.Queue.CPU) -> AnalysisJob:
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
    job = AnalysisJob(recording=recording, pipeline_version=PIPELINE_VERSION, queue=queue, requested_by=requested_by)
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
