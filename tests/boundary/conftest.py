"""A Testville gateway served over HTTP (uvicorn in a thread), and its audit log read back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare.app import create_app
from govshare.audit.read import EVERY_RECORD, AuditFilter, list_records
from govshare.audit.record import AuditRecord
from govshare.store.database import store_engine
from tests.audit.conftest import Served, served_settings
from tests.services import serve_app
from tests.testville import City

# What no message may show (DESIGN §11): stack traces, SQL, file paths, hosts, drivers.
LEAKS = ("Traceback", 'File "', "/work", "/tmp", "site-packages", "SELECT ", "sqlite", "asyncpg", "127.0.0.1")


def audit_records(served: Served) -> list[AuditRecord]:
    """Every record of the served platform's audit log, oldest first."""

    async def read() -> list[AuditRecord]:
        engine = store_engine(served.settings.effective_store_url)
        try:
            return await list_records(engine, AuditFilter(), EVERY_RECORD, first=10_000, newest_first=False)
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture(scope="module")
def server(city: City, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = served_settings(tmp_path_factory.mktemp("boundary"))
    with serve_app(create_app(city.catalog, settings), lifespan="on") as url:
        yield Served(url, settings)


@pytest.fixture
def served(city: City, tmp_path: Path) -> Iterator[Served]:
    """A server of its own, for tests that change what runs inside it."""
    settings = served_settings(tmp_path)
    with serve_app(create_app(city.catalog, settings), lifespan="on") as url:
        yield Served(url, settings)
