"""A Testville gateway served over HTTP (uvicorn in a thread), and its audit log read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare.audit.record import AuditRecord
from tests.audit.conftest import Served, served_settings
from tests.testville import City
from tests.worlds import read_audit, serve_gateway

# What no message may show (DESIGN §11): stack traces, SQL, file paths, hosts, drivers.
LEAKS = ("Traceback", 'File "', "/work", "/tmp", "site-packages", "SELECT ", "sqlite", "asyncpg", "127.0.0.1")


def audit_records(served: Served) -> list[AuditRecord]:
    """Every record of the served platform's audit log, oldest first."""
    return read_audit(served.settings)


@pytest.fixture(scope="module")
def server(city: City, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = served_settings(tmp_path_factory.mktemp("boundary"))
    with serve_gateway(city.catalog, settings) as url:
        yield Served(url, settings)


@pytest.fixture
def served(city: City, tmp_path: Path) -> Iterator[Served]:
    """A server of its own, for tests that change what runs inside it."""
    settings = served_settings(tmp_path)
    with serve_gateway(city.catalog, settings) as url:
        yield Served(url, settings)
