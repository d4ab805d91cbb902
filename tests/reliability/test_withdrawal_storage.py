"""Withdrawing consent to store and to analyse video leaves nothing derived from the patient in
storage: video, tracks and the overlay cache the session page made (keypoints of the patient's
body and face), on local disk and on the S3 object store, whichever scope is withdrawn first."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from care.withdrawal import consent_withdraw
from frontend.review.overlay import overlay_storage_name
from patients.models import ConsentScope
from recordings.services import recording_create_from_file
from results.jobs import analysis_job_create
from results.models import AnalysisJob, BehaviourEvent, MetricSample
from tests.factories import make_session
from tests.reliability.test_storage_s3 import backend, s3_bucket, s3_endpoint

__all__ = ["backend", "s3_bucket", "s3_endpoint"]


def _analysed_recording(world, session, media_dir, video_bytes):
    """A stored recording with a finished job, its tracks file and its overlay cache, stored
    under the names the worker and the session page use."""
    path = media_dir / "withdrawal-visit.mp4"
    path.write_bytes(video_bytes)
    recording = recording_create_from_file(
        session=session,
        file_path=path,
        original_filename="visit.mp4",
        sha256=hashlib.sha256(video_bytes).hexdigest(),
        uploaded_by=world.uploader,
    )
    job = analysis_job_create(recording=recording, requested_by=world.clinician)
    tracks = default_storage.save(f"tracks/{job.pk}.parquet", ContentFile(b"PAR1 tracks of the patient"))
    AnalysisJob.objects.filter(pk=job.pk).update(
        status=AnalysisJob.Status.SUCCEEDED, tracks_file=tracks, progress=100
    )
    job.refresh_from_db()
    default_storage.save(overlay_storage_name(job), ContentFile(b'{"pose": [[1, 2]], "face": [[3, 4]]}'))
    MetricSample.objects.create(
        job=job,
        patient=world.patient,
        session=session,
        session_date=session.session_date,
        metric="apathy.neutral_share",
        value=0.5,
        unit="share",
        window_start_s=0.0,
        window_end_s=2.0,
        pipeline_version=job.pipeline_version,
    )
    BehaviourEvent.objects.create(
        job=job,
        patient=world.patient,
        session=session,
        kind="body_rocking",
        body_part="torso",
        start_s=0.0,
        end_s=1.0,
        confidence=0.9,
        pipeline_version=job.pipeline_version,
    )
    return recording, job


@pytest.mark.parametrize(
    "order",
    [
        (ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE),
        (ConsentScope.ANALYSE, ConsentScope.STORE_VIDEO),
    ],
    ids=["store_video-then-analyse", "analyse-then-store_video"],
)
def test_withdrawal_leaves_nothing_derived_in_storage(
    world, session, backend, media_dir, video_bytes, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # no worker picks the job up
        recording, job = _analysed_recording(world, session, media_dir, video_bytes)
    before = backend()
    assert before == sorted([recording.file.name, job.tracks_file.name, overlay_storage_name(job)]), (
        "the test starts with video, tracks and overlay stored"
    )

    for scope in order:
        consent_withdraw(patient=world.patient, scope=scope, by=world.clinician)

    assert backend() == []
    assert not MetricSample.objects.filter(patient=world.patient).exists()
    assert not BehaviourEvent.objects.filter(patient=world.patient).exists()
    assert not AnalysisJob.objects.filter(recording=recording).exclude(tracks_file="").exists()


def test_another_patients_files_stay(
    world, session, backend, media_dir, video_bytes, django_capture_on_commit_callbacks
):
    """Deletion is keyed by the patient's jobs, never a sweep of the folders."""
    other_session = make_session(world.other_patient, by=world.outsider)
    with django_capture_on_commit_callbacks(execute=False):
        other_recording, other_job = _analysed_recording(world, other_session, media_dir, video_bytes)
        _analysed_recording(world, session, media_dir, video_bytes)
    kept = sorted([other_recording.file.name, other_job.tracks_file.name, overlay_storage_name(other_job)])
    assert len(backend()) == 6
    for scope in (ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE):
        consent_withdraw(patient=world.patient, scope=scope, by=world.clinician)
    assert backend() == kept
