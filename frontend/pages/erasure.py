"""Pages of erasure on request: a clinician of the care team asks, an administrator confirms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import Action, can_confirm_erasure, can_view_erasures
from audit.models import AccessEvent
from audit.services import access_read
from care.erasure import erasure_confirm, erasure_request
from frontend.pages.patient_scope import patient_page_open
from patients.models import ErasureRequest


@require_http_methods(["GET", "POST"])
@login_required
def erasure_request_page(request: HttpRequest, code: str) -> HttpResponse:
    """What an erasure removes, and the button that asks for it."""
    patient = patient_page_open(
        request,
        code,
        Action.REQUEST_ERASURE,
        object_type="erasure_request_form",
        shown=request.method == "GET",  # a POST answers with a redirect
    )
    pending = ErasureRequest.objects.filter(patient=patient, status=ErasureRequest.Status.REQUESTED).first()
    if request.method == "POST":
        try:
            erasure_request(patient=patient, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Erasure of {patient.code} requested. An administrator must confirm it."
            )
        return redirect("erasure_request", code=patient.code)
    context = {
        "patient": patient,
        "pending": pending,
        "counts": {
            "sessions": patient.sessions.count(),
            "recordings": patient.sessions.filter(recordings__isnull=False).values("recordings").count(),
            "consent records": patient.consents.count(),
            "study enrolments": patient.enrolments.count(),
        },
    }
    return render(request, "pages/erasure_request.html", context)


def _require_erasure_admin(user) -> None:
    if not can_view_erasures(user):
        raise PermissionDenied("Erasure requests are confirmed by administrators.")


@require_GET
@login_required
def erasure_list_page(request: HttpRequest) -> HttpResponse:
    """Pending requests to confirm, and past erasures with the study members to tell."""
    _require_erasure_admin(request.user)
    erasures = ErasureRequest.objects.select_related("requested_by", "confirmed_by").order_by("-requested_at")
    access_read(request=request, action=AccessEvent.Action.LIST, object_type="erasure_request")
    rows = [(erasure, can_confirm_erasure(request.user, erasure)) for erasure in erasures]
    return render(request, "pages/erasure_list.html", {"rows": rows})


@require_POST
@login_required
def erasure_confirm_page(request: HttpRequest, erasure_id: int) -> HttpResponse:
    _require_erasure_admin(request.user)
    erasure = get_object_or_404(ErasureRequest, pk=erasure_id)
    try:
        erasure = erasure_confirm(erasure=erasure, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{erasure.pseudonym} was erased from the database and the storage.")
    return redirect("erasure_list")
