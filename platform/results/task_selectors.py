"""Reads about the task segments of semi-guided sessions: a session's segments for its page,
each visit's segments for the patient's dashboard, and the marked segments that may train the
task model (patients whose current consent includes model_training only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from analysis.metrics.segments import (
    BASELINE,
    CALIBRATION,
    CUE,
    NEGATIVE_STORY,
    NEUTRAL,
    POSITIVE_STORY,
    ProtocolSegment,
)
from patients.models import ConsentScope, Patient
from recordings.models import ClinicalSession, Protocol, ProtocolTask
from recordings.selectors import protocol_tasks
from results.models import MetricSample, ModelVersion, TaskSegment

# Task codes that name a protocol segment the metrics use, when a protocol lists them as its tasks.
MARKED_KINDS = (BASELINE, POSITIVE_STORY, NEGATIVE_STORY, NEUTRAL)


def active_task_model() -> ModelVersion | None:
    """The active task model of the registry, or None: then no session gets proposals and the
    session page says to mark the tasks by hand."""
    return ModelVersion.objects.filter(kind=ModelVersion.Kind.TASK, is_active=True).order_by("-pk").first()


def session_task_segments(*, session: ClinicalSession) -> list[TaskSegment]:
    """The session's segments, marked and proposed, in time order (who marked them joined)."""
    return list(
        TaskSegment.objects.filter(session=session).select_related("marked_by").order_by("start_s", "pk")
    )


def segments_in_use(segments: list[TaskSegment]) -> list[TaskSegment]:
    """The segments the session's task metrics rest on: the marked ones once a clinician has
    marked any, else the task model's proposal."""
    marked = [segment for segment in segments if segment.source == TaskSegment.Source.MARKED]
    return marked or [segment for segment in segments if segment.source == TaskSegment.Source.AUTOMATIC]


def marked_protocol_segments(*, session: ClinicalSession) -> list[ProtocolSegment]:
    """The parts of a session a clinician marked on the session page, as the analysis reads them
    (analysis.metrics.segments), in time order: in a praxis session each marked item is that
    item's cue (label = the item; gestures are tied to the last cue before them and hesitation is
    measured from it); in other sessions a segment marked baseline, positive_story,
    negative_story or neutral is that protocol segment (agitation against the baseline, apathy per
    story). Proposals of the task model are never used; [] when nothing was marked."""
    marked = TaskSegment.objects.filter(session=session, source=TaskSegment.Source.MARKED).order_by(
        "start_s", "pk"
    )
    if session.protocol.kind == Protocol.Kind.PRAXIS_TEST:
        return [ProtocolSegment(CUE, row.start_s, row.end_s, row.task_code) for row in marked]
    return [
        ProtocolSegment(row.task_code, row.start_s, row.end_s)
        for row in marked
        if row.task_code in MARKED_KINDS
    ]


def task_segments_for_training(*, protocol: Protocol | None = None) -> QuerySet[TaskSegment]:
    """Marked segments that may train the task model: only of patients whose current consent
    includes model_training (a withdrawal takes them out at once); proposals never train it."""
    consenting = Patient.objects.filter(
        consents__scope=ConsentScope.MODEL_TRAINING, consents__withdrawn_at__isnull=True
    )
    rows = TaskSegment.objects.filter(
        source=TaskSegment.Source.MARKED, session__patient__in=consenting.values("pk")
    )
    if protocol is not None:
        rows = rows.filter(session__protocol=protocol)
    return rows.select_related("session").order_by("session_id", "start_s")


@dataclass(frozen=True)
class TaskVisit:
    """One semi-guided visit as the dashboard draws it: the protocol's task list and the
    segments in use (marked, else proposed)."""

    session_id: int
    session_date: date
    tasks: list[ProtocolTask]
    segments: list[TaskSegment]


def patient_task_visits(*, patient: Patient) -> list[TaskVisit]:
    """The patient's sessions of semi-guided protocols, oldest first, with their segments."""
    sessions = (
        ClinicalSession.objects.filter(patient=patient, protocol__kind=Protocol.Kind.SEMI_GUIDED_TASKS)
        .select_related("protocol")
        .order_by("session_date", "pk")
    )
    by_session: dict[int, list[TaskSegment]] = {}
    for segment in TaskSegment.objects.filter(session__in=sessions).order_by("start_s", "pk"):
        by_session.setdefault(segment.session_id, []).append(segment)
    return [
        TaskVisit(
            session_id=session.pk,
            session_date=session.session_date,
            tasks=protocol_tasks(protocol=session.protocol),
            segments=segments_in_use(by_session.get(session.pk, [])),
        )
        for session in sessions
    ]


def patient_task_metrics(*, patient: Patient) -> dict[int, dict[str, MetricSample]]:
    """The stored task metrics of the patient's semi-guided visits: session id -> metric -> sample."""
    rows = MetricSample.objects.filter(
        patient=patient, metric__startswith="tasks.", is_session_level=True
    ).order_by("session_date", "session_id", "metric")
    out: dict[int, dict[str, MetricSample]] = {}
    for row in rows:
        out.setdefault(row.session_id, {})[row.metric] = row
    return out


def analysis_protocol_segments(*, session: ClinicalSession) -> list[ProtocolSegment]:
    """Every segment the analysis follows: the parts marked on the session page (a praxis
    session's cues, an interview's baseline and stories) and the marked gaze calibration."""
    segments = marked_protocol_segments(session=session)
    if session.gaze_calibration_start_s is not None and session.gaze_calibration_end_s is not None:
        segments.append(
            ProtocolSegment(CALIBRATION, session.gaze_calibration_start_s, session.gaze_calibration_end_s)
        )
    return segments
