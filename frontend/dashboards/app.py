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
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Any

import flask
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.permissions import Action, PatientRefused, require
from audit.models import AccessEvent
from audit.services import access_record
from frontend.dashboards.bridge import ENVIRON_PATIENT, ENVIRON_REQUEST, ENVIRON_REQUESTS_PREFIX
from frontend.dashboards.figures import metric_figure, protocol_symbols
from frontend.dashboards.labels import FAMILIES, default_metrics, metric_family, metric_label, unit_label
from patients.models import Patient
from results.dashboard_selectors import (
    MetricSummary,
    SessionPoint,
    metric_date_bounds,
    metric_keys_for_patient,
    metric_session_points,
    metric_summaries,
)

ROUTES_PREFIX = "/dashboards/app/"
_CONFIG_SCRIPT = re.compile(r'(<script id="_dash-config" type="application/json">)(.*?)(</script>)', re.S)
_GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


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
        return _page(patient_code="", options=[], chosen=[], first=None, last=None, content=([], [], []))
    request, patient = _authorised()
    keys = metric_keys_for_patient(patient=patient)
    first, last = metric_date_bounds(patient=patient)
    options = [
        {"label": metric_label(key), "value": key}
        for family in (*FAMILIES, None)
        for key in keys
        if (metric_family(key) == family) or (family is None and metric_family(key) not in FAMILIES)
    ]
    chosen = default_metrics(keys)
    # The first view's data comes with the layout (one request fewer before the graphs show);
    # the callback serves filter changes.
    content = _content(chosen, metric_session_points(patient=patient, metrics=chosen))
    access_record(
        user=request.user,
        action=AccessEvent.Action.VIEW,
        object_type="dashboard_layout",
        object_id=patient.code,
        patient=patient,
        details={"metrics": chosen[:20]},
        request=request,
    )
    return _page(
        patient_code=patient.code, options=options, chosen=chosen, first=first, last=last, content=content
    )


def _page(
    *,
    patient_code: str,
    options: list[dict],
    chosen: list[str],
    first: date | None,
    last: date | None,
    content: tuple[list, list, list],
):
    cards, graphs, links = content
    return html.Div(
        className="dashboard",
        children=[
            dcc.Store(id="patient-code", data=patient_code),
            html.Section(
                className="card dashboard-filters",
                **{"aria-label": "Filters"},
                children=[
                    html.Div(
                        className="filter",
                        children=[
                            html.Label("Metrics", htmlFor="metric-picker", id="metric-picker-label"),
                            dcc.Dropdown(
                                id="metric-picker",
                                options=options,
                                value=chosen,
                                multi=True,
                                placeholder="Choose one or more metrics",
                            ),
                        ],
                    ),
                    html.Div(
                        className="filter",
                        children=[
                            html.Span("Sessions from … to", className="filter-label", id="date-range-label"),
                            dcc.DatePickerRange(
                                id="date-range",
                                start_date=first,
                                end_date=last,
                                min_date_allowed=first,
                                max_date_allowed=last,
                                display_format="D MMM YYYY",
                                start_date_id="date-from",
                                end_date_id="date-to",
                                start_date_placeholder_text="first session",
                                end_date_placeholder_text="last session",
                                clearable=True,
                                first_day_of_week=1,
                            ),
                        ],
                    ),
                ],
            ),
            dcc.Loading(
                type="default",
                children=[
                    html.Section(
                        id="summary-cards",
                        className="summary-cards",
                        children=cards,
                        **{"aria-live": "polite"},
                    ),
                    html.Section(id="metric-graphs", className="metric-graphs", children=graphs),
                    html.Section(id="session-links", className="card session-links", children=links),
                ],
            ),
        ],
    )


def _parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise PreventUpdate from None


