"""The patient dashboard: a plain Dash app whose every request arrives through a Django view.

frontend/dashboards/views.py checks login and the care-team permission, then forwards the
request to this app's Flask server (frontend/dashboards/bridge.py) with the authorised Django
request and patient in the WSGI environ. The layout function and every callback check the
permission again from that environ and never take a patient from the browser: the patient code
the page keeps in a dcc.Store must match the authorised one, or the callback is refused (403).

URLs: the page is /dashboards/patient/<code>/ and the browser's Dash requests (layout,
dependencies, callbacks) go under that same prefix, so each carries the patient in its path and
is checked; component scripts come from /dashboards/app/_dash-component-suites/ (login only:
they hold no patient data). Dash's JS is served from the installed packages (no CDN).
What the page shows (picker, cards, graphs, links) is built by frontend/dashboards/components.py.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Any

import flask
from dash import MATCH, ClientsideFunction, Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string

from accounts.permissions import Action, PatientRefused, require
from audit.services import access_read
from frontend.dashboards.bridge import ENVIRON_PATIENT, ENVIRON_REQUEST, ENVIRON_REQUESTS_PREFIX
from frontend.dashboards.components import (
    dashboard_page,
    empty_card,
    empty_reason,
    metric_graph,
    metric_options,
    session_links,
    summary_card,
)
from frontend.dashboards.figures import date_range, protocol_colours, protocol_symbols
from frontend.dashboards.labels import NEEDS_CALIBRATION, default_metrics
from frontend.dashboards.tasks_view import TASK_HEADLINES, tasks_section
from patients.models import Patient
from recordings.selectors import calibrated_sessions
from results.dashboard_selectors import (
    SessionPoint,
    metric_date_bounds,
    metric_keys_for_patient,
    metric_session_points,
    metric_summaries,
)

ROUTES_PREFIX = "/dashboards/app/"
_CONFIG_SCRIPT = re.compile(r'(<script id="_dash-config" type="application/json">)(.*?)(</script>)', re.S)


def _authorised() -> tuple[Any, Patient]:
    """The Django request and patient the view authorised, checked again (VIEW_CLINICAL_PAGES)."""
    environ = flask.request.environ
    request, patient = environ.get(ENVIRON_REQUEST), environ.get(ENVIRON_PATIENT)
    if request is None or patient is None:
        raise PermissionDenied("Dashboard requests must come through the platform's dashboard page.")
    require(request.user, Action.VIEW_CLINICAL_PAGES, patient)
    return request, patient


class PatientDash(Dash):
    """Dash whose index page is a Django template (base.html: header, navigation, stylesheet)."""

    def interpolate_index(self, **kwargs: str) -> str:
        request, patient = _authorised()
        prefix = flask.request.environ[ENVIRON_REQUESTS_PREFIX]
        config = _CONFIG_SCRIPT.sub(lambda m: m[1] + _with_prefix(m[2], prefix) + m[3], kwargs["config"])
        return render_to_string(
            "dashboards/patient.html",
            {
                "patient": patient,
                "dash_css": kwargs["css"],
                "dash_entry": kwargs["app_entry"],
                "dash_config": config,
                "dash_scripts": kwargs["scripts"],
                # The one inline script (Dash's bootstrap) runs under the page's CSP nonce.
                "dash_renderer": kwargs["renderer"].replace(
                    "<script ", f'<script nonce="{request.csp_nonce}" ', 1
                ),
            },
            request=request,
        )


def _with_prefix(config_json: str, prefix: str) -> str:
    """Point the browser's Dash requests at the patient's own URL prefix."""
    config = json.loads(config_json)
    config["requests_pathname_prefix"] = prefix
    return json.dumps(config).replace("</", "<\\/")


def _layout() -> html.Div:
    environ = flask.request.environ if flask.has_request_context() else {}
    if ENVIRON_PATIENT not in environ:
        # Dash validates the layout once at start-up, outside any patient's request: the
        # skeleton has the same components and no data.
        return dashboard_page(
            patient_code="", options=[], chosen=[], first=None, last=None, content=([], [], [])
        )
    request, patient = _authorised()
    keys = metric_keys_for_patient(patient=patient)
    first, last = metric_date_bounds(patient=patient)
    options = metric_options(keys)
    # The semi-guided tasks have their own section below: their headline figures are the default
    # graphs only for a patient with nothing else.
    chosen = default_metrics([key for key in keys if not key.startswith("tasks.")]) or [
        key for key in TASK_HEADLINES if key in keys
    ]
    # The first view's data comes with the layout (one request fewer before the graphs show);
    # the callback serves filter changes.
    content = _content(chosen, metric_session_points(patient=patient, metrics=chosen))
    access_read(
        request=request,
        object_type="dashboard_layout",
        object_id=patient.code,
        patient=patient,
        details={"metrics": chosen[:20]},
    )
    page = dashboard_page(
        patient_code=patient.code, options=options, chosen=chosen, first=first, last=last, content=content
    )
    tasks = tasks_section(patient=patient)
    if tasks is not None:
        access_read(request=request, object_type="dashboard_tasks", object_id=patient.code, patient=patient)
        page.children.append(tasks)
    return page


def _parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise PreventUpdate from None


def update_dashboard(metrics: Any, start_date: Any, end_date: Any, patient_code: Any):
    """The one data callback: summary cards, one graph per metric and the session links."""
    request, patient = _authorised()
    if patient_code != patient.code:  # a body naming another patient than the page's path
        raise PatientRefused(Action.VIEW_CLINICAL_PAGES, None)
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise PreventUpdate
    date_from, date_to = _parse_date(start_date), _parse_date(end_date)
    points = metric_session_points(patient=patient, metrics=metrics, date_from=date_from, date_to=date_to)
    access_read(
        request=request,
        object_type="dashboard_data",
        object_id=patient.code,
        patient=patient,
        details={"metrics": metrics[:20], "from": str(date_from or ""), "to": str(date_to or "")},
    )
    return _content(metrics, points)


def _content(metrics: list[str], points: list[SessionPoint]) -> tuple[list, list, list]:
    """Summary cards, one graph per metric (one shared time axis), and the session links."""
    if not metrics:
        return [html.P("Choose at least one metric above.", className="muted")], [], session_links(points)
    calibrated = calibrated_sessions(
        session_ids={p.session_id for p in points if p.metric in NEEDS_CALIBRATION}
    )
    stored = {m: [p for p in points if p.metric == m] for m in metrics}
    by_metric = {
        m: [
            p
            for p in rows
            if p.value is not None and (m not in NEEDS_CALIBRATION or p.session_id in calibrated)
        ]
        for m, rows in stored.items()
    }
    drawn = [p for rows in by_metric.values() for p in rows]
    style = (protocol_symbols(drawn), protocol_colours(drawn))
    x_range = date_range(drawn)
    summaries = {s.metric: s for s in metric_summaries(points=drawn)}
    cards, graphs = [], []
    for metric in metrics:
        if by_metric[metric]:
            cards.append(summary_card(summaries[metric]))
            graphs.append(metric_graph(metric, by_metric[metric], style, x_range))
        else:
            cards.append(empty_card(metric, empty_reason(metric, stored[metric], calibrated)))
    return cards, graphs, session_links(drawn or points)


@cache
def dash_app() -> PatientDash:
    """The Dash app (built once per process, on first use)."""
    server = flask.Flask(__name__)
    # Let PermissionDenied and other errors reach Django, which answers 403 (or 500) itself.
    server.config["PROPAGATE_EXCEPTIONS"] = True
    app = PatientDash(
        __name__,
        server=server,
        url_base_pathname=ROUTES_PREFIX,
        serve_locally=True,
        compress=False,
        include_assets_files=False,
        title="Patient dashboard",
        update_title=None,
        suppress_callback_exceptions=True,
        use_async=False,
        csrf_token_name="csrftoken",  # noqa: S106 (the name of Django's CSRF cookie, not a secret)
        csrf_header_name="X-CSRFToken",
    )
    app.layout = _layout
    app.callback(
        Output("summary-cards", "children"),
        Output("metric-graphs", "children"),
        Output("session-links", "children"),
        Input("metric-picker", "value"),
        Input("date-range", "start_date"),
        Input("date-range", "end_date"),
        State("patient-code", "data"),
        prevent_initial_call=True,
    )(update_dashboard)
    # Clicking a session's point opens that session's page (customdata is the session id). The
    # function lives in a static script (js/dashboard_clicks.js): the Content-Security-Policy runs
    # no inline script but Dash's nonced bootstrap, and Dash would inline a function given as text.
    app.clientside_callback(
        ClientsideFunction(namespace="sessions", function_name="open"),
        Output({"type": "metric-graph", "metric": MATCH}, "className"),
        Input({"type": "metric-graph", "metric": MATCH}, "clickData"),
        prevent_initial_call=True,
    )
    return app
