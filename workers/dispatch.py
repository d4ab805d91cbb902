"""Hand an analysis job to Celery (settings.ANALYSIS_DISPATCHER points here).

With a broker the job id goes to the job's queue (cpu or gpu) and a worker runs it. Without one
(the embedded default: CELERY_TASK_ALWAYS_EAGER) the task runs here, in this process, before
this call returns, so `manage.py runserver` alone still analyses uploads.
"""

import logging

from kombu.exceptions import OperationalError as BrokerError

from results.models import AnalysisJob
from workers.celery import app
from workers.tasks import analyse_job

logger = logging.getLogger(__name__)

# Publishing is retried this way before the job is failed (a broker restart takes seconds).
PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 3.0}


def enqueue_analysis(job_id: int) -> None:
    """Send the job to its queue, or run it in-process when tasks are eager."""
    job = AnalysisJob.objects.filter(pk=job_id).only("pk", "queue").first()
    if job is None:
        logger.warning("job %s vanished before it was queued", job_id)
        return
    if app.conf.task_always_eager:
        analyse_job.apply(args=[job_id])
        return
    try:
        analyse_job.apply_async(args=[job_id], queue=job.queue, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BrokerError:
        logger.exception("job %s could not be queued", job_id)
        AnalysisJob.objects.filter(pk=job_id, status=AnalysisJob.Status.QUEUED).update(
            status=AnalysisJob.Status.FAILED,
            stage="failed",
            error="The analysis could not be queued because the task broker did not answer. "
            "Retry it in a few minutes; if it fails again, ask an administrator to check Redis.",
        )
