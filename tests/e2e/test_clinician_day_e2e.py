"""The clinician's day in real headless Chromium: register a patient and correct a misspelled
name, code events with the keyboard, a review that changes the dashboard, choosing the patient
on the video ("Is this the patient?" while two people are tracked), a dashboard point that opens
its session, and pages that follow a resize to a tablet. Screenshots:
tests/e2e/artifacts/issue-12/*.png.

The session is built with the ORM over a real generated video (so the player has frames to
seek), with two rocking episodes the model found 1 s to 2 s and 4 s to 5 s, and the tracks of
two people: a small patient at the left, analysed, and a larger examiner at the right.
"""

import time
from datetime import date

import pytest

from analysis import PIPELINE_VERSION
from patients.models import IdentityCorrection, PatientIdentity
from results.models import AnalysisJob, BehaviourEvent, CodedEvent, EventReview
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_people_tracks, make_world
from tests.media import make_person_video

pytestmark = pytest.mark.e2e
TABLET = {"width": 768, "height": 1024}
LAPTOP = {"width": 1280, "height": 800}
SHOTS = "issue-12/"  # screenshots under tests/e2e/artifacts/issue-12/
PATIENT_BOX, EXAMINER_BOX = (30, 90, 60, 140), (170, 15, 120, 220)  # px of the 320 x 240 video


def no_dispatch(job_id: int) -> None:
    """The re-analysis stays queued: this test checks the choice, not the models."""


@pytest.fixture
def clinic(transactional_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.ANALYSIS_DISPATCHER = "tests.e2e.test_clinician_day_e2e.no_dispatch"
    world = make_world()
    video = make_person_video(tmp_path / "visit.mp4", duration_s=6.0, fps=10, size=(320, 240), motion="rock")
    rates = {
        "stereotypy.pose_coverage": 1.0,
        "stereotypy.episodes_per_min": 20.0,
        "stereotypy.body_rocking.episodes_per_min": 20.0,
    }
    make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 10, 1), windows={}, session_values=rates,
        pipeline_version=PIPELINE_VERSION,
    )  # fmt: skip
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 2), windows={"apathy.neutral_share": [0.4]},
        session_values=rates, events=[("body_rocking", 1.0, 2.0), ("body_rocking", 4.0, 5.0)],
        video=video, pipeline_version=PIPELINE_VERSION,
        tracks=make_people_tracks([PATIENT_BOX, EXAMINER_BOX], duration_s=6.0, fps=10),
    )  # fmt: skip
    return world, job


def _summary_value(page, title: str) -> str:
    card = page.locator(".summary-card", has=page.locator("h3", has_text=title)).first
    return card.locator(".summary-value").inner_text()


# Per chart: y tick labels, x tick labels, and whether any of the first come within 2 px of
# any of the second (the y axis's lowest value against the first date at the corner).
AXIS_LABELS_MEETING = """Array.from(document.querySelectorAll('.metric-graph'), (graph) => {
  const ys = Array.from(graph.querySelectorAll('.ytick text'), (t) => t.getBoundingClientRect());
  const xs = Array.from(graph.querySelectorAll('.xtick text'), (t) => t.getBoundingClientRect());
  const meet = ys.some((a) => xs.some((b) =>
    a.left < b.right + 2 && b.left < a.right + 2 && a.top < b.bottom + 2 && b.top < a.bottom + 2));
  return [ys.length, xs.length, meet];
})"""


def _axis_labels_apart(page) -> None:
    charts = page.evaluate(AXIS_LABELS_MEETING)
    assert charts and all(ys > 1 and xs > 1 and not meet for ys, xs, meet in charts), charts


def _seek(page, seconds: float) -> None:
    page.evaluate(
        """(t) => new Promise((done) => {
            const v = document.getElementById("session-video");
            v.addEventListener("seeked", () => done(), { once: true });
            v.currentTime = t;
        })""",
        seconds,
    )


def test_registration_and_identity_correction(page, live_server, clinic):
    world, _ = clinic
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.uploader.username)
    page.goto(live_server.url + "/patients/")
    page.click("text=Register a patient")
    page.fill("input[name=full_name]", "Marie Curei")
    page.fill("input[name=date_of_birth]", "1950-04-02")
    page.fill("input[name=hospital_number]", "H-0001")  # the team's Jeanne Martin already has it
    page.select_option("select[name=sex]", "female")
    page.click("text=Register the patient")
    assert "already registered" in page.inner_text(".field-error")
    screenshot(page, SHOTS + "register-duplicate")
    page.fill("input[name=hospital_number]", "H-0777")
    with page.expect_navigation():
        page.click("text=Register the patient")
    assert "Marie Curei" in page.inner_text(".identity")
    page.click("text=Correct the identity")
    page.fill("input[name=full_name]", "Marie Curie")
    page.fill("input[name=reason]", "surname misspelled at registration")
    with page.expect_navigation():
        page.click("text=Save the correction")
    assert "Marie Curie" in page.inner_text(".identity")
    page.click("text=Correct the identity")
    assert "Marie Curei → Marie Curie" in page.inner_text("#history-h + table")
    screenshot(page, SHOTS + "identity-history")
    identity = PatientIdentity.objects.get(hospital_number="H-0777")
    assert IdentityCorrection.objects.filter(identity=identity, corrected_by=world.uploader).count() == 1
    page.goto(live_server.url + "/patients/?q=curie")
    assert identity.patient.code in page.inner_text("table")
    assert page.errors == []


