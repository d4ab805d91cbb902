"""The job state machine in results.jobs, without a worker: claims, conditional progress,
results replaced in one transaction, cancel, retry and the sweep; and the embedded default that
runs a job in-process."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from analysis.results import Event, MetricsReport, MetricValue, WindowSample
from care.reanalysis import analysis_results_replace
from care.withdrawal import consent_withdraw
from patients.models import ConsentScope
from results.jobs import (
    analysis_job_cancel,
    analysis_job_claim,
    analysis_job_create,
    analysis_job_progress,
    analysis_job_retry,
    analysis_jobs_sweep,
)
from results.models import AnalysisJob, BehaviourEvent, EventReview, MetricSample
from results.services import AnalysisOutcome
from tests.workers.conftest import store_recording
from workers.celery import app
from workers.dispatch import enqueue_analysis, local_analyses_wait
from workers.tasks import analyse_job


@pytest.fixture
def job(world, videos) -> AnalysisJob:
    return analysis_job_create(
        recording=store_recording(world, videos["rocking"]), requested_by=world.uploader
    )


def _report() -> MetricsReport:
    """A small report with the awkward values real metrics produce: NaN, NumPy numbers."""
    return MetricsReport(
        metrics={
            "apathy": {
                "apathy.neutral_share": MetricValue(0.62, "ratio", analysable_s=np.float64(11.5)),
                "apathy.expressivity": MetricValue.unknown("au", "no face was seen", 0.0),
            },
            "stereotypy": {"stereotypy.agitation_index": MetricValue(np.float32(1.5), "1/min")},
        },
        samples=[
            WindowSample("apathy.neutral_share", 0.0, 10.0, 0.5, "ratio"),
            WindowSample("apathy.neutral_share", 10.0, 12.5, np.nan, "ratio"),
        ],
        events=[
            Event(
                "body_rocking",
                "trunk",
                2.0,
                9.5,
                0.8,
                frequency_hz=1.0,
                attributes={"power": np.float64(3.5), "path": np.array([1.0, np.nan])},
            )
        ],
    )


def _outcome() -> AnalysisOutcome:
    return AnalysisOutcome(
        report=_report(),
        duration_s=12.5,
        model_versions=[{"name": "mediapipe-pose-full", "version": "0.10.14"}],
    )


def test_a_queued_job_is_claimed_once(job):
    claimed = analysis_job_claim(job_id=job.pk, task_id="task-a")

    assert claimed.status == AnalysisJob.Status.RUNNING and claimed.attempts == 1
    assert analysis_job_claim(job_id=job.pk, task_id="task-b") is None
    # The broker redelivers the same message after its worker was lost: it may run again.
    assert analysis_job_claim(job_id=job.pk, task_id="task-a").attempts == 2


def test_a_running_job_with_a_stale_heartbeat_can_be_taken_over(job):
    analysis_job_claim(job_id=job.pk, task_id="task-a")
    AnalysisJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    taken = analysis_job_claim(job_id=job.pk, task_id="task-b", stale_after=timedelta(minutes=10))

    assert taken.celery_task_id == "task-b"
    # The lost worker, should it come back, can no longer report progress on it.
    assert not analysis_job_progress(job_id=job.pk, task_id="task-a", stage="x", progress=50)


def test_results_are_stored_in_one_go_with_nan_as_null(job):
    analysis_job_claim(job_id=job.pk, task_id="t")

    done = analysis_results_replace(job_id=job.pk, task_id="t", outcome=_outcome())

    assert (done.status, done.progress, done.result_status) == (AnalysisJob.Status.SUCCEEDED, 100, "ok")
    session_level = dict(
        MetricSample.objects.filter(job=job, is_session_level=True).values_list("metric", "value")
    )
    assert session_level == {
        "apathy.neutral_share": 0.62,
        "apathy.expressivity": None,
        "stereotypy.agitation_index": 1.5,
    }
    # Null is stored with its reason, and every share with the time it rests on.
    reasons = {
        m: (reason, seconds)
        for m, reason, seconds in MetricSample.objects.filter(job=job, is_session_level=True).values_list(
            "metric", "reason", "analysable_s"
        )
    }
    assert reasons["apathy.expressivity"] == ("no face was seen", 0.0)
    assert reasons["apathy.neutral_share"] == ("", 11.5)
    assert reasons["stereotypy.agitation_index"] == ("", None)
    assert set(
        MetricSample.objects.filter(job=job, is_session_level=True).values_list(
            "window_start_s", "window_end_s"
        )
    ) == {(0.0, 12.5)}
    assert list(
        MetricSample.objects.filter(job=job, is_session_level=False)
        .order_by("window_start_s")
        .values_list("value")
    ) == [(0.5,), (None,)]
    event = BehaviourEvent.objects.get(job=job)
    assert (event.kind, event.start_s, event.end_s, event.frequency_hz) == ("body_rocking", 2.0, 9.5, 1.0)
    assert event.attributes == {"power": 3.5, "path": [1.0, None]}
    assert event.patient_id == job.recording.session.patient_id


def test_a_job_cancelled_while_it_ran_is_never_overwritten_to_succeeded(job, world):
    analysis_job_claim(job_id=job.pk, task_id="t")
    analysis_job_cancel(job=job, by=world.clinician)

    assert not analysis_job_progress(job_id=job.pk, task_id="t", stage="analysing", progress=40)
    assert analysis_results_replace(job_id=job.pk, task_id="t", outcome=_outcome()) is None

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.CANCELLED
    assert job.error == "Cancelled by clinician."
    assert not MetricSample.objects.filter(job=job).exists()


def test_consent_withdrawn_before_the_results_are_saved_cancels_the_job(job, world):
    analysis_job_claim(job_id=job.pk, task_id="t")
    # Withdrawn without the consent service's job cancellation (e.g. by an administrator's fix):
    # the worker's own last check still catches it.
    job.recording.session.patient.consents.filter(scope=ConsentScope.ANALYSE).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )

    assert analysis_results_replace(job_id=job.pk, task_id="t", outcome=_outcome()) is None

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.CANCELLED and "withdrew consent" in job.error
    assert not MetricSample.objects.exists()


def test_a_second_analysis_replaces_the_first_ones_rows(job):
    analysis_job_claim(job_id=job.pk, task_id="t1")
    analysis_results_replace(job_id=job.pk, task_id="t1", outcome=_outcome())
    again = analysis_job_create(recording=job.recording)
    analysis_job_claim(job_id=again.pk, task_id="t2")

    analysis_results_replace(job_id=again.pk, task_id="t2", outcome=_outcome())

    assert MetricSample.objects.count() == 5 and BehaviourEvent.objects.count() == 1
    assert set(MetricSample.objects.values_list("job", flat=True)) == {again.pk}


def test_only_failed_or_cancelled_jobs_can_be_retried_and_a_retry_is_a_new_job(job, world):
    with pytest.raises(ApplicationError, match="Only a failed or cancelled analysis can be retried"):
        analysis_job_retry(job=job, by=world.clinician)
    analysis_job_cancel(job=job, by=world.clinician)

    retry = analysis_job_retry(job=job, by=world.clinician)

    assert retry.pk != job.pk
    assert (retry.status, retry.requested_by, retry.recording_id) == (
        AnalysisJob.Status.QUEUED,
        world.clinician,
        job.recording_id,
    )


def test_a_retry_needs_the_analyse_consent(job, world):
    analysis_job_cancel(job=job, by=world.clinician)
    consent_withdraw(patient=world.patient, scope=ConsentScope.ANALYSE, by=world.clinician)

    with pytest.raises(ApplicationError, match="has not consented to analysis"):
        analysis_job_retry(job=job, by=world.clinician)


def test_cancelling_a_finished_job_says_so(job, world):
    analysis_job_claim(job_id=job.pk, task_id="t")
    analysis_results_replace(job_id=job.pk, task_id="t", outcome=_outcome())

    with pytest.raises(ApplicationError, match="already finished"):
        analysis_job_cancel(job=job, by=world.clinician)


def test_the_sweep_requeues_a_job_whose_worker_was_lost(job, settings, django_capture_on_commit_callbacks):
    settings.ANALYSIS_HEARTBEAT_STALE_S = 600
    analysis_job_claim(job_id=job.pk, task_id="t")
    AnalysisJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=11))

    with django_capture_on_commit_callbacks() as dispatched:
        report = analysis_jobs_sweep()

    assert report.requeued == [job.pk] and report.failed == []
    assert len(dispatched) == 1
    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.QUEUED


def test_the_sweep_fails_a_job_lost_too_often_or_past_the_time_limit(world, videos, settings):
    settings.ANALYSIS_MAX_ATTEMPTS = 3
    settings.ANALYSIS_HARD_TIME_LIMIT_S = 3600
    lost = analysis_job_create(recording=store_recording(world, videos["rocking"]))
    slow = analysis_job_create(recording=store_recording(world, videos["rocking"]))
    long_ago = timezone.now() - timedelta(hours=2)
    AnalysisJob.objects.filter(pk=lost.pk).update(
        status=AnalysisJob.Status.RUNNING, attempts=3, started_at=timezone.now(), heartbeat_at=long_ago
    )
    AnalysisJob.objects.filter(pk=slow.pk).update(
        status=AnalysisJob.Status.RUNNING, attempts=1, started_at=long_ago, heartbeat_at=timezone.now()
    )

    report = analysis_jobs_sweep()

    assert sorted(report.failed) == sorted([lost.pk, slow.pk])
    lost.refresh_from_db()
    slow.refresh_from_db()
    assert lost.status == slow.status == AnalysisJob.Status.FAILED
    assert "stopped 3 times" in lost.error and "Retry it" in lost.error
    assert "longer than the time limit of 60 minutes" in slow.error


def leave_queued(job_id: int) -> None:
    """A dispatcher that sends nothing: the job is handed over by the test itself."""


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_job_runs_in_process_off_the_callers_thread(world, videos, settings):
    """The embedded default (CELERY_TASK_ALWAYS_EAGER): enqueue_analysis hands the job to this
    process's analysis thread and returns. While the caller holds the job's row locked, the job
    cannot have started (on the caller's own thread it would have: the lock is its own); once
    the lock is released it runs, and local_analyses_wait returns when it is done. A corrupt
    file keeps the test short: the job fails with the analysis library's sentence."""
    # Created without dispatch: on commit the job would otherwise go to the broker, where a Celery
    # worker started by an earlier test of the session would claim it first.
    settings.ANALYSIS_DISPATCHER = "tests.workers.test_job_services.leave_queued"
    job = analysis_job_create(recording=store_recording(world, videos["corrupt"]))
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with transaction.atomic():
            AnalysisJob.objects.select_for_update().get(pk=job.pk)
            enqueue_analysis(job.pk)
            assert AnalysisJob.objects.get(pk=job.pk).status == AnalysisJob.Status.QUEUED
        assert local_analyses_wait(timeout_s=120)
    finally:
        app.conf.task_always_eager = eager
    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED and job.attempts == 1
    assert "corrupt.mp4" in job.error


def _run_in_process(job: AnalysisJob) -> AnalysisJob:
    """The task as the embedded default's analysis thread runs it (here on the test's thread,
    which alone sees the test's uncommitted rows)."""
    analyse_job.apply(args=[job.pk])
    job.refresh_from_db()
    return job


def test_a_video_missing_from_storage_fails_the_job_with_a_message(job):
    default_storage.delete(job.recording.file.name)

    job = _run_in_process(job)

    assert job.status == AnalysisJob.Status.FAILED
    assert job.error.startswith("The video of visit.mp4 is missing from the media storage")


def test_a_gpu_worker_without_its_rtmpose_weights_fails_the_job_naming_them(job, settings, tmp_path):
    settings.POSE_BACKEND = "mmpose"
    settings.MMPOSE_CONFIG = str(tmp_path / "rtmpose-m.py")
    settings.MMPOSE_CHECKPOINT = ""

    job = _run_in_process(job)

    assert job.status == AnalysisJob.Status.FAILED
    assert f"RTMPose config not found at {tmp_path / 'rtmpose-m.py'}" in job.error
    assert job.recording.status == "stored"


def test_an_unknown_pose_backend_fails_the_job_with_the_choices(job, settings):
    settings.POSE_BACKEND = "openpose"

    job = _run_in_process(job)

    assert job.status == AnalysisJob.Status.FAILED
    assert "set it to mediapipe (CPU workers) or mmpose (GPU workers)" in job.error


def test_a_rerun_keeps_clinicians_reviews_on_the_matching_new_event(job, world):
    analysis_job_claim(job_id=job.pk, task_id="t1")
    analysis_results_replace(job_id=job.pk, task_id="t1", outcome=_outcome())
    first = BehaviourEvent.objects.get()
    EventReview.objects.create(event=first, reviewer=world.clinician, decision="confirm")
    again = analysis_job_create(recording=job.recording)
    analysis_job_claim(job_id=again.pk, task_id="t2")

    analysis_results_replace(job_id=again.pk, task_id="t2", outcome=_outcome())

    new = BehaviourEvent.objects.get()
    assert new.job_id == again.pk and new.pk != first.pk
    assert list(new.reviews.values_list("decision", flat=True)) == ["confirm"]


def test_a_rerun_keeps_a_reviewed_event_it_no_longer_finds_marked_superseded(job, world):
    analysis_job_claim(job_id=job.pk, task_id="t1")
    analysis_results_replace(job_id=job.pk, task_id="t1", outcome=_outcome())
    first = BehaviourEvent.objects.get()
    EventReview.objects.create(event=first, reviewer=world.clinician, decision="reject")
    again = analysis_job_create(recording=job.recording)
    analysis_job_claim(job_id=again.pk, task_id="t2")
    no_events = AnalysisOutcome(report=MetricsReport(), duration_s=12.5)

    analysis_results_replace(job_id=again.pk, task_id="t2", outcome=no_events)

    kept = BehaviourEvent.objects.get()
    assert kept.pk == first.pk and kept.attributes["superseded"] is True
    assert kept.reviews.count() == 1
