"""The body the Dash renderer posts for the dashboard's data callback, shared by the access tests
and the dashboard benchmarks (analysed sessions come from tests.factories)."""

from __future__ import annotations


def callback_body(patient_code, metrics=("apathy.neutral_share",)):
    """What the Dash renderer posts for the dashboard's data callback."""
    return {
        "output": "..summary-cards.children...metric-graphs.children...session-links.children..",
        "outputs": [
            {"id": "summary-cards", "property": "children"},
            {"id": "metric-graphs", "property": "children"},
            {"id": "session-links", "property": "children"},
        ],
        "inputs": [
            {"id": "metric-picker", "property": "value", "value": list(metrics)},
            {"id": "date-range", "property": "start_date", "value": None},
            {"id": "date-range", "property": "end_date", "value": None},
        ],
        "state": [{"id": "patient-code", "property": "data", "value": patient_code}],
        "changedPropIds": ["metric-picker.value"],
    }
