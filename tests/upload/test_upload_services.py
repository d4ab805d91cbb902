"""recordings.uploads: the resumable upload's rules, on the real database and real files."""

import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.errors import ApplicationError
from care.uploads import upload_complete, upload_status
from patients.models import Consent, ConsentScope
from recordings.models import ChunkedUpload, Recording
from recordings.uploads import (
    upload_abandon,
    upload_chunk,
    upload_start,
    upload_temp_path,
    uploads_sweep_stale,
)
from results.models import AnalysisJob
from tests.upload.conftest import DISPATCHED, chunks, sha256


def start(session, user, data: bytes, name="visit.mp4", digest=None) -> ChunkedUpload:
    return upload_start(
        session=session,
        user=user,
        original_filename=name,
        total_size_bytes=len(data),
        expected_sha256=digest or sha256(data),
    )


def send_all(upload, data: bytes) -> ChunkedUpload:
    for offset, chunk in chunks(data):
        upload = upload_chunk(upload=upload, offset=offset, data=chunk)
    return upload


def refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def test_it_stores_a_real_video_and_queues_one_analysis(
    world, session, video_bytes, django_capture_on_commit_callbacks
):
    upload = start(session, world.uploader, video_bytes)
    assert len(chunks(video_bytes)) >= 3
    upload = send_all(upload, video_bytes)
    assert upload.received_bytes == len(video_bytes)
    with django_capture_on_commit_callbacks(execute=True):
        recording = upload_complete(upload=upload)

    assert Recording.objects.count() == 1
    assert (recording.sha256, recording.size_bytes) == (sha256(video_bytes), len(video_bytes))
    assert (recording.width, recording.height, recording.fps) == (160, 120, 10.0)
    assert recording.file.read() == video_bytes
    job = AnalysisJob.objects.get()
    assert (job.recording, job.status, job.requested_by) == (
        recording,
        AnalysisJob.Status.QUEUED,
        world.uploader,
    )
    assert DISPATCHED == [job.pk]
    upload.refresh_from_db()
    assert (upload.status, upload.recording) == (ChunkedUpload.Status.COMPLETE, recording)
    assert not upload_temp_path(upload).exists()
    status = upload_status(upload=upload)
    assert status["job"]["id"] == job.pk and status["job"]["status"] == "queued"


def test_it_names_the_temp_file_by_uuid_never_by_the_client(world, session, upload_settings):
    upload = start(session, world.uploader, b"x" * 10, name="../../etc/passwd")
    path = upload_temp_path(upload)
    assert path.parent == upload_settings.UPLOAD_TMP_DIR
    assert path.name == f"{upload.id.hex}.part" and path.exists()
    assert upload.original_filename == "video"  # no part of the typed name is kept


