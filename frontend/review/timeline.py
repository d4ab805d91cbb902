"""The session page's timeline: behaviour events on top, a few metric curves below, one shared
time axis in seconds from the start of the video (the video's own clock)."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from frontend.dashboards.labels import default_metrics, metric_label
from results.models import BehaviourEvent

MAX_CURVES = 4
EVENT_COLOURS = {
    "body_rocking": "#1f5f99",
    "hand_flapping": "#a3212b",
    "head_movement": "#7a4b00",
    "gesture": "#1d6b3a",
    "gaze_shift": "#5b3f8f",
}


def timeline_figure(
    *,
    events: list[BehaviourEvent],
    curves: dict[str, list[tuple[float, float, float | None]]],
    duration_s: float,
) -> go.Figure:
    """Events as bars (one lane per kind; customdata = [event id, start_s]) and up to
    MAX_CURVES windowed metrics as step curves (value over [window_start_s, window_end_s))."""
    shown = default_metrics(sorted(curves))[:MAX_CURVES]
    rows = 1 + len(shown)
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
        row_heights=[1.2] + [1.0] * len(shown),
        subplot_titles=["Behaviour events (click one to play it)"] + [metric_label(m) for m in shown],
    )  # fmt: skip
    kinds = [kind for kind in BehaviourEvent.Kind.values if any(e.kind == kind for e in events)]
    for kind in kinds:
        group = [e for e in events if e.kind == kind]
        label = BehaviourEvent.Kind(kind).label
        figure.add_trace(
            go.Bar(
                orientation="h",
                base=[e.start_s for e in group],
                x=[max(e.end_s - e.start_s, 0.2) for e in group],
                y=[label] * len(group),
                name=label,
                marker={"color": EVENT_COLOURS.get(kind, "#55606d")},
                customdata=[[e.pk, e.start_s] for e in group],
                hovertemplate=[
                    f"{label}<br>{e.start_s:.1f} to {e.end_s:.1f} s<br>{e.body_part}, confidence "
                    f"{e.confidence:.0%}<extra></extra>"
                    for e in group
                ],
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    for row, metric in enumerate(shown, start=2):
        windows = curves[metric]
        # A step curve: each window's value holds from its start to the next window's start.
        xs = [start_s for start_s, _, _ in windows] + [windows[-1][1]]
        ys = [value for _, _, value in windows] + [windows[-1][2]]
        figure.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#1f5f99", "width": 2, "shape": "hv"},
                       name=metric_label(metric), hovertemplate="%{y:.3g}<extra></extra>", showlegend=False),
            row=row, col=1,
        )  # fmt: skip
    figure.update_layout(
        height=120 + 115 * rows,
        margin={"l": 120, "r": 16, "t": 36, "b": 40},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "color": "#1d2733", "size": 12},
        barmode="overlay",
        hovermode="closest",
        shapes=[
            {"type": "line", "xref": "x", "yref": "paper", "x0": 0, "x1": 0, "y0": 0, "y1": 1,
             "line": {"color": "#f0a800", "width": 2}, "name": "now"},
        ],
    )  # fmt: skip
    figure.update_xaxes(range=[0, max(duration_s, 1.0)], showgrid=True, gridcolor="#e9edf1")
    figure.update_xaxes(title={"text": "time in the video (s)"}, row=rows, col=1)
    figure.update_yaxes(gridcolor="#e9edf1")
    return figure
