"""What happens to a job when things go wrong while a real worker runs it: the worker is killed,
the database connection is cut, the patient withdraws consent."""

import os
import signal

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from analysis import PIPELINE_VERSION
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.jobs import analysis_job_create, analysis_jobs_sweep
from results.models import AnalysisJob, MetricSample
from results.selectors import analysis_results_counts
from tests.workers.conftest import finished, store_recording, wait_for_job, wait_for_task_end

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _running(job: AnalysisJob) -> bool:
    """Mid-analysis: claimed, and the pipeline has reported progress."""
    return job.status == AnalysisJob.Status.RUNNING and job.progress > 0


def _assert_stored_once(job: AnalysisJob, recording) -> None:
    """The job's results are there, once: every result row of the recording belongs to it."""
    counts = analysis_results_counts(recording=recording, pipeline_version=PIPELINE_VERSION)
    assert counts["session_samples"] > 0
    assert MetricSample.objects.filter(job__recording=recording).count() == (
        counts["session_samples"] + counts["window_samples"]
    )
    assert set(MetricSample.objects.filter(job__recording=recording).values_list("job", flat=True)) == {
        job.pk
    }
    # Each session-level metric once.
    metrics = list(
        MetricSample.objects.filter(job=job, is_session_level=True).values_list("metric", flat=True)
    )
    assert len(metrics) == len(set(metrics))


def test_a_job_whose_pool_process_is_killed_is_redelivered_and_completed_once(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["rocking"])
    job = wait_for_job(analysis_job_create(recording=recording), _running, worker=worker)

    (child,) = worker.pool_pids()
    os.kill(child, signal.SIGKILL)

    # acks_late + reject_on_worker_lost: the worker gives the message back, its new pool
    # process receives it again and the claim accepts the same task id.
    job = wait_for_job(job, finished, worker=worker)
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    _assert_stored_once(job, recording)


def test_a_job_whose_whole_worker_is_killed_is_requeued_by_the_sweep_and_completed_once(
    worker, world_tx, videos, settings
):
    recording = store_recording(world_tx, videos["rocking"])
    job = wait_for_job(analysis_job_create(recording=recording), _running, worker=worker)

    # The host dies: no warm shutdown, the message stays unacknowledged in Redis until the
    # visibility timeout (hours). The job's heartbeat stops.
    worker.kill()
    worker.start()
    settings.ANALYSIS_HEARTBEAT_STALE_S = 0
    report = analysis_jobs_sweep()

    assert report.requeued == [job.pk]
    job = wait_for_job(job, finished, worker=worker)
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    _assert_stored_once(job, recording)


def test_a_lost_database_connection_is_retried_and_the_job_completes(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["rocking"])
    job = wait_for_job(analysis_job_create(recording=recording), _running, worker=worker)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchall(), "the worker had no database connection to terminate"

    job = wait_for_job(job, finished, worker=worker)
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    assert "retry in" in worker.log()
    assert job.attempts == 2
    _assert_stored_once(job, recording)


def test_withdrawing_consent_mid_job_cancels_it_and_discards_partial_results(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["rocking"])
    job = wait_for_job(analysis_job_create(recording=recording), _running, worker=worker)

    consent_withdraw(patient=world_tx.patient, scope=ConsentScope.ANALYSE, by=world_tx.clinician)
    wait_for_task_end(worker, job.celery_task_id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.CANCELLED
    assert "withdrew consent" in job.error
    assert not MetricSample.objects.filter(job__recording=recording).exists()
    assert not job.tracks_file
    assert not default_storage.exists(f"tracks/{job.pk}.parquet")
