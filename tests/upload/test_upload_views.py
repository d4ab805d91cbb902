"""The upload page and its JSON endpoints, through Django's test client (CSRF enforced)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AccessEvent
from patients.models import Consent, ConsentScope
from recordings.models import ChunkedUpload, ClinicalSession, Recording
from recordings.uploads import upload_temp_path
from results.models import AnalysisJob
from tests.factories import make_protocol, make_session
from tests.upload.conftest import CHUNK_BYTES, DISPATCHED, chunks, sha256


@pytest.fixture
def browser(world, upload_settings):
    """login(persona) → a test client that enforces CSRF like a browser, with its token."""

    def _login(user) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        page = client.get(reverse("upload:page"))
        client.csrf = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""
        return client

    return _login


def post_json(client, url, body=None):
    return client.post(
        url, data=json.dumps(body or {}), content_type="application/json", HTTP_X_CSRFTOKEN=client.csrf
    )


def start(client, session, data: bytes, *, name="visit.mp4", digest=None, size=None):
    return post_json(
        client,
        reverse("upload:start"),
        {
            "session": session.pk,
            "filename": name,
            "size": len(data) if size is None else size,
            "sha256": digest or sha256(data),
        },
    )


def send_chunk(client, upload_id, offset, data):
    return client.post(
        reverse("upload:chunk", kwargs={"upload_id": upload_id}) + f"?offset={offset}",
        data=data,
        content_type="application/octet-stream",
        HTTP_X_CSRFTOKEN=client.csrf,
    )


def complete(client, upload_id):
    return post_json(client, reverse("upload:complete", kwargs={"upload_id": upload_id}))


def upload_everything(client, session, data, **kwargs):
    answer = start(client, session, data, **kwargs)
    assert answer.status_code == 201, answer.content
    upload_id = answer.json()["id"]
    for offset, chunk in chunks(data):
        assert send_chunk(client, upload_id, offset, chunk).status_code == 200
    return upload_id


def test_it_shows_the_page_with_the_uploaders_patients_and_chunk_size(world, browser, session):
    client = browser(world.uploader)
    page = client.get(reverse("upload:page"), {"session": session.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert world.patient.code in html and "Jeanne Martin" in html
    assert world.other_patient.code not in html
    config = page.context["config"]
    assert config["chunkBytes"] == CHUNK_BYTES and config["sessionId"] == session.pk
    assert 'id="upload-config"' in html and "js/upload.js" in html and "js/sha256.js" in html
    assert all(f"js/upload_{part}.js" in html for part in ("server", "view", "hash", "resume"))
    assert AccessEvent.objects.filter(
        user=world.uploader, object_type="patient_sessions", patient_code=world.patient.code
    ).exists()


def test_a_real_video_becomes_one_recording_and_one_queued_analysis(
    world, browser, session, video_bytes, django_capture_on_commit_callbacks
):
    client = browser(world.uploader)
    upload_id = upload_everything(client, session, video_bytes)
    with django_capture_on_commit_callbacks(execute=True):
        answer = complete(client, upload_id)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    recording = Recording.objects.get()
    job = AnalysisJob.objects.get()
    assert body["status"] == "complete" and body["recording_id"] == recording.pk
    assert body["job"]["id"] == job.pk and body["job"]["status"] == "queued"
    assert DISPATCHED == [job.pk]
    status = client.get(reverse("upload:job_status", kwargs={"job_id": job.pk}))
    assert status.status_code == 200
    assert status.json()["stage"] == "waiting for a worker"
    assert status.json()["finished"] is False


def test_resuming_after_a_gap_a_duplicate_and_a_reload(world, browser, session, video_bytes):
    client = browser(world.uploader)
    upload_id = start(client, session, video_bytes).json()["id"]
    parts = chunks(video_bytes)
    assert send_chunk(client, upload_id, 0, parts[0][1]).json()["received_bytes"] == CHUNK_BYTES

    gap = send_chunk(client, upload_id, parts[2][0], parts[2][1])
    assert gap.status_code == 409
    assert gap.json()["expected_offset"] == CHUNK_BYTES and "from byte 2048" in gap.json()["message"]

    duplicate = send_chunk(client, upload_id, 0, parts[0][1])
    assert duplicate.status_code == 200 and duplicate.json()["received_bytes"] == CHUNK_BYTES

    reload = start(client, session, video_bytes)
    assert reload.status_code == 200
    assert (reload.json()["id"], reload.json()["resumed"], reload.json()["next_offset"]) == (
        upload_id,
        True,
        CHUNK_BYTES,
    )
    status = client.get(reverse("upload:status", kwargs={"upload_id": upload_id})).json()
    assert status["received_bytes"] == CHUNK_BYTES and status["status"] == "open"

    for offset, chunk in parts[1:]:
        assert send_chunk(client, upload_id, offset, chunk).status_code == 200
    assert complete(client, upload_id).status_code == 200
    late = send_chunk(client, upload_id, 0, parts[0][1])
    assert late.status_code == 409 and late.json()["code"] == "not_open"
    assert "already complete" in late.json()["message"]
    assert Recording.objects.count() == 1


def test_a_checksum_mismatch_is_refused_and_leaves_nothing(world, browser, session, video_bytes):
    client = browser(world.uploader)
    upload_id = upload_everything(client, session, video_bytes, digest="f" * 64)
    answer = complete(client, upload_id)
    assert answer.status_code == 422 and answer.json()["code"] == "checksum_mismatch"
    upload = ChunkedUpload.objects.get()
    assert upload.status == ChunkedUpload.Status.FAILED
    assert not upload_temp_path(upload).exists() and Recording.objects.count() == 0


def test_a_text_file_is_refused_with_the_decoding_message(world, browser, session):
    client = browser(world.uploader)
    text = b"This is not a video, only notes.\n" * 150
    upload_id = upload_everything(client, session, text, name="notes.mp4")
    answer = complete(client, upload_id)
    assert answer.status_code == 422
    message = answer.json()["message"]
    assert "video" in message.lower() and message.endswith(".")
    assert Recording.objects.count() == 0 and AnalysisJob.objects.count() == 0


def test_a_file_over_the_limit_is_refused_with_a_clear_message(world, browser, session, upload_settings):
    client = browser(world.uploader)
    answer = start(client, session, b"", size=upload_settings.UPLOAD_MAX_BYTES + 1, digest="a" * 64)
    assert answer.status_code == 413
    assert "larger than the 5.0 MB limit" in answer.json()["message"]
    assert ChunkedUpload.objects.count() == 0


def test_a_chunk_over_the_chunk_size_is_refused(world, browser, session, video_bytes):
    client = browser(world.uploader)
    upload_id = start(client, session, video_bytes).json()["id"]
    answer = send_chunk(client, upload_id, 0, video_bytes[: CHUNK_BYTES + 1])
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


def test_missing_store_video_consent_is_refused_before_any_byte(world, browser, session, video_bytes):
    Consent.objects.filter(patient=world.patient, scope=ConsentScope.STORE_VIDEO).delete()
    client = browser(world.uploader)
    page = client.get(reverse("upload:page"), {"session": session.pk})
    assert "has not consented to storing the video" in page.content.decode()
    answer = start(client, session, video_bytes)
    assert answer.status_code == 422
    assert "not consented to storing the video" in answer.json()["message"]
    assert ChunkedUpload.objects.count() == 0


def test_a_session_is_registered_inline_and_selected(world, browser, upload_settings):
    client = browser(world.uploader)
    protocol = make_protocol()
    answer = client.post(
        reverse("upload:session_create") + f"?patient={world.patient.code}",
        {"protocol": protocol.pk, "session_date": "2026-11-20", "csrfmiddlewaretoken": client.csrf},
    )
    session = ClinicalSession.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("upload:page") + f"?session={session.pk}"
    assert (session.patient, session.created_by) == (world.patient, world.uploader)


def test_csrf_is_required(world, browser, session, video_bytes):
    client = browser(world.uploader)
    client.csrf = "wrong"
    assert start(client, session, video_bytes).status_code == 403
    assert ChunkedUpload.objects.count() == 0


@pytest.mark.parametrize("persona", ["outsider"])
def test_another_care_team_gets_404_everywhere(world, browser, session, video_bytes, persona):
    owner = browser(world.uploader)
    upload_id = start(owner, session, video_bytes).json()["id"]
    job_session = make_session(world.patient, by=world.clinician)
    client = browser(getattr(world, persona))
    assert client.get(reverse("upload:page"), {"session": session.pk}).status_code == 404
    assert client.get(reverse("upload:page"), {"patient": world.patient.code}).status_code == 404
    assert start(client, job_session, video_bytes).status_code == 404
    assert client.get(reverse("upload:status", kwargs={"upload_id": upload_id})).status_code == 404
    assert send_chunk(client, upload_id, 0, video_bytes[:10]).status_code == 404
    assert complete(client, upload_id).status_code == 404
    assert ChunkedUpload.objects.get().received_bytes == 0
    # The refusals that named the patient (by session or pseudonym) are audited on that patient.
    named = AccessEvent.objects.filter(
        user=getattr(world, persona), outcome="denied", patient_code=world.patient.code
    )
    assert named.count() == 3


def test_a_colleague_cannot_touch_someone_elses_upload(world, browser, session, video_bytes):
    upload_id = start(browser(world.uploader), session, video_bytes).json()["id"]
    colleague = browser(world.colleague)
    assert send_chunk(colleague, upload_id, 0, video_bytes[:10]).status_code == 404


def test_a_statistician_gets_403(world, browser, session, video_bytes):
    client = browser(world.statistician)
    assert client.get(reverse("upload:page")).status_code == 403
    assert start(client, session, video_bytes).status_code == 403


def test_the_job_status_is_hidden_from_other_care_teams(world, browser, session, video_bytes):
    client = browser(world.uploader)
    upload_id = upload_everything(client, session, video_bytes)
    job_id = complete(client, upload_id).json()["job"]["id"]
    outsider = browser(world.outsider)
    assert outsider.get(reverse("upload:job_status", kwargs={"job_id": job_id})).status_code == 404


def test_anonymous_gets_a_login_redirect_or_401(world, session, upload_settings):
    client = Client()
    page = client.get(reverse("upload:page"))
    assert page.status_code == 302 and reverse("login") in page.url
    answer = client.post(reverse("upload:start"), data="{}", content_type="application/json")
    assert answer.status_code in (401, 403)
    status = client.get(
        reverse("upload:status", kwargs={"upload_id": "00000000-0000-0000-0000-000000000000"})
    )
    assert status.status_code == 401 and "Log in again" in status.json()["message"]
    job = client.get(reverse("upload:job_status", kwargs={"job_id": 1}))
    assert job.status_code == 401


def test_endpoints_refuse_the_wrong_method(world, browser, session):
    client = browser(world.uploader)
    assert client.get(reverse("upload:start")).status_code == 405
    assert client.post(reverse("upload:page"), HTTP_X_CSRFTOKEN=client.csrf).status_code == 405
