"""The bad-input corpus: what a clinic, a script or an attacker could send by mistake or on
purpose, through the real upload endpoints (the browser's JSON endpoints, with CSRF) and the REST
API. Each one is refused with a 4xx and a sentence that names the problem, and changes nothing:
row counts (Recording, ChunkedUpload, AnalysisJob, EventReview, AccessEvent) and the files under
MEDIA_ROOT and UPLOAD_TMP_DIR are compared before and after the bad request. Where a refusal
legitimately leaves a trace (a failed upload keeps its row and reason), the test says which.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import Study
from audit.models import AccessEvent
from patients.models import ConsentScope
from recordings.models import ChunkedUpload
from recordings.uploads import upload_temp_path
from tests.api.conftest import make_analysed_session
from tests.factories import make_patient, make_session
from tests.reliability.uploading import (
    CHUNK_BYTES,
    DISPATCHED,
    MAX_BYTES,
    Snapshot,
    api_chunk,
    api_client,
    api_complete,
    api_start,
    api_upload,
    browser,
    browser_chunk,
    browser_complete,
    browser_json,
    browser_start,
    is_sentence,
    sha256,
)

# Refusals of access: each leaves exactly one audit row, with the outcome "denied" (and nothing else).
AUDITED_REFUSALS = {401, 403, 404, 405, 429}


def refused(call, status: int, *, mentions: str, **allowed_changes: int):
    """Make the bad request with a snapshot either side; check the status, the sentence and that
    nothing changed beyond allowed_changes (a refusal of access adds its one denied audit row).
    Returns the response."""
    if status in AUDITED_REFUSALS:
        allowed_changes = {"access_events": 1, **allowed_changes}
    before = Snapshot.take()
    answer = call()
    after = Snapshot.take()
    assert answer.status_code == status, answer.content[:500]
    body = answer.json()
    message = body["message"]
    assert is_sentence(message), message
    assert mentions.lower() in (message + json.dumps(body.get("extra", {}))).lower(), body
    differences = before.unchanged_but(after, **allowed_changes)
    assert not differences, differences
    if status in AUDITED_REFUSALS:
        assert AccessEvent.objects.order_by("-pk").first().outcome == AccessEvent.Outcome.DENIED
    return answer


@pytest.fixture
def uploader(world, storage):
    return browser(world.uploader)


@pytest.fixture
def api(world, storage):
    return api_client(world.uploader)


@pytest.fixture
def started(uploader, session, video_bytes):
    """An open upload of the real video through the browser's endpoints, nothing sent yet."""
    answer = browser_start(uploader, session, video_bytes)
    assert answer.status_code == 201
    return answer.json()["id"]


# --- files that are not videos: the whole file arrives, the decode refuses it -----------------


