"""The same file again reuses its recording and analysis; the same file for another patient asks
for confirmation and says why; videos beyond the resolution or duration limits are refused with
a sentence before anything is stored or analysed."""

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from analysis.synthetic_video import make_person_video
from care.uploads import upload_complete
from recordings.models import Recording
from recordings.uploads import upload_start
from results.models import AnalysisJob
from tests.factories import make_session
from tests.upload.conftest import DISPATCHED, sha256
from tests.upload.test_upload_services import refusal, send_all, start


def _upload(session, user, data: bytes, on_commit) -> Recording:
    upload = send_all(start(session, user, data), data)
    with on_commit(execute=True):
        return upload_complete(upload=upload)


def test_the_same_file_in_the_same_session_reuses_the_recording_and_its_analysis(
    world, session, video_bytes, django_capture_on_commit_callbacks
):
    first = _upload(session, world.uploader, video_bytes, django_capture_on_commit_callbacks)
    job = AnalysisJob.objects.get()
    AnalysisJob.objects.filter(pk=job.pk).update(status=AnalysisJob.Status.SUCCEEDED, progress=100)

    again = _upload(session, world.clinician, video_bytes, django_capture_on_commit_callbacks)

    assert again.pk == first.pk
    assert Recording.objects.count() == 1
    assert list(AnalysisJob.objects.values_list("pk", flat=True)) == [job.pk]  # no re-analysis
    assert DISPATCHED == [job.pk]


def test_the_same_file_for_another_patient_asks_for_confirmation(
    world, session, video_bytes, django_capture_on_commit_callbacks
):
    _upload(session, world.uploader, video_bytes, django_capture_on_commit_callbacks)
    other_session = make_session(world.other_patient, by=world.outsider)

    error = refusal(lambda: start(other_session, world.outsider, video_bytes))

    assert error.extra["code"] == "confirm_other_patient" and error.http_status == 409
    assert "already stored for another patient" in error.message
    assert world.patient.code not in error.message  # the other patient is not named
    confirmed = upload_start(
        session=other_session,
        user=world.outsider,
        original_filename="visit.mp4",
        total_size_bytes=len(video_bytes),
        expected_sha256=sha256(video_bytes),
        confirm_other_patient=True,
    )
    send_all(confirmed, video_bytes)
    with django_capture_on_commit_callbacks(execute=True):
        recording = upload_complete(upload=confirmed)
    assert recording.session == other_session and Recording.objects.count() == 2


def test_the_api_answers_409_with_the_reason_and_accepts_the_confirmation(
    world, session, video_bytes, django_capture_on_commit_callbacks
):
    _upload(session, world.uploader, video_bytes, django_capture_on_commit_callbacks)
    other_session = make_session(world.other_patient, by=world.outsider)
    client = APIClient()
    client.force_authenticate(world.outsider)
    body = {
        "session": other_session.pk,
        "filename": "visit.mp4",
        "size_bytes": len(video_bytes),
        "sha256": sha256(video_bytes),
    }
    answer = client.post("/api/v1/uploads/", body, format="json")
    assert answer.status_code == 409
    assert "already stored for another patient" in answer.json()["message"]
    answer = client.post("/api/v1/uploads/", {**body, "confirm_other_patient": True}, format="json")
    assert answer.status_code == 201


@pytest.fixture(scope="module")
def wide_video(tmp_path_factory) -> bytes:
    """A real video 4112 px wide (just over the default 4096 px long side), 32 px high: cheap to
    encode, beyond the limit."""
    path = make_person_video(
        tmp_path_factory.mktemp("wide") / "wide.mp4", duration_s=0.4, fps=5, size=(4112, 32)
    )
    return Path(path).read_bytes()


def test_a_video_beyond_the_default_resolution_limit_is_refused_before_analysis(
    world, session, wide_video, django_capture_on_commit_callbacks
):
    upload = send_all(start(session, world.uploader, wide_video), wide_video)
    error = refusal(lambda: upload_complete(upload=upload))
    assert "4112 x 32 pixels" in error.message and "at most 4096 pixels on the long side" in error.message
    assert not Recording.objects.exists() and not AnalysisJob.objects.exists() and DISPATCHED == []


def test_a_video_beyond_the_duration_limit_is_refused_before_analysis(
    world, session, video_bytes, upload_settings
):
    upload_settings.UPLOAD_MAX_DURATION_S = 1.0  # the 2 s video is too long
    upload = send_all(start(session, world.uploader, video_bytes), video_bytes)
    error = refusal(lambda: upload_complete(upload=upload))
    assert "lasts 2 s" in error.message and "at most 1 s" in error.message
    assert error.extra["reason"] == "duration"
    assert "Cut it into the parts of the session" in error.message
    assert not Recording.objects.exists() and not AnalysisJob.objects.exists() and DISPATCHED == []
