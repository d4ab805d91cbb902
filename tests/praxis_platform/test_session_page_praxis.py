"""The session page shows each performed gesture's score, and a clinician marks a performance
as the protocol's reference from there."""

from __future__ import annotations

import pytest

from analysis.metrics.praxis import compute_praxis
from recordings.models import Protocol
from results.gesture_references import references_for
from tests.factories import make_analysed_session, make_protocol
from tests.praxis_platform.conftest import PIPELINE_VERSION, add_event, gesture_session, praxis_protocol


def _analysed_gestures(world, protocol=None):
    tracks, _truth = gesture_session(["wave", "circle"], seed=5)
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=tracks,
        protocol=protocol or praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    report = compute_praxis(tracks)
    events = [add_event(job, start_s=e.start_s, end_s=e.end_s, **e.attributes) for e in report.events]
    return job, events


def test_the_session_page_lists_the_gestures_performed(world, login):
    job, events = _analysed_gestures(world)
    page = login(world.clinician).get(f"/sessions/{job.recording.session.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Praxis: gestures performed" in html
    assert html.count("Use as reference") == len(events) == 2


@pytest.mark.parametrize("kind", [Protocol.Kind.FREE_PLAY, Protocol.Kind.ADOS_MODULE])
def test_sessions_of_other_protocols_show_no_praxis_table(world, login, kind):
    job, events = _analysed_gestures(world, protocol=make_protocol(f"other-{kind}", kind=kind))
    html = login(world.clinician).get(f"/sessions/{job.recording.session.pk}/").content.decode()
    assert len(events) == 2  # the same gestures as on a praxis test, in a session of another protocol
    assert "Praxis: gestures performed" not in html and "not identified" not in html
    assert "Use as reference" not in html


def test_a_clinician_marks_a_gesture_as_the_reference(world, login):
    job, events = _analysed_gestures(world)
    session = job.recording.session
    response = login(world.clinician).post(
        f"/sessions/{session.pk}/events/{events[0].pk}/reference", {"gesture": "wave"}, follow=True
    )
    assert response.status_code == 200
    assert "is now the reference for &#x27;wave&#x27;" in response.content.decode()
    assert list(references_for(session.protocol)) == ["wave"]


def test_an_unexpected_gesture_name_is_refused_with_a_message(world, login):
    job, events = _analysed_gestures(world)
    session = job.recording.session
    response = login(world.clinician).post(
        f"/sessions/{session.pk}/events/{events[0].pk}/reference", {"gesture": "juggle"}, follow=True
    )
    assert "does not expect a gesture" in response.content.decode()
    assert references_for(session.protocol) == {}


def test_only_reviewers_of_the_patient_may_mark_references(world, login):
    job, events = _analysed_gestures(world)
    url = f"/sessions/{job.recording.session.pk}/events/{events[0].pk}/reference"
    assert login(world.uploader).post(url, {"gesture": "wave"}).status_code == 404
    assert login(world.outsider).post(url, {"gesture": "wave"}).status_code == 404
    assert references_for(job.recording.session.protocol) == {}
