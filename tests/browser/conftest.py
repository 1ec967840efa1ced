"""Browser-test fixtures, reusable by every domain: ``live_server`` (the LMS with
the shipped content on a real port), ``browser`` (Debian's Chromium through
Playwright) and ``new_page`` (a fresh browser context per call)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    LiveServer,
    ServerThread,
    axe_violations,  # noqa: F401  (re-exported for browser tests)
)
from tests.conftest import build_test_app, make_app

REQUIRED = bool(os.environ.get("CI") or os.environ.get("LMS_REQUIRE_BROWSER"))


@pytest.fixture
def live_server(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[LiveServer]:
    """The LMS with the shipped content, served on 127.0.0.1 on a free port."""
    app = build_test_app(database_backend, tmp_path, with_content=True)
    database_url = app.config["LMS_DATABASE_URL"]
    server = LiveServer(
        app=app, make=lambda: make_app(database_url), server=ServerThread(app), apps=[app]
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Factory: ``new_page(viewport=..., locale=...)`` opens a page in a NEW browser
    context (its own cookies and storage, like another phone)."""
    contexts = []

    def open_page(viewport: dict[str, int] | None = None, locale: str = "en-US", **options: Any):
        context = browser.new_context(
            viewport=viewport or PHONE, locale=locale, service_workers="allow", **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
