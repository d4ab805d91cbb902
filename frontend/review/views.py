"""The session page: video with the skeleton overlay, timeline, and the review of events.

Access (accounts.permissions): the page needs VIEW_CLINICAL_PAGES on the session's patient, the
video and its overlay VIEW_VIDEO, a review REVIEW_EVENTS; an unknown session and a refused one
are both a 404.
Audit: the page load (VIEW), the overlay (VIEW), every request for the video whatever its Range
(STREAM_VIDEO, with the bytes sent), each review (REVIEW).
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, can, require
from audit.models import AccessEvent
from audit.services import access_read
from care.reanalysis import recording_patient_choose
from frontend.review.overlay import overlay_json
from frontend.review.streaming import ranged_file_response
from frontend.review.tasks import task_panel, timeline_tasks
from frontend.review.timeline import (
    timeline_eye_contact,
    timeline_figure,
    timeline_no_speech,
    timeline_speech,
)
from recordings.models import ClinicalSession, Protocol, Recording
from recordings.selectors import ethogram_for, label_names
from recordings.services import recording_patient_confirm, session_gaze_calibration_set
from results.dashboard_selectors import (
    session_analysable_times,
    session_latest_job,
    session_metric_windows,
    session_recording,
)
from results.gesture_references import gesture_reference_create
from results.models import BehaviourEvent, CodedEvent, MetricSample
from results.praxis_scores import praxis_scores_for_session
from results.reviewed import reviewed_events
from results.reviews import coded_event_create, coded_event_remove, event_review_create
from results.segment_metrics import NEEDS_REANALYSIS


def _session(user, session_id: int, action: Action) -> ClinicalSession:
    """The session if the user may take this action on its patient, else 404 (unknown or refused)."""
    session = ClinicalSession.objects.select_related("patient", "protocol").filter(pk=session_id).first()
    require(user, action, session.patient if session else None)
    return session


def _played_recording(session: ClinicalSession) -> tuple[Recording | None, object]:
    """The recording the page plays (that of the latest finished analysis, else the latest
    stored one) and that analysis job (or None)."""
    job = session_latest_job(session=session)
    return (job.recording if job else session_recording(session=session)), job


@require_GET
@login_required
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request.user, session_id, Action.VIEW_CLINICAL_PAGES)
    patient = session.patient
    recording, job = _played_recording(session)
    events = reviewed_events(job=job) if job else []
    names = label_names(protocol=session.protocol)
    ethogram = ethogram_for(protocol=session.protocol)
    curves = session_metric_windows(job=job) if job else {}
    analysable_s = session_analysable_times(job=job) if job else {}
    speech = timeline_speech(job)
    duration_s = recording.duration_s if recording else max((e.end_s for e in events), default=1.0)
    is_praxis = session.protocol.kind == Protocol.Kind.PRAXIS_TEST
    segment_state = job.segment_metrics_state if job else ""
    access_read(
        request=request,
        object_type="clinical_session",
        object_id=session.pk,
        patient=patient,
    )
    return render(
        request,
        "review/session.html",
        {
            "session": session,
            "patient": patient,
            "recording": recording,
            "job": job,
            "events": [
                (event, names.get(event.label, event.label), names.get(event.model_label or "", ""))
                for event in events
            ],
            "n_counted": sum(1 for event in events if event.counted),
            "n_rejected": sum(1 for event in events if not event.counted),
            "ethogram": ethogram,
            "ethogram_json": [
                {"code": label.code, "name": label.name, "key": label.key} for label in ethogram
            ],
            "fps": recording.fps if recording else 25.0,
            "timeline": timeline_figure(
                events=events,
                names=names,
                curves=curves,
                duration_s=duration_s,
                analysable_s=analysable_s,
                tasks=timeline_tasks(session),
                speech=speech,
                no_speech=timeline_no_speech(job, speech),
                eye_contact=timeline_eye_contact(job),
            ),
            "can_view_video": can(request.user, Action.VIEW_VIDEO, patient),
            "can_review": can(request.user, Action.REVIEW_EVENTS, patient),
            "has_video": bool(recording and recording.file),
            "video_deleted": bool(recording and recording.status == Recording.Status.DELETED),
            "results_deleted": bool(job) and not MetricSample.objects.filter(job=job).exists() and not events,
            "gaze_on_target": _gaze_on_target(session, job, analysable_s),
            "can_choose_patient": can(request.user, Action.CHOOSE_ANALYSED_PERSON, patient)
            and bool(recording and recording.file),
            "patient_confirmed": bool(recording and recording.patient_confirmed_at),
            "pending_job": _pending_job(recording),
            "has_overlay": bool(job and job.tracks_file),
            "praxis_scores": praxis_scores_for_session(session)
            if job and is_praxis and segment_state != NEEDS_REANALYSIS
            else [],
            "segment_metrics": {
                "state": segment_state,
                "words": "praxis scores" if is_praxis else "apathy and agitation metrics",
            },
            "expected_gestures": session.protocol.expected_gestures,
            "is_praxis_protocol": is_praxis,
            **task_panel(request.user, session, has_video=bool(recording and recording.file)),
        },
    )


def _pending_job(recording: Recording | None):
    """The recording's analysis still queued or running, if any (a re-analysis after a choice)."""
    if recording is None:
        return None
    return recording.jobs.filter(status__in=("queued", "running")).order_by("-pk").first()


