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
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import Count, Q

from api.exports.export_columns import Column, long_columns, wide_columns
from api.exports.metric_catalogue import fixed_metric_keys, metric_info
from api.exports.study_scope import ExportRequest, SessionKey, consenting_patients, session_keys
from results.models import AnalysisJob, MetricSample

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
    """What one export holds: its columns, its SQL and the number of rows per patient."""

    columns: list[Column]
    sql: str
    params: list
    rows_per_patient: dict[int, int]
    metric_names: dict[str, str]

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


def _placeholder(sql_type: str) -> str:
    return f"%s::{sql_type}" if connection.vendor == "postgresql" else "%s"


def keys_cte(keys: list[SessionKey], age_type: str) -> tuple[str, list]:
    types = ("bigint", "integer", "text", "text", "integer", "date", "integer", "text", age_type)
    types += ("text", "text", "text")
    row = "(" + ", ".join(_placeholder(t) for t in types) + ")"
    params: list = []
    for key in keys:
        params += [
            key.session_pk,
            key.order,
            key.pseudonym,
            key.session_id,
            key.visit_number,
            key.session_date,
            key.session_day,
            key.protocol,
            key.age,
            key.sex,
            key.group,
            key.diagnosis_group,
        ]
    names = "session_pk, ord, pseudonym, session_id, visit_number, session_date, session_day, protocol, "
    names += "age, sex, grp, diagnosis"
    return f"k ({names}) AS (VALUES {', '.join([row] * len(keys))})", params


def jobs_cte(job_pks: list[int]) -> tuple[str, list]:
    """job pk -> name@version;... of the models that produced its values."""
    params: list = []
    for pk, models in AnalysisJob.objects.filter(pk__in=job_pks).values_list("pk", "model_versions"):
        params += [pk, ";".join(f"{m.get('name')}@{m.get('version')}" for m in models or [])]
    row = f"({_placeholder('bigint')}, {_placeholder('text')})"
    return f"j (job_pk, models) AS (VALUES {', '.join([row] * (len(params) // 2))})", params


KEY_SELECT = (
    "k.pseudonym, k.session_id, k.visit_number, k.session_date, k.session_day, k.protocol, "
    "k.age, k.sex, k.grp, k.diagnosis"
)


def build_table(request: ExportRequest) -> Table:
    """The columns and the SQL of the export; the sessions' keys are computed here."""
    samples = metric_samples(request)
    session_pks = set(samples.values_list("session_id", flat=True).distinct())
    keys = session_keys(request, session_pks)
    kept = samples.filter(session_id__in=[key.session_pk for key in keys])
    per_session = dict(kept.values_list("session_id").annotate(n=Count("id")))
    present = sorted(set(kept.values_list("metric", flat=True).distinct()))
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
    keys_sql, params = keys_cte(keys, age_type)
    jobs_sql, job_params = jobs_cte(list(kept.values_list("job_id", flat=True).distinct()))
    params = [*params, *job_params, request.study.code]
    where, where_params = _where(request)
    if request.shape == "wide":
        pivots = ", ".join("MAX(CASE WHEN m.metric = %s THEN m.value END)" for _ in metrics)
        # Only fixed fragments are formatted into the SQL; every value is a parameter.
        select = (
            f"SELECT %s, {KEY_SELECT}, m.pipeline_version, MAX(j.models)"  # noqa: S608
            + (f", {pivots}" if metrics else "")
            + " FROM results_metricsample m JOIN k ON m.session_id = k.session_pk"
            + " JOIN j ON m.job_id = j.job_pk"
            + f" WHERE {where} GROUP BY k.ord, {KEY_SELECT}, m.pipeline_version"
            + " ORDER BY k.ord, m.pipeline_version"
        )
        params += [*metrics, *where_params]
        versions = dict(kept.values_list("session_id").annotate(n=Count("pipeline_version", distinct=True)))
        for key in keys:
            counts[key.patient_pk] = counts.get(key.patient_pk, 0) + versions.get(key.session_pk, 0)
    else:
        values = (
            "m.metric, m.window_start_s, m.window_end_s, CASE WHEN m.is_session_level THEN 1 ELSE 0 END AS level,"
            " m.value, m.unit, m.reason, m.analysable_s, m.pipeline_version, j.models"
        )
        if connection.vendor == "postgresql":
            # Session by session in export order (an index scan each; OFFSET 0 keeps the planner
            # from flattening it), so that only one session's rows are sorted at a time.
            select = (
                f"SELECT %s, {KEY_SELECT}, m.* FROM (SELECT * FROM k ORDER BY ord) AS k"  # noqa: S608
                f" CROSS JOIN LATERAL (SELECT {values} FROM results_metricsample m JOIN j ON m.job_id = j.job_pk"
                f" WHERE m.session_id = k.session_pk AND {where} OFFSET 0) AS m"
                " ORDER BY k.ord, m.metric, m.window_start_s, m.window_end_s"
            )
        else:
            select = (
                f"SELECT %s, {KEY_SELECT}, {values}"  # noqa: S608
                " FROM results_metricsample m JOIN k ON m.session_id = k.session_pk"
                f" JOIN j ON m.job_id = j.job_pk WHERE {where}"
                " ORDER BY k.ord, m.metric, m.window_start_s, m.window_end_s"
            )
        params += where_params
        for key in keys:
            counts[key.patient_pk] = counts.get(key.patient_pk, 0) + per_session.get(key.session_pk, 0)
    return Table(columns, f"WITH {keys_sql}, {jobs_sql} {select}", params, counts, names)


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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with connection.cursor() as cursor:
        cursor.execute(table.sql, table.params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            writer.writerows(rows)
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
