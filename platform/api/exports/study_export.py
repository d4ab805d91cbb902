"""A study's metrics as a table, long (one row per window or session value) or wide (one row
per session and pipeline version, a column per metric), streamed so that memory stays flat.

One SQL query per shape produces the rows: the sessions' keys and covariates (study_scope)
travel into it as a VALUES list, so PostgreSQL writes the CSV itself (COPY ... TO STDOUT) and
Parquet is converted from that same stream by Arrow's CSV reader, batch by batch, without a
Python object per row. Other databases (SQLite, the embedded default) run the same query
through a cursor.
"""

import csv
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import Count, Q

from api.exports.export_columns import Column, long_columns, wide_columns
from api.exports.export_sql import KEY_SELECT, jobs_cte, keys_cte, reviewed_cte
from api.exports.metric_catalogue import fixed_metric_keys, metric_info
from api.exports.study_scope import ExportRequest, consenting_patients, rows_per_patient, session_keys
from results.models import AnalysisJob, MetricSample
from results.reviewed import reviewed_metric_keys, reviewed_metric_values

STREAM_CHUNK_BYTES = 256 * 1024
FETCH_ROWS = 20_000  # rows per cursor fetch on databases without COPY
ARROW_BLOCK_BYTES = 4 * 2**20  # CSV bytes per Arrow batch and Parquet row group (~40k rows)
ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "date": pa.timestamp("ms"),  # pandas reads it as datetime64, R as a date-time
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class Table:
    """What one export holds: its columns, its SQL (or, for rows made in Python, a function that
    yields them as tuples) and the number of rows per patient."""

    columns: list[Column]
    sql: str
    params: list
    rows_per_patient: dict[int, int]
    metric_names: dict[str, str]
    rows: Callable[[], Iterator[Sequence]] | None = None

    @property
    def row_count(self) -> int:
        return sum(self.rows_per_patient.values())


def metric_samples(request: ExportRequest):
    """The samples of consenting patients that pass the metric and version filters."""
    samples = MetricSample.objects.filter(patient__in=consenting_patients(request.study).values("pk"))
    if request.pipeline_version:
        samples = samples.filter(pipeline_version=request.pipeline_version)
    if request.shape == "wide":
        samples = samples.filter(is_session_level=True)
    if request.metrics or request.metric_prefixes:
        condition = Q(metric__in=request.metrics)
        for prefix in request.metric_prefixes:
            condition |= Q(metric__startswith=prefix)
        samples = samples.filter(condition)
    return samples


def _wanted_metrics(request: ExportRequest, present: list[str]) -> list[str]:
    """Wide columns: every defined metric (filtered), data or not, plus templated keys found."""
    fixed = [
        key
        for key in fixed_metric_keys()
        if not (request.metrics or request.metric_prefixes)
        or key in request.metrics
        or key.startswith(tuple(request.metric_prefixes))
    ]
    extra = sorted(key for key in present if key not in fixed and metric_info(key) is not None)
    return fixed + extra


# The reviewed value of a row (results.reviewed): the model's where nobody reviewed the
# analysis's events or the metric is not made of events (no rv row); a window of an event metric
# of a reviewed analysis has none (reviewed values are computed over the whole session).
REVIEWED_VALUE = "CASE WHEN rv.job_pk IS NULL THEN m.value WHEN m.is_session_level THEN rv.value END"
WINDOW_NOT_REVIEWED = (
    "reviewed values of event metrics are computed over the whole session; model_value holds the "
    "model's window value"
)


