"""Reads about protocols, clinical sessions and recordings."""

from django.db.models import Prefetch, QuerySet

from patients.models import Patient
from recordings.models import ClinicalSession, Protocol, Recording


def protocol_list() -> QuerySet[Protocol]:
    return Protocol.objects.order_by("name")


def session_list_for_patient(*, patient: Patient) -> list[ClinicalSession]:
    """The patient's sessions, newest first, each with its recordings (newest first) and, on
    every recording, `latest_job` (its most recent analysis job or None)."""
    from results.models import AnalysisJob

    recordings = Recording.objects.order_by("-created_at").prefetch_related(
        Prefetch("jobs", queryset=AnalysisJob.objects.order_by("-created_at"), to_attr="jobs_newest_first")
    )
    sessions = list(
        ClinicalSession.objects.filter(patient=patient)
        .select_related("protocol", "clinician")
        .prefetch_related(Prefetch("recordings", queryset=recordings, to_attr="recordings_newest_first"))
        .order_by("-session_date", "-id")
    )
    for session in sessions:
        for recording in session.recordings_newest_first:
            recording.latest_job = recording.jobs_newest_first[0] if recording.jobs_newest_first else None
    return sessions
