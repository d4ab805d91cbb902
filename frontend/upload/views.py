"""The upload page and the JSON endpoints its script calls (start, chunk, status, complete,
abandon, and the analysis job's progress).

Access, the same everywhere: a user with no patient to upload for gets 403; a patient, session,
upload or job outside what accounts.permissions allows gets 404 (so identifiers do not leak).
JSON endpoints answer an anonymous request with 401 and a sentence instead of a login redirect,
so that the script can tell the person to log in again. Every answer of a JSON endpoint that
refuses something carries {"message": sentence, ...extra} from recordings.uploads and
care.uploads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, patients_for, require, require_patient, restrict
from audit.middleware import remember_refusal
from audit.models import AccessEvent
from audit.services import access_read, access_record
from care.uploads import upload_complete, upload_status
from frontend.pages.forms import SessionCreateForm, session_form_submit
from patients.models import ConsentScope, Patient
from patients.selectors import consent_active_scopes
from recordings.models import ChunkedUpload, ClinicalSession
from recordings.uploads import upload_abandon, upload_chunk, upload_start
from results.models import AnalysisJob
from results.selectors import analysis_job_status, session_list_for_patient


def _upload_patients(user) -> Any:
    return patients_for(user, Action.UPLOAD)


def _require_uploader(user) -> None:
    if not _upload_patients(user).exists():
        raise PermissionDenied(
            "Uploading videos is for hospital staff and clinicians of a care team, for their own patients."
        )


def _json_error(message: str, http_status: int, extra: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse({**(extra or {}), "message": message}, status=http_status)


def json_endpoint(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Authentication and error handling of the upload page's JSON endpoints."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return _json_error(
                "You are logged out. Log in again, then choose the same file to resume the upload.", 401
            )
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as error:
            return _json_error(error.message, error.http_status, error.extra)
        except PermissionDenied as error:
            return _json_error(str(error) or "You are not allowed to do this.", 403)
        except Http404 as error:
            remember_refusal(request, error)  # the refusal's audit row names a refused patient
            return _json_error("No such upload, session or analysis among your patients.", 404)
        except RequestDataTooBig:
            return _json_error(
                f"A chunk may be at most {settings.UPLOAD_CHUNK_BYTES} bytes.",
                413,
                {"code": "too_large", "max_chunk_bytes": settings.UPLOAD_CHUNK_BYTES},
            )

    return wrapper


def _get_patient(user, code: str) -> Patient:
    return require_patient(user, Action.UPLOAD, code=code)  # else PatientRefused: a 404, audited


def _get_session(user, session_id: Any) -> ClinicalSession:
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404("No such session.") from None
    session = ClinicalSession.objects.select_related("patient", "protocol").filter(pk=pk).first()
    require(user, Action.UPLOAD, session.patient if session else None)  # else a 404, audited
    return session


def _get_upload(user, upload_id: Any) -> ChunkedUpload:
    """The user's own upload, if they may still upload for its patient."""
    upload = (
        restrict(ChunkedUpload.objects.select_related("session__patient"), user, Action.UPLOAD)
        .filter(pk=upload_id, uploaded_by=user)
        .first()
    )
    if upload is None:
        raise Http404("No such upload.")
    return upload


