"""A study's metrics as a long-format table, streamed so that memory stays flat.

Only patients enrolled in the study whose current consent includes research_export are
included; the study pseudonym (patients.study_view) is the only patient column; every date is
shifted by the enrolment's random offset, date filters apply to the shifted dates, and
session_day counts days from the patient's first session, which survives the shift.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from accounts.models import Study
from patients.models import ConsentScope, Patient
from patients.study_view import (
    date_shift_expression,
    filter_shifted_dates,
    study_enrolments,
    study_pseudonym_expression,
)
from recordings.models import ClinicalSession
from results.models import AnalysisJob, MetricSample

# (name, arrow type, definition) — the data dictionary's column part is built from this.
COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("study", pa.string(), "Study code."),
    ("pseudonym", pa.string(), "The patient's study pseudonym; identity never leaves the care team."),
    (
        "session_date",
        pa.date32(),
        "Date of the session, shifted by the patient's random per-enrolment offset.",
    ),
    ("session_day", pa.int32(), "Days since the patient's first session (unchanged by the date shift)."),
    ("protocol", pa.string(), "Protocol code of the session."),
    ("metric", pa.string(), "Metric key (see the metrics part of this dictionary)."),
    ("window_start_s", pa.float64(), "Start of the window, seconds from the start of the recording."),
    ("window_end_s", pa.float64(), "End of the window, seconds from the start of the recording."),
    ("is_session_level", pa.bool_(), "True for the value over the whole session, false for a window."),
    ("value", pa.float64(), "The metric's value in its unit; empty when it could not be computed."),
    ("unit", pa.string(), "Unit of the value."),
    ("pipeline_version", pa.string(), "Analysis pipeline version; do not pool values across major versions."),
    ("model_versions", pa.string(), "Models that produced the value, as name@version separated by ';'."),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)
PARQUET_SCHEMA = pa.schema([(name, arrow_type) for name, arrow_type, _ in COLUMNS])
# Row order of every export, whichever writer produces it.
ROW_ORDER = ("patient_id", "session_date", "session_id", "metric", "window_start_s")
BATCH_ROWS = 20_000  # rows per CSV chunk and per Parquet row group


@dataclass(frozen=True)
class ExportRequest:
    study: Study
    metrics: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    pipeline_version: str = ""


def consenting_patients(study: Study) -> QuerySet[Patient]:
    """Enrolled patients whose current consent includes research_export."""
    return Patient.objects.filter(
        enrolments__study=study,
        consents__scope=ConsentScope.RESEARCH_EXPORT,
        consents__withdrawn_at__isnull=True,
    ).distinct()


def export_samples(request: ExportRequest) -> QuerySet[MetricSample]:
    """The MetricSample rows an export includes (date filters apply to the shifted dates)."""
    samples = MetricSample.objects.filter(patient__in=consenting_patients(request.study).values("pk"))
    if request.metrics:
        samples = samples.filter(metric__in=request.metrics)
    samples = filter_shifted_dates(
        samples,
        study=request.study,
        date_path="session_date",
        date_from=request.date_from,
        date_to=request.date_to,
    )
    if request.pipeline_version:
        samples = samples.filter(pipeline_version=request.pipeline_version)
    return samples


def rows_per_patient(request: ExportRequest) -> dict[int, int]:
    from django.db.models import Count

    counts = export_samples(request).values("patient_id").annotate(rows=Count("id"))
    return {row["patient_id"]: row["rows"] for row in counts}


def _model_versions_by_job(samples: QuerySet[MetricSample]) -> dict[int, str]:
    """name@version;... per analysis job, read once for the whole export."""
    jobs = AnalysisJob.objects.filter(pk__in=samples.values("job_id").distinct())
    return {
        pk: ";".join(f"{m.get('name')}@{m.get('version')}" for m in models or [])
        for pk, models in jobs.values_list("pk", "model_versions")
    }


def export_batches(
    request: ExportRequest, *, batch_rows: int = BATCH_ROWS
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in COLUMNS order, in lists of at most batch_rows, read with a server-side cursor."""
    study = request.study
    enrolments = study_enrolments(study=study)
    shifts = {patient_id: timedelta(days=e.date_shift_days) for patient_id, e in enrolments.items()}
    first_sessions = dict(
        Patient.objects.filter(pk__in=shifts.keys())
        .annotate(first=Min("sessions__session_date"))
        .values_list("pk", "first")
    )
    samples = export_samples(request)
    model_versions = _model_versions_by_job(samples)
    fields = (
        "patient_id",
        "session_date",
        "session__protocol__code",
        "metric",
        "window_start_s",
        "window_end_s",
        "is_session_level",
        "value",
        "unit",
        "pipeline_version",
        "job_id",
    )
    ordered = samples.order_by(*ROW_ORDER)
    batch: list[tuple[Any, ...]] = []
    for (
        patient_id,
        day,
        protocol,
        metric,
        start_s,
        end_s,
        level,
        value,
        unit,
        version,
        job,
    ) in ordered.values_list(*fields).iterator(chunk_size=batch_rows):
        batch.append(
            (
                study.code,
                enrolments[patient_id].pseudonym,
                day + shifts[patient_id],
                (day - (first_sessions[patient_id] or day)).days,
                protocol,
                metric,
                start_s,
                end_s,
                level,
                value,
                unit,
                version,
                model_versions[job],
            )
        )
        if len(batch) >= batch_rows:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_stream(batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[str]:
    """CSV text, one chunk per batch (None is written as an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMN_NAMES)
    for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


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


def parquet_stream(batches: Iterable[list[tuple[Any, ...]]]) -> Iterator[bytes]:
    """Parquet written one row group per batch; at most one batch is in memory."""
    sink = _ChunkSink()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), PARQUET_SCHEMA, compression="zstd")
    for batch in batches:
        columns = zip(*batch, strict=True)
        arrays = [
            pa.array(values, type=field.type) for values, field in zip(columns, PARQUET_SCHEMA, strict=True)
        ]
        writer.write_table(pa.Table.from_arrays(arrays, schema=PARQUET_SCHEMA))
        yield sink.take()
    writer.close()
    yield sink.take()


def postgres_csv_stream(request: ExportRequest) -> Iterator[bytes]:
    """The same CSV as csv_stream(export_batches(request)), written by PostgreSQL itself
    (COPY ... TO STDOUT) and streamed block by block: no Python work per row.

    Date shift, session day and model versions are computed in SQL. Floats are PostgreSQL's
    shortest round-trip text ("10" rather than "10.0"); booleans are written True/False as in
    the Python path.
    """
    study = request.study
    shift = date_shift_expression(study=study)
    first_session = Subquery(
        ClinicalSession.objects.filter(patient=OuterRef("patient"))
        .order_by("session_date")
        .values("session_date")[:1]
    )
    model_versions = RawSQL(
        "(SELECT string_agg((m.value->>'name') || '@' || (m.value->>'version'), ';' ORDER BY m.ordinality) "
        "FROM results_analysisjob j, jsonb_array_elements(j.model_versions) WITH ORDINALITY m "
        "WHERE j.id = results_metricsample.job_id)",
        (),
        output_field=CharField(),
    )
    rows = (
        export_samples(request)
        .order_by(*ROW_ORDER)
        .annotate(
            export_study=Value(study.code, output_field=CharField()),
            export_pseudonym=study_pseudonym_expression(study=study),
            export_date=Func(
                F("session_date"),
                shift,
                template="(%(expressions)s)",
                arg_joiner=" + ",
                output_field=DateField(),
            ),
            export_day=Func(
                F("session_date"),
                first_session,
                template="(%(expressions)s)",
                arg_joiner=" - ",
                output_field=IntegerField(),
            ),
            export_level=Case(
                When(is_session_level=True, then=Value("True")),
                default=Value("False"),
                output_field=CharField(),
            ),
            export_models=Coalesce(model_versions, Value("")),
        )
        .values_list(
            "export_study",
            "export_pseudonym",
            "export_date",
            "export_day",
            "session__protocol__code",
            "metric",
            "window_start_s",
            "window_end_s",
            "export_level",
            "value",
            "unit",
            "pipeline_version",
            "export_models",
        )
    )
    sql, params = rows.query.sql_with_params()
    yield (",".join(COLUMN_NAMES) + "\r\n").encode()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        for block in copy:
            yield bytes(block)
