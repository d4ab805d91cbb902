"""Reads about analysis jobs and their stored results (no permission checks here: callers that
act for a person narrow the recording through accounts.permissions first)."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from patients.models import Patient
from recordings.models import ClinicalSession, Recording
from results.models import AnalysisJob, BehaviourEvent, EyeContactEpisode, MetricSample, SpeechSegment


def analysis_results_counts(*, recording: Recording, pipeline_version: str) -> dict[str, int]:
    """How many result rows the recording has for one pipeline version: session-level metric
    samples, windowed samples and behaviour events (idempotence checks, benchmarks, admin)."""
    samples = MetricSample.objects.filter(job__recording=recording, pipeline_version=pipeline_version)
    return {
        "session_samples": samples.filter(is_session_level=True).count(),
        "window_samples": samples.filter(is_session_level=False).count(),
        "events": BehaviourEvent.objects.filter(
            job__recording=recording, pipeline_version=pipeline_version
        ).count(),
    }


def analysis_job_status(*, job: AnalysisJob) -> dict[str, Any]:
    """An analysis job's progress as shown to the person waiting for it (stage in plain words)."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "stage": job.stage,
        "progress": job.progress,
        "result_status": job.result_status,
        "error": job.error,
        "finished": job.status not in job.ACTIVE_STATUSES,
    }


SESSIONS_PER_PAGE = 20


def _sessions_with_recordings(patient: Patient) -> QuerySet[ClinicalSession]:
    """The patient's sessions, newest first, with their recordings and jobs prefetched (a fixed
    number of queries however many sessions there are)."""
    jobs = AnalysisJob.objects.annotate(has_results=Exists(MetricSample.objects.filter(job=OuterRef("pk"))))
    recordings = Recording.objects.order_by("-created_at").prefetch_related(
        Prefetch("jobs", queryset=jobs.order_by("-created_at"), to_attr="jobs_newest_first")
    )
    return (
        ClinicalSession.objects.filter(patient=patient)
        .select_related("protocol", "clinician")
        .prefetch_related(Prefetch("recordings", queryset=recordings, to_attr="recordings_newest_first"))
        .order_by("-session_date", "-id")
    )


def _with_latest_jobs(sessions: list[ClinicalSession]) -> list[ClinicalSession]:
    for session in sessions:
        for recording in session.recordings_newest_first:
            recording.latest_job = recording.jobs_newest_first[0] if recording.jobs_newest_first else None
    return sessions


def session_list_for_patient(*, patient: Patient) -> list[ClinicalSession]:
    """The patient's sessions, newest first, each with its recordings (newest first) and, on
    every recording, `latest_job` (its most recent analysis job or None, with `has_results`:
    False once its results were deleted after a withdrawal of consent)."""
    return _with_latest_jobs(list(_sessions_with_recordings(patient)))


def session_page_for_patient(
    *, patient: Patient, page: str | int | None, per_page: int = SESSIONS_PER_PAGE
) -> Page:
    """One page of the patient's sessions, newest first, shaped as session_list_for_patient's:
    a patient followed for years has hundreds of sessions, and drawing them all made the
    patient page slow to read and to render. An unknown page number gives the last page."""
    sessions = Paginator(_sessions_with_recordings(patient), per_page).get_page(page)
    sessions.object_list = _with_latest_jobs(list(sessions.object_list))
    return sessions


def job_speech_segments(*, job: AnalysisJob) -> list[SpeechSegment]:
    """The speech the analysis heard on the job's recording, in time order, each with its speaker
    (patient, other or unknown) and the attribution's confidence."""
    return list(SpeechSegment.objects.filter(job=job).order_by("start_s", "pk"))


# A conversation measure that is NaN only when the audio gave no speech, with the audio's reason
# (analysis/metrics/interaction.py): the stored word on why no speech was heard.
SPEECH_HEARD_MEASURE = "interaction.pauses_per_min"


def job_no_speech_reason(*, job: AnalysisJob) -> str | None:
    """Why the job's analysis heard no speech, as it stored it (e.g. "the recording has no audio
    track"); "" when the audio gave speech or no reason was stored; None for an analysis that
    did not analyse the audio for speech at all (one made before it did)."""
    row = (
        MetricSample.objects.filter(job=job, is_session_level=True, metric=SPEECH_HEARD_MEASURE)
        .values("value", "reason")
        .first()
    )
    if row is None:
        return None
    return row["reason"] if row["value"] is None else ""


# The session-level samples that say whether eye contact and mutual gaze were measured, and why not.
EYE_CONTACT_SHARE = "interaction.eye_contact_share"
MUTUAL_GAZE_RATE = "interaction.mutual_gaze_episodes_per_min"


def job_eye_contact(*, job: AnalysisJob) -> dict[str, Any] | None:
    """The job's eye-contact and mutual-gaze episodes in time order, with whether each was
    measured: {"episodes", "measured" (bool), "measured_s" (the analysable time, None when not
    measured or not known), "reason" (why eye contact was not measured, else ""), "mutual_reason"
    (the same for mutual gaze)}.
    None for an analysis that did not measure eye contact at all (one made before it existed)."""
    samples = {
        row["metric"]: row
        for row in MetricSample.objects.filter(
            job=job, is_session_level=True, metric__in=[EYE_CONTACT_SHARE, MUTUAL_GAZE_RATE]
        ).values("metric", "value", "reason", "analysable_s")
    }
    share = samples.get(EYE_CONTACT_SHARE)
    if share is None:
        return None
    mutual = samples.get(MUTUAL_GAZE_RATE) or {"value": None, "reason": "not measured"}
    return {
        "episodes": list(EyeContactEpisode.objects.filter(job=job).order_by("start_s", "pk")),
        "measured": share["value"] is not None,
        "measured_s": share["analysable_s"] if share["value"] is not None else None,
        "reason": share["reason"] if share["value"] is None else "",
        "mutual_reason": mutual["reason"] if mutual["value"] is None else "",
    }
