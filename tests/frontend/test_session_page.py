"""The session page, its video stream (HTTP ranges), its overlay and the review of events."""

from datetime import date

import numpy as np
import pytest
from django.core.files import File

from analysis.tracks import Tracks, write_parquet
from audit.models import AccessEvent
from frontend.review.overlay import FACE_POINTS
from results.models import EventReview
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(world, private_media, small_video):
    """A session of `patient` with its real video stored, two events and a metric curve."""
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 2),
        windows={"stereotypy.episodes_per_min": [0.0, 2.0]},
        events=[("body_rocking", 0.4, 1.6), ("head_movement", 1.0, 1.5)],
        video=small_video,
    )
    return world, job


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_shows_the_session_page_to_the_clinician_and_audits_it(analysed, login):
    world, job = analysed
    response = login(world.clinician).get(f"/sessions/{job.recording.session_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "body rocking" in html and "head movement" in html
    assert f"/sessions/{job.recording.session_id}/video" in html
    assert 'data-seek="0.400"' in html
    assert AccessEvent.objects.filter(
        user=world.clinician, object_type="clinical_session", patient_code=world.patient.code
    ).exists()


def test_it_refuses_the_session_page_outside_the_care_team(analysed, login):
    world, job = analysed
    assert login(world.outsider).get(f"/sessions/{job.recording.session_id}/").status_code == 404
    assert login(world.uploader).get(f"/sessions/{job.recording.session_id}/").status_code == 404
    assert login(world.statistician).get(f"/sessions/{job.recording.session_id}/").status_code == 404


def test_it_answers_404_for_an_unknown_session(analysed, login):
    world, _ = analysed
    assert login(world.clinician).get("/sessions/999999/").status_code == 404


def test_the_video_honours_a_range_request(analysed, login, small_video):
    world, job = analysed
    data = small_video.read_bytes()
    client = login(world.clinician)
    url = f"/sessions/{job.recording.session_id}/video"
    response = client.get(url, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert response["Accept-Ranges"] == "bytes"
    assert content(response) == data[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-50")
    assert tail.status_code == 206 and content(tail) == data[-50:]
    whole = client.get(url)
    assert whole.status_code == 200 and content(whole) == data


def test_the_video_audits_every_request_whatever_its_range(analysed, login):
    """Every read leaves a row: a Range request is a read of patient video like any other."""
    world, job = analysed
    client = login(world.clinician)
    url = f"/sessions/{job.recording.session_id}/video"
    count = AccessEvent.objects.filter(action=AccessEvent.Action.STREAM_VIDEO).count
    content(client.get(url, HTTP_RANGE="bytes=0-"))
    content(client.get(url, HTTP_RANGE="bytes=500-900"))
    content(client.get(url, HTTP_RANGE="bytes=900-"))
    assert count() == 3


def test_an_unsatisfiable_range_is_416(analysed, login, small_video):
    world, job = analysed
    size = small_video.stat().st_size
    response = login(world.clinician).get(
        f"/sessions/{job.recording.session_id}/video", HTTP_RANGE=f"bytes={size + 10}-"
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize("persona", ["uploader", "statistician", "outsider"])
def test_the_video_is_refused_without_view_video(analysed, login, persona):
    world, job = analysed
    response = login(getattr(world, persona)).get(f"/sessions/{job.recording.session_id}/video")
    assert response.status_code == 404


def test_the_overlay_is_made_from_the_tracks_and_cached(analysed, login, tmp_path):
    world, job = analysed
    tracks = Tracks.empty(3)
    tracks.time_s[:] = [0.0, 0.1, 0.2]
    tracks.frame[:] = [0, 1, 2]
    tracks.person_id[:] = 0
    tracks.is_patient[:] = True
    tracks.pose_xy[0] = np.full((33, 2), 50.4, dtype=np.float32)
    tracks.pose_visibility[0] = 0.9
    tracks.pose_visibility[0, 32] = 0.1  # a guessed, out-of-view keypoint is not drawn
    tracks.face_xy[1] = np.full((478, 2), 20.6, dtype=np.float32)
    path = tmp_path / "tracks.parquet"
    write_parquet(tracks, path)
    with path.open("rb") as handle:
        job.tracks_file.save("tracks.parquet", File(handle))
    client = login(world.clinician)
    url = f"/sessions/{job.recording.session_id}/overlay.json"
    overlay = client.get(url).json()
    assert overlay["time_s"] == [0.0, 0.1, 0.2]
    assert overlay["pose"][0] == [50] * 64 + [-1, -1]
    assert overlay["pose"][1] is None and overlay["face"][0] is None
    assert overlay["face"][1] == [21] * (2 * len(FACE_POINTS))
    assert len(overlay["pose_edges"]) == 35
    job.tracks_file.delete(save=False)  # the cached overlay no longer needs the tracks
    assert client.get(url).json() == overlay
    assert login(world.uploader).get(url).status_code == 404


def review_url(job, event):
    return f"/sessions/{job.recording.session_id}/events/{event.pk}/review"


def post_review(client, job, event, **fields):
    return client.post(review_url(job, event), fields, HTTP_ACCEPT="application/json")


def test_the_clinician_confirms_rejects_and_corrects_events(analysed, login):
    world, job = analysed
    first, second = job.events.order_by("start_s")
    client = login(world.clinician)
    assert post_review(client, job, first, decision="confirm").status_code == 201
    assert post_review(client, job, second, decision="reject", note="a cough").status_code == 201
    corrected = post_review(
        client, job, first, decision="correct", corrected_kind="hand_flapping", corrected_start_s="0.5",
        corrected_end_s="1.2",
    )  # fmt: skip
    assert corrected.status_code == 201, corrected.content
    reviews = EventReview.objects.filter(event__job=job).order_by("created_at", "pk")
    assert [r.decision for r in reviews] == ["confirm", "reject", "correct"]
    last = reviews.last()
    assert (last.corrected_kind, last.corrected_start_s, last.corrected_end_s) == ("hand_flapping", 0.5, 1.2)
    assert last.reviewer == world.clinician
    assert (
        AccessEvent.objects.filter(action=AccessEvent.Action.REVIEW, patient_code=world.patient.code).count()
        == 3
    )
    # The model's own event is untouched.
    first.refresh_from_db()
    assert (first.kind, first.start_s, first.end_s) == ("body_rocking", 0.4, 1.6)
    page = client.get(f"/sessions/{job.recording.session_id}/").content.decode()
    assert "Corrected by clinician" in page and "Rejected by clinician" in page


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {"decision": "correct", "corrected_start_s": "-1", "corrected_end_s": "1"},
            "before the start of the video",
        ),
        (
            {"decision": "correct", "corrected_start_s": "1.5", "corrected_end_s": "0.5"},
            "before the corrected start",
        ),
        (
            {"decision": "correct", "corrected_start_s": "0.5"},
            "both the corrected start and the corrected end",
        ),
        ({"decision": "correct", "corrected_start_s": "abc", "corrected_end_s": "1"}, "number of seconds"),
        ({"decision": "correct"}, "needs a new kind or new start and end"),
        ({"decision": "maybe"}, "choose confirm, reject or correct"),
        ({"decision": "confirm", "corrected_kind": "gesture"}, "go with the decision 'correct' only"),
    ],
)
def test_invalid_reviews_are_clear_400s(analysed, login, fields, words):
    world, job = analysed
    event = job.events.first()
    response = post_review(login(world.clinician), job, event, **fields)
    assert response.status_code == 400
    assert words in response.json()["message"]
    assert not EventReview.objects.exists()


@pytest.mark.parametrize("persona", ["uploader", "outsider", "statistician"])
def test_reviews_are_refused_outside_the_care_team_clinicians(analysed, login, persona):
    world, job = analysed
    response = post_review(login(getattr(world, persona)), job, job.events.first(), decision="confirm")
    assert response.status_code == 404
    assert not EventReview.objects.exists()


def test_a_review_through_the_plain_form_redirects_back(analysed, login):
    world, job = analysed
    event = job.events.first()
    response = login(world.clinician).post(review_url(job, event), {"decision": "confirm"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/sessions/{job.recording.session_id}/#event-{event.pk}")
