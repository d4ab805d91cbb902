"""The session page in headless Chromium draws the speech row's legend in plain words, one
entry per speaker heard. Screenshot: tests/e2e/artifacts/speech-timeline.png."""

from datetime import date

import pytest

from results.models import SpeechSegment
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_world

pytestmark = pytest.mark.e2e


def test_the_timeline_legend_names_each_speaker(transactional_db, page, live_server):
    world = make_world()
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 5), windows={"apathy.neutral_share": [0.4]}
    )
    for start_s, end_s, speaker in [(0.5, 2.0, "patient"), (2.5, 4.0, "other"), (4.5, 5.0, "unknown")]:
        SpeechSegment.objects.create(
            job=job, patient=world.patient, session=job.recording.session, start_s=start_s, end_s=end_s,
            speaker=speaker, confidence=0.5, speech_probability=0.9,
        )  # fmt: skip
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"/sessions/{job.recording.session_id}/")
    wait_until(page, "document.querySelectorAll('.legendtext').length >= 3")

    legend = page.locator(".legendtext").all_text_contents()  # SVG text has no innerText
    screenshot(page, "speech-timeline")
    assert legend == ["the patient speaks", "the other person speaks", "speech, speaker unknown"]
    assert page.errors == []