def _gaze_on_target(session: ClinicalSession, job, analysable_s: dict[str, float]) -> dict:
    """The session's gaze-on-target share as the page shows it: a value only once a
    calibration segment is marked; else the state "needs calibration". A value comes with the
    time it rests on (None when the analysis did not give it)."""
    if job is None:
        return {"state": "no analysis"}
    value = (
        MetricSample.objects.filter(job=job, metric="attention.gaze_on_target_share", is_session_level=True)
        .values_list("value", flat=True)
        .first()
    )
    if session.gaze_calibration_start_s is None:
        return {"state": "needs calibration"}
    if value is None:
        return {"state": "not measured"}
    return {
        "state": "measured",
        "percent": round(100 * value),
        "analysable_s": analysable_s.get("attention.gaze_on_target_share"),
    }


@require_POST
@login_required
def gesture_reference_mark(request: HttpRequest, session_id: int, event_id: int) -> HttpResponse:
    """A clinician marks a performed gesture as the protocol's reference for that gesture."""
    session = _session(request.user, session_id, Action.REVIEW_EVENTS)
    event = get_object_or_404(BehaviourEvent, pk=event_id, session=session, kind=BehaviourEvent.Kind.GESTURE)
    try:
        reference = gesture_reference_create(
            protocol=session.protocol,
            gesture=request.POST.get("gesture", ""),
            job=event.job,
            start_s=event.start_s,
            end_s=event.end_s,
            by=request.user,
            request=request,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"The gesture from {event.start_s:.1f} s to {event.end_s:.1f} s is now the reference for "
            f"{reference.gesture!r} in {session.protocol.name}; the next analyses are scored against it.",
        )
    return redirect(f"{reverse('session_page', args=[session.pk])}#praxis-h")


@require_GET
@login_required
def session_video(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request.user, session_id, Action.VIEW_VIDEO)
    recording, _ = _played_recording(session)
    if recording is None or not recording.file or not default_storage.exists(recording.file.name):
        raise Http404("This session has no stored video.")
    content_type = mimetypes.guess_type(recording.original_filename)[0] or "video/mp4"
    response = ranged_file_response(
        default_storage,
        recording.file.name,
        range_header=request.headers.get("Range"),
        content_type=content_type,
    )
    # Every request is a read, whatever its Range: the bytes sent are those streaming.parse_range
    # chose (Content-Range), the one parser of the header; a 416 tells the file's size.
    if response.status_code in (200, 206, 416):
        access_read(
            request=request,
            action=AccessEvent.Action.STREAM_VIDEO,
            object_type="recording",
            object_id=recording.pk,
            patient=session.patient,
            details={"bytes": response.get("Content-Range", "whole file")},
        )
    return response


