"""The session page in headless Chromium draws the eye-contact row: the lanes of eye contact and
mutual gaze named in plain words, and, for a session where eye contact could not be measured,
the reason written across the row. Screenshots: tests/e2e/artifacts/eye-contact-timeline.png and
eye-contact-not-measured.png."""

from datetime import date

import pytest

from results.models import EyeContactEpisode, MetricSample
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_world

pytestmark = pytest.mark.e2e

SHARE, MUTUAL = "interaction.eye_contact_share", "interaction.mutual_gaze_episodes_per_min"


def _job(world, share, mutual):
    return make_analysed_session(
        world.patient,
        by=world.clinician,
        on=date(2026, 11, 5),
        windows={"apathy.neutral_share": [0.4, 0.5]},
        session_values={SHARE: share, MUTUAL: mutual},
        units={MUTUAL: "per_min"},
    )


def _row_text(page) -> list[str]:
    # SVG text has no innerText: the y-axis lane names and the annotations' texts.
    return page.locator(".yaxislayer-above text, .annotation-text").all_text_contents()


def test_the_eye_contact_row_names_its_lanes_and_says_why_when_not_measured(
    transactional_db, page, live_server
):
    world = make_world()
    job = _job(world, 0.35, 2.0)
    for kind, start_s, end_s in [
        ("eye_contact", 2.0, 6.5),
        ("mutual_gaze", 3.0, 4.5),
        ("eye_contact", 12.0, 14.0),
    ]:
        EyeContactEpisode.objects.create(
            job=job,
            patient=world.patient,
            session=job.recording.session,
            kind=kind,
            start_s=start_s,
            end_s=end_s,
        )
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"/sessions/{job.recording.session_id}/")
    wait_until(page, "document.querySelectorAll('.yaxislayer-above text').length >= 5")

    text = _row_text(page)
    screenshot(page, "eye-contact-timeline")
    assert "looks at the other person" in text and "mutual gaze" in text
    assert any(t.startswith("Eye contact") for t in text)

    alone = _job(world, None, None)
    MetricSample.objects.filter(job=alone, metric__in=[SHARE, MUTUAL]).update(reason="needs calibration")
    page.goto(f"/sessions/{alone.recording.session_id}/")
    wait_until(page, "document.querySelectorAll('.annotation-text').length >= 2")

    text = _row_text(page)
    screenshot(page, "eye-contact-not-measured")
    assert "Eye contact not measured: needs calibration." in text
    assert "looks at the other person" not in text
    assert page.errors == []
