"""Django views in front of the Dash app: every Dash request passes here first.

- dashboard_page: the dashboard of one patient (login, then VIEW_METRICS on that patient; an
  unknown code is a 404, a patient outside the user's care team a 403), audited.
- dashboard_dash: the Dash requests of that page (layout, dependencies, callbacks and the
  component scripts loaded on demand), under the same per-patient prefix and with the same
  check; answers 403 as JSON, never a login redirect.
- dashboard_assets: Dash's component scripts (no patient data: login is enough).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Action, patients_for
from audit.models import AccessEvent
from audit.services import access_record
from frontend.dashboards.access import require_clinical_view
from frontend.dashboards.app import ROUTES_PREFIX, dash_app
from frontend.dashboards.bridge import ENVIRON_PATIENT, ENVIRON_REQUEST, ENVIRON_REQUESTS_PREFIX, forward
from patients.models import Patient

# The Dash endpoints a dashboard page calls; anything else under the prefix is a 404.
DASH_ENDPOINTS = frozenset({"_dash-layout", "_dash-dependencies", "_dash-update-component"})
# Component scripts; those loaded on demand (plotly.js for dcc.Graph) come under the patient's prefix.
COMPONENT_SUITES = "_dash-component-suites/"


def _patient_prefix(patient: Patient) -> str:
    return f"/dashboards/patient/{patient.code}/"


def _environ(request: HttpRequest, patient: Patient | None) -> dict:
    extra = {ENVIRON_REQUEST: request}
    if patient is not None:
        extra[ENVIRON_PATIENT] = patient
        extra[ENVIRON_REQUESTS_PREFIX] = _patient_prefix(patient)
    return extra


@require_GET
@login_required
def dashboard_index(request: HttpRequest) -> HttpResponse:
    """The patients whose dashboards this user may open."""
    patients = patients_for(request.user, Action.VIEW_METRICS).order_by("code")
    if not patients.exists() and not request.user.is_superuser:
        raise PermissionDenied("Dashboards are for clinicians of a care team.")
    access_record(user=request.user, action=AccessEvent.Action.LIST, object_type="dashboard", request=request)
    return render(request, "dashboards/index.html", {"patients": patients})


@require_GET
@login_required
@ensure_csrf_cookie
def dashboard_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = get_object_or_404(Patient, code=code)
    require_clinical_view(request.user, patient)
    access_record(
        user=request.user,
        action=AccessEvent.Action.VIEW,
        object_type="dashboard",
        object_id=patient.code,
        patient=patient,
        request=request,
    )
    return forward(request, dash_app().server, ROUTES_PREFIX, _environ(request, patient))


@require_http_methods(["GET", "POST"])
def dashboard_dash(request: HttpRequest, code: str, endpoint: str) -> HttpResponse:
    if endpoint not in DASH_ENDPOINTS and not endpoint.startswith(COMPONENT_SUITES):
        raise Http404("No such dashboard endpoint.")
    if not request.user.is_authenticated:
        return JsonResponse({"message": "Log in to see this dashboard."}, status=403)
    patient = Patient.objects.filter(code=code).first()
    if patient is None:
        raise Http404("No such patient.")
    require_clinical_view(request.user, patient)
    return forward(request, dash_app().server, ROUTES_PREFIX + endpoint, _environ(request, patient))


@require_GET
def dashboard_assets(request: HttpRequest, asset: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"message": "Log in to load the dashboard."}, status=403)
    if not (asset.startswith(COMPONENT_SUITES) or asset == "_favicon.ico"):
        raise Http404("No such dashboard file.")
    return forward(request, dash_app().server, ROUTES_PREFIX + asset, _environ(request, None))
