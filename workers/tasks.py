"""Celery tasks: thin wrappers that take a job id and hand off to workers.analysis_run.

Only transient errors are retried (the database or the broker went away for a moment), with
exponential backoff; everything the analysis itself can say goes into the job's row instead.
"""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from kombu.exceptions import OperationalError as BrokerError

from results.jobs import analysis_job_fail, analysis_jobs_sweep
from results.segment_metrics import session_segment_metrics_recompute
from workers.analysis_run import run_analysis_job
from workers.celery import app

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, BrokerError)
MAX_RETRIES = 5
# Retry n waits RETRY_BASE_S * 2**n seconds, at most RETRY_MAX_S (5, 10, 20, 40, 80 s).
RETRY_BASE_S = 5
RETRY_MAX_S = 300


def _drop_connections() -> None:
    """Close every database connection so that the retry opens a fresh one (a connection whose
    server process was terminated stays broken until it is closed)."""
    for connection in connections.all():
        try:
            connection.close()
        except TRANSIENT_ERRORS:
            logger.warning("could not close the broken database connection %s", connection.alias)


def _fail_quietly(job_id: int, task_id: str, message: str) -> None:
    try:
        analysis_job_fail(job_id=job_id, task_id=task_id, message=message)
    except TRANSIENT_ERRORS:
        logger.exception("job %s could not be marked failed; the sweep will", job_id)


@app.task(bind=True, name="workers.tasks.analyse_job", max_retries=MAX_RETRIES, acks_late=True)
def analyse_job(self, job_id: int) -> str:
    """Analyse one AnalysisJob (by id) to its end; returns the outcome for the log. (Celery's
    Django fixup closes stale database connections before each task.)"""
    try:
        return run_analysis_job(job_id=job_id, task_id=self.request.id)
    except SoftTimeLimitExceeded:
        _drop_connections()
        minutes = settings.ANALYSIS_SOFT_TIME_LIMIT_S // 60
        _fail_quietly(
            job_id,
            self.request.id,
            f"The analysis ran longer than the time limit of {minutes} minutes and was stopped. "
            "Retry it; if the video is very long, ask an administrator to raise ANALYSIS_SOFT_TIME_LIMIT_S.",
        )
        return "failed"
    except TRANSIENT_ERRORS as error:
        _drop_connections()
        if self.request.retries >= self.max_retries:
            _fail_quietly(
                job_id,
                self.request.id,
                "The analysis could not reach the database or the task broker, even after "
                f"{MAX_RETRIES} retries. Retry it later; if it fails again, ask an administrator.",
            )
            raise
        countdown = min(RETRY_BASE_S * 2**self.request.retries, RETRY_MAX_S)
        logger.warning("job %s: transient error (%s), retry in %s s", job_id, error, countdown)
        queue = (self.request.delivery_info or {}).get("routing_key") or None
        raise self.retry(exc=error, countdown=countdown, queue=queue) from error
    except Exception as error:
        # A bug, not something the person can fix: the job must not stay "running" for ever.
        _fail_quietly(
            job_id,
            self.request.id,
            f"The analysis stopped because of an internal error ({type(error).__name__}). It has been "
            "logged for the administrator; you can retry the analysis.",
        )
        raise


@app.task(name="workers.tasks.sweep_jobs")
def sweep_jobs() -> dict[str, list[int]]:
    """Requeue or fail running jobs whose worker was lost (run every ANALYSIS_SWEEP_EVERY_S by
    celery beat; `manage.py sweep_analysis_jobs` does the same from cron)."""
    report = analysis_jobs_sweep()
    return {"requeued": report.requeued, "failed": report.failed}


@app.task(name="workers.tasks.recompute_segment_metrics", acks_late=True)
def recompute_segment_metrics(session_id: int) -> str:
    """Recompute the praxis or apathy metrics of a session's latest analysis from its tracks after
    a segment was marked (seconds: no video is decoded)."""
    return session_segment_metrics_recompute(session_id=session_id)
