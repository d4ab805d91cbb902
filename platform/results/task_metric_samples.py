"""The per-task metrics of a semi-guided session, stored as session-level metric samples
(family "tasks") and recomputed whenever its task segments change or a new analysis finishes.

The computation is the analysis library's (analysis.tasks.task_metrics) over the segments in use
(the clinicians' marks once there are any, else the task model's proposal) and the protocol's
ordered task list; a value that cannot be measured is stored as null with its reason. Samples
hang on the session's latest finished analysis: a session without one has no task metrics yet.
"""

from __future__ import annotations

import math

from django.db import transaction

from analysis.metrics.definitions import MetricDefinition
from analysis.tasks.segments import TaskSegment as Segment
from analysis.tasks.task_metrics import FAMILY, ProtocolTask, task_metric_definitions, task_metrics
from recordings.models import ClinicalSession, Protocol
from recordings.selectors import protocol_tasks
from results.dashboard_selectors import session_latest_job
from results.models import MetricSample
from results.task_models import job_activity
from results.task_selectors import segments_in_use, session_task_segments

METRIC_PREFIX = f"{FAMILY}."


def protocol_task_list(protocol: Protocol) -> list[ProtocolTask]:
    """The protocol's tasks as the analysis library reads them (code, expected maximum in s)."""
    return [
        ProtocolTask(task.code, task.expected_max_duration_s) for task in protocol_tasks(protocol=protocol)
    ]


def task_definitions(protocol: Protocol) -> dict[str, MetricDefinition]:
    """Unit, description and valid range of each task metric of this protocol."""
    return task_metric_definitions(protocol_task_list(protocol))


@transaction.atomic
def session_task_metrics_refresh(*, session: ClinicalSession) -> list[MetricSample]:
    """Replace the session's task metric samples by those of its current segments."""
    MetricSample.objects.filter(session=session, metric__startswith=METRIC_PREFIX).delete()
    tasks = protocol_task_list(session.protocol)
    job = session_latest_job(session=session)
    if session.protocol.kind != Protocol.Kind.SEMI_GUIDED_TASKS or not tasks or job is None:
        return []
    segments = [
        Segment(row.task_code, row.start_s, row.end_s, row.confidence)
        for row in segments_in_use(session_task_segments(session=session))
    ]
    if not segments:  # nothing marked or proposed yet: no metric, not "every task omitted"
        return []
    values = task_metrics(segments, tasks, activity=job_activity(job))
    rows = [
        MetricSample(
            job=job,
            patient=session.patient,
            session=session,
            session_date=session.session_date,
            metric=key,
            value=value.value if math.isfinite(value.value) else None,
            unit=value.unit,
            reason=value.reason[:300] if not math.isfinite(value.value) else "",
            analysable_s=value.analysable_s,
            window_start_s=0.0,
            window_end_s=job.recording.duration_s,
            is_session_level=True,
            pipeline_version=job.pipeline_version,
        )
        for key, value in sorted(values.items())
    ]
    return MetricSample.objects.bulk_create(rows)
