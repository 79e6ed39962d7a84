"""Fixtures of the browser tests: one headless Chromium per session, a fresh page per test.

The browser is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it with apt-get when it is
missing), driven by Playwright without Playwright's own browser download. Without it the tests
skip with the reason, except under CI (``CI=true``), where a missing browser is a failure: CI
must never report green for browser tests that did not run.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
# Every wait is bounded: a page that never shows what a test waits for fails in seconds.
TIMEOUT_MS = 10_000

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(
            f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
        )
    from playwright.sync_api import sync_playwright  # test_walkthrough skips without it

    # Playwright's sync API keeps an asyncio loop in this thread, so Django would refuse ORM
    # calls from the test ("you cannot call this from an async context"). The tests are
    # plain synchronous code; the loop only talks to the browser.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def watch(page, problems: list[str], expected_refusals=()) -> None:
    """Record in ``problems`` every JavaScript error, console error (CSP violations among
    them) and response of 400 and above that ``page`` sees, except the refusals a test
    asks for: ``(status, path)`` pairs in ``expected_refusals``."""
    expected = {(status, path) for status, path in expected_refusals}

    def refused(message) -> bool:
        # Chromium also logs an expected refusal as "Failed to load resource: ... 403".
        path = urlsplit(message.location.get("url", "")).path
        return message.text.startswith("Failed to load resource") and any(
            path == refused_path for _, refused_path in expected
        )

    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    # Content-Security-Policy violations (a blocked inline script or style) are reported only
    # as console errors, so any console error fails the test too. Except the browser's own
    # guess at /favicon.ico on pages that name no icon (the Django admin's): not a page's error.
    page.on(
        "console",
        lambda message: (
            problems.append(f"console error: {message.text}")
            if message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")
            and not refused(message)
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400
            and (response.status, urlsplit(response.url).path) not in expected
            else None
        ),
    )


@pytest.fixture
def page(browser):
    """A page in a fresh context (no cookies), which fails the test on any JavaScript error,
    any console error (CSP violations among them) or any response of 400 and above."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    watch(page, problems)
    yield page
    context.close()
    assert problems == [], "the browser saw errors"


@pytest.fixture
def open_page(browser):
    """``open_page(width, height, expected_refusals)``: a page in a fresh context of that
    viewport, watched like ``page`` (``watch``); the test fails at the end if any of them saw
    an error."""
    contexts, problems = [], []

    def open_(width: int, height: int = 844, expected_refusals=()):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch(page, problems, expected_refusals)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert problems == [], "the browser saw errors"


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, "name")`` saves a PNG of the viewport (1280×800, or a phone's
    390×844): into docs/screenshots/ when
    MEDH_SCREENSHOTS=1 (to refresh the committed set), otherwise into a temporary directory,
    so every run still exercises the pages the screenshots show."""
    directory = SCREENSHOT_DIR if os.environ.get("MEDH_SCREENSHOTS") == "1" else tmp_path
    directory.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = directory / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