def _format(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" + (f" {unit_label(unit)}" if unit else "")


def _card(summary: MetricSummary) -> html.Article:
    latest = summary.latest
    if summary.change is None:
        change = html.P(
            "No baseline yet: no earlier session with the same pipeline version.", className="muted"
        )
    else:
        direction = "up" if summary.change > 0 else "down" if summary.change < 0 else "flat"
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[direction]
        pct = f" ({summary.change_pct:+.0f} %)" if summary.change_pct is not None else ""
        change = html.P(
            [
                html.Span(f"{arrow} {summary.change:+.3g}{pct}", className=f"change change-{direction}"),
                f" against baseline {_format(summary.baseline)} "
                f"(median of the first {summary.baseline_sessions} session"
                f"{'s' if summary.baseline_sessions != 1 else ''})",
            ]
        )
    return html.Article(
        className="summary-card",
        children=[
            html.H3(metric_label(summary.metric)),
            html.P(_format(latest.value, summary.unit), className="summary-value"),
            html.P(
                f"Latest session {latest.session_date:%d %b %Y} · {latest.protocol_name}", className="muted"
            ),
            change,
        ],
    )


def _graph(metric: str, points: list[SessionPoint], symbols: dict[str, str]) -> html.Figure:
    label = metric_label(metric)
    unit = unit_label(points[0].unit) if points else ""
    return html.Figure(
        className="metric-graph",
        children=[
            dcc.Graph(
                id={"type": "metric-graph", "metric": metric},
                figure=metric_figure(points, title=label, unit=unit, symbols=symbols),
                config=_GRAPH_CONFIG,
            ),
            html.Figcaption(
                f"{label}: one point per session (median over its windows), bars from the 25th to the "
                f"75th percentile of the windows, {len(points)} sessions.",
                className="visually-hidden",
            ),
        ],
    )


def _session_links(points: list[SessionPoint]) -> list:
    sessions = sorted({(p.session_date, p.session_id, p.protocol_name) for p in points}, reverse=True)
    if not sessions:
        return [html.P("No analysed session in this period.")]
    return [
        html.H2("Sessions in this period", className="h3"),
        html.Ul(
            className="session-link-list",
            children=[
                html.Li(
                    html.A(
                        f"{on:%d %b %Y} · {protocol}",
                        href=reverse("session_page", args=[session_id]),
                    )
                )
                for on, session_id, protocol in sessions
            ],
        ),
    ]


def update_dashboard(metrics: Any, start_date: Any, end_date: Any, patient_code: Any):
    """The one data callback: summary cards, one graph per metric and the session links."""
    request, patient = _authorised()
    if patient_code != patient.code:  # a body naming another patient than the page's path
        raise PatientRefused(Action.VIEW_CLINICAL_PAGES, None)
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise PreventUpdate
    date_from, date_to = _parse_date(start_date), _parse_date(end_date)
    points = metric_session_points(patient=patient, metrics=metrics, date_from=date_from, date_to=date_to)
    access_record(
        user=request.user,
        action=AccessEvent.Action.VIEW,
        object_type="dashboard_data",
        object_id=patient.code,
        patient=patient,
        details={"metrics": metrics[:20], "from": str(date_from or ""), "to": str(date_to or "")},
        request=request,
    )
    return _content(metrics, points)


def _content(metrics: list[str], points: list[SessionPoint]) -> tuple[list, list, list]:
    """Summary cards, one graph per metric, and the session links."""
    if not metrics:
        return [html.P("Choose at least one metric above.", className="muted")], [], _session_links(points)
    symbols = protocol_symbols(points)
    by_metric = {m: [p for p in points if p.metric == m] for m in metrics}
    summaries = {s.metric: s for s in metric_summaries(points=points)}
    cards = [_card(summaries[m]) for m in metrics if m in summaries]
    if not cards:
        cards = [html.P("No value of these metrics in this period.", className="muted")]
    graphs = [_graph(m, by_metric[m], symbols) for m in metrics if by_metric[m]]
    return cards, graphs, _session_links(points)


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
    return app
