"""A finished analysis of a semi-guided session: its task metrics are recomputed on the new
analysis (the earlier one's samples went with it)."""

from __future__ import annotations

from results.models import AnalysisJob
from results.task_metric_samples import session_task_metrics_refresh


def session_tasks_after_analysis(*, job: AnalysisJob) -> None:
    """Recompute the session's task metrics on its new analysis."""
    session_task_metrics_refresh(session=job.recording.session)
