"""What travels with the data: the Frictionless data package (metrics long and wide, events,
speech segments; a Table Schema per resource with types, units, minimum, maximum, allowed values
and the reasons for missing values), the data dictionary (JSON and CSV), the printable codebook,
and the zip bundling them with a manifest.
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.utils.html import escape

from accounts.models import Study
from analysis import PIPELINE_VERSION
from api.exports.export_columns import MODEL_ONLY_SUFFIX, Column, event_columns, long_columns, wide_columns
from api.exports.metric_catalogue import MISSING_REASONS, fixed_metric_keys, metric_catalogue, window_length_s
from api.exports.speech_export import speech_columns
from api.exports.study_export import Table, csv_stream
from recordings.models import Protocol
from results.reviewed import reviewed_metric_keys

RESOURCE_PATHS = {
    "metrics_long": "data/metrics_long.csv",
    "metrics_wide": "data/metrics_wide.csv",
    "events": "data/events.csv",
    "speech": "data/speech.csv",
}


def _pipeline_version() -> str:
    return PIPELINE_VERSION


def _range(column: Column) -> str:
    low = "" if column.minimum is None else f"{column.minimum:g}"
    high = "" if column.maximum is None else f"{column.maximum:g}"
    return f"{low} to {high}" if low or high else ""


def table_schema(columns: list[Column]) -> dict[str, Any]:
    fields = []
    for column in columns:
        field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.definition}
        if column.unit:
            field["unit"] = column.unit
        constraints: dict[str, Any] = {}
        if column.minimum is not None:
            constraints["minimum"] = column.minimum
        if column.maximum is not None:
            constraints["maximum"] = column.maximum
        if column.enum:
            constraints["enum"] = list(column.enum)
        if constraints:
            field["constraints"] = constraints
        if column.type == "boolean":
            field["trueValues"], field["falseValues"] = ["1"], ["0"]
        if column.missing_reason:
            field["missingReason"] = column.missing_reason
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def package_descriptor(study: Study, tables: dict[str, Table]) -> dict[str, Any]:
    """datapackage.json for the resources (tables by RESOURCE_PATHS name) as the zip lays them out."""
    resources = []
    for name, table in tables.items():
        resources.append(
            {
                "name": name,
                "path": RESOURCE_PATHS[name],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": table_schema(table.columns),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": study.code.lower(),
        "title": study.title,
        "description": (
            f"Pseudonymised metrics, behaviour events and speech segments of study {study.code}; "
            f"pipeline version {_pipeline_version()}; windows of {window_length_s():g} s. See codebook.html."
        ),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "resources": resources,
    }


def _dictionary_columns(study: Study) -> list[tuple[str, Column]]:
    keys = fixed_metric_keys()
    wide, _ = wide_columns(study, keys)
    tables = {
        "metrics_long": long_columns(study, keys),
        "metrics_wide": wide,
        "events": event_columns(study),
        "speech": speech_columns(study),
    }
    return [(table, column) for table, columns in tables.items() for column in columns]


def data_dictionary(study: Study) -> dict[str, Any]:
    _, names = wide_columns(study, fixed_metric_keys())
    reviewable = set(reviewed_metric_keys())
    metric_columns = set(names.values()) | {
        names[key] + MODEL_ONLY_SUFFIX for key in reviewable if key in names
    }
    return {
        "pipeline_version": _pipeline_version(),
        "window_length_s": window_length_s(),
        "protocols": dict(Protocol.objects.order_by("code").values_list("code", "name")),
        "columns": [
            {
                "table": table,
                "name": c.name,
                "type": c.type,
                "unit": c.unit,
                "minimum": c.minimum,
                "maximum": c.maximum,
                "allowed_values": list(c.enum),
                "missing_reason": c.missing_reason,
                "definition": c.definition,
            }
            for table, c in _dictionary_columns(study)
            if not (table == "metrics_wide" and c.name in metric_columns)
        ],
        "metrics": [
            {
                "metric": key,
                "wide_name": names.get(key, ""),
                "model_only_name": names[key] + MODEL_ONLY_SUFFIX if key in reviewable else "",
                "unit": info.unit,
                "family": info.family,
                "minimum": info.minimum,
                "maximum": info.maximum,
                "missing_reason": info.missing_reason,
                "definition": info.description,
            }
            for key, info in sorted(metric_catalogue().items())
        ],
    }


def data_dictionary_csv(study: Study) -> str:
    """One table: kind (column or metric), name, type, unit, range, allowed values, missing reason."""
    dictionary = data_dictionary(study)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["kind", "table", "name", "wide_name", "type", "unit", "minimum", "maximum", "allowed_values"]
    writer.writerow([*header, "missing_reason", "family", "definition", "model_only_name"])
    for c in dictionary["columns"]:
        writer.writerow(
            ["column", c["table"], c["name"], "", c["type"], c["unit"], c["minimum"], c["maximum"],
             "|".join(c["allowed_values"]), c["missing_reason"], "", c["definition"], ""]
        )  # fmt: skip
    for m in dictionary["metrics"]:
        writer.writerow(
            ["metric", "", m["metric"], m["wide_name"], "number", m["unit"], m["minimum"], m["maximum"],
             "", m["missing_reason"], m["family"], m["definition"], m["model_only_name"]]
        )  # fmt: skip
    return buffer.getvalue()


def _html_table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape('' if v is None else v)}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def codebook_html(study: Study) -> str:
    """A printable page for people: columns, metrics, windows, protocols, pipeline notes."""
    dictionary = data_dictionary(study)
    sections = [
        f"<h1>Codebook of study {escape(study.code)}</h1><p>{escape(study.title)}</p>",
        "<h2>How the data were made</h2><ul>"
        f"<li>Pipeline version {escape(dictionary['pipeline_version'])}. Values of different major versions "
        "must not be pooled; the version is in every row.</li>"
        f"<li>Window samples cover consecutive windows of {dictionary['window_length_s']:g} s from the start of "
        "the recording; the last window is cut at the end. is_session_level = 1 marks the value over the whole "
        "session.</li>"
        "<li>Patients appear under their study pseudonym, with dates shifted by a random per-patient offset "
        f"of {study.date_shift_min_days} to {study.date_shift_max_days} days, before or after. Date filters compare shifted dates. session_day counts from the patient's first exported session.</li>"
        "<li>Reviewed values: clinicians confirm, reject or correct the events the model detected and add "
        "events it missed. Metrics made of events (stereotypy episodes per minute, total time and share) are "
        "recomputed from the reviewed events: rejected events leave them, corrected times and labels replace "
        "the detected ones, added events count. The long table's value is the reviewed value and model_value "
        "the model's (is_reviewed = 1 where they may differ); the wide table has, for each of these metrics, the "
        "reviewed column and the model-only column (name ending in _mo). Other metrics are the models' output. "
        "The events table lists every model event with its latest review and every event a clinician added "
        "(source = clinician), and every task of a semi-guided visit (kind = task, its code in reviewed_kind, "
        "source = marked or automatic).</li>"
        "<li>The speech table has a row per stretch of speech heard on the audio track of a recording's current "
        "analysis: its times, who spoke (patient, other or unknown, from the mouth movement that goes with the "
        "sound) and the attribution's confidence.</li>"
        "<li>An empty cell is a missing value: the metric could not be measured (never 0).</li></ul>",
        "<h2>Columns</h2>"
        + _html_table(
            ["table", "name", "type", "unit", "range", "allowed values", "missing means", "definition"],
            [
                [
                    c["table"],
                    c["name"],
                    c["type"],
                    c["unit"],
                    _range(Column("", "", "", minimum=c["minimum"], maximum=c["maximum"])),
                    ", ".join(c["allowed_values"]),
                    c["missing_reason"],
                    c["definition"],
                ]
                for c in dictionary["columns"]
            ],
        ),
        "<h2>Metrics</h2>"
        + _html_table(
            ["metric", "wide name", "model-only name", "unit", "range", "family", "definition"],
            [
                [
                    m["metric"],
                    m["wide_name"],
                    m["model_only_name"],
                    m["unit"],
                    _range(Column("", "", "", minimum=m["minimum"], maximum=m["maximum"])),
                    m["family"],
                    m["definition"],
                ]
                for m in dictionary["metrics"]
            ],
        ),
        "<h2>Why a metric can be missing</h2>"
        + _html_table(["family", "reason"], [[f, r] for f, r in sorted(MISSING_REASONS.items())]),
        "<h2>Protocols</h2>"
        + _html_table(["code", "name"], [[c, n] for c, n in dictionary["protocols"].items()]),
    ]
    style = (
        "body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top}"
        "@media print{body{margin:0;font-size:10px}h2{break-before:auto}tr{break-inside:avoid}}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Codebook {escape(study.code)}'
        f"</title><style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )


class _ZipSink:
    """A write-only stream for zipfile whose written bytes are taken out as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def package_zip_stream(study: Study, filters: dict, tables: dict[str, Table]) -> Iterator[bytes]:
    """The zip, streamed: each CSV (tables by RESOURCE_PATHS name) as written, then
    datapackage.json, codebook.html and manifest.json (export time, filters, row counts and the
    sha256 of every file)."""
    sink = _ZipSink()
    files: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            digest = hashlib.sha256()
            with archive.open(RESOURCE_PATHS[name], "w", force_zip64=True) as entry:
                for chunk in csv_stream(table):
                    entry.write(chunk)
                    digest.update(chunk)
                    yield sink.take()
            files[RESOURCE_PATHS[name]] = {"sha256": digest.hexdigest(), "rows": table.row_count}
        extras = {
            "datapackage.json": json.dumps(package_descriptor(study, tables), indent=2).encode(),
            "codebook.html": codebook_html(study).encode(),
        }
        for path, data in extras.items():
            archive.writestr(path, data)
            files[path] = {"sha256": hashlib.sha256(data).hexdigest()}
        manifest = {
            "study": study.code,
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "pipeline_version": _pipeline_version(),
            "filters": {key: str(value) for key, value in filters.items()},
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    yield sink.take()
