"""Placeholder replaced by the workers helper: hands a job id to Celery."""


def enqueue_analysis(job_id: int) -> None:
    raise NotImplementedError("workers.dispatch.enqueue_analysis is being built")
