"""Fixtures for end-to-end tests in real headless Chromium (Playwright's sync API).

The pages run on pytest-django's `live_server` (a real HTTP server in a thread, on a
transactional test database), so a test sees exactly what a browser sees: templates, static
JS and CSS, CSRF, the login form and its rate limiting.

Debian's `chromium` package provides the browser (`apt-get install chromium chromium-driver`;
bin/test installs it in CI). Screenshots go to ARTIFACTS (tests/e2e/artifacts/, git-ignored).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD
from workers.celery import app

# Playwright's sync API runs an asyncio loop in this thread; the test itself still talks to the
# database synchronously (fixtures, assertions), which Django refuses in a thread with a running
# loop unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORT = {"width": 1366, "height": 850}  # a common laptop screen


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole test session (starting it takes about a second)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing. Install Debian's browser with "
            "`apt-get install -y chromium chromium-driver` (bin/test does this), then rerun."
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh browser context (own cookies and storage) and page per test, with the live
    server as base URL (so `page.goto("/upload/")` works).

    Uncaught script errors are collected on `page.errors` (assert it is empty to prove the page
    ran cleanly); console errors, which include the browser's own notes about 4xx answers and
    aborted requests, on `page.console_errors`.
    """
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    new_page.errors = []
    new_page.console_errors = []
    new_page.on("pageerror", lambda exc: new_page.errors.append(str(exc)))
    new_page.on(
        "console", lambda msg: new_page.console_errors.append(msg.text) if msg.type == "error" else None
    )
    yield new_page
    context.close()


def login_in_browser(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form (the same path a person takes, CSRF included)."""
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form [type=submit]").first.click()
    login_path = reverse("login")
    if page.url.split("?")[0].endswith(login_path):
        shot = ARTIFACTS / f"login-failed-{username}.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"Logging in as {username} through the form failed; see {shot}.")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ARTIFACTS/<name>.png (name may hold a folder) and return
    its path."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def eager_tasks(settings):
    """Run Celery tasks in-process, so that the real analysis runs inside the live server.

    The Celery app read CELERY_TASK_ALWAYS_EAGER once at import, so its own flag is switched too
    (and restored afterwards).
    """
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield settings
    app.conf.task_always_eager = previous


def wait_until(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript expression with page.evaluate (the pages' CSP forbids the string
    evaluation that page.wait_for_function uses)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(100)
