"""The data dictionary shipped with every export: each column and each metric with its unit."""

import csv
import io
import math
from typing import TYPE_CHECKING, Any

from api.exports.study_export import COLUMNS

if TYPE_CHECKING:
    from analysis.metrics import MetricDefinition


def metric_definitions() -> dict[str, "MetricDefinition"]:
    """metric key → MetricDefinition (unit, description, family, valid range), from the analysis
    library itself."""
    from analysis.metrics import METRIC_DEFINITIONS
    from analysis.metrics.praxis import METRIC_DEFINITIONS as PRAXIS_DEFINITIONS

    return {**METRIC_DEFINITIONS, **PRAXIS_DEFINITIONS}


def data_dictionary() -> dict[str, Any]:
    from analysis import PIPELINE_VERSION

    return {
        "pipeline_version": PIPELINE_VERSION,
        "columns": [
            {"name": name, "type": str(arrow_type), "definition": text} for name, arrow_type, text in COLUMNS
        ],
        "metrics": [
            {
                "metric": key,
                "unit": d.unit,
                "family": d.family,
                "minimum": _bound(d.minimum),
                "maximum": _bound(d.maximum),
                "definition": d.description,
            }
            for key, d in sorted(metric_definitions().items())
        ],
    }


def data_dictionary_csv() -> str:
    """One table: kind (column or metric), name, type or unit, family, definition."""
    dictionary = data_dictionary()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "name", "type_or_unit", "family", "minimum", "maximum", "definition"])
    for column in dictionary["columns"]:
        writer.writerow(["column", column["name"], column["type"], "", "", "", column["definition"]])
    for metric in dictionary["metrics"]:
        writer.writerow(
            [
                "metric",
                metric["metric"],
                metric["unit"],
                metric["family"],
                "" if metric["minimum"] is None else metric["minimum"],
                "" if metric["maximum"] is None else metric["maximum"],
                metric["definition"],
            ]
        )
    return buffer.getvalue()


def _bound(value: float) -> float | None:
    """A range bound for JSON: None where the range is unbounded."""
    return None if math.isinf(value) else value
