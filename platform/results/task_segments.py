"""Writes about the task segments of semi-guided sessions: a clinician marks, corrects, accepts
or deletes when the patient did each task of the protocol's list; the task model proposes
automatic segments after an analysis.

Every write checks Action.MARK_TASKS, refuses bad input with a sentence for the person
(ApplicationError: a session of another protocol, an unknown task, a mark outside the video or
overlapping another task) and is audited; a refused mark is audited too. A patient does one task
at a time, so the marked segments of a session never overlap; automatic segments are the task
model's proposal and are replaced by the next analysis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import ApplicationError
from accounts.permissions import Action, require
from analysis.tasks.segments import TaskSegment as Segment
from analysis.tasks.segments import validate_segments
from audit.models import AccessEvent
from audit.services import access_record
from recordings.models import ClinicalSession, Protocol
from recordings.selectors import protocol_task_names
from results.dashboard_selectors import session_latest_job, session_recording
from results.models import AnalysisJob, TaskSegment
from results.segment_metrics import segment_metrics_request
from results.task_metric_samples import session_task_metrics_refresh

# A mark may end a little after the recording's last frame (rounding of the player's time).
_END_TOLERANCE_S = 0.5
_SHORTEST_S = 0.04  # about one video frame


# One segment the task model proposes (the analysis library's segment: code, times, confidence).
ProposedSegment = Segment


def session_video_duration_s(session: ClinicalSession) -> float | None:
    """The duration of the video the session page plays (that of its latest analysis, else its
    latest stored recording), or None without a video."""
    job = session_latest_job(session=session)
    recording = job.recording if job else session_recording(session=session)
    return recording.duration_s if recording else None


# Protocols whose task list can be marked: semi-guided tasks; praxis tests, whose tasks are the
# items the examiner asks for (each marked segment is an item's cue); apathy interviews, whose
# tasks are their parts (baseline, positive_story, negative_story, neutral). The analysis reads
# the marks through results.task_selectors.marked_protocol_segments.
MARKABLE_KINDS = (Protocol.Kind.SEMI_GUIDED_TASKS, Protocol.Kind.PRAXIS_TEST, Protocol.Kind.APATHY_INTERVIEW)


def _refuse(message: str, field: str) -> NoReturn:
    raise ApplicationError(message, extra={"field": field, "code": "invalid"})


def _check_session(session: ClinicalSession) -> dict[str, str]:
    """The protocol's task names by code, or a refusal for a session without a task list."""
    protocol = session.protocol
    names = protocol_task_names(protocol=protocol)
    if protocol.kind not in MARKABLE_KINDS or not names:
        _refuse(
            f"This session follows the protocol {protocol.name!r}, which has no task list: tasks are "
            "marked only in sessions of a protocol that lists them (semi-guided tasks, praxis items, "
            "the parts of an apathy interview).",
            "task_code",
        )
    return names


def _check_times(start_s: float | None, end_s: float | None, duration_s: float | None) -> None:
    if start_s is None or end_s is None:
        _refuse("Give the task's start and end, in seconds from the start of the video.", "start_s")
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        _refuse("The start and end must be numbers of seconds, like 12.5.", "start_s")
    if start_s < 0:
        _refuse(f"The start ({start_s:g} s) is before the start of the video; use 0 s or later.", "start_s")
    if end_s <= start_s:
        _refuse(
            f"The end ({end_s:g} s) is not after the start ({start_s:g} s): press the task's key again "
            "later to end it, or fix the end.",
            "end_s",
        )
    if end_s - start_s < _SHORTEST_S:
        _refuse("The task is shorter than a video frame: press its key again later to end it.", "end_s")
    if duration_s is None:
        _refuse("This session has no video: tasks are marked on the video once it is uploaded.", "start_s")
    if end_s > duration_s + _END_TOLERANCE_S:
        _refuse(
            f"The end ({end_s:g} s) is after the end of the video ({duration_s:.1f} s).",
            "end_s",
        )


def _check_overlap(
    session: ClinicalSession, start_s: float, end_s: float, names: dict[str, str], exclude: int | None
) -> None:
    others = TaskSegment.objects.filter(
        session=session, source=TaskSegment.Source.MARKED, start_s__lt=end_s, end_s__gt=start_s
    ).exclude(pk=exclude)
    other = others.order_by("start_s").first()
    if other is not None:
        _refuse(
            f"From {start_s:.1f} to {end_s:.1f} s overlaps {names.get(other.task_code, other.task_code)!r}, "
            f"marked from {other.start_s:.1f} to {other.end_s:.1f} s: a patient does one task at a "
            "time, so correct or delete that task first.",
            "start_s",
        )


def _audit(by: Any, segment: TaskSegment, request: Any, **details: Any) -> None:
    access_record(
        user=by,
        action=AccessEvent.Action.REVIEW,
        object_type="task_segment",
        object_id=segment.pk,
        patient=segment.session.patient,
        details={"session_id": segment.session_id, "task": segment.task_code, **details},
        request=request,
    )


def _audit_refusal(by: Any, session: ClinicalSession, request: Any, error: ApplicationError) -> None:
    access_record(
        user=by,
        action=AccessEvent.Action.DENIED,
        outcome=AccessEvent.Outcome.DENIED,
        object_type="task_segment",
        object_id="",
        patient=session.patient,
        details={"session_id": session.pk, "reason": error.message},
        request=request,
    )


def _metrics_refresh(session: ClinicalSession) -> None:
    """The metrics that follow the marks: the per-task metrics at once, the praxis or apathy
    metrics recomputed off the request (results.segment_metrics)."""
    session_task_metrics_refresh(session=session)
    segment_metrics_request(session=session)