def test_keyboard_coding_a_review_changes_the_dashboard_and_choosing_the_patient(page, live_server, clinic):
    world, job = clinic
    session_id = job.recording.session_id
    page.set_default_timeout(60_000)  # a shared test machine can be slow to draw the dashboard
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)

    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".metric-graph .main-svg")
    title = "Any stereotypy: episodes per minute"
    before = _summary_value(page, title)
    assert before == "20 per minute"
    screenshot(page, SHOTS + "dashboard-before-review")

    page.goto(f"{live_server.url}/sessions/{session_id}/")
    wait_until(page, "document.getElementById('session-video').readyState >= 1")
    page.click("h1")  # focus on the page, not on the player (a click on the video plays it)
    assert "(2 counted)" in page.inner_text("#events-h")
    page.evaluate("window.notReloaded = true")  # a reload would drop it
    _seek(page, 2.5)
    page.keyboard.press("h")  # head movement starts at 2.5 s
    _seek(page, 3.5)
    page.keyboard.press("h")  # and stops at 3.5 s: saved
    wait_until(page, "document.getElementById('coding-status').textContent.includes('added')")
    coded = CodedEvent.objects.get(session_id=session_id)
    assert (coded.label, round(coded.start_s, 1), round(coded.end_s, 1)) == ("head_movement", 2.5, 3.5)
    # The list and its count change in place, as the timeline bar does: no reload.
    wait_until(page, f"document.getElementById('coded-{coded.pk}') !== null")
    assert page.evaluate("window.notReloaded === true")
    assert "(3 counted)" in page.inner_text("#events-h")
    order = page.evaluate("Array.from(document.querySelectorAll('.event-list > li'), (li) => li.id)")
    assert order[1] == f"coded-{coded.pk}"  # between the rocking at 1 s and that at 4 s
    added = page.inner_text(f"#coded-{coded.pk}")
    assert "2.5\u20133.5 s" in added and "head movement" in added and "Take back" in added
    screenshot(page, SHOTS + "keyboard-coding")

    first = BehaviourEvent.objects.filter(job=job).order_by("start_s").first()
    with page.expect_navigation():
        page.locator(f"#event-{first.pk} button[value=reject]").click()
    assert "Rejected by" in page.inner_text(f"#event-{first.pk}")
    screenshot(page, SHOTS + "session-after-review")

    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".metric-graph .main-svg")
    # Two model episodes, one rejected, one head movement added: still 2 per measured minute
    # of 6 s (= 20 per minute), but body rocking alone fell from 2 to 1 episode.
    after = _summary_value(page, title)
    assert after == "20 per minute"
    page.click("#metric-picker")
    page.keyboard.type("body rocking: episodes")
    # The option list is filtered as the words are typed: pick the option once it is listed
    # (Enter right after typing could land before the list had caught up).
    page.locator(".dash-dropdown-option", has_text="Body rocking: episodes per minute").first.click()
    page.wait_for_selector("h3:has-text('Body rocking: episodes per minute')")
    assert _summary_value(page, "Body rocking: episodes per minute") == "10 per minute"
    assert "model alone measured 20 per minute" in page.inner_text(".summary-cards")
    page.keyboard.press("Escape")  # close the picker's list, which covers the cards
    page.click("h1")
    screenshot(page, SHOTS + "dashboard-after-review")

    page.goto(f"{live_server.url}/sessions/{session_id}/")
    wait_until(page, "document.getElementById('session-video').readyState >= 1")
    page.wait_for_selector("#patient-prompt:not([hidden])")  # two people tracked, nobody confirmed
    page.click("#patient-prompt [data-choose]")  # "No, choose the patient"
    x, y = _on_screen(page, EXAMINER_BOX[0] + EXAMINER_BOX[2] / 2, EXAMINER_BOX[1] + EXAMINER_BOX[3] / 2)
    with page.expect_navigation():
        page.mouse.click(x, y)
    job.recording.refresh_from_db()
    point = job.recording.patient_point
    assert point["x_px"] == pytest.approx(230, abs=3) and point["y_px"] == pytest.approx(125, abs=3)
    assert point["time_s"] == pytest.approx(0.0, abs=0.2)
    queued = AnalysisJob.objects.get(recording=job.recording, status="queued")
    assert queued.patient_point == point  # the re-analysis is told whom to follow
    assert "new analysis of this video is queued" in page.inner_text(".session-player")
    assert page.locator("#patient-prompt").is_hidden()  # a choice answers the question
    screenshot(page, SHOTS + "patient-chosen")
    assert page.errors == []


