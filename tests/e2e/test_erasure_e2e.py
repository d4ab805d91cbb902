"""Erasure on request in headless Chromium: the clinician asks on the patient's erasure page, the
administrator confirms on the erasures page, and the patient is gone."""

from __future__ import annotations

import pytest

from patients.models import ErasureRequest, Patient
from tests.e2e.conftest import login_in_browser, screenshot
from tests.factories import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clinician_asks_and_an_administrator_confirms(browser, page, live_server):
    world = make_world()
    code = world.patient.code
    login_in_browser(page, live_server, world.clinician.username)
    page.goto(f"/patients/{code}/erasure/")
    assert "What will be erased" in page.inner_text("main")
    screenshot(page, "erasure-request")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Request erasure of {code}").click()
    assert "An administrator must confirm it" in page.inner_text("main")
    screenshot(page, "erasure-requested")

    admin_context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    admin = admin_context.new_page()
    login_in_browser(admin, live_server, world.admin.username)
    admin.goto("/erasures/")
    assert code in admin.inner_text("main")
    screenshot(admin, "erasure-list-pending")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Confirm erasure").click()
    assert f"{code} was erased" in admin.inner_text("main")
    screenshot(admin, "erasure-list-erased")
    admin_context.close()

    assert not Patient.objects.filter(code=code).exists()
    assert ErasureRequest.objects.get(pseudonym=code).status == ErasureRequest.Status.ERASED
    assert page.errors == []
