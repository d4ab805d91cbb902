"""The task segments of semi-guided visits as rows of the study's events table (kind "task",
the task's code as the reviewed label, source marked or automatic, the task model's confidence),
so that one table holds every timed thing of a visit. The segments are those the task metrics
rest on (results.task_selectors.segments_in_use: marked, else the model's proposal)."""

from collections import defaultdict

from django.db.models import QuerySet

from recordings.models import ProtocolTask
from results.models import AnalysisJob, TaskSegment
from results.task_selectors import segments_in_use

TASK_KIND = "task"
TASK_SOURCES = tuple(TaskSegment.Source.values)


def task_codes() -> tuple[str, ...]:
    """Every code a task row can carry as its label: the protocols' tasks and any marked code."""
    listed = set(ProtocolTask.objects.values_list("code", flat=True))
    return tuple(sorted(listed | set(TaskSegment.objects.values_list("task_code", flat=True).distinct())))


def session_task_segments(*, patients: QuerySet, jobs: QuerySet[AnalysisJob]) -> dict[int, list[TaskSegment]]:
    """Session pk -> its segments in use, for sessions of the patients with a current analysis."""
    rows = TaskSegment.objects.filter(
        session__patient__in=patients, session__in=jobs.values("recording__session_id")
    ).order_by("start_s", "pk")
    by_session: dict[int, list[TaskSegment]] = defaultdict(list)
    for row in rows:
        by_session[row.session_id].append(row)
    return {pk: in_use for pk, segments in by_session.items() if (in_use := segments_in_use(segments))}


def task_event_values(segment: TaskSegment) -> tuple:
    """The event columns from source to model_versions but pipeline_version, for one task."""
    automatic = segment.source == TaskSegment.Source.AUTOMATIC
    return (
        segment.source,
        TASK_KIND,
        None,
        segment.start_s,
        segment.end_s,
        None,
        segment.confidence if automatic else None,
        None,
        segment.task_code,
        segment.start_s,
        segment.end_s,
        1,
    ), (segment.model_version or None) if automatic else None
