"""SPSS (.sav) and Stata (.dta) files of a study table, written by pyreadstat (ReadStat).

Names are already valid for both (letters, digits, underscores, at most 32 characters);
each variable carries its label (definition and unit); categorical columns become integer
codes with value labels; dates are real dates (%td in Stata, DATE11 in SPSS); empty values are
system missing. ReadStat writes a whole data frame, so the table is in memory while the file is
written (tests/bench/export_stream.py measures it); the file is then streamed from disk.
"""

import os
import tempfile
from collections.abc import Iterator

import pyarrow as pa
import pyreadstat

from api.exports.export_columns import Column
from api.exports.study_export import Table, arrow_table

STATA_VERSION = 15  # Stata 14 and later, UTF-8; read by R's haven and pandas.read_stata
FILE_CHUNK_BYTES = 1 << 20


def _value_labels(column: Column, values: pa.ChunkedArray) -> dict[int, str]:
    """code -> label: the allowed values first (stable codes), then any other value found."""
    seen = sorted({value for value in values.to_pylist() if value is not None} - set(column.enum))
    return {code: label for code, label in enumerate((*column.enum, *seen), start=1)}


def stat_frame(table: Table):
    """The table as a pandas frame ready for ReadStat, with labels and value labels."""
    data = arrow_table(table)
    frame = data.to_pandas(timestamp_as_object=False)
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[int, str]] = {}
    for column in table.columns:
        labels[column.name] = column.label
        if column.type == "string" and (
            column.enum or column.name in ("age_band", "group", "diagnosis_group")
        ):
            mapping = _value_labels(column, data.column(column.name))
            codes = {label: code for code, label in mapping.items()}
            frame[column.name] = frame[column.name].map(codes).astype("float64")
            value_labels[column.name] = mapping
        elif column.type == "boolean":
            frame[column.name] = frame[column.name].astype("Int8")
            value_labels[column.name] = {0: "no", 1: "yes"}
        elif column.type == "date":
            frame[column.name] = frame[column.name].dt.date
        elif column.type == "string":
            frame[column.name] = frame[column.name].astype(object).where(frame[column.name].notna(), "")
    return frame, labels, value_labels


def stat_file(table: Table, file_format: str) -> str:
    """Write the .sav or .dta file to a temporary path and return it (the caller removes it)."""
    frame, labels, value_labels = stat_frame(table)
    handle, path = tempfile.mkstemp(suffix=f".{file_format}")
    os.close(handle)
    try:
        if file_format == "sav":
            pyreadstat.write_sav(
                frame, path, column_labels=labels, variable_value_labels=value_labels, compress=True
            )
        else:
            pyreadstat.write_dta(
                frame,
                path,
                column_labels=labels,
                variable_value_labels=value_labels,
                version=STATA_VERSION,
            )
    except Exception:
        os.unlink(path)
        raise
    return path


def file_chunks(path: str) -> Iterator[bytes]:
    """Stream a temporary file and remove it once sent (or abandoned)."""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(FILE_CHUNK_BYTES):
                yield chunk
    finally:
        os.unlink(path)
