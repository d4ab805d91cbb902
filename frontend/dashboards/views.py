"""Django views in front of the Dash app: every Dash request passes here first.

- dashboard_index: the patients whose dashboards this user may open (VIEW_CLINICAL_PAGES).
- dashboard_page: the dashboard of one patient (login, then VIEW_CLINICAL_PAGES on that
  patient; an unknown code and a patient outside the user's care team are both a 404), audited.
- dashboard_dash: the Dash requests of that page (layout, dependencies, callbacks and the
  component scripts loaded on demand), under the same per-patient prefix and with the same
  check; an anonymous request gets 403 as JSON, never a login redirect.
- dashboard_assets: Dash's component scripts (no patient data: login is enough).

Component script paths are checked by is_component_file before they reach Dash: no "..", no
empty or dotted segment, so that no path can walk to another Dash route.
"""

from __future__ import annotations

import re

from dash.exceptions import DashException
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Action, patients_for, require_patient, require_role_action
from audit.models import AccessEvent
from audit.services import access_read
from frontend.dashboards.app import ROUTES_PREFIX, dash_app
from frontend.dashboards.bridge import ENVIRON_PATIENT, ENVIRON_REQUEST, ENVIRON_REQUESTS_PREFIX, forward
from patients.models import Patient

# The Dash endpoints a dashboard page calls; anything else under the prefix is a 404.
DASH_ENDPOINTS = frozenset({"_dash-layout", "_dash-dependencies", "_dash-update-component"})
# Component scripts: _dash-component-suites/<package>/<file path>; no segment starts with a dot.
COMPONENT_SUITES = "_dash-component-suites/"
_SEGMENT = re.compile(r"^[A-Za-z0-9_@~+-][A-Za-z0-9_@~+.-]*$")


def is_component_file(path: str) -> bool:
    if not path.startswith(COMPONENT_SUITES):
        return False
    segments = path[len(COMPONENT_SUITES) :].split("/")
    return len(segments) >= 2 and all(_SEGMENT.match(segment) for segment in segments)


def _patient_prefix(patient: Patient) -> str:
    return f"/dashboards/patient/{patient.code}/"


def _environ(request: HttpRequest, patient: Patient | None) -> dict:
    extra = {ENVIRON_REQUEST: request}
    if patient is not None:
        extra[ENVIRON_PATIENT] = patient
        extra[ENVIRON_REQUESTS_PREFIX] = _patient_prefix(patient)
    return extra


def _forward_component_file(request: HttpRequest, path: str, patient: Patient | None) -> HttpResponse:
    if not is_component_file(path):
        raise Http404("No such dashboard file.")
    try:
        response = forward(request, dash_app().server, ROUTES_PREFIX + path, _environ(request, patient))
    except DashException:  # a package or file Dash does not serve
        raise Http404("No such dashboard file.") from None
    if response.status_code >= 400:
        raise Http404("No such dashboard file.")
    return response


@require_GET
@login_required
def dashboard_index(request: HttpRequest) -> HttpResponse:
    """The patients whose dashboards this user may open."""
    require_role_action(request.user, Action.USE_DASHBOARDS, "Dashboards are for clinicians of a care team.")
    patients = list(patients_for(request.user, Action.VIEW_CLINICAL_PAGES).order_by("code"))
    for patient in patients:
        access_read(
            request=request,
            action=AccessEvent.Action.LIST,
            object_type="dashboard",
            object_id=patient.code,
            patient=patient,
        )
    return render(request, "dashboards/index.html", {"patients": patients})


@require_GET
@login_required
@ensure_csrf_cookie
def dashboard_page(request: HttpRequest, code: str) -> HttpResponse:
    patient = require_patient(request.user, Action.VIEW_CLINICAL_PAGES, code=code)
    access_read(
        request=request,
        object_type="dashboard",
        object_id=patient.code,
        patient=patient,
    )
    return forward(request, dash_app().server, ROUTES_PREFIX, _environ(request, patient))


@require_http_methods(["GET", "POST"])
def dashboard_dash(request: HttpRequest, code: str, endpoint: str) -> HttpResponse:
    if endpoint not in DASH_ENDPOINTS and not is_component_file(endpoint):
        raise Http404("No such dashboard endpoint.")
    if not request.user.is_authenticated:
        return JsonResponse({"message": "Log in to see this dashboard."}, status=403)
    patient = require_patient(request.user, Action.VIEW_CLINICAL_PAGES, code=code)
    if endpoint not in DASH_ENDPOINTS:
        return _forward_component_file(request, endpoint, patient)
    return forward(request, dash_app().server, ROUTES_PREFIX + endpoint, _environ(request, patient))


@require_GET
def dashboard_assets(request: HttpRequest, asset: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"message": "Log in to load the dashboard."}, status=403)
    return _forward_component_file(request, asset, None)
