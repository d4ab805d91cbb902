"""The tasks of a semi-guided session on its page: marking each task's start and end (keys 1-9
while the video plays, or the form), correcting, accepting the task model's proposals, deleting.

Access (accounts.permissions): every write needs MARK_TASKS on the session's patient (clinicians
of the care team); an unknown session or segment and a refused one are both a 404.
Audit: each write, and each refused mark with its sentence (results.task_segments); the
segments are shown on the session page, whose load is audited there.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, can, require
from recordings.models import ClinicalSession, Protocol
from recordings.selectors import protocol_task_names, protocol_tasks
from results.models import ModelVersion, TaskSegment
from results.task_segments import (
    task_segment_accept,
    task_segment_correct,
    task_segment_delete,
    task_segment_mark,
)
from results.task_selectors import active_task_model, session_task_segments

MAX_KEYED_TASKS = 9  # keys 1-9


def task_panel(user, session: ClinicalSession, *, has_video: bool) -> dict:
    """What the session page's task panel shows (nothing for protocols without a task list)."""
    tasks = protocol_tasks(protocol=session.protocol)
    if session.protocol.kind != Protocol.Kind.SEMI_GUIDED_TASKS or not tasks:
        return {"task_panel": None}
    names = {task.code: task.name for task in tasks}
    segments = session_task_segments(session=session)
    model = active_task_model()
    return {
        "task_panel": {
            "tasks": [
                {
                    "code": task.code,
                    "name": task.name,
                    "key": str(index) if index <= MAX_KEYED_TASKS else "",
                    "max_s": task.expected_max_duration_s,
                    "instructions": task.instructions,
                }
                for index, task in enumerate(tasks, start=1)
            ],
            "segments": [
                (segment, names.get(segment.task_code, segment.task_code), segment.end_s - segment.start_s)
                for segment in segments
            ],
            "n_proposed": sum(1 for segment in segments if segment.source == TaskSegment.Source.AUTOMATIC),
            "proposed_by": _proposing_model(segments, model),
            "has_model": model is not None,
            "can_mark": can(user, Action.MARK_TASKS, session.patient),
            "keys_on": has_video,
        }
    }


def _proposing_model(segments: list[TaskSegment], model: ModelVersion | None) -> str:
    """The model that proposed the visit's tasks ("<name> <version>"), and what it was trained
    on when it is the active one and its metrics say (the demo's model: the synthetic set)."""
    label = next((s.model_version for s in segments if s.source == TaskSegment.Source.AUTOMATIC), "")
    if label and model is not None and label == f"{model.name} {model.version}":
        trained_on = (model.metrics or {}).get("trained_on", "")
        return f"{label}, {trained_on}" if trained_on else label
    return label


def timeline_tasks(session: ClinicalSession) -> list[tuple[str, float, float, str]] | None:
    """The visit's tasks for the timeline's tasks row (name, start_s, end_s, source), or None
    for protocols without a task list (no tasks row)."""
    tasks = protocol_tasks(protocol=session.protocol)
    if session.protocol.kind != Protocol.Kind.SEMI_GUIDED_TASKS or not tasks:
        return None
    names = {task.code: task.name for task in tasks}
    return [
        (names.get(row.task_code, row.task_code), row.start_s, row.end_s, row.source)
        for row in session_task_segments(session=session)
    ]


def _session(user, session_id: int) -> ClinicalSession:
    session = ClinicalSession.objects.select_related("patient", "protocol").filter(pk=session_id).first()
    require(user, Action.MARK_TASKS, session.patient if session else None)
    return session


def _seconds(value: str | None) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise ApplicationError(
            "The start and end must be numbers of seconds, like 12.5.", extra={"field": "start_s"}
        ) from None


def _answer(request: HttpRequest, session: ClinicalSession, text: str, *, ok: bool, status: int = 200):
    page = reverse("session_page", args=[session.pk]) + "#tasks-h"
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"message": text}, status=status)
    (messages.success if ok else messages.error)(request, text)
    return redirect(page)


def _describe(session: ClinicalSession, segment: TaskSegment) -> str:
    name = protocol_task_names(protocol=session.protocol).get(segment.task_code, segment.task_code)
    return f"{name} from {segment.start_s:.1f} s to {segment.end_s:.1f} s"


@require_POST
@login_required
def task_mark(request: HttpRequest, session_id: int) -> HttpResponse:
    """Mark one task's start and end (keys while playing, or the form)."""
    session = _session(request.user, session_id)
    try:
        segment = task_segment_mark(
            session=session,
            task_code=request.POST.get("task_code", ""),
            start_s=_seconds(request.POST.get("start_s")),
            end_s=_seconds(request.POST.get("end_s")),
            by=request.user,
            request=request,
        )
    except ApplicationError as error:
        return _answer(request, session, error.message, ok=False, status=400)
    return _answer(request, session, f"{_describe(session, segment)} marked.", ok=True, status=201)


def _segment(request: HttpRequest, session_id: int, segment_id: int) -> tuple[ClinicalSession, TaskSegment]:
    session = _session(request.user, session_id)
    segment = get_object_or_404(
        TaskSegment.objects.select_related("session__patient"), pk=segment_id, session=session
    )
    return session, segment


@require_POST
@login_required
def task_correct(request: HttpRequest, session_id: int, segment_id: int) -> HttpResponse:
    session, segment = _segment(request, session_id, segment_id)
    try:
        task_segment_correct(
            segment=segment,
            task_code=request.POST.get("task_code", "") or segment.task_code,
            start_s=_seconds(request.POST.get("start_s")),
            end_s=_seconds(request.POST.get("end_s")),
            by=request.user,
            request=request,
        )
    except ApplicationError as error:
        return _answer(request, session, error.message, ok=False, status=400)
    return _answer(request, session, f"Corrected: {_describe(session, segment)}.", ok=True)


@require_POST
@login_required
def task_accept(request: HttpRequest, session_id: int, segment_id: int) -> HttpResponse:
    session, segment = _segment(request, session_id, segment_id)
    try:
        task_segment_accept(segment=segment, by=request.user, request=request)
    except ApplicationError as error:
        return _answer(request, session, error.message, ok=False, status=400)
    return _answer(request, session, f"Accepted: {_describe(session, segment)}.", ok=True)


@require_POST
@login_required
def task_delete(request: HttpRequest, session_id: int, segment_id: int) -> HttpResponse:
    session, segment = _segment(request, session_id, segment_id)
    text = f"Deleted: {_describe(session, segment)}."
    task_segment_delete(segment=segment, by=request.user, request=request)
    return _answer(request, session, text, ok=True)