def test_it_refuses_a_gap_with_the_offset_to_continue_from(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    (_, first), (second_offset, second) = chunks(video_bytes)[:2]
    upload = upload_chunk(upload=upload, offset=0, data=first)
    error = refusal(lambda: upload_chunk(upload=upload, offset=second_offset + 100, data=second))
    assert error.extra["code"] == "offset_mismatch"
    assert error.extra["expected_offset"] == len(first)
    assert f"from byte {len(first)}" in error.message
    upload.refresh_from_db()
    assert upload.received_bytes == len(first)


def test_it_acknowledges_a_duplicate_chunk_without_writing_it_twice(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    (_, first), (_, second) = chunks(video_bytes)[:2]
    upload_chunk(upload=upload, offset=0, data=first)
    upload = upload_chunk(upload=upload, offset=len(first), data=second)
    again = upload_chunk(upload=upload, offset=0, data=first)
    assert again.received_bytes == len(first) + len(second)
    assert upload_temp_path(upload).read_bytes() == first + second


def test_it_refuses_a_different_chunk_at_an_already_received_offset(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    first = chunks(video_bytes)[0][1]
    upload_chunk(upload=upload, offset=0, data=first)
    error = refusal(lambda: upload_chunk(upload=upload, offset=0, data=b"\x00" * len(first)))
    assert (error.extra["code"], error.extra["expected_offset"]) == ("offset_mismatch", len(first))
    assert upload_temp_path(upload).read_bytes() == first


def test_it_appends_only_the_new_tail_of_an_overlapping_chunk(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    upload_chunk(upload=upload, offset=0, data=video_bytes[:1000])
    upload = upload_chunk(upload=upload, offset=500, data=video_bytes[500:1500])
    assert upload.received_bytes == 1500
    assert upload_temp_path(upload).read_bytes() == video_bytes[:1500]


def test_it_refuses_a_chunk_after_completion(world, session, video_bytes, django_capture_on_commit_callbacks):
    upload = send_all(start(session, world.uploader, video_bytes), video_bytes)
    upload_complete(upload=upload)
    error = refusal(lambda: upload_chunk(upload=upload, offset=0, data=video_bytes[:10]))
    assert (error.extra["code"], error.extra["status"]) == ("not_open", "complete")
    assert "already complete" in error.message


def test_a_repeated_complete_returns_the_same_recording(world, session, video_bytes):
    upload = send_all(start(session, world.uploader, video_bytes), video_bytes)
    first = upload_complete(upload=upload)
    assert upload_complete(upload=upload) == first
    assert Recording.objects.count() == 1 and AnalysisJob.objects.count() == 1


def test_it_refuses_bytes_beyond_the_declared_size(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes[:100])
    error = refusal(lambda: upload_chunk(upload=upload, offset=0, data=video_bytes[:101]))
    assert error.extra["code"] == "too_large"
    upload.refresh_from_db()
    assert upload.received_bytes == 0


def test_it_refuses_to_complete_before_every_byte_arrived(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    upload_chunk(upload=upload, offset=0, data=video_bytes[:1000])
    error = refusal(lambda: upload_complete(upload=upload))
    assert (error.extra["code"], error.extra["expected_offset"]) == ("incomplete", 1000)
    upload.refresh_from_db()
    assert upload.status == ChunkedUpload.Status.OPEN


def test_starting_again_with_the_same_file_resumes_the_open_upload(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    assert upload.resumed is False
    upload_chunk(upload=upload, offset=0, data=video_bytes[:2048])
    again = start(session, world.uploader, video_bytes)
    assert again.pk == upload.pk and again.resumed is True
    assert upload_status(upload=again)["next_offset"] == 2048
    other_file = start(session, world.uploader, video_bytes[:-1])
    assert other_file.pk != upload.pk


def test_a_checksum_mismatch_fails_the_upload_and_stores_nothing(
    world, session, video_bytes, upload_settings
):
    upload = send_all(start(session, world.uploader, video_bytes, digest="0" * 64), video_bytes)
    error = refusal(lambda: upload_complete(upload=upload))
    assert error.extra["code"] == "checksum_mismatch"
    assert "checksum" in error.message
    upload.refresh_from_db()
    assert upload.status == ChunkedUpload.Status.FAILED and "checksum" in upload.error
    assert not upload_temp_path(upload).exists()
    assert Recording.objects.count() == 0 and AnalysisJob.objects.count() == 0
    assert not any((upload_settings.MEDIA_ROOT).rglob("*.video"))


def test_a_file_that_is_not_a_video_is_refused_with_the_decoding_message(world, session, upload_settings):
    text = b"Minutes of the meeting.\n" * 200
    upload = send_all(start(session, world.uploader, text, name="notes.mp4"), text)
    error = refusal(lambda: upload_complete(upload=upload))
    assert error.extra["code"] == "rejected"
    assert "video" in error.message.lower()
    upload.refresh_from_db()
    assert upload.status == ChunkedUpload.Status.FAILED and upload.error == error.message
    assert not upload_temp_path(upload).exists()
    assert Recording.objects.count() == 0
    assert not any((upload_settings.MEDIA_ROOT).rglob("*.video"))


def test_a_declared_size_over_the_limit_is_refused_at_the_start(world, session, upload_settings):
    error = refusal(
        lambda: upload_start(
            session=session,
            user=world.uploader,
            original_filename="long.mp4",
            total_size_bytes=upload_settings.UPLOAD_MAX_BYTES + 1,
            expected_sha256="a" * 64,
        )
    )
    assert error.extra["code"] == "too_large"
    assert "limit" in error.message
    assert ChunkedUpload.objects.count() == 0


@pytest.mark.parametrize("scope", [ConsentScope.STORE_VIDEO, ConsentScope.ANALYSE])
def test_missing_consent_is_refused_at_the_start(world, session, video_bytes, scope):
    Consent.objects.filter(patient=world.patient, scope=scope).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    error = refusal(lambda: start(session, world.uploader, video_bytes))
    assert (error.extra["code"], error.extra["missing_scope"]) == ("no_consent", scope)
    assert world.patient.code in error.message
    assert ChunkedUpload.objects.count() == 0


def test_consent_withdrawn_during_the_upload_leaves_no_recording(world, session, video_bytes):
    upload = send_all(start(session, world.uploader, video_bytes), video_bytes)
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.STORE_VIDEO).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    error = refusal(lambda: upload_complete(upload=upload))
    assert "consent" in error.message
    upload.refresh_from_db()
    assert upload.status == ChunkedUpload.Status.FAILED
    assert Recording.objects.count() == 0 and not upload_temp_path(upload).exists()


def test_a_refused_analysis_rolls_back_the_recording_and_its_file(
    world, session, video_bytes, upload_settings
):
    upload = send_all(start(session, world.uploader, video_bytes), video_bytes)
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.ANALYSE).update(
        withdrawn_at=timezone.now(), withdrawn_by=world.clinician
    )
    error = refusal(lambda: upload_complete(upload=upload))
    assert "analysis" in error.message
    assert Recording.objects.count() == 0 and AnalysisJob.objects.count() == 0
    assert not any(upload_settings.MEDIA_ROOT.rglob("*.video"))
    upload.refresh_from_db()
    assert upload.status == ChunkedUpload.Status.FAILED


def test_abandoning_deletes_the_bytes_and_refuses_more_chunks(world, session, video_bytes):
    upload = start(session, world.uploader, video_bytes)
    upload_chunk(upload=upload, offset=0, data=video_bytes[:100])
    upload = upload_abandon(upload=upload)
    assert upload.status == ChunkedUpload.Status.ABANDONED
    assert not upload_temp_path(upload).exists()
    error = refusal(lambda: upload_chunk(upload=upload, offset=100, data=video_bytes[100:200]))
    assert error.extra["code"] == "not_open"


def test_the_sweep_abandons_stale_uploads_and_orphan_files(world, session, video_bytes, upload_settings):
    stale = start(session, world.uploader, video_bytes)
    fresh = start(session, world.uploader, video_bytes[:-1])
    ChunkedUpload.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - upload_settings.UPLOAD_STALE_AFTER * 2
    )
    orphan = upload_settings.UPLOAD_TMP_DIR / "0123456789abcdef0123456789abcdef.part"
    orphan.write_bytes(b"left over")
    later = timezone.now() + upload_settings.UPLOAD_STALE_AFTER / 2

    old = (timezone.now() - upload_settings.UPLOAD_STALE_AFTER * 2).timestamp()
    os.utime(orphan, (old, old))

    assert uploads_sweep_stale(now=later) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == ChunkedUpload.Status.ABANDONED and not upload_temp_path(stale).exists()
    assert fresh.status == ChunkedUpload.Status.OPEN and upload_temp_path(fresh).exists()
    assert not orphan.exists()


def test_the_size_limit_is_checked_on_every_chunk(world, session, video_bytes, upload_settings):
    upload = start(session, world.uploader, video_bytes)
    upload_settings.UPLOAD_MAX_BYTES = 1000
    upload_chunk(upload=upload, offset=0, data=video_bytes[:1000])
    error = refusal(lambda: upload_chunk(upload=upload, offset=1000, data=video_bytes[1000:1100]))
    assert error.extra["code"] == "too_large"


def test_the_sweep_command_reports_what_it_abandoned(world):
    out = StringIO()
    call_command("sweep_stale_uploads", stdout=out)
    assert out.getvalue().strip() == "0 stale upload(s) abandoned and their chunks deleted."
