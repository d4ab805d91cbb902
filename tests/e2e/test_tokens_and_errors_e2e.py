"""The API tokens page and the error pages in headless Chromium, with screenshots; no script
error and no Content-Security-Policy violation on the way."""

import pytest

from tests.e2e.conftest import ARTIFACTS, login_in_browser

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_the_api_tokens_page_and_the_404_page_in_chromium(world, page, live_server):
    login_in_browser(page, live_server, world.statistician.username)
    page.goto("/tokens/")
    page.fill("input[name=name]", "R analysis scripts")
    with page.expect_navigation():
        page.locator("form.form [type=submit]").click()
    key = page.locator("#new-token-key").inner_text()
    assert len(key) > 30
    page.screenshot(path=str(ARTIFACTS / "api-tokens.png"), full_page=True)
    page.goto("/sessions/99999/")
    assert "Nothing here" in page.content()
    page.screenshot(path=str(ARTIFACTS / "not-found.png"), full_page=True)
    assert page.errors == []
    assert not [text for text in page.console_errors if "Content Security Policy" in text]
