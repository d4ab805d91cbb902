"""Plotly figures of one metric across a patient's sessions.

One marker per session (the median over its windows) with its interquartile range as an error
bar; the marker's symbol says the session's protocol. Points are joined by a line only within
a run of consecutive sessions analysed with the same pipeline version; where the version
changes, a dashed vertical line and a label mark it, and no line crosses it.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby, pairwise

from results.dashboard_selectors import SessionPoint

SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon", "x")
LINE_COLOUR = "#1f5f99"
MARKER_COLOUR = "#174a78"
CHANGE_COLOUR = "#7a4b00"


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


def _hover(point: SessionPoint) -> str:
    spread = (
        f"IQR {point.q1:.3g} to {point.q3:.3g} over {point.n_windows} windows"
        if point.q1 is not None
        else "whole-session value (no windows)"
    )
    return (
        f"{point.session_date:%d %b %Y}<br>{point.protocol_name}<br>median {point.value:.3g} {point.unit}"
        f"<br>{spread}<br>pipeline {point.pipeline_version}<extra></extra>"
    )


def metric_figure(points: list[SessionPoint], *, title: str, unit: str, symbols: dict[str, str]) -> dict:
    """The figure of one metric as a Plotly figure dictionary ({"data": [...], "layout": {...}});
    points are that metric's SessionPoints in date order.

    Plain dictionaries, not plotly.graph_objects: validating graph objects costs about a
    quarter of a second per figure, which the dashboard's latency goal cannot afford.
    """
    shown = [p for p in points if p.value is not None]
    runs = version_runs(shown)
    data: list[dict] = [
        {
            "type": "scatter",
            "x": [p.session_date.isoformat() for p in run],
            "y": [p.value for p in run],
            "mode": "lines",
            "line": {"color": LINE_COLOUR, "width": 1.5},
            "hoverinfo": "skip",
            "showlegend": False,
        }
        for run in runs
    ]
    for code, symbol in symbols.items():
        group = [p for p in shown if p.protocol_code == code]
        if not group:
            continue
        data.append(
            {
                "type": "scatter",
                "x": [p.session_date.isoformat() for p in group],
                "y": [p.value for p in group],
                "mode": "markers",
                "name": group[0].protocol_name,
                "marker": {
                    "symbol": symbol,
                    "size": 10,
                    "color": MARKER_COLOUR,
                    "line": {"color": "#fff", "width": 1},
                },
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(p.q3 - p.value) if p.q3 is not None else 0 for p in group],
                    "arrayminus": [(p.value - p.q1) if p.q1 is not None else 0 for p in group],
                    "color": "#8aa4bd",
                    "thickness": 1.2,
                    "width": 3,
                },
                "customdata": [p.session_id for p in group],
                "hovertemplate": [_hover(p) for p in group],
            }
        )
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
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "margin": {"l": 56, "r": 16, "t": 56, "b": 40},
        "height": 300,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "color": "#1d2733"},
        "legend": {"orientation": "h", "y": -0.18, "x": 0, "title": {"text": "Protocol: "}},
        "hoverlabel": {"bgcolor": "#ffffff"},
        "xaxis": {"type": "date", "showgrid": True, "gridcolor": "#e9edf1", "tickformat": "%d %b %Y",
                  "tickangle": 0, "nticks": 5, "range": date_range(shown)},
        "yaxis": {"title": {"text": unit}, "showgrid": True, "gridcolor": "#e9edf1", "zeroline": False},
        "shapes": shapes,
        "annotations": annotations,
    }  # fmt: skip
    return {"data": data, "layout": layout}
