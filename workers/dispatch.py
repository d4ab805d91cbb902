"""Hand an analysis job to Celery (settings.ANALYSIS_DISPATCHER points here).

With a broker the job id goes to the job's queue (cpu or gpu) and a worker runs it. Without one
(the embedded default: CELERY_TASK_ALWAYS_EAGER) the task runs in this process, on a small pool
of background threads (settings.ANALYSIS_LOCAL_THREADS), never on the thread of the web request
that queued it: `manage.py runserver` alone still analyses uploads, and the upload's answer does
not wait for the analysis. `local_analyses_wait` blocks until they are done (tests, the demo).
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import connections
from kombu.exceptions import OperationalError as BrokerError

from results.jobs import analysis_job_fail_unqueued
from results.models import AnalysisJob
from workers.celery import app
from workers.tasks import analyse_job, recompute_segment_metrics

logger = logging.getLogger(__name__)

# Publishing is retried this way before the job is failed (a broker restart takes seconds).
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 3.0}


def _run_locally(job_id: int) -> None:
    try:
        analyse_job.apply(args=[job_id])
    finally:
        connections.close_all()  # this thread's connections only


def _recompute_locally(session_id: int) -> None:
    try:
        recompute_segment_metrics.apply(args=[session_id])
    finally:
        connections.close_all()


class _LocalAnalyses:
    """The process's analysis threads, made on first use, and the analyses they have not finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()

    def submit(self, job_id: int, run=_run_locally) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=settings.ANALYSIS_LOCAL_THREADS, thread_name_prefix="analysis"
                )
            future = self._pool.submit(run, job_id)
            self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def wait(self, timeout_s: float | None) -> bool:
        with self._lock:
            pending = set(self._pending)
        _done, not_done = wait(pending, timeout=timeout_s)
        return not not_done


_local_analyses = _LocalAnalyses()


def local_analyses_wait(timeout_s: float | None = None) -> bool:
    """Wait until every analysis started in this process has finished; False on timeout."""
    return _local_analyses.wait(timeout_s)


def enqueue_analysis(job_id: int) -> None:
    """Send the job to its queue, or hand it to this process's analysis threads when tasks are
    eager (no broker)."""
    job = AnalysisJob.objects.filter(pk=job_id).only("pk", "queue").first()
    if job is None:
        logger.warning("job %s vanished before it was queued", job_id)
        return
    if app.conf.task_always_eager:
        _local_analyses.submit(job_id)
        return
    try:
        analyse_job.apply_async(args=[job_id], queue=job.queue, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BrokerError:
        logger.exception("job %s could not be queued", job_id)
        analysis_job_fail_unqueued(
            job_id=job_id,
            message="The analysis could not be queued because the task broker did not answer. "
            "Retry it in a few minutes; if it fails again, ask an administrator to check Redis.",
        )


def enqueue_segment_metrics(session_id: int) -> None:
    """Recompute a session's segment metrics on a worker, or on this process's analysis threads
    when tasks are eager (local_analyses_wait waits for them too). A broker that does not answer
    leaves the page saying the metrics are being recomputed; the next mark asks again."""
    if app.conf.task_always_eager:
        _local_analyses.submit(session_id, _recompute_locally)
        return
    try:
        recompute_segment_metrics.apply_async(
            args=[session_id], queue="cpu", retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except BrokerError:
        logger.exception("the segment metrics of session %s could not be queued", session_id)
