"""A clinician's day in real headless Chromium: dashboard, session page, event review.

The newest session is a real analysed recording: a generated video of a person rocking at
1 Hz from 1 s to 5 s, analysed by the real worker code (MediaPipe models, metrics, tracks
Parquet), so the dashboard point, the skeleton overlay and the event all come from the pipeline.
Two earlier sessions are built with the ORM to give the dashboard a trend.
"""

from datetime import date

import pytest

from analysis import PIPELINE_VERSION
from analysis.synthetic_video import make_person_video
from results.models import AnalysisJob, BehaviourEvent, EventReview
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_recording, make_session, make_world
from workers.analysis_run import run_analysis_job

pytestmark = pytest.mark.e2e


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.ANALYSIS_PROCESSES = 1
    return tmp_path / "media"


@pytest.fixture
def clinic(transactional_db, private_media, tmp_path):
    world = make_world()
    for day, values in ((date(2026, 9, 7), [0.55, 0.6, 0.7]), (date(2026, 10, 5), [0.5, 0.6, 0.62])):
        make_analysed_session(
            world.patient, by=world.clinician, on=day, windows={"apathy.neutral_share": values},
            pipeline_version=PIPELINE_VERSION,
        )  # fmt: skip
    video = make_person_video(
        tmp_path / "rocking.mp4", duration_s=6.0, fps=10, size=(320, 240), motion="rock",
        motion_hz=1.0, amplitude_px=20, motion_start_s=1.0, motion_end_s=5.0,
    )  # fmt: skip
    session = make_session(world.patient, by=world.clinician, on=date(2026, 11, 20))
    recording = make_recording(session, by=world.uploader, video=video, duration_s=6.0)
    job = AnalysisJob.objects.create(
        recording=recording, pipeline_version=PIPELINE_VERSION, requested_by=world.uploader
    )
    assert run_analysis_job(job_id=job.pk, task_id="e2e-clinician") == "succeeded"
    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error
    return world, session, job


def test_clinician_sees_the_session_reviews_an_event_and_an_outsider_is_refused(
    clinic, page, live_server, browser
):
    world, session, job = clinic
    event = BehaviourEvent.objects.filter(job=job, kind="body_rocking").order_by("start_s").first()
    assert event is not None, "the pipeline found no body rocking in a video of 1 Hz rocking"

    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".summary-card")
    page.wait_for_selector(".metric-graph .js-plotly-plot .scatterlayer .point", state="attached")
    link = page.get_by_role("link", name="20 Nov 2026 · apathy interview")
    assert link.is_visible()
    card = page.locator(".summary-card", has_text="Neutral expression")
    assert "Latest session 20 Nov 2026" in card.inner_text()
    screenshot(page, "clinician-dashboard")

    link.click()
    page.wait_for_url(f"**/sessions/{session.pk}/")
    wait_until(page, "document.getElementById('session-video').readyState >= 1")
    wait_until(page, "document.getElementById('overlay-status').textContent === ''")
    seek = page.locator(f"#event-{event.pk} .event-seek")
    seek.focus()
    page.keyboard.press("Enter")
    # "Play from" plays: the video runs from the event's start (not before it); paused for the picture.
    wait_until(
        page,
        "(() => { const v = document.getElementById('session-video');"
        f" return !v.paused && v.currentTime >= {event.start_s} - 0.05 && v.currentTime < {event.start_s} + 2; }})()",
    )
    page.evaluate("document.getElementById('session-video').pause()")
    page.wait_for_timeout(300)  # let the overlay draw the frame
    screenshot(page, "clinician-session-seeked")

    page.locator(f"#event-{event.pk} button[value=confirm]").click()
    page.wait_for_selector(f"#event-{event.pk} .review-status.review-confirm")
    assert EventReview.objects.filter(event=event, reviewer=world.clinician, decision="confirm").exists()
    screenshot(page, "clinician-session-confirmed")
    assert page.errors == []

    outsider_context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 850})
    outsider = outsider_context.new_page()
    login_in_browser(outsider, live_server, world.outsider.username)
    # Refused like an unknown address: a 404, so the session's existence does not leak.
    assert outsider.goto(f"{live_server.url}/sessions/{session.pk}/").status == 404
    screenshot(outsider, "outsider-session-refused")
    assert outsider.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/").status == 404
    outsider_context.close()
