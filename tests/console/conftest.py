"""The console's tests: Policyville served over HTTP, a browser offline, and what they share."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govshare.audit import statistics
from govshare.settings import Settings
from govshare.store.database import store_engine
from tests.browser.conftest import chromium
from tests.browser.offline import Offline
from tests.policies.world import SECRET, World, make_world
from tests.services import run_async
from tests.worlds import graphql_headers, read_audit, serve_gateway

__all__ = ["chromium"]
# Screenshots of every page, for a person to look at (kept out of the repository).
SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "console"


@pytest.fixture(scope="module")
def policyville(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("console-world"))


@pytest.fixture
def served(policyville: World, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    settings = Settings(data_dir=tmp_path / "platform", secret=SECRET, stats_interval=0.1)
    with serve_gateway(policyville.catalog, settings) as url:
        yield url, settings


def bearer(settings: Settings, department: str, *roles: str) -> str:
    return graphql_headers(settings, department, f"{department}-user", roles or ("member",))["Authorization"][7:]


def signed_in(browser: Offline, url: str, bearer: str) -> Any:
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/console")
    page.fill("#token", bearer)
    page.click("button[type=submit]")
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def shown_rights(page: Any, resource: str) -> dict[str, str]:
    rows = page.locator(f"section#{resource} tbody tr")
    return {rows.nth(n).locator("td").nth(1).inner_text(): rows.nth(n).locator("td.rights").inner_text()
            for n in range(rows.count())}  # fmt: skip


def all_counted(settings: Settings) -> int:
    """Wait until the statistics have counted every audit record written so far (the server counts
    every ``stats_interval`` s), and return its seq. Read from the store, so that waiting adds no record."""

    async def progress() -> int:
        engine = store_engine(settings.effective_store_url)
        try:
            return await statistics.counted_up_to(engine)
        finally:
            await engine.dispose()

    last = read_audit(settings)[-1].seq
    deadline = time.monotonic() + 30
    while run_async(progress) < last:
        assert time.monotonic() < deadline, "the statistics did not count the records within 30 s"
        time.sleep(0.1)
    return last