def _page(
    request: HttpRequest,
    *,
    patient: Patient | None,
    session: ClinicalSession | None,
    session_form: SessionCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    patients = list(_upload_patients(user).select_related("identity").order_by("code"))
    identity_visible = set(patients_for(user, Action.VIEW_IDENTITY).values_list("pk", flat=True))
    choices = [
        {"patient": p, "identity": p.identity if p.pk in identity_visible else None, "selected": p == patient}
        for p in patients
    ]
    access_read(
        request=request,
        action=AccessEvent.Action.LIST,
        object_type="patient",
        details={
            "page": "upload",
            "patients": [p.code for p in patients],
            "identities_shown": [c["patient"].code for c in choices if c["identity"] is not None],
        },
    )
    context: dict[str, Any] = {"choices": choices, "patient": patient, "session": session}
    if patient is not None:
        access_read(
            request=request,
            object_type="patient_sessions",
            object_id=patient.pk,
            patient=patient,
        )
        active = consent_active_scopes(patient=patient)
        can_register = patients_for(user, Action.REGISTER_SESSION).filter(pk=patient.pk).exists()
        context |= {
            "sessions": session_list_for_patient(patient=patient),
            "has_store_consent": ConsentScope.STORE_VIDEO in active,
            "has_analyse_consent": ConsentScope.ANALYSE in active,
            "can_register_session": can_register,
            "can_view_metrics": patients_for(user, Action.VIEW_METRICS).filter(pk=patient.pk).exists(),
            "session_form": session_form or (SessionCreateForm(patient=patient) if can_register else None),
        }
    if session is not None:
        context["config"] = {
            "sessionId": session.pk,
            "startUrl": reverse("upload:start"),
            "statusUrl": reverse(
                "upload:status", kwargs={"upload_id": "00000000-0000-0000-0000-000000000000"}
            ),
            "chunkUrl": reverse("upload:chunk", kwargs={"upload_id": "00000000-0000-0000-0000-000000000000"}),
            "completeUrl": reverse(
                "upload:complete", kwargs={"upload_id": "00000000-0000-0000-0000-000000000000"}
            ),
            "abandonUrl": reverse(
                "upload:abandon", kwargs={"upload_id": "00000000-0000-0000-0000-000000000000"}
            ),
            "jobUrl": reverse("upload:job_status", kwargs={"job_id": 0}),
            # The end message names what this person may open (hospital staff see no results).
            "canViewResults": bool(context.get("can_view_metrics")),
            "chunkBytes": settings.UPLOAD_CHUNK_BYTES,
            "maxBytes": settings.UPLOAD_MAX_BYTES,
            "doneUrl": (
                f"/sessions/{session.pk}/"
                if context.get("can_view_metrics")
                else reverse("patient_detail", kwargs={"code": session.patient.code})
                + f"#session-{session.pk}"
            ),
        }
    return render(request, "upload/upload_page.html", context, status=status)


@require_GET
@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    """Pick a patient, then a session (or register one), then drop the video.

    ?patient=<pseudonym> selects the patient; ?session=<id> selects the session (and its patient).
    """
    _require_uploader(request.user)
    session = None
    patient = None
    if request.GET.get("session"):
        session = _get_session(request.user, request.GET["session"])
        patient = session.patient
    elif request.GET.get("patient"):
        patient = _get_patient(request.user, request.GET["patient"])
    return _page(request, patient=patient, session=session)


@require_POST
@login_required
def upload_session_create(request: HttpRequest) -> HttpResponse:
    """Register a session inline on the upload page, then select it."""
    _require_uploader(request.user)
    patient = _get_patient(request.user, request.GET.get("patient", ""))
    require(request.user, Action.REGISTER_SESSION, patient)
    form, session = session_form_submit(data=request.POST, patient=patient, by=request.user)
    if session is not None:
        return redirect(reverse("upload:page") + f"?session={session.pk}")
    return _page(request, patient=patient, session=None, session_form=form, status=400)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApplicationError("The request is not valid JSON.", extra={"code": "invalid"}) from None
    if not isinstance(body, dict):
        raise ApplicationError("The request must be a JSON object.", extra={"code": "invalid"})
    return body


@require_POST
@json_endpoint
def api_start(request: HttpRequest) -> JsonResponse:
    """{session, filename, size, sha256} → the new or resumed upload's status (201 or 200)."""
    _require_uploader(request.user)
    body = _json_body(request)
    session = _get_session(request.user, body.get("session"))
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ApplicationError("The file size must be a whole number of bytes.", extra={"code": "invalid"})
    upload = upload_start(
        session=session,
        user=request.user,
        original_filename=str(body.get("filename") or ""),
        total_size_bytes=size,
        expected_sha256=str(body.get("sha256") or ""),
        confirm_other_patient=body.get("confirm_other_patient") is True,
    )
    resumed = upload.resumed
    if not resumed:
        access_record(
            user=request.user,
            action=AccessEvent.Action.CREATE,
            object_type="upload",
            object_id=upload.pk,
            patient=session.patient,
            details={"session": session.pk, "size_bytes": size},
            request=request,
        )
    return JsonResponse({**upload_status(upload=upload), "resumed": resumed}, status=200 if resumed else 201)


@require_GET
@json_endpoint
def api_status(request: HttpRequest, upload_id) -> JsonResponse:
    """Where the upload stands: the client continues from next_offset."""
    return JsonResponse(upload_status(upload=_get_upload(request.user, upload_id)))


@require_POST
@json_endpoint
def api_chunk(request: HttpRequest, upload_id) -> JsonResponse:
    """The request body is the chunk's bytes; ?offset= is where they start in the file."""
    upload = _get_upload(request.user, upload_id)
    try:
        offset = int(request.GET.get("offset", ""))
    except ValueError:
        raise ApplicationError(
            "The chunk's offset (?offset=) must be a whole number of bytes.",
            extra={"code": "invalid", "expected_offset": upload.received_bytes},
        ) from None
    upload = upload_chunk(upload=upload, offset=offset, data=request.body)
    return JsonResponse(
        {"id": str(upload.id), "received_bytes": upload.received_bytes, "status": upload.status}
    )


@require_POST
@json_endpoint
def api_complete(request: HttpRequest, upload_id) -> JsonResponse:
    """Verify the whole file, store the recording, queue its analysis."""
    upload = _get_upload(request.user, upload_id)
    upload_complete(upload=upload)
    return JsonResponse(upload_status(upload=upload))


@require_POST
@json_endpoint
def api_abandon(request: HttpRequest, upload_id) -> JsonResponse:
    upload = upload_abandon(upload=_get_upload(request.user, upload_id))
    return JsonResponse({"id": str(upload.id), "status": upload.status})


@require_GET
@json_endpoint
def api_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    """An analysis job's stage and percent, polled by the page while the analysis runs."""
    job = AnalysisJob.objects.select_related("recording__session__patient").filter(pk=job_id).first()
    require(request.user, Action.VIEW_PATIENT, job.recording.session.patient if job else None)
    return JsonResponse(analysis_job_status(job=job))
