"""Reads about analysis jobs and their stored results (no permission checks here: callers that
act for a person narrow the recording through accounts.permissions first)."""

from django.db.models import QuerySet

from recordings.models import Recording
from results.models import AnalysisJob, BehaviourEvent, MetricSample


def analysis_jobs_for_recording(*, recording: Recording) -> QuerySet[AnalysisJob]:
    """Every analysis of the recording, newest first (failed and cancelled ones included)."""
    return AnalysisJob.objects.filter(recording=recording).order_by("-created_at", "-pk")


def analysis_job_latest(*, recording: Recording, pipeline_version: str | None = None) -> AnalysisJob | None:
    """The newest analysis of the recording, optionally of one pipeline version."""
    jobs = analysis_jobs_for_recording(recording=recording)
    if pipeline_version is not None:
        jobs = jobs.filter(pipeline_version=pipeline_version)
    return jobs.first()


def analysis_results_counts(*, recording: Recording, pipeline_version: str) -> dict[str, int]:
    """How many result rows the recording has for one pipeline version: session-level metric
    samples, windowed samples and behaviour events (idempotence checks, benchmarks, admin)."""
    samples = MetricSample.objects.filter(job__recording=recording, pipeline_version=pipeline_version)
    return {
        "session_samples": samples.filter(is_session_level=True).count(),
        "window_samples": samples.filter(is_session_level=False).count(),
        "events": BehaviourEvent.objects.filter(
            job__recording=recording, pipeline_version=pipeline_version
        ).count(),
    }