def build_table(request: ExportRequest) -> Table:
    """The columns and the SQL of the export; the sessions' keys and the reviewed values of
    event metrics are computed here, the rows by the database."""
    # One pass over the samples: which sessions, metrics and versions, and how many rows.
    found = list(
        metric_samples(request)
        .values_list("session_id", "pipeline_version", "metric")
        .annotate(n=Count("id"))
        .order_by()
    )
    keys = session_keys(request, {session_pk for session_pk, *_ in found})
    kept = {key.session_pk for key in keys}
    per_session: dict[int, int] = defaultdict(int)
    versions: dict[int, set[str]] = defaultdict(set)
    present_metrics = set()
    for session_pk, version, metric, n in found:
        if session_pk in kept:
            per_session[session_pk] += n
            versions[session_pk].add(version)
            present_metrics.add(metric)
    present = sorted(present_metrics)
    age_type = "text" if request.study.age_band_years else "double precision"
    if request.shape == "wide":
        metrics = _wanted_metrics(request, present)
        columns, names = wide_columns(request.study, metrics)
    else:
        metrics, names = present, {}
        columns = long_columns(request.study, sorted(set(present)))
    counts: dict[int, int] = {}
    if not keys:
        return Table(columns, "", [], counts, names)
    jobs = AnalysisJob.objects.filter(recording__session_id__in=kept).select_related("recording")
    if request.pipeline_version:
        jobs = jobs.filter(pipeline_version=request.pipeline_version)
    jobs = list(jobs)
    ctes = [keys_cte(keys, age_type), jobs_cte(jobs), reviewed_cte(reviewed_metric_values(jobs=jobs))]
    params = [param for _, cte_params in ctes for param in cte_params]
    params.append(request.study.code)
    where, where_params = _where(request)
    joins = "JOIN j ON m.job_id = j.job_pk LEFT JOIN rv ON rv.job_pk = m.job_id AND rv.metric = m.metric"
    if request.shape == "wide":
        reviewable = set(reviewed_metric_keys())
        pivots = []
        for metric in metrics:
            pivots.append(f"MAX(CASE WHEN m.metric = %s THEN {REVIEWED_VALUE} END)")
            params.append(metric)
            if metric in reviewable:
                pivots.append("MAX(CASE WHEN m.metric = %s THEN m.value END)")
                params.append(metric)
        # Only fixed fragments are formatted into the SQL; every value is a parameter.
        select = (
            f"SELECT %s, {KEY_SELECT}, m.pipeline_version, MAX(j.models),"  # noqa: S608
            " MAX(CASE WHEN rv.job_pk IS NULL THEN 0 ELSE 1 END)"
            + "".join(f", {pivot}" for pivot in pivots)
            + f" FROM results_metricsample m JOIN k ON m.session_id = k.session_pk {joins}"
            + f" WHERE {where} GROUP BY k.ord, {KEY_SELECT}, m.pipeline_version"
            + " ORDER BY k.ord, m.pipeline_version"
        )
        params += where_params
        counts = rows_per_patient(
            keys, {pk: len(session_versions) for pk, session_versions in versions.items()}
        )
    else:
        values = (
            "m.metric, m.window_start_s, m.window_end_s, CASE WHEN m.is_session_level THEN 1 ELSE 0 END AS level,"
            f" {REVIEWED_VALUE} AS value, m.value AS model_value,"
            " CASE WHEN rv.job_pk IS NULL THEN 0 ELSE 1 END AS is_reviewed, m.unit,"
            " CASE WHEN rv.job_pk IS NULL OR m.is_session_level THEN m.reason ELSE %s END AS reason,"
            " m.analysable_s, m.pipeline_version, j.models"
        )
        params.append(WINDOW_NOT_REVIEWED)
        if connection.vendor == "postgresql":
            # Session by session in export order (an index scan each; OFFSET 0 keeps the planner
            # from flattening it), so that only one session's rows are sorted at a time.
            select = (
                f"SELECT %s, {KEY_SELECT}, m.* FROM (SELECT * FROM k ORDER BY ord) AS k"  # noqa: S608
                f" CROSS JOIN LATERAL (SELECT {values} FROM results_metricsample m {joins}"
                f" WHERE m.session_id = k.session_pk AND {where} OFFSET 0) AS m"
                " ORDER BY k.ord, m.metric, m.window_start_s, m.window_end_s"
            )
        else:
            select = (
                f"SELECT %s, {KEY_SELECT}, {values}"  # noqa: S608
                f" FROM results_metricsample m JOIN k ON m.session_id = k.session_pk {joins}"
                f" WHERE {where} ORDER BY k.ord, m.metric, m.window_start_s, m.window_end_s"
            )
        params += where_params
        counts = rows_per_patient(keys, per_session)
    with_sql = ", ".join(sql for sql, _ in ctes)
    return Table(columns, f"WITH {with_sql} {select}", params, counts, names)