@pytest.mark.usefixtures("eager_tasks")
def test_choosing_the_patient_re_runs_the_analysis_with_that_person(page, live_server, clinic, settings):
    world, job = clinic
    settings.ANALYSIS_DISPATCHER = "workers.dispatch.enqueue_analysis"  # the real models, in-process
    first = BehaviourEvent.objects.filter(job=job).order_by("start_s").first()
    EventReview.objects.create(event=first, reviewer=world.clinician, decision="confirm")
    page.set_default_timeout(60_000)
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/sessions/{job.recording.session_id}/")
    page.wait_for_selector("#patient-prompt:not([hidden])")
    page.click("#patient-prompt [data-choose]")
    page.mouse.click(*_on_screen(page, 160, 100))  # on the face of the person the video shows
    wait_until(page, "document.getElementById('choose-status').textContent.includes('analysed again')", 60)
    page.wait_for_load_state()
    deadline = time.monotonic() + 300
    while (
        not AnalysisJob.objects.filter(recording=job.recording, status__in=("succeeded", "failed"))
        .exclude(pk=job.pk)
        .exists()
    ):
        assert time.monotonic() < deadline, "the re-analysis did not finish in 5 minutes"
        time.sleep(2)
    rerun = AnalysisJob.objects.exclude(pk=job.pk).get(recording=job.recording)
    assert rerun.status == "succeeded", rerun.error
    assert rerun.patient_point == {"x_px": pytest.approx(160, abs=3), "y_px": pytest.approx(100, abs=3),
                                   "time_s": pytest.approx(0.0, abs=0.2)}  # fmt: skip
    page.reload()
    wait_until(page, "document.getElementById('overlay-status').textContent === ''")
    assert f"pipeline {rerun.pipeline_version}" in page.inner_text(".hint")
    assert "new analysis of this video" not in page.inner_text(".session-player")
    assert page.locator("#patient-prompt").is_hidden()  # one person in this video: nothing to ask
    # The confirmed event was the other person's: no review carries over to the new analysis.
    assert not EventReview.objects.filter(event__job=rerun).exists()
    assert "Confirmed by" not in page.inner_text(".session-events")
    screenshot(page, SHOTS + "patient-re-analysed")
    assert page.errors == []


def _on_screen(page, x_px: float, y_px: float) -> tuple[float, float]:
    """Where a point of the 320 x 240 video is on the screen (the picture keeps its aspect ratio
    inside the player)."""
    page.locator("#overlay-canvas").scroll_into_view_if_needed()
    box = page.locator("#overlay-canvas").bounding_box()
    scale = min(box["width"] / 320, box["height"] / 240)
    left = box["x"] + (box["width"] - 320 * scale) / 2
    top = box["y"] + (box["height"] - 240 * scale) / 2
    return left + x_px * scale, top + y_px * scale


def test_is_this_the_patient_is_asked_until_someone_confirms(page, live_server, clinic):
    world, job = clinic
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/sessions/{job.recording.session_id}/")
    prompt = page.wait_for_selector("#patient-prompt:not([hidden])")
    assert "Is this the patient?" in prompt.inner_text()
    assert page.locator("#choose-patient").is_hidden()  # the prompt's own "No, choose" stands for it
    wait_until(page, "document.getElementById('session-video').readyState >= 2")
    screenshot(page, SHOTS + "patient-prompt")
    with page.expect_navigation():
        page.click("#confirm-patient")
    job.recording.refresh_from_db()
    assert job.recording.patient_confirmed_by == world.clinician
    assert not AnalysisJob.objects.filter(recording=job.recording, status="queued").exists()
    wait_until(page, "document.getElementById('overlay-status').textContent === ''")  # overlay loaded
    assert page.locator("#patient-prompt").is_hidden()  # asked no more, on this page or later
    page.reload()
    wait_until(page, "document.getElementById('overlay-status').textContent === ''")
    assert page.locator("#patient-prompt").is_hidden()
    assert page.errors == []


