"""SPSS (.sav) and Stata (.dta) files of a study table, written by pyreadstat (ReadStat).

Names are already valid for both (letters, digits, underscores, at most 32 characters);
each variable carries its label (definition and unit); text columns other than the keys and
the provenance become integer codes with value labels (ReadStat writes a number much faster
than a text); dates are real dates (%td in Stata, DATE11 in SPSS); empty values are system
missing. SPSS files are row-compressed (readable by every SPSS version). ReadStat writes a whole
data frame, so the table is in memory while the file is written (tests/bench/export_stream.py
measures it); the file is then streamed from disk.
"""

import os
import tempfile
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyreadstat

from api.exports.export_columns import Column
from api.exports.study_export import Table, arrow_table

STATA_VERSION = 15  # Stata 14 and later, UTF-8; read by R's haven and pandas.read_stata
FILE_CHUNK_BYTES = 1 << 20


# Text columns that stay text: the keys files are merged on (codes would differ between files)
# and the free-form provenance.
TEXT_COLUMNS = ("pseudonym", "session_id", "pipeline_version", "model_versions", "missing_reason")
_DAYS_1970_SINCE = {"dta": 3653, "sav": 141428}  # days from Stata's 1960-01-01, SPSS's 1582-10-14
_DATE_FORMATS = {"dta": "%td", "sav": "DATE11"}


def _coded(column: Column, values: pa.ChunkedArray) -> tuple[np.ndarray, dict[int, str]]:
    """Integer codes (as doubles, NaN for missing) and their labels: the allowed values first
    (stable codes), then any other value found, sorted."""
    found = pc.unique(values.drop_null()).to_pylist()
    labels = (*column.enum, *sorted(set(found) - set(column.enum)))
    codes = pc.index_in(values, value_set=pa.array(labels, pa.string())).cast(pa.float64())
    return codes.to_numpy() + 1.0, dict(enumerate(labels, start=1))


def stat_frame(table: Table, file_format: str) -> tuple[pd.DataFrame, dict, dict, dict]:
    """The table as a frame of NumPy columns ready for ReadStat (numbers, codes with value
    labels, dates as day or second counts with a date format, text only where it must be),
    built column by column from Arrow without a Python object per value but the texts."""
    data = arrow_table(table)
    frame: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[int, str]] = {}
    formats: dict[str, str] = {}
    for column in table.columns:
        values = data.column(column.name)
        labels[column.name] = column.label
        if column.type == "string" and column.name not in TEXT_COLUMNS:
            codes, value_labels[column.name] = _coded(column, values)
            frame[column.name] = pd.Series(codes)
        elif column.type == "string":
            frame[column.name] = pd.Series(values.fill_null("").to_numpy(), dtype=object)
        elif column.type == "boolean":
            frame[column.name] = pd.Series(values.cast(pa.int8()).to_numpy())
            value_labels[column.name] = {0: "no", 1: "yes"}
        elif column.type == "date":
            days = values.cast(pa.date32()).cast(pa.int32()).cast(pa.float64()).to_numpy()
            days = days + _DAYS_1970_SINCE[file_format]
            frame[column.name] = pd.Series(days * 86400.0 if file_format == "sav" else days)
            formats[column.name] = _DATE_FORMATS[file_format]
        else:
            frame[column.name] = pd.Series(values.to_numpy())
    return pd.DataFrame(frame), labels, value_labels, formats


def stat_file(table: Table, file_format: str) -> str:
    """Write the .sav or .dta file to a temporary path and return it (the caller removes it)."""
    frame, labels, value_labels, formats = stat_frame(table, file_format)
    handle, path = tempfile.mkstemp(suffix=f".{file_format}")
    os.close(handle)
    try:
        if file_format == "sav":
            pyreadstat.write_sav(
                frame,
                path,
                column_labels=labels,
                variable_value_labels=value_labels,
                variable_format=formats,
                row_compress=True,
            )
        else:
            pyreadstat.write_dta(
                frame,
                path,
                column_labels=labels,
                variable_value_labels=value_labels,
                variable_format=formats,
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
