"""Policyville served over HTTP with a fresh platform database per test, at a fixed time.

The clock (``GOVSHARE_NOW``) starts every test on Monday 2 March 2026, 10:00 in China, a
working day of the official calendar; tests that need another moment move it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from govshare.settings import Settings
from tests.policies.world import SECRET, Api, World, make_world
from tests.workflows.desk import Desk
from tests.worlds import serve_gateway

START = "2026-03-02T10:00:00+08:00"


@pytest.fixture(autouse=True)
def set_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Move the platform clock (in this process, where the test server runs too)."""

    def move(moment: str) -> None:
        monkeypatch.setenv("GOVSHARE_NOW", moment)

    move(START)
    return move


@pytest.fixture(scope="session")
def policyville(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("policyville"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "platform", secret=SECRET)


@contextlib.contextmanager
def serving(world: World, settings: Settings) -> Iterator[Desk]:
    with serve_gateway(world.catalog, settings) as url, httpx.Client(timeout=30) as http:
        yield Desk(Api(http, url, settings))


@pytest.fixture
def desk(policyville: World, settings: Settings) -> Iterator[Desk]:
    with serving(policyville, settings) as served:
        yield served


@pytest.fixture(scope="module")
def refusals(policyville: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One gateway for a module's operations that must be refused: they leave nothing behind,
    so the tests sharing it cannot disturb each other."""
    with serving(policyville, Settings(data_dir=tmp_path_factory.mktemp("platform"), secret=SECRET)) as served:
        yield served