def test_a_point_on_the_dashboard_opens_its_session(page, live_server, clinic):
    world, job = clinic
    page.set_default_timeout(60_000)
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".metric-graph .main-svg")
    latest = page.locator(".metric-graph").first.locator(".scatterlayer .points path").last
    box = latest.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".hoverlayer .hovertext")
    assert "click to open the session" in page.locator(".hoverlayer .hovertext").first.text_content()
    screenshot(page, SHOTS + "dashboard-point-tooltip")
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.url.endswith(f"/sessions/{job.recording.session_id}/")
    blocked = [text for text in page.console_errors if "Content Security Policy" in text]
    assert blocked == [] and page.errors == []


def _timeline_point(page, time_s: float) -> tuple[float, float]:
    """Where a time of the video is on the timeline's events row, on the screen."""
    return tuple(
        page.evaluate(
            """(t) => {
                const g = document.getElementById("timeline"), r = g.getBoundingClientRect();
                const x = g._fullLayout.xaxis, y = g._fullLayout.yaxis;
                return [r.left + x._offset + x.d2p(t), r.top + y._offset + y._length / 2];
            }""",
            time_s,
        )
    )


def test_a_drag_on_the_timeline_marks_a_missed_event_and_a_bar_plays(page, live_server, clinic):
    world, job = clinic
    session_id = job.recording.session_id
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/sessions/{session_id}/")
    page.wait_for_selector("#timeline .main-svg")
    wait_until(page, "document.getElementById('session-video').readyState >= 1")
    page.locator("#timeline").scroll_into_view_if_needed()
    page.mouse.move(*_timeline_point(page, 1.5))  # on the first rocking bar (1 s to 2 s)
    page.wait_for_selector("#timeline .hoverlayer .hovertext")
    page.mouse.click(*_timeline_point(page, 1.5))
    wait_until(page, "!document.getElementById('session-video').paused")
    assert page.evaluate("document.getElementById('session-video').currentTime") >= 1.0  # played from 1 s
    page.evaluate("document.getElementById('session-video').pause()")
    page.mouse.move(*_timeline_point(page, 2.6))
    page.mouse.down()
    page.mouse.move(*_timeline_point(page, 3.2), steps=5)
    page.mouse.move(*_timeline_point(page, 3.4), steps=5)
    page.mouse.up()
    assert page.evaluate("document.getElementById('timeline')._fullLayout.xaxis.range") == [0, 6]  # no zoom
    assert page.locator("details.add-event").get_attribute("open") is not None
    assert float(page.input_value("#add-event-form input[name=start_s]")) == pytest.approx(2.6, abs=0.05)
    assert float(page.input_value("#add-event-form input[name=end_s]")) == pytest.approx(3.4, abs=0.05)
    assert "choose its label in" in page.inner_text("#timeline-drag-status")
    page.select_option("#add-event-form select[name=label]", "hand_flapping")
    screenshot(page, SHOTS + "timeline-drag")
    with page.expect_navigation():
        page.click("#add-event-form [type=submit]")
    coded = CodedEvent.objects.get(session_id=session_id)
    assert coded.label == "hand_flapping" and coded.start_s == pytest.approx(2.6, abs=0.05)
    assert "Added by" in page.inner_text(f"#coded-{coded.pk}")
    assert page.errors == []


def test_pages_follow_a_resize_to_a_tablet(page, live_server, clinic):
    world, job = clinic
    page.set_default_timeout(60_000)
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".metric-graph .main-svg")
    _axis_labels_apart(page)
    screenshot(page, SHOTS + "dashboard-laptop")
    page.set_viewport_size(TABLET)
    page.wait_for_timeout(800)
    _axis_labels_apart(page)
    for graph in page.locator(".metric-graph").all():
        card = graph.bounding_box()
        drawn = graph.locator(".main-svg").first.bounding_box()
        assert drawn["height"] > 200 and 0.8 * card["width"] < drawn["width"] <= card["width"] + 1
        assert card["x"] + card["width"] <= TABLET["width"]
    screenshot(page, SHOTS + "dashboard-tablet")

    page.goto(f"{live_server.url}/sessions/{job.recording.session_id}/")
    page.wait_for_selector("#timeline .main-svg")
    page.set_viewport_size(LAPTOP)
    page.wait_for_timeout(800)
    wide = page.locator("#timeline .main-svg").first.bounding_box()["width"]
    page.set_viewport_size(TABLET)
    page.wait_for_timeout(800)
    narrow = page.locator("#timeline .main-svg").first.bounding_box()
    card = page.locator(".session-timeline").bounding_box()
    assert narrow["width"] <= card["width"] and narrow["width"] > 0.8 * (card["width"] - 40)
    assert wide > narrow["width"]
    screenshot(page, SHOTS + "session-tablet")
    assert page.errors == []