def _where(request: ExportRequest) -> tuple[str, list]:
    """The sample filters of metric_samples, in SQL on the table alias m."""
    conditions, params = ["1 = 1"], []
    if request.pipeline_version:
        conditions.append("m.pipeline_version = %s")
        params.append(request.pipeline_version)
    if request.shape == "wide":
        conditions.append("m.is_session_level")
    if request.metrics or request.metric_prefixes:
        alternatives = []
        if request.metrics:
            alternatives.append(f"m.metric IN ({', '.join(['%s'] * len(request.metrics))})")
            params += list(request.metrics)
        for prefix in request.metric_prefixes:
            alternatives.append("substr(m.metric, 1, %s) = %s")
            params += [len(prefix), prefix]
        conditions.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(conditions), params


def csv_stream(table: Table) -> Iterator[bytes]:
    """The table as CSV (header first; NULL is an empty field; booleans 1/0)."""
    yield (",".join(column.name for column in table.columns) + "\n").encode()
    if table.rows is not None:
        yield from _python_csv(table.rows())
        return
    if not table.sql:
        return
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY ({table.sql}) TO STDOUT WITH (FORMAT csv)", table.params) as copy,
        ):
            # PostgreSQL sends one message per row: gather them into chunks of about 256 KiB.
            chunk, size = [], 0
            for block in copy:
                chunk.append(block)
                size += len(block)
                if size >= STREAM_CHUNK_BYTES:
                    yield b"".join(chunk)
                    chunk, size = [], 0
            if chunk:
                yield b"".join(chunk)
        return
    with connection.cursor() as cursor:
        cursor.execute(table.sql, table.params)
        yield from _python_csv(row for rows in iter(lambda: cursor.fetchmany(FETCH_ROWS), []) for row in rows)


def _python_csv(rows: Iterator[Sequence]) -> Iterator[bytes]:
    """Rows written by csv.writer (None is an empty field), about FETCH_ROWS rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    while batch := list(itertools.islice(rows, FETCH_ROWS)):
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def arrow_schema(columns: list[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], metadata={"label": c.label}) for c in columns])


def arrow_batches(table: Table) -> Iterator[pa.RecordBatch]:
    """The CSV stream parsed by Arrow in C++, a block of CSV bytes at a time, on this thread
    (a reader thread would open its own database connection)."""
    schema = arrow_schema(table.columns)
    read_options = pa_csv.ReadOptions(use_threads=False, block_size=ARROW_BLOCK_BYTES + 2**20)
    convert_options = pa_csv.ConvertOptions(
        column_types={field.name: field.type for field in schema},
        strings_can_be_null=True,
        true_values=["1"],
        false_values=["0"],
    )
    stream = csv_stream(table)
    header = next(stream)

    def parsed(rows: bytes) -> list[pa.RecordBatch]:
        data = pa_csv.read_csv(io.BytesIO(header + rows), read_options, convert_options=convert_options)
        return data.select(schema.names).cast(schema).to_batches()

    pending = bytearray()
    for block in stream:
        pending += block
        if len(pending) >= ARROW_BLOCK_BYTES:
            cut = pending.rfind(b"\n") + 1  # rows hold no line breaks (codes and numbers only)
            yield from parsed(bytes(pending[:cut]))
            del pending[:cut]
    if pending:
        yield from parsed(bytes(pending))


class _ChunkSink:
    """Collects what ParquetWriter writes, so that each finished row group can be sent on."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def parquet_stream(table: Table) -> Iterator[bytes]:
    """Parquet written one row group per Arrow batch; at most one batch is in memory."""
    schema = arrow_schema(table.columns)
    sink = _ChunkSink()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd")
    for batch in arrow_batches(table):
        writer.write_batch(batch)
        yield sink.take()
    writer.close()
    yield sink.take()


def arrow_table(table: Table) -> pa.Table:
    """The whole table in memory (for writers that take a whole table: Stata, SPSS)."""
    return pa.Table.from_batches(list(arrow_batches(table)), schema=arrow_schema(table.columns))
