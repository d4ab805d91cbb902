"""The agreement bar chart, rendered on the server to a <div> (Plotly; its JS is served locally)."""

from __future__ import annotations

import plotly.graph_objects as go

from results.agreement import AgreementReport

_SERIES = (
    ("precision", "Precision", "#2f6f8f"),
    ("recall", "Recall", "#7aa974"),
    ("kappa", "Cohen's kappa", "#c47f2c"),
)


def agreement_chart_html(report: AgreementReport, *, csp_nonce: str) -> str:
    """Precision, recall and kappa per event kind as grouped bars; "" when nothing was reviewed.

    Undefined figures (None) are left out of the bars, not drawn as 0. The chart's inline script
    carries the request's nonce, which the Content-Security-Policy requires.
    """
    if not report.kinds:
        return ""
    kinds = [row.kind.replace("_", " ") for row in report.kinds]
    figure = go.Figure()
    for attribute, name, colour in _SERIES:
        values = [getattr(row, attribute) for row in report.kinds]
        figure.add_bar(
            x=kinds,
            y=values,
            name=name,
            marker_color=colour,
            text=["n/a" if value is None else f"{value:.2f}" for value in values],
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra>" + name + "</extra>",
        )
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"l": 50, "r": 10, "t": 30, "b": 50},
        yaxis={"title": "agreement", "range": [-0.2, 1.15], "zeroline": True},
        legend={"orientation": "h", "y": 1.12},
        plot_bgcolor="white",
    )
    html = figure.to_html(
        full_html=False, include_plotlyjs=False, div_id="agreement-chart", config={"displayModeBar": False}
    )
    return html.replace("<script", f'<script nonce="{csp_nonce}"')