@pytest.mark.parametrize(
    "kind,mentions",
    [
        ("text", "video"),
        ("truncated", "video"),
        ("audio_only", "video"),
        ("image", "video"),
        ("zero_frames", "video"),
    ],
)
def test_a_file_that_is_not_a_decodable_video_is_refused_and_nothing_is_stored(
    api, session, bad_files, kind, mentions, django_capture_on_commit_callbacks
):
    data = bad_files[kind]
    started = api_start(api, session, data)
    assert started.status_code == 201
    upload_id = started.json()["id"]
    for offset in range(0, len(data), CHUNK_BYTES):
        assert api_chunk(api, upload_id, offset, data[offset : offset + CHUNK_BYTES]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        refused(lambda: api_complete(api, upload_id), 422, mentions=mentions, files=1)
    assert Snapshot.take().files == {}, "the received bytes are deleted, nothing is stored"
    upload = ChunkedUpload.objects.get(pk=upload_id)
    assert upload.status == ChunkedUpload.Status.FAILED and is_sentence(upload.error)
    assert not upload_temp_path(upload).exists(), "the received bytes are deleted"
    assert upload.recording is None and DISPATCHED == []


def test_an_empty_file_is_refused_before_anything_is_sent(uploader, session):
    refused(lambda: browser_start(uploader, session, b""), 400, mentions="empty")


def test_a_declared_size_over_the_limit_is_refused_before_anything_is_sent(uploader, session, video_bytes):
    answer = refused(
        lambda: browser_start(uploader, session, video_bytes, size=MAX_BYTES + 1), 413, mentions="limit"
    )
    assert answer.json()["max_bytes"] == MAX_BYTES


def test_a_declared_size_over_the_limit_is_refused_by_the_api_too(api, session, video_bytes):
    refused(lambda: api_start(api, session, video_bytes, size=MAX_BYTES + 1), 413, mentions="limit")


def test_a_size_that_is_not_a_number_is_refused(uploader, session, video_bytes):
    body = {"session": session.pk, "filename": "visit.mp4", "size": "6000", "sha256": sha256(video_bytes)}
    refused(lambda: browser_json(uploader, reverse("upload:start"), body), 400, mentions="whole number")


def test_a_malformed_sha256_is_refused(uploader, session, video_bytes):
    body = {"session": session.pk, "filename": "visit.mp4", "size": len(video_bytes), "sha256": "abc"}
    refused(lambda: browser_json(uploader, reverse("upload:start"), body), 400, mentions="sha256")


def test_an_upload_for_a_patient_without_store_video_consent_is_refused_before_it_starts(
    world, uploader, video_bytes
):
    patient = make_patient(
        world.memory_clinic,
        name="Paul Durand",
        hospital_number="H-0100",
        scopes=(ConsentScope.ANALYSE,),
        by=world.clinician,
    )
    session = make_session(patient, by=world.clinician)
    refused(lambda: browser_start(uploader, session, video_bytes), 422, mentions="consent")


def test_an_upload_into_another_care_teams_session_is_not_found(world, uploader, video_bytes):
    session = make_session(world.other_patient, by=world.outsider)
    refused(lambda: browser_start(uploader, session, video_bytes), 404, mentions="no such")


# --- chunks: out of order, duplicated, too big, after the end -------------------------------


def test_a_chunk_out_of_order_is_refused_with_the_offset_to_resume_from(uploader, started, video_bytes):
    chunk = video_bytes[CHUNK_BYTES : 2 * CHUNK_BYTES]
    answer = refused(lambda: browser_chunk(uploader, started, CHUNK_BYTES, chunk), 409, mentions="byte 0")
    assert answer.json()["expected_offset"] == 0


def test_a_duplicate_chunk_is_acknowledged_once_and_not_written_twice(uploader, started, video_bytes):
    first = video_bytes[:CHUNK_BYTES]
    assert browser_chunk(uploader, started, 0, first).status_code == 200
    before = Snapshot.take()
    again = browser_chunk(uploader, started, 0, first)
    assert again.status_code == 200 and again.json()["received_bytes"] == CHUNK_BYTES
    assert not before.unchanged_but(Snapshot.take())


def test_a_different_chunk_at_an_offset_already_received_is_refused(uploader, started, video_bytes):
    assert browser_chunk(uploader, started, 0, video_bytes[:CHUNK_BYTES]).status_code == 200
    other = bytes(reversed(video_bytes[:CHUNK_BYTES]))
    refused(lambda: browser_chunk(uploader, started, 0, other), 409, mentions="differ")


def test_a_chunk_larger_than_the_chunk_size_is_refused(uploader, started, video_bytes):
    refused(
        lambda: browser_chunk(uploader, started, 0, video_bytes[: CHUNK_BYTES + 1]), 413, mentions="at most"
    )


def test_a_chunk_beyond_the_declared_size_is_refused(uploader, session):
    data = b"\x00" * 1000
    upload_id = browser_start(uploader, session, data).json()["id"]
    refused(lambda: browser_chunk(uploader, upload_id, 0, data + b"\x00"), 413, mentions="declared")


def test_a_chunk_without_a_numeric_offset_is_refused(uploader, started, video_bytes):
    url = reverse("upload:chunk", kwargs={"upload_id": started}) + "?offset=first"

    def call():
        return uploader.post(
            url,
            data=video_bytes[:CHUNK_BYTES],
            content_type="application/octet-stream",
            HTTP_X_CSRFTOKEN=uploader.csrf,
        )

    refused(call, 400, mentions="offset")


def test_completing_before_every_byte_arrived_is_refused(uploader, started, video_bytes):
    assert browser_chunk(uploader, started, 0, video_bytes[:CHUNK_BYTES]).status_code == 200
    refused(lambda: browser_complete(uploader, started), 409, mentions=f"from byte {CHUNK_BYTES}")


def test_a_chunk_after_completion_is_refused_and_the_recording_is_untouched(uploader, started, video_bytes):
    for offset in range(0, len(video_bytes), CHUNK_BYTES):
        assert (
            browser_chunk(uploader, started, offset, video_bytes[offset : offset + CHUNK_BYTES]).status_code
            == 200
        )
    assert browser_complete(uploader, started).status_code == 200
    refused(
        lambda: browser_chunk(uploader, started, 0, video_bytes[:CHUNK_BYTES]),
        409,
        mentions="already complete",
    )


def test_a_file_that_does_not_match_its_sha256_is_refused_and_its_bytes_deleted(
    uploader, session, video_bytes
):
    tampered = video_bytes[:-1] + bytes([video_bytes[-1] ^ 0xFF])
    body = {
        "session": session.pk,
        "filename": "visit.mp4",
        "size": len(tampered),
        "sha256": sha256(video_bytes),
    }
    upload_id = browser_json(uploader, reverse("upload:start"), body).json()["id"]
    for offset in range(0, len(tampered), CHUNK_BYTES):
        browser_chunk(uploader, upload_id, offset, tampered[offset : offset + CHUNK_BYTES])
    refused(lambda: browser_complete(uploader, upload_id), 422, mentions="checksum", files=1)
    assert not upload_temp_path(ChunkedUpload.objects.get(pk=upload_id)).exists()


def test_a_chunk_for_an_unknown_upload_is_not_found(uploader):
    unknown = "7b0e3a52-8c1f-4a51-9a39-000000000000"
    refused(lambda: browser_chunk(uploader, unknown, 0, b"x"), 404, mentions="no such upload")


# --- request bodies: not UTF-8, not JSON, too big ------------------------------------------


def test_a_body_that_is_not_utf8_is_refused(uploader):
    raw = '{"filename": "vidéo.mp4"}'.encode("latin-1")
    refused(lambda: browser_json(uploader, reverse("upload:start"), raw=raw), 400, mentions="JSON")


def test_non_utf8_form_data_on_a_form_is_refused_with_the_form_again(world):
    client = browser(world.clinician)
    url = reverse("session_create", kwargs={"code": world.patient.code})
    body = b"protocol=%FF%FE&session_date=2026-11-02&notes=caf%E9&csrfmiddlewaretoken=" + client.csrf.encode()
    before = Snapshot.take()
    answer = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert "The session was not registered" in answer.content.decode()
    assert not before.unchanged_but(Snapshot.take(), access_events=1)


def test_malformed_json_is_refused(uploader):
    refused(
        lambda: browser_json(uploader, reverse("upload:start"), raw=b'{"session": 1,'), 400, mentions="JSON"
    )


def test_json_that_is_not_an_object_is_refused(uploader):
    refused(lambda: browser_json(uploader, reverse("upload:start"), raw=b"[1, 2, 3]"), 400, mentions="object")


def test_oversized_json_is_refused_without_being_read(uploader, settings):
    raw = b'{"filename": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    refused(lambda: browser_json(uploader, reverse("upload:start"), raw=raw), 413, mentions="at most")


def test_oversized_json_is_refused_by_the_api_too(api, settings):
    raw = b'{"filename": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    call = lambda: api.post("/api/v1/uploads/", raw, content_type="application/json")  # noqa: E731
    refused(call, 413, mentions="too large")


def test_malformed_json_is_refused_by_the_api(api):
    call = lambda: api.post("/api/v1/uploads/", b'{"session": ', content_type="application/json")  # noqa: E731
    refused(call, 400, mentions="JSON")


# --- reviews, exports, ids, page sizes, methods ----------------------------------------------


@pytest.fixture
def analysed(world, storage):
    return make_analysed_session(world.patient, by=world.clinician)


@pytest.mark.parametrize(
    "times,mentions",
    [((-2.0, 4.0), "greater than or equal to 0"), ((8.0, 5.0), "before the corrected start")],
    ids=["negative", "reversed"],
)
def test_a_review_with_impossible_times_is_refused(world, analysed, times, mentions):
    api = api_client(world.clinician)
    body = {"decision": "correct", "corrected_start_s": times[0], "corrected_end_s": times[1]}
    refused(
        lambda: api.post(f"/api/v1/events/{analysed.event.pk}/reviews/", body, format="json"),
        400,
        mentions=mentions,
    )


def test_a_review_with_reversed_times_through_the_session_page_is_refused(world, analysed):
    client = browser(world.clinician)
    url = reverse("event_review", kwargs={"session_id": analysed.session.pk, "event_id": analysed.event.pk})
    body = {
        "decision": "correct",
        "corrected_start_s": "9",
        "corrected_end_s": "3",
        "csrfmiddlewaretoken": client.csrf,
    }
    refused(
        lambda: client.post(url, body, HTTP_ACCEPT="application/json"),
        400,
        mentions="before the corrected start",
    )


def test_a_review_with_an_unknown_decision_is_refused(world, analysed):
    api = api_client(world.clinician)

    def call():
        return api.post(f"/api/v1/events/{analysed.event.pk}/reviews/", {"decision": "maybe"}, format="json")

    refused(call, 400, mentions="not a valid choice")


def test_an_export_of_a_study_the_user_is_not_in_is_refused_and_audited_as_denied(world, analysed):
    other = Study.objects.create(code="autism-2027", title="Another study")
    api = api_client(world.statistician)
    refused(
        lambda: api.get(f"/api/v1/studies/{other.pk}/export/?format=csv"), 404, mentions="nothing was found"
    )


def test_an_export_by_a_clinician_is_refused(world, analysed):
    api = api_client(world.clinician)
    refused(
        lambda: api.get(f"/api/v1/studies/{world.study.pk}/export/?format=csv"),
        404,
        mentions="nothing was found",
    )


def test_an_export_in_an_unknown_format_is_refused(world, analysed):
    api = api_client(world.statistician)
    refused(lambda: api.get(f"/api/v1/studies/{world.study.pk}/export/?format=xlsx"), 400, mentions="xlsx")


@pytest.mark.parametrize("url", ["/api/v1/sessions/999999/", "/api/v1/events/999999/", "/api/v1/jobs/abc/"])
def test_an_unknown_id_is_not_found(world, analysed, url):
    refused(lambda: api_client(world.clinician).get(url), 404, mentions="nothing was found")


def test_a_huge_page_size_is_capped(world, analysed):
    answer = api_client(world.clinician).get("/api/v1/metric-samples/?page_size=100000000")
    assert answer.status_code == 200
    assert len(answer.json()["results"]) <= 1000


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/uploads/{upload}/complete/"),
        ("delete", "/api/v1/patients/"),
        ("put", "/api/v1/auth/token/"),
    ],
)
def test_a_wrong_method_is_refused(world, api, session, video_bytes, method, url):
    upload_id = api_start(api, session, video_bytes).json()["id"]
    call = lambda: getattr(api, method)(url.format(upload=upload_id))  # noqa: E731
    refused(call, 405, mentions="not allowed")


def test_a_browser_endpoint_called_with_the_wrong_method_changes_nothing(uploader, started):
    before = Snapshot.take()
    answer = uploader.get(reverse("upload:complete", kwargs={"upload_id": started}))
    assert answer.status_code == 405
    assert answer["Allow"] == "POST"
    assert not before.unchanged_but(Snapshot.take(), access_events=1)
    assert AccessEvent.objects.order_by("-pk").first().outcome == AccessEvent.Outcome.DENIED


def test_the_good_upload_after_all_that_still_works(
    api, session, video_bytes, django_capture_on_commit_callbacks
):
    """The control: the same endpoints accept the real video and queue its analysis once."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_upload(api, session, video_bytes)
    assert answer.status_code == 201
    assert len(DISPATCHED) == 1