def _save(segment: TaskSegment) -> TaskSegment:
    try:
        segment.full_clean()
    except ValidationError as error:
        _refuse("The task could not be saved: " + " ".join(error.messages), "start_s")
    segment.save()
    return segment


def _checked(
    session: ClinicalSession,
    task_code: str,
    start_s: float | None,
    end_s: float | None,
    exclude: int | None,
) -> None:
    names = _check_session(session)
    if task_code not in names:
        _refuse(f"Unknown task {task_code!r}: choose one of the protocol's task list.", "task_code")
    duration_s = session_video_duration_s(session)
    _check_times(start_s, end_s, duration_s)
    _check_overlap(session, start_s, end_s, names, exclude)
    marked = TaskSegment.objects.filter(session=session, source=TaskSegment.Source.MARKED).exclude(pk=exclude)
    problems = validate_segments(
        [Segment(row.task_code, row.start_s, row.end_s) for row in marked]
        + [Segment(task_code, start_s, end_s)],
        duration_s + _END_TOLERANCE_S,
        names,
    )
    if problems:
        _refuse(problems[0], "start_s")


def task_segment_mark(
    *,
    session: ClinicalSession,
    task_code: str,
    start_s: float | None,
    end_s: float | None,
    by: Any,
    request: Any = None,
) -> TaskSegment:
    """A clinician marks when the patient did one task (by keys while the video plays, or the
    form). Raises PatientRefused unless `by` may mark tasks, ApplicationError on bad input."""
    require(by, Action.MARK_TASKS, session.patient)
    try:
        with transaction.atomic():
            ClinicalSession.objects.select_for_update().filter(pk=session.pk).first()
            _checked(session, task_code, start_s, end_s, None)
            segment = _save(
                TaskSegment(
                    session=session,
                    task_code=task_code,
                    start_s=start_s,
                    end_s=end_s,
                    source=TaskSegment.Source.MARKED,
                    marked_by=by,
                )
            )
            _audit(by, segment, request, marked=True, start_s=start_s, end_s=end_s)
            _metrics_refresh(session)
    except ApplicationError as error:
        _audit_refusal(by, session, request, error)
        raise
    return segment


def task_segment_correct(
    *,
    segment: TaskSegment,
    task_code: str,
    start_s: float | None,
    end_s: float | None,
    by: Any,
    request: Any = None,
) -> TaskSegment:
    """Correct a segment's task or times. An automatic segment corrected becomes marked by `by`."""
    session = segment.session
    require(by, Action.MARK_TASKS, session.patient)
    try:
        with transaction.atomic():
            ClinicalSession.objects.select_for_update().filter(pk=session.pk).first()
            _checked(session, task_code, start_s, end_s, segment.pk)
            before = {"task": segment.task_code, "start_s": segment.start_s, "end_s": segment.end_s}
            was = segment.source
            segment.task_code, segment.start_s, segment.end_s = task_code, start_s, end_s
            segment.source, segment.marked_by = TaskSegment.Source.MARKED, by
            _save(segment)
            _audit(by, segment, request, corrected=True, before=before, was=was, start_s=start_s, end_s=end_s)
            _metrics_refresh(session)
    except ApplicationError as error:
        _audit_refusal(by, session, request, error)
        raise
    return segment


def task_segment_accept(*, segment: TaskSegment, by: Any, request: Any = None) -> TaskSegment:
    """A clinician accepts an automatic segment as it is: it becomes marked by them."""
    return task_segment_correct(
        segment=segment,
        task_code=segment.task_code,
        start_s=segment.start_s,
        end_s=segment.end_s,
        by=by,
        request=request,
    )


@transaction.atomic
def task_segment_delete(*, segment: TaskSegment, by: Any, request: Any = None) -> None:
    """Delete a marked or proposed segment (audited with what it was)."""
    require(by, Action.MARK_TASKS, segment.session.patient)
    _audit(
        by,
        segment,
        request,
        deleted=True,
        source=segment.source,
        start_s=segment.start_s,
        end_s=segment.end_s,
    )
    session = segment.session
    segment.delete()
    _metrics_refresh(session)


@transaction.atomic
def task_segments_propose(
    *,
    session: ClinicalSession,
    job: AnalysisJob,
    segments: Sequence[ProposedSegment],
    model_version: str,
) -> list[TaskSegment]:
    """Replace the session's automatic segments with the task model's proposal from `job`
    (called by the analysis; no person). Segments outside the video or of unknown tasks are
    dropped; a proposal overlapping a marked task is dropped (the clinician's mark wins)."""
    names = _check_session(session)
    TaskSegment.objects.filter(session=session, source=TaskSegment.Source.AUTOMATIC).delete()
    marked = list(TaskSegment.objects.filter(session=session, source=TaskSegment.Source.MARKED))
    duration_s = job.recording.duration_s
    kept = []
    for proposed in segments:
        inside = 0 <= proposed.start_s < proposed.end_s <= duration_s + _END_TOLERANCE_S
        overlaps = any(m.start_s < proposed.end_s and m.end_s > proposed.start_s for m in marked)
        if proposed.task_code in names and inside and not overlaps:
            kept.append(
                _save(
                    TaskSegment(
                        session=session,
                        task_code=proposed.task_code,
                        start_s=proposed.start_s,
                        end_s=proposed.end_s,
                        source=TaskSegment.Source.AUTOMATIC,
                        confidence=proposed.confidence,
                        job=job,
                        model_version=model_version,
                    )
                )
            )
    access_record(
        user=None,
        action=AccessEvent.Action.CREATE,
        object_type="task_segments_proposed",
        object_id=job.pk,
        patient=session.patient,
        details={"session_id": session.pk, "model_version": model_version, "n_segments": len(kept)},
    )
    _metrics_refresh(session)
    return kept
