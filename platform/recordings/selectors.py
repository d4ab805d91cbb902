"""Reads about protocols, clinical sessions and recordings."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from patients.models import Patient
from recordings.models import ClinicalSession, Protocol, Recording


def protocol_list() -> QuerySet[Protocol]:
    return Protocol.objects.order_by("name")


def session_list_for_patient(*, patient: Patient) -> list[ClinicalSession]:
    """The patient's sessions, newest first, each with its recordings (newest first) and, on
    every recording, `latest_job` (its most recent analysis job or None, with `has_results`:
    False once its results were deleted after a withdrawal of consent)."""
    from results.models import AnalysisJob, MetricSample

    jobs = AnalysisJob.objects.annotate(has_results=Exists(MetricSample.objects.filter(job=OuterRef("pk"))))
    recordings = Recording.objects.order_by("-created_at").prefetch_related(
        Prefetch("jobs", queryset=jobs.order_by("-created_at"), to_attr="jobs_newest_first")
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


@dataclass(frozen=True)
class Label:
    """One behaviour of an ethogram: stored code, readable name, coding key."""

    code: str
    name: str
    key: str


# The model's event kinds, with keys, for protocols whose ethogram the admin has not written.
DEFAULT_ETHOGRAM = (
    Label("body_rocking", "body rocking", "r"),
    Label("hand_flapping", "hand flapping", "f"),
    Label("head_movement", "head movement", "h"),
    Label("gesture", "gesture", "g"),
    Label("gaze_shift", "gaze shift", "s"),
)


def ethogram_for(*, protocol: Protocol) -> list[Label]:
    """The labels clinicians code in sessions of this protocol, in the admin's order; the
    model's kinds when the protocol has none."""
    rows = [Label(row.code, row.name, row.key) for row in protocol.ethogram.all()]
    return rows or list(DEFAULT_ETHOGRAM)


def label_names(*, protocol: Protocol) -> dict[str, str]:
    """Readable names of every code that can appear on the protocol's events: its ethogram and
    the model's kinds (the model reports those whatever the ethogram says)."""
    names = {label.code: label.name for label in DEFAULT_ETHOGRAM}
    names.update({label.code: label.name for label in ethogram_for(protocol=protocol)})
    return names


def calibrated_sessions(*, session_ids: set[int]) -> set[int]:
    """The sessions among these whose gaze calibration segment has been marked."""
    if not session_ids:
        return set()
    return set(
        ClinicalSession.objects.filter(
            pk__in=session_ids, gaze_calibration_start_s__isnull=False
        ).values_list("pk", flat=True)
    )
