"""The dashboard and the session page draw with the vendored plotly.js basic bundle, in headless
Chromium: the browser fetches that bundle and never plotly.py's full copy (Dash's dcc.Graph uses
the window.Plotly the page loaded), and every trace of every chart (metric graphs, the tasks'
Gantt and trends, the session timeline) is drawn by a module of the bundle, under the pages'
Content-Security-Policy. The models page's bar chart: tests/e2e/test_models_page_e2e.py. Screenshots: tests/e2e/artifacts/plotly-basic-*.png.
"""

from datetime import date

import pytest
from django.urls import reverse

from frontend.review.plotly_asset import PLOTLY_JS_VERSION
from results.task_segments import task_segment_mark
from tests.e2e.conftest import login_in_browser, screenshot, wait_until
from tests.factories import make_analysed_session, make_world
from tests.tasks_platform.conftest import make_task_protocol

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1280, "height": 800}
METRICS = ("apathy.neutral_share", "stereotypy.episodes_per_min")

# Per chart on the page: how many traces it has, and how many the bundle draws as their own type
# (plotly.js turns a trace of a type it lacks into an invisible scatter trace: an empty chart).
TRACES_DRAWN = """Array.from(document.querySelectorAll('.js-plotly-plot'), (gd) => [gd.data.length,
  gd._fullData.filter((trace) => trace.type === (gd.data[trace.index].type || 'scatter')).length])"""


@pytest.fixture
def clinic(transactional_db):
    world = make_world()
    for day, values in ((date(2026, 9, 7), [0.5, 0.6]), (date(2026, 10, 5), [0.4, 0.7])):
        make_analysed_session(world.patient, by=world.clinician, on=day, windows={m: values for m in METRICS})
    job = make_analysed_session(
        world.patient, by=world.clinician, on=date(2026, 11, 2), protocol=make_task_protocol(),
        windows={m: [0.3, 0.5] for m in METRICS}, events=[("body_rocking", 1.0, 2.0)],
    )  # fmt: skip
    for code, start_s, end_s in (("pill_box", 1.0, 6.0), ("phone_call", 7.0, 12.0)):
        task_segment_mark(
            session=job.recording.session, task_code=code, start_s=start_s, end_s=end_s, by=world.clinician
        )
    return world, job


def _charts_drawn(page, at_least: int) -> None:
    wait_until(page, f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {at_least}")
    charts = page.evaluate(TRACES_DRAWN)
    assert len(charts) >= at_least and all(total > 0 and drawn == total for total, drawn in charts), charts


def test_chart_pages_load_only_the_basic_bundle_and_draw_every_trace(page, live_server, clinic):
    world, job = clinic
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size(LAPTOP)
    login_in_browser(page, live_server, world.clinician.username)

    page.goto(f"{live_server.url}/dashboards/patient/{world.patient.code}/")
    page.wait_for_selector(".metric-graph .js-plotly-plot .scatterlayer .point", state="attached")
    page.wait_for_selector("#tasks-gantt .main-svg")
    _charts_drawn(page, at_least=4)  # two metric graphs, the Gantt and the trends
    assert page.evaluate("window.Plotly.version") == PLOTLY_JS_VERSION
    screenshot(page, "plotly-basic-dashboard")

    page.goto(f"{live_server.url}/sessions/{job.recording.session_id}/")
    page.wait_for_selector("#timeline .main-svg")
    _charts_drawn(page, at_least=1)
    screenshot(page, "plotly-basic-session")

    plotly = {url for url in requested if "plotly" in url.lower()}
    assert plotly == {live_server.url + reverse("plotly_js")}, plotly
    assert page.errors == []
    assert not [text for text in page.console_errors if "Content Security Policy" in text]
