"""Plotly figures of one metric across a patient's sessions.

One marker per session (the median over its windows, with the middle half of the windows as a
bar, or the whole-session value without a bar); colour and symbol say the session's protocol,
and the legend names it. Points are joined only within one protocol and a run of sessions
analysed with the same pipeline version; where the version changes, a dashed vertical line and
a label mark it. Every graph of a page shares one time axis (date_range over all of them).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby, pairwise

from frontend.dashboards.labels import Unit
from results.dashboard_selectors import SessionPoint

SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon", "x")
# Protocol colours (Okabe-Ito, distinguishable with colour-blindness); the legend names each.
PROTOCOL_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00", "#000000")
CHANGE_COLOUR = "#55606d"


def protocol_symbols(points: list[SessionPoint]) -> dict[str, str]:
    """A stable symbol per protocol (same protocol, same symbol on every graph of the page)."""
    codes = sorted({p.protocol_code for p in points})
    return {code: SYMBOLS[i % len(SYMBOLS)] for i, code in enumerate(codes)}


def version_runs(points: list[SessionPoint]) -> list[list[SessionPoint]]:
    """Consecutive points (in date order) sharing a pipeline version."""
    return [list(run) for _, run in groupby(points, key=lambda p: p.pipeline_version)]


def date_range(points: list[SessionPoint]) -> list[str] | None:
    """The x range: the sessions' dates with a margin, at least a month wide (a day-wide axis
    would tick hours)."""
    if not points:
        return None
    first, last = min(p.session_date for p in points), max(p.session_date for p in points)
    margin = max(timedelta(days=15), (last - first) * 0.04)
    return [(first - margin).isoformat(), (last + margin).isoformat()]


def _hover(point: SessionPoint, unit: Unit) -> str:
    def shown(value: float) -> str:
        return f"{value * unit.factor:.3g} {unit.words}"

    if point.q1 is None or point.q3 is None:
        what = f"{shown(point.value)}, whole-session value (no bar)"
    elif point.n_windows < 2:
        what = f"{shown(point.value)}, the session's one time window (no bar)"
    else:
        what = (
            f"{shown(point.value)}, median of {point.n_windows} time windows<br>"
            f"bar: middle half of the windows, {shown(point.q1)} to {shown(point.q3)}"
        )
    if point.model_value is not None:
        what += f"<br>after clinicians' review (model alone: {shown(point.model_value)})"
    if point.analysable_s is not None:
        what += f"<br>measured over {point.analysable_s:.0f} s of analysable time"
    return (
        f"{point.session_date:%d %b %Y} · {point.protocol_name}<br>{what}"
        f"<br>pipeline {point.pipeline_version}<br>click to open the session<extra></extra>"
    )


def protocol_colours(points: list[SessionPoint]) -> dict[str, str]:
    """A stable colour per protocol (the legend names it; colour means nothing else)."""
    codes = sorted({p.protocol_code for p in points})
    return {code: PROTOCOL_COLOURS[i % len(PROTOCOL_COLOURS)] for i, code in enumerate(codes)}


def metric_figure(
    points: list[SessionPoint],
    *,
    title: str,
    unit: Unit,
    symbols: dict[str, str],
    colours: dict[str, str],
    x_range: list[str] | None,
) -> dict:
    """The figure of one metric as a Plotly figure dictionary ({"data": [...], "layout": {...}});
    points are that metric's SessionPoints in date order. One series per protocol (sessions
    of different protocols are never joined), cut where the pipeline version changes; values
    shown in the metric's display unit, on its domain's axis range.

    Plain dictionaries, not plotly.graph_objects: validating graph objects costs about a
    quarter of a second per figure, which the dashboard's latency goal cannot afford.
    """
    shown = [p for p in points if p.value is not None]
    factor = unit.factor
    data: list[dict] = []
    for code, symbol in symbols.items():
        group = [p for p in shown if p.protocol_code == code]
        for index, run in enumerate(version_runs(group)):
            data.append(
                {
                    "type": "scatter",
                    "x": [p.session_date.isoformat() for p in run],
                    "y": [p.value * factor for p in run],
                    "mode": "lines+markers",
                    "name": run[0].protocol_name,
                    "legendgroup": code,
                    "showlegend": index == 0,
                    "line": {"color": colours[code], "width": 1.5},
                    "marker": {"symbol": symbol, "size": 10, "color": colours[code],
                               "line": {"color": "#fff", "width": 1}},
                    "error_y": {
                        "type": "data",
                        "symmetric": False,
                        "array": [(p.q3 - p.value) * factor if p.q3 is not None else 0 for p in run],
                        "arrayminus": [(p.value - p.q1) * factor if p.q1 is not None else 0 for p in run],
                        "color": colours[code],
                        "thickness": 1,
                        "width": 3,
                    },
                    "customdata": [p.session_id for p in run],
                    "hovertemplate": [_hover(p, unit) for p in run],
                }
            )  # fmt: skip
    runs = version_runs(sorted(shown, key=lambda p: (p.session_date, p.session_id)))
    shapes, annotations = [], []
    for previous, run in pairwise(runs):
        x = run[0].session_date.isoformat()
        shapes.append(
            {
                "type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                "line": {"color": CHANGE_COLOUR, "width": 1.5, "dash": "dash"},
            }
        )  # fmt: skip
        annotations.append(
            {
                "x": x, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom", "showarrow": False,
                "text": f"pipeline {previous[0].pipeline_version} → {run[0].pipeline_version}",
                "font": {"color": CHANGE_COLOUR, "size": 11},
            }
        )  # fmt: skip
    # Tick labels stand off their axes, so that the y axis's lowest value and the first date
    # under the x axis do not meet at the plot's corner.
    yaxis: dict = {"title": {"text": unit.words}, "showgrid": True, "gridcolor": "#e9edf1", "zeroline": False,
                   "ticklabelstandoff": 12, "automargin": True}  # fmt: skip
    if unit.low is not None and unit.high is not None:
        yaxis["range"] = [unit.low, unit.high]
    elif unit.low is not None and unit.low >= 0:
        yaxis["rangemode"] = "tozero"
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "margin": {"l": 64, "r": 16, "t": 48, "b": 40},
        "height": 300,
        "autosize": True,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "color": "#1d2733"},
        "legend": {"orientation": "h", "y": -0.2, "x": 0, "title": {"text": "Protocol: "}},
        "hoverlabel": {"bgcolor": "#ffffff"},
        "xaxis": {"type": "date", "showgrid": True, "gridcolor": "#e9edf1", "tickformat": "%d %b %Y",
                  "tickangle": 0, "nticks": 5, "range": x_range, "ticklabelstandoff": 10,
                  "automargin": True},
        "yaxis": yaxis,
        "shapes": shapes,
        "annotations": annotations,
    }  # fmt: skip
    return {"data": data, "layout": layout}
