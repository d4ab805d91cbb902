"""A study's behaviour events as clinicians left them: one row per event the model detected,
with its latest review applied (decision, and the kind and times that count), and one row per
event a clinician added (source "clinician"), and one row per task of a semi-guided visit (kind
"task", api.exports.task_event_rows). Events are read through the one selector of
reviewed values (results.reviewed), a batch of sessions at a time, so that memory stays flat.
Same keys and covariates as the metrics export, same CSV and Parquet writers.
"""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Count, Exists, OuterRef, QuerySet

from api.exports.export_columns import event_columns
from api.exports.export_sql import model_versions_text
from api.exports.study_export import Table
from api.exports.study_scope import (
    ExportRequest,
    SessionKey,
    consenting_patients,
    rows_per_patient,
    session_keys,
)
from api.exports.task_event_rows import TASK_KIND, session_task_segments, task_event_values
from results.models import AnalysisJob, BehaviourEvent, CodedEvent, TaskSegment
from results.reviewed import ReviewedEvent, reviewed_events_for_jobs

SESSIONS_PER_BATCH = 100


def current_jobs(request: ExportRequest) -> QuerySet[AnalysisJob]:
    """Finished analyses not replaced by a later analysis of the same recording and pipeline
    version (care.reanalysis keeps a replaced analysis's reviewed events, marked superseded,
    only so that the reviews stay on record)."""
    later = AnalysisJob.objects.filter(
        recording=OuterRef("recording"),
        pipeline_version=OuterRef("pipeline_version"),
        status=AnalysisJob.Status.SUCCEEDED,
        pk__gt=OuterRef("pk"),
    )
    jobs = AnalysisJob.objects.filter(status=AnalysisJob.Status.SUCCEEDED).exclude(Exists(later))
    if request.pipeline_version:
        jobs = jobs.filter(pipeline_version=request.pipeline_version)
    return jobs


def _tasks(request: ExportRequest, kind: str) -> dict[int, list[TaskSegment]]:
    """The task segments in use of sessions with a current analysis (none when another kind is asked)."""
    if kind and kind != TASK_KIND:
        return {}
    patients = consenting_patients(request.study).values("pk")
    return session_task_segments(patients=patients, jobs=current_jobs(request))


def _sessions(request: ExportRequest, kind: str, tasks: dict[int, list[TaskSegment]]) -> dict[int, int]:
    """Rows per session of consenting patients: model events of finished analyses (of the
    pipeline version asked for), clinicians' events and tasks of sessions with such an analysis."""
    patients = consenting_patients(request.study).values("pk")
    jobs = current_jobs(request)
    events = BehaviourEvent.objects.filter(patient__in=patients, job__in=jobs)
    coded = CodedEvent.objects.filter(
        session__patient__in=patients,
        removed_at__isnull=True,
        session__in=jobs.values("recording__session_id"),
    )
    if kind:
        events, coded = events.filter(kind=kind), coded.filter(label=kind)
    per_session: dict[int, int] = defaultdict(int)
    for rows in (events, coded):
        for session_pk, n in rows.values_list("session_id").annotate(n=Count("id")).order_by():
            per_session[session_pk] += n
    for session_pk, segments in tasks.items():
        per_session[session_pk] += len(segments)
    return per_session


def _keys(key: SessionKey, study_code: str) -> tuple:
    return (study_code, *key.columns())


def _task_row(key: SessionKey, study_code: str, number: int, segment: TaskSegment, job: AnalysisJob) -> tuple:
    values, model_versions = task_event_values(segment)
    return (*_keys(key, study_code), number, *values, job.pipeline_version, model_versions)


def _row(key: SessionKey, study_code: str, number: int, event: ReviewedEvent, job: AnalysisJob) -> tuple:
    model = event.source == "model"
    counted = event.counted
    return (
        *_keys(key, study_code),
        number,
        event.source,
        event.model_label,
        event.body_part or None,
        event.model_start_s,
        event.model_end_s,
        event.frequency_hz,
        event.confidence,
        None if event.status == "unreviewed" else event.status,
        event.label if counted else None,
        event.start_s if counted else None,
        event.end_s if counted else None,
        1 if counted else 0,
        job.pipeline_version,
        model_versions_text(job) if model else None,
    )


def _wanted(event: ReviewedEvent, kind: str) -> bool:
    """kind= selects the detected kind of a model event and the label of a clinician's."""
    return kind != TASK_KIND and (
        not kind or kind == (event.model_label if event.source == "model" else event.label)
    )


def _batch_rows(
    request: ExportRequest,
    keys: list[SessionKey],
    kind: str,
    first: int,
    tasks: dict[int, list[TaskSegment]],
) -> Iterator[tuple]:
    """The rows of a few sessions, each session's events in time order."""
    jobs = current_jobs(request).filter(recording__session_id__in=[key.session_pk for key in keys])
    jobs = jobs.select_related("recording")
    jobs_by_session: dict[int, list[AnalysisJob]] = defaultdict(list)
    for job in jobs.order_by("pk"):
        jobs_by_session[job.recording.session_id].append(job)
    by_job = reviewed_events_for_jobs(jobs=[job for session in jobs_by_session.values() for job in session])
    coded_on = dict(CodedEvent.objects.filter(session_id__in=jobs_by_session).values_list("pk", "job_id"))
    number = first
    for key in keys:
        session_jobs = jobs_by_session.get(key.session_pk, [])
        owner = {job.pk: job for job in session_jobs}
        rows = []
        for job in session_jobs:
            for event in by_job[job.pk]:
                # A clinician's event is listed with every analysis of its session: keep it once,
                # with the analysis it was added on (or the session's latest).
                if event.source == "clinician" and owner.get(coded_on.get(event.pk), session_jobs[-1]) != job:
                    continue
                if _wanted(event, kind):
                    rows.append((event.start_s, event.source, event.pk, event, job))
        for segment in tasks.get(key.session_pk, []) if session_jobs else []:
            # A proposal belongs to the analysis that proposed it; a marked task to the latest.
            rows.append(
                (
                    segment.start_s,
                    segment.source,
                    segment.pk,
                    segment,
                    owner.get(segment.job_id, session_jobs[-1]),
                )
            )
        rows.sort(key=lambda row: row[:3])
        for *_, item, job in rows:
            number += 1
            if isinstance(item, TaskSegment):
                yield _task_row(key, request.study.code, number, item, job)
            else:
                yield _row(key, request.study.code, number, item, job)


def events_table(request: ExportRequest, kind: str = "") -> Table:
    tasks = _tasks(request, kind)
    per_session = _sessions(request, kind, tasks)
    keys = session_keys(request, set(per_session))
    counts = rows_per_patient(keys, per_session)

    def rows() -> Iterator[tuple]:
        written = 0
        for start in range(0, len(keys), SESSIONS_PER_BATCH):
            for row in _batch_rows(request, keys[start : start + SESSIONS_PER_BATCH], kind, written, tasks):
                written += 1
                yield row

    return Table(event_columns(request.study), "", [], counts, {}, rows=rows if keys else None)