@require_GET
@login_required
def session_overlay(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request.user, session_id, Action.VIEW_VIDEO)
    job = session_latest_job(session=session)
    if job is None:
        return JsonResponse({"message": "This session has no finished analysis yet."}, status=404)
    try:
        data = overlay_json(job)
    except FileNotFoundError as error:
        return JsonResponse({"message": str(error)}, status=404)
    access_read(
        request=request,
        object_type="tracks_overlay",
        object_id=job.pk,
        patient=session.patient,
    )
    response = HttpResponse(data, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


def _seconds(value: str | None, label: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise ApplicationError(f"The {label} must be a number of seconds, like 12.5.") from None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@login_required
def event_review(request: HttpRequest, session_id: int, event_id: int) -> HttpResponse:
    session = _session(request.user, session_id, Action.REVIEW_EVENTS)
    event = get_object_or_404(BehaviourEvent.objects.select_related("job__recording", "patient"), pk=event_id)
    if event.session_id != session.pk:
        raise Http404("This event is not part of this session.")
    try:
        review = event_review_create(
            event=event,
            reviewer=request.user,
            decision=request.POST.get("decision", ""),
            corrected_kind=request.POST.get("corrected_kind", ""),
            corrected_start_s=_seconds(request.POST.get("corrected_start_s"), "corrected start"),
            corrected_end_s=_seconds(request.POST.get("corrected_end_s"), "corrected end"),
            note=request.POST.get("note", ""),
            request=request,
        )
    except ApplicationError as error:
        if _wants_json(request):
            return JsonResponse({"message": error.message, "extra": error.extra}, status=400)
        messages.error(request, error.message)
        return redirect(reverse("session_page", args=[session.pk]) + f"#event-{event.pk}")
    status = f"{review.get_decision_display().capitalize()} by {request.user.get_username()}"
    if _wants_json(request):
        return JsonResponse({"id": review.pk, "decision": review.decision, "status": status}, status=201)
    messages.success(request, f"Event at {event.start_s:.1f} s: {status.lower()}.")
    return redirect(reverse("session_page", args=[session.pk]) + f"#event-{event.pk}")


@require_POST
@login_required
def patient_choose(request: HttpRequest, session_id: int) -> HttpResponse:
    """The clinician clicked the patient on a frame (or confirmed the analysed person)."""
    session = _session(request.user, session_id, Action.CHOOSE_ANALYSED_PERSON)
    recording, _ = _played_recording(session)
    if recording is None or recording.status != Recording.Status.STORED:
        raise Http404("This session has no stored video to choose the patient on.")
    try:
        if request.POST.get("confirm") == "1":
            recording_patient_confirm(recording=recording, by=request.user, request=request)
            text = "Thank you: the analysed person is confirmed as the patient."
        else:
            recording_patient_choose(
                recording=recording,
                x_px=_seconds(request.POST.get("x_px"), "x position") or 0.0,
                y_px=_seconds(request.POST.get("y_px"), "y position") or 0.0,
                time_s=_seconds(request.POST.get("time_s"), "time") or 0.0,
                by=request.user,
                request=request,
            )
            text = (
                "The patient is chosen. The video is being analysed again with this person; the results "
                "below are replaced when it finishes, and reviews of the other person's events do not carry over."
            )
    except ApplicationError as error:
        if _wants_json(request):
            return JsonResponse({"message": error.message}, status=400)
        messages.error(request, error.message)
        return redirect(reverse("session_page", args=[session.pk]))
    if _wants_json(request):
        return JsonResponse({"message": text}, status=201)
    messages.success(request, text)
    return redirect(reverse("session_page", args=[session.pk]))


@require_POST
@login_required
def gaze_calibration_mark(request: HttpRequest, session_id: int) -> HttpResponse:
    """The clinician marks the seconds where the patient looks at the gaze target."""
    session = _session(request.user, session_id, Action.REVIEW_EVENTS)
    clear = request.POST.get("clear") == "1"
    try:
        session_gaze_calibration_set(
            session=session,
            start_s=None if clear else _seconds(request.POST.get("start_s"), "calibration start"),
            end_s=None if clear else _seconds(request.POST.get("end_s"), "calibration end"),
            by=request.user,
            request=request,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Calibration cleared: gaze on target reads 'needs calibration'."
            if clear
            else "Calibration marked. Gaze on target is shown for this session; a re-analysis uses the segment.",
        )
    return redirect(reverse("session_page", args=[session.pk]) + "#gaze-h")


@require_POST
@login_required
def coded_event_add(request: HttpRequest, session_id: int) -> HttpResponse:
    """An event the model missed, coded by a clinician (by keys while playing, or the form)."""
    session = _session(request.user, session_id, Action.REVIEW_EVENTS)
    try:
        coded = coded_event_create(
            session=session,
            job=session_latest_job(session=session),
            label=request.POST.get("label", ""),
            start_s=_seconds(request.POST.get("start_s"), "start"),
            end_s=_seconds(request.POST.get("end_s"), "end"),
            note=request.POST.get("note", ""),
            by=request.user,
            request=request,
        )
    except ApplicationError as error:
        if _wants_json(request):
            return JsonResponse({"message": error.message, "extra": error.extra}, status=400)
        messages.error(request, error.message)
        return redirect(reverse("session_page", args=[session.pk]) + "#events-h")
    name = label_names(protocol=session.protocol).get(coded.label, coded.label)
    text = f"{name} from {coded.start_s:.1f} s to {coded.end_s:.1f} s added."
    if _wants_json(request):
        return JsonResponse({"id": coded.pk, "message": text}, status=201)
    messages.success(request, text)
    return redirect(reverse("session_page", args=[session.pk]) + f"#coded-{coded.pk}")


@require_POST
@login_required
def coded_event_delete(request: HttpRequest, session_id: int, coded_id: int) -> HttpResponse:
    session = _session(request.user, session_id, Action.REVIEW_EVENTS)
    coded = get_object_or_404(
        CodedEvent.objects.select_related("session__patient"), pk=coded_id, session=session
    )
    coded_event_remove(coded=coded, by=request.user, request=request)
    messages.success(request, f"The added event at {coded.start_s:.1f} s was taken back.")
    return redirect(reverse("session_page", args=[session.pk]) + "#events-h")
