"""A memory clinic's semi-guided visit in real headless Chromium: with no task model the session
page says to mark the tasks by hand; the clinician marks two tasks with the number keys while
the video stands at their start and end, then reads them on the patient's dashboard (the Gantt
of the visit against the asked order, and the trends). Screenshots: tests/e2e/artifacts/tasks-*.png.
"""

from datetime import date

import pytest

from analysis import PIPELINE_VERSION
from results.models import MetricSample, TaskSegment
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_world
from tests.media import make_person_video
from tests.tasks_platform.conftest import make_task_protocol

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def visit(transactional_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    world = make_world()
    video = make_person_video(tmp_path / "tasks.mp4", duration_s=8.0, fps=10, size=(320, 240), motion="nod")
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 2), protocol=make_task_protocol(),
        windows={}, video=video, pipeline_version=PIPELINE_VERSION,
    )  # fmt: skip
    return world, job.recording.session


def _seek(page, seconds: float) -> None:
    page.evaluate(
        """(t) => new Promise((done) => {
            const v = document.getElementById("session-video");
            v.addEventListener("seeked", () => done(), { once: true });
            v.currentTime = t;
        })""",
        seconds,
    )


def _mark(page, key: str, start_s: float, end_s: float) -> None:
    wait_until(page, "document.getElementById('session-video').readyState >= 1")
    page.click("h1")  # focus on the page, not on the player
    _seek(page, start_s)
    page.keyboard.press(key)
    assert "started at" in page.inner_text("#task-status")
    _seek(page, end_s)
    with page.expect_navigation():  # saved, then the page reloads at the same place
        page.keyboard.press(key)


def test_marking_two_tasks_with_keys_and_reading_the_gantt(page, live_server, visit):
    world, session = visit
    page.set_default_timeout(60_000)
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    assert "Mark the tasks by hand." in page.inner_text("#task-panel")
    screenshot(page, "tasks-session-before")

    _mark(page, "1", 0.5, 3.0)  # prepare a pill box
    _mark(page, "2", 3.5, 6.5)  # make a phone call
    marked = list(TaskSegment.objects.filter(session=session).order_by("start_s"))
    assert [(s.task_code, round(s.start_s, 1), round(s.end_s, 1), s.marked_by_id) for s in marked] == [
        ("pill_box", 0.5, 3.0, world.clinician.pk),
        ("phone_call", 3.5, 6.5, world.clinician.pk),
    ]
    table = page.inner_text(".task-table")
    assert "Prepare a pill box" in table and "Make a phone call" in table
    screenshot(page, "tasks-session-marked")
    omitted = MetricSample.objects.get(session=session, metric="tasks.omitted_count")
    assert omitted.value == 3

    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector("#tasks-gantt .main-svg")
    page.wait_for_selector("#tasks-trends .main-svg")
    gantt = page.inner_text("#tasks-gantt")
    assert "1. Prepare a pill box" in gantt and "2. Make a phone call" in gantt
    assert "omitted: Water a plant, Read an article, Prepare a hot drink" in gantt
    page.locator("#dashboard-tasks").scroll_into_view_if_needed()
    screenshot(page, "tasks-dashboard-gantt")
    assert page.errors == []


def _tasks_row_point(page, time_s: float) -> tuple[float, float]:
    """Where a time of the video is on the timeline's tasks row, on the screen."""
    return tuple(
        page.evaluate(
            """(t) => {
                const g = document.getElementById("timeline"), r = g.getBoundingClientRect();
                const n = g.layout.meta.tasks_row;
                const x = g._fullLayout["xaxis" + n], y = g._fullLayout["yaxis" + n];
                return [r.left + x._offset + x.d2p(t), r.top + y._offset + y._length / 2];
            }""",
            time_s,
        )
    )


def test_a_drag_along_the_tasks_row_fills_the_task_form(page, live_server, visit):
    world, session = visit
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.wait_for_selector("#timeline .main-svg")
    assert "Tasks of the visit (drag along this row" in page.inner_text("#timeline")
    page.locator("#timeline").scroll_into_view_if_needed()
    page.mouse.move(*_tasks_row_point(page, 2.0))
    page.mouse.down()
    page.mouse.move(*_tasks_row_point(page, 4.0), steps=5)
    page.mouse.move(*_tasks_row_point(page, 5.0), steps=5)
    page.mouse.up()
    assert page.locator("#task-mark-details").get_attribute("open") is not None
    assert float(page.input_value("#task-mark-form input[name=start_s]")) == pytest.approx(2.0, abs=0.05)
    assert float(page.input_value("#task-mark-form input[name=end_s]")) == pytest.approx(5.0, abs=0.05)
    assert "choose the task in \u201cMark a task with its times\u201d" in page.inner_text(
        "#timeline-drag-status"
    )
    assert page.input_value("#add-event-form input[name=start_s]") == ""  # the events form is left alone
    page.select_option("#task-mark-form select[name=task_code]", "phone_call")
    screenshot(page, "tasks-timeline-drag")
    with page.expect_navigation():
        page.click("#task-mark-form [type=submit]")
    marked = TaskSegment.objects.get(session=session)
    assert (marked.task_code, marked.source) == ("phone_call", TaskSegment.Source.MARKED)
    assert (marked.start_s, marked.end_s) == (pytest.approx(2.0, abs=0.05), pytest.approx(5.0, abs=0.05))
    page.wait_for_selector("#timeline .main-svg")
    assert "Make a phone call" in page.inner_text("#timeline")  # the marked task is a bar of the row
    assert page.errors == []
