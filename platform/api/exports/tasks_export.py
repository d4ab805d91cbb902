"""A study's task segments of semi-guided visits: one row per task the patient did, as marked by
clinicians (or, for a visit no clinician marked, as the task model proposed), with the session
keys and covariates of every study table (study pseudonym, study session key, shifted date).
Same writers as the metrics and events tables; no names of who marked."""

from collections import defaultdict
from collections.abc import Iterator

from accounts.models import Study
from api.exports.export_columns import Column, session_columns
from api.exports.study_export import Table
from api.exports.study_scope import ExportRequest, consenting_patients, rows_per_patient, session_keys
from recordings.selectors import protocol_tasks
from results.models import TaskSegment
from results.task_selectors import segments_in_use


def task_columns(study: Study) -> list[Column]:
    return [
        *session_columns(study),
        Column("task_number", "integer", "Number of the task row within the export.", minimum=1),
        Column("task", "string", "Code of the task in the protocol's task list."),
        Column(
            "asked_position",
            "integer",
            "Position of the task in the order the protocol asks for (1 first).",
            minimum=1,
            missing_reason="the task is no longer in the protocol's list",
        ),
        Column("start_s", "number", "Start of the task, from the start of the recording.", "s", minimum=0),
        Column("end_s", "number", "End of the task, from the start of the recording.", "s", minimum=0),
        Column("duration_s", "number", "End minus start.", "s", minimum=0),
        Column(
            "source",
            "string",
            "marked: by a clinician (or a proposal a clinician accepted or corrected); automatic: "
            "proposed by the task model, in a visit no clinician marked.",
            enum=("marked", "automatic"),
        ),
        Column(
            "confidence",
            "number",
            "The task model's confidence.",
            minimum=0,
            maximum=1,
            missing_reason="marked by a clinician",
        ),
    ]


def tasks_table(request: ExportRequest) -> Table:
    segments = TaskSegment.objects.filter(
        session__patient__in=consenting_patients(request.study).values("pk")
    )
    by_session: dict[int, list[TaskSegment]] = defaultdict(list)
    for segment in segments.select_related("session__protocol").order_by("start_s", "pk"):
        by_session[segment.session_id].append(segment)
    in_use = {pk: segments_in_use(rows) for pk, rows in by_session.items()}
    keys = session_keys(request, {pk for pk, rows in in_use.items() if rows})
    counts = rows_per_patient(keys, {pk: len(rows) for pk, rows in in_use.items()})

    def rows() -> Iterator[tuple]:
        number = 0
        for key in keys:
            session_rows = in_use[key.session_pk]
            asked = {
                task.code: i
                for i, task in enumerate(protocol_tasks(protocol=session_rows[0].session.protocol), 1)
            }
            for segment in session_rows:
                number += 1
                yield (
                    request.study.code,
                    *key.columns(),
                    number,
                    segment.task_code,
                    asked.get(segment.task_code),
                    segment.start_s,
                    segment.end_s,
                    segment.end_s - segment.start_s,
                    segment.source,
                    segment.confidence,
                )

    return Table(task_columns(request.study), "", [], counts, {}, rows=rows if keys else None)
