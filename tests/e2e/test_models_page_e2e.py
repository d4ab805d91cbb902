"""The models page in headless Chromium: the server-rendered Plotly chart draws (Plotly.js served
locally, loaded before the chart's inline script) without script errors, and activation works
through the real form."""

from __future__ import annotations

import pytest

from results.gesture_models import active_gesture_model
from results.models import ModelVersion
from results.reviews import event_review_create
from tests.e2e.conftest import login_in_browser, screenshot
from tests.factories import make_analysed_session, make_world
from tests.praxis_platform.conftest import PIPELINE_VERSION, add_event, praxis_protocol

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_chart_draws_and_a_version_is_activated(page, live_server):
    world = make_world()
    job = make_analysed_session(
        world.patient,
        by=world.clinician,
        tracks=None,
        protocol=praxis_protocol(),
        pipeline_version=PIPELINE_VERSION,
    )
    for decision, kind in (("confirm", "body_rocking"), ("reject", "body_rocking"), ("confirm", "gesture")):
        event = add_event(job, kind=kind, start_s=1.0, end_s=2.0)
        event_review_create(event=event, reviewer=world.clinician, decision=decision)
    version = ModelVersion.objects.create(
        name="gesture-tcn", version="v1", kind=ModelVersion.Kind.GESTURE, metrics={"test_accuracy": 0.9}
    )
    login_in_browser(page, live_server, world.admin.username)
    page.goto("/models/")
    page.wait_for_selector("#agreement-chart .main-svg")  # Plotly drew its SVG
    assert page.locator("#agreement-chart .bars .point").count() > 0
    assert page.locator("#agreement-body_rocking td").nth(5).inner_text() == "0.500"  # precision 1/2
    screenshot(page, "models-page")
    with page.expect_navigation():
        page.locator(f"#model-version-{version.pk} button[type=submit]").click()
    assert "is now the active gesture model" in page.inner_text("main")
    assert active_gesture_model() == version
    assert page.errors == []
