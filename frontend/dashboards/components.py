"""What the patient dashboard shows: the metric picker, the page's skeleton, the summary cards,
one graph per metric and the session links, from data the app (frontend/dashboards/app.py) has
read and audited. No request and no permission here."""

from __future__ import annotations

from datetime import date

from dash import dcc, html
from django.urls import reverse

from frontend.dashboards.figures import metric_figure
from frontend.dashboards.labels import (
    FAMILIES,
    FAMILY_TITLES,
    NEEDS_CALIBRATION,
    Unit,
    metric_family,
    metric_help,
    metric_label,
    metric_unit,
)
from results.dashboard_selectors import MetricSummary, SessionPoint

# Distinct reasons a card lists when sessions could not be measured for different reasons.
MAX_REASONS_SHOWN = 3
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def metric_options(keys: list[str]) -> list[dict]:
    """The picker's options: a heading per family (not selectable), then its metrics by plain
    name; the search matches the name, the family and the help text."""
    options: list[dict] = []
    for family in (*FAMILIES, None):
        members = [
            key
            for key in keys
            if metric_family(key) == family or (family is None and metric_family(key) not in FAMILIES)
        ]
        if not members:
            continue
        title = FAMILY_TITLES.get(family, "Other")
        options.append({"label": f"— {title} —", "value": f"family:{family}", "disabled": True})
        options += [
            {
                "label": metric_label(key),
                "value": key,
                "title": metric_help(key),
                "search": f"{metric_label(key)} {title} {metric_help(key)}",
            }
            for key in sorted(members, key=metric_label)
        ]
    return options


def dashboard_page(
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
                                searchable=True,
                                placeholder="Search or choose metrics (grouped by family)",
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


def _format(value: float | None, unit: Unit) -> str:
    if value is None:
        return "—"
    shown = value * unit.factor
    if unit.factor == 100.0:
        return f"{shown:.0f} %" if unit.words.startswith("%") else f"{shown:+.0f} {unit.words}"
    return _with_words(shown, unit)


def _with_words(shown: float, unit: Unit) -> str:
    """A shown number with its unit's words; a count is a bare number ("3", not "3 count")."""
    return f"{shown:.3g}" if unit.words == "count" else f"{shown:.3g} {unit.words}"


def _baseline_words(summary: MetricSummary, unit: Unit) -> str:
    n = summary.baseline_sessions
    if n == 1:
        return f"the first session ({_format(summary.baseline, unit)})"
    return f"the usual level of the first {n} sessions ({_format(summary.baseline, unit)}, their median)"


def summary_card(summary: MetricSummary) -> html.Article:
    latest = summary.latest
    unit = metric_unit(summary.metric, summary.unit)
    if summary.change is None:
        change = html.P(
            "No earlier session to compare with (same protocol, analysed with the same pipeline version).",
            className="muted",
        )
    else:
        size = abs(summary.change) * unit.factor
        amount = f"{size:.0f} percentage points" if unit.factor == 100.0 else _with_words(size, unit)
        if summary.change == 0:
            words = f"The same as {_baseline_words(summary, unit)}."
        else:
            direction = "higher" if summary.change > 0 else "lower"
            relative = summary.change_pct is not None and unit.factor != 100.0
            pct = f" ({abs(summary.change_pct):.0f} %)" if relative else ""
            words = f"{amount}{pct} {direction} than {_baseline_words(summary, unit)}."
        change = html.P(words, className="change")
    reviewed = (
        [html.P(f"After clinicians' review; the model alone measured {_format(latest.model_value, unit)}.",
                className="muted")]
        if latest.model_value is not None
        else []
    )  # fmt: skip
    return html.Article(
        className="summary-card",
        children=[
            html.H3(metric_label(summary.metric), title=metric_help(summary.metric)),
            html.P(_format(latest.value, unit), className="summary-value"),
            html.P(
                f"Latest session {latest.session_date:%d %b %Y} · {latest.protocol_name}", className="muted"
            ),
            change,
            *reviewed,
        ],
    )


def empty_card(metric: str, reason: str) -> html.Article:
    return html.Article(
        className="summary-card summary-empty",
        children=[
            html.H3(metric_label(metric), title=metric_help(metric)),
            html.P(reason, className="muted"),
        ],
    )


def metric_graph(
    metric: str, points: list[SessionPoint], style: tuple[dict, dict], x_range: list[str] | None
) -> html.Figure:
    label = metric_label(metric)
    unit = metric_unit(metric, points[0].unit if points else "")
    symbols, colours = style
    return html.Figure(
        className="metric-graph",
        children=[
            dcc.Graph(
                id={"type": "metric-graph", "metric": metric},
                figure=metric_figure(
                    points, title=label, unit=unit, symbols=symbols, colours=colours, x_range=x_range
                ),
                config=GRAPH_CONFIG,
                responsive=True,
                style={"height": "300px", "width": "100%"},
            ),
            html.Figcaption(metric_help(metric), className="graph-help"),
        ],
    )


def session_links(points: list[SessionPoint]) -> list:
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


def empty_reason(metric: str, stored: list[SessionPoint], calibrated: set[int]) -> str:
    """Why a metric has no value to draw, in words."""
    if not stored:
        if metric_family(metric) == "praxis":
            return "No praxis session in this period: praxis is measured only in praxis-test protocols."
        return "No analysed session in this period has this metric."
    if metric in NEEDS_CALIBRATION and not any(p.session_id in calibrated for p in stored):
        return (
            "Needs calibration: on the session page, mark a few seconds where the patient looks at the "
            "target. Without it the number would mean 'unknown', not 'never'."
        )
    return _stored_reasons(stored) or (
        "Could not be measured in these sessions (e.g. the face or body was not visible)."
    )


def _sentence(words: str) -> str:
    words = words.strip().rstrip(".")
    return words[:1].upper() + words[1:] + "."


def _stored_reasons(stored: list[SessionPoint]) -> str:
    """The reasons the analysis stored for the unmeasured sessions, in words: one reason for all,
    or the most recent session's with the other distinct ones after it; "" when none was stored."""
    unmeasured = sorted(
        (p for p in stored if p.value is None and p.reason),
        key=lambda p: (p.session_date, p.session_id),
        reverse=True,
    )
    if not unmeasured:
        return ""
    distinct = list(dict.fromkeys(p.reason.strip().rstrip(".") for p in unmeasured))
    if len(distinct) == 1:
        where = "this session" if len(unmeasured) == 1 else f"these {len(unmeasured)} sessions"
        return f"Could not be measured in {where}: {distinct[0]}."
    latest = unmeasured[0]
    others = " ".join(_sentence(reason) for reason in distinct[1:MAX_REASONS_SHOWN])
    more = len(distinct) - MAX_REASONS_SHOWN
    tail = f" (and {more} other reason{'s' if more > 1 else ''})" if more > 0 else ""
    return (
        f"Could not be measured. Latest session ({latest.session_date:%d %b %Y}): {distinct[0]}. "
        f"Earlier sessions: {others}{tail}"
    )
