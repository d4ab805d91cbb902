"""A finished analysis of a semi-guided session: the task model's proposal (when a task model
is active) replaces the session's automatic task segments, and the task metrics are recomputed
on the new analysis (the earlier one's samples went with it)."""

from __future__ import annotations

from results.models import AnalysisJob
from results.services import AnalysisOutcome
from results.task_metric_samples import session_task_metrics_refresh
from results.task_segments import task_segments_propose


def session_tasks_after_analysis(*, job: AnalysisJob, outcome: AnalysisOutcome) -> None:
    """Store the proposal of the task model that ran, then recompute the task metrics."""
    session = job.recording.session
    if outcome.task_model:
        task_segments_propose(
            session=session, job=job, segments=outcome.task_segments, model_version=outcome.task_model
        )
    else:
        session_task_metrics_refresh(session=session)
