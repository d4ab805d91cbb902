"""A recording analysed by a real Celery worker process, through the real Redis and PostgreSQL:
the results it stores, and what happens on a corrupt video and on a re-run."""

import pytest
from django.core.files.storage import default_storage

from analysis import PIPELINE_VERSION
from analysis.tracks import read_parquet
from recordings.models import Recording
from results.jobs import analysis_job_create
from results.models import AnalysisJob, BehaviourEvent, MetricSample
from results.selectors import analysis_results_counts
from tests.workers.conftest import finished, store_recording, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_it_analyses_a_recording_into_metric_samples_events_and_tracks(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["rocking"])
    job = analysis_job_create(recording=recording, requested_by=world_tx.uploader)

    job = wait_for_job(job, finished, worker=worker)

    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    assert (job.progress, job.stage, job.result_status, job.error) == (100, "finished", "ok", "")
    assert job.attempts == 1
    assert job.pipeline_version == PIPELINE_VERSION
    assert {"mediapipe-pose-full", "mediapipe-face-mesh-iris"} <= {m["name"] for m in job.model_versions}
    session_level = MetricSample.objects.filter(job=job, is_session_level=True)
    assert session_level.count() > 0
    # Session-level values cover the whole video: [0, duration] s.
    assert set(session_level.values_list("window_start_s", "window_end_s")) == {(0.0, recording.duration_s)}
    windowed = MetricSample.objects.filter(job=job, is_session_level=False)
    assert windowed.exists()
    assert all(
        0 <= s <= e <= recording.duration_s + 1e-6
        for s, e in windowed.values_list("window_start_s", "window_end_s")
    )
    assert set(
        MetricSample.objects.filter(job=job).values_list("patient", "session", "pipeline_version")
    ) == {(world_tx.patient.pk, recording.session_id, PIPELINE_VERSION)}
    # The astronaut's face is visible throughout, so the face metrics have values, not nulls.
    assert session_level.filter(metric__startswith="apathy.", value__isnull=False).exists()
    assert (
        BehaviourEvent.objects.filter(job=job).count()
        == analysis_results_counts(recording=recording, pipeline_version=PIPELINE_VERSION)["events"]
    )
    # Tracks: one patient row per analysed frame (3 s at 10 fps).
    assert job.tracks_file.name == f"tracks/{job.pk}.parquet"
    with default_storage.open(job.tracks_file.name, "rb") as handle:
        tracks = read_parquet(handle)
    assert int(tracks.is_patient.sum()) == 30
    assert tracks.metadata["pipeline_version"] == PIPELINE_VERSION


def test_it_fails_a_corrupt_video_with_a_plain_message_and_keeps_the_recording(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["corrupt"])
    job = analysis_job_create(recording=recording, requested_by=world_tx.uploader)

    job = wait_for_job(job, finished, worker=worker)

    assert job.status == AnalysisJob.Status.FAILED
    assert job.stage == "failed"
    # The analysis library's own sentence, naming the file as the uploader named it.
    assert "corrupt.mp4" in job.error
    assert "recording-" not in job.error and "/tmp" not in job.error
    assert job.error.endswith(".")
    recording.refresh_from_db()
    assert recording.status == Recording.Status.STORED
    assert default_storage.exists(recording.file.name)
    assert not MetricSample.objects.filter(job__recording=recording).exists()


def test_analysing_a_recording_again_replaces_its_results_without_duplicates(worker, world_tx, videos):
    recording = store_recording(world_tx, videos["rocking"])
    first = wait_for_job(analysis_job_create(recording=recording), finished, worker=worker)
    assert first.status == AnalysisJob.Status.SUCCEEDED, first.error
    counts = analysis_results_counts(recording=recording, pipeline_version=PIPELINE_VERSION)

    second = wait_for_job(analysis_job_create(recording=recording), finished, worker=worker)

    assert second.pk != first.pk
    assert second.status == AnalysisJob.Status.SUCCEEDED, second.error
    assert analysis_results_counts(recording=recording, pipeline_version=PIPELINE_VERSION) == counts
    assert not MetricSample.objects.filter(job=first).exists()
    assert (
        MetricSample.objects.filter(job=second).count()
        == counts["session_samples"] + counts["window_samples"]
    )
    # The first job's tracks went with its results.
    first.refresh_from_db()
    assert first.tracks_file.name == ""
    assert not default_storage.exists(f"tracks/{first.pk}.parquet")
    assert default_storage.exists(second.tracks_file.name)
