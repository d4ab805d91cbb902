"""The items' cues of a praxis session, marked on the session page as the protocol's tasks (the
items), are what the praxis analysis ties each gesture to: the item asked, the hesitation from
the cue, a wrong item recognised as such."""

from __future__ import annotations

import pytest

from analysis.metrics.praxis import compute_praxis
from analysis.metrics.segments import CUE
from recordings.models import ProtocolTask
from results.gesture_references import praxis_inputs_for
from results.task_segments import task_segment_mark
from results.task_selectors import marked_protocol_segments
from tests.factories import make_analysed_session, make_protocol
from tests.praxis_platform.conftest import ITEMS, add_event, expert_and_patient_sessions
from tests.tasks_platform.conftest import make_task_protocol
from workers.analysis_run import _session_inputs


@pytest.fixture
def praxis_visit(world):
    """The examiner asks wave, circle, point but the patient does wave, point, point."""
    return expert_and_patient_sessions(world, ["wave", "point", "point"])


def marked_and_analysed(world, praxis_visit):
    """The examiner's cues marked on the session page, and the praxis analysis that follows them."""
    job, tracks, truth = praxis_visit
    session = job.recording.session
    # The examiner asks each item 0.8 s before the patient starts it (the cue's mark).
    for asked, performed in zip(ITEMS, truth, strict=True):
        task_segment_mark(
            session=session,
            task_code=asked,
            start_s=performed.start_s - 0.8,
            end_s=performed.end_s + 0.5,
            by=world.clinician,
        )
    cues = marked_protocol_segments(session=session)
    return job, cues, compute_praxis(tracks, **praxis_inputs_for(job.recording), segments=cues)


def test_the_marked_items_are_the_praxis_cues_and_the_analysis_follows_them(world, praxis_visit):
    job, cues, report = marked_and_analysed(world, praxis_visit)
    assert [(c.kind, c.label) for c in cues] == [(CUE, item) for item in ITEMS]
    assert _session_inputs(job, job.recording)["protocol_segments"] == cues
    attempts = [e.attributes for e in report.events]
    assert [a["asked"] for a in attempts] == list(ITEMS)
    # Hesitation from the cue: 0.8 s marked, within 0.3 s (the gesture's onset is found on the
    # hand's speed, a few frames after the synthetic start at 15 fps).
    assert all(a["hesitation_s"] == pytest.approx(0.8, abs=0.3) for a in attempts)
    # Asked circle, did point: the wrong item, recognised as point, not a poor circle.
    assert attempts[1]["verdict"] == "wrong_item" and attempts[1]["recognised"] == "point"
    assert attempts[0]["verdict"] != "wrong_item" and attempts[2]["verdict"] != "wrong_item"
    assert all(a["reference_count"] == 1 for a in attempts)


def test_the_session_page_shows_each_verdict_with_its_item_side_speed_and_references(
    world, login, praxis_visit
):
    job, _, report = marked_and_analysed(world, praxis_visit)
    for event in report.events:
        add_event(job, start_s=event.start_s, end_s=event.end_s, **event.attributes)
    html = login(world.clinician).get(f"/sessions/{job.recording.session.pk}/").content.decode()
    assert "Hesitation from the cue (s)" in html and "Duration relative to the references" in html
    assert "(asked circle, looked like point)" in html
    assert html.count("(1 reference)") == 3  # beside each of the three verdicts
    assert "wrong_item" in html


def test_an_interviews_marked_stories_and_baseline_are_its_protocol_segments(world):
    protocol = make_protocol("apathy-stories", kind="apathy_interview")
    for position, code in enumerate(("baseline", "positive_story", "negative_story"), start=1):
        ProtocolTask.objects.create(
            protocol=protocol, position=position, code=code, name=code, expected_max_duration_s=300
        )
    job = make_analysed_session(world.patient, by=world.clinician, protocol=protocol)
    session = job.recording.session
    for code, start, end in (
        ("baseline", 0.0, 1.0),
        ("positive_story", 1.0, 2.0),
        ("negative_story", 2.0, 3.0),
    ):
        task_segment_mark(session=session, task_code=code, start_s=start, end_s=end, by=world.clinician)
    segments = _session_inputs(job, job.recording)["protocol_segments"]
    assert [(s.kind, s.start_s, s.end_s) for s in segments] == [
        ("baseline", 0.0, 1.0),
        ("positive_story", 1.0, 2.0),
        ("negative_story", 2.0, 3.0),
    ]


def test_other_protocols_have_no_praxis_cues(world):
    visit = make_analysed_session(world.patient, by=world.clinician, protocol=make_task_protocol())
    session = visit.recording.session
    task_segment_mark(session=session, task_code="pill_box", start_s=1.0, end_s=4.0, by=world.clinician)
    assert marked_protocol_segments(session=session) == []
    segments = _session_inputs(visit, visit.recording).get("protocol_segments", [])
    assert [s for s in segments if s.kind == CUE] == []
