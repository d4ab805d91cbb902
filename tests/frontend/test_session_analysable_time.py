"""The session page gives each rate and share with the time it rests on: a share of 40 % over
3 s of analysable time is not one over 10 minutes."""

from datetime import date

import pytest

from results.models import MetricSample
from tests.factories import make_analysed_session

pytestmark = pytest.mark.django_db

SHARE = "attention.gaze_on_target_share"
CURVE = "stereotypy.episodes_per_min"


@pytest.fixture
def calibrated(world):
    """An analysed session with a calibrated gaze share (0.4 over 42 s) and a windowed rate whose
    whole-session value rests on 18 s."""
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 3),
        windows={CURVE: [0.0, 2.0]},
        session_values={SHARE: 0.4, CURVE: 1.0},
    )
    session = job.recording.session
    session.gaze_calibration_start_s, session.gaze_calibration_end_s = 0.0, 2.0
    session.save(update_fields=["gaze_calibration_start_s", "gaze_calibration_end_s"])
    MetricSample.objects.filter(job=job, metric=SHARE, is_session_level=True).update(analysable_s=42.0)
    MetricSample.objects.filter(job=job, metric=CURVE, is_session_level=True).update(analysable_s=18.4)
    return job


def test_the_gaze_share_says_over_how_much_analysable_time_it_was_measured(world, login, calibrated):
    html = login(world.clinician).get(f"/sessions/{calibrated.recording.session_id}/").content.decode()
    assert "40 % of the time with a measured gaze direction" in html
    assert "measured over 42 s of analysable time" in html


def test_a_curve_says_when_hovered_over_how_much_time_its_session_value_rests(world, login, calibrated):
    response = login(world.clinician).get(f"/sessions/{calibrated.recording.session_id}/")
    traces = response.context["timeline"]["data"]
    curve = next(t for t in traces if t.get("mode") == "lines")
    assert "whole session: measured over 18 s of analysable time" in curve["hovertemplate"]


def test_without_a_known_analysable_time_nothing_is_claimed(world, login, calibrated):
    MetricSample.objects.filter(job=calibrated).update(analysable_s=None)
    response = login(world.clinician).get(f"/sessions/{calibrated.recording.session_id}/")
    assert "40 % of the time with a measured gaze direction" in response.content.decode()
    assert "analysable time" not in response.content.decode()
