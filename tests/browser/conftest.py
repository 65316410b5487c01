"""Browser tests: Playwright driving Debian's `chromium` (no downloaded browser), against a real server.

Without chromium or the playwright package the tests are skipped, or fail when
``GOVSHARE_REQUIRE_SERVICES=1`` (CI), like the database services.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

# The same real server as the HTTP tests: Testville served by uvicorn, with its signing settings.
from tests.gateway.test_http import base_url, settings

__all__ = ["base_url", "chromium", "settings"]


def _missing(message: str) -> NoReturn:
    if os.environ.get("GOVSHARE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser, Debian's build.

    Module-scoped: Playwright's sync API holds an event loop on the main thread while it
    runs, so it must be stopped before the asyncio tests of the next module."""
    executable = shutil.which("chromium")
    if executable is None:
        _missing("Debian's chromium is not installed (`apt-get install -y chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is missing (`uv sync`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()
