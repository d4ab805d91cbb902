"""The data dictionary shipped with every export: each column and each metric with its unit."""

import csv
import io
from typing import Any

from api.exports.study_export import COLUMNS


def metric_definitions() -> dict[str, tuple[str, str, str]]:
    """metric key → (unit, description, family), from the analysis library itself."""
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
            {"metric": key, "unit": unit, "family": family, "definition": description}
            for key, (unit, description, family) in sorted(metric_definitions().items())
        ],
    }


def data_dictionary_csv() -> str:
    """One table: kind (column or metric), name, type or unit, family, definition."""
    dictionary = data_dictionary()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "name", "type_or_unit", "family", "definition"])
    for column in dictionary["columns"]:
        writer.writerow(["column", column["name"], column["type"], "", column["definition"]])
    for metric in dictionary["metrics"]:
        writer.writerow(["metric", metric["metric"], metric["unit"], metric["family"], metric["definition"]])
    return buffer.getvalue()
