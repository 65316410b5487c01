"""A Testville gateway served over HTTP with its audit log, for the audit tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog
from govshare.auth import issue_token
from govshare.settings import Settings
from govshare.store.database import migrate, store_engine
from tests.services import POSTGRES, fresh_database
from tests.testville import City
from tests.worlds import graphql_headers, serve_gateway


@dataclass
class Served:
    url: str
    settings: Settings

    def token(self, department: str = "transport", roles: tuple[str, ...] = ("member",)) -> str:
        return issue_token(self.settings, department, "alice", list(roles))

    def post(self, query: str, *, department: str = "transport", purpose: str | None = "work_reference",
             roles: tuple[str, ...] = ("member",), **kwargs: Any) -> httpx.Response:  # fmt: skip
        headers = graphql_headers(self.settings, department, "alice", roles, purpose)
        return httpx.post(f"{self.url}/graphql", json={"query": query, **kwargs}, headers=headers, timeout=30)


async def new_log(store_url: str, key: bytes, keyring: Path, **options: Any) -> AuditLog:
    """An audit log on a freshly migrated store; ``log.engine`` is its engine."""
    engine = store_engine(store_url)
    await migrate(engine)
    return AuditLog(engine, key, ResultKeys(keyring, keyring.stem), **options)


def served_settings(directory: Path, store_url: str = "") -> Settings:
    return Settings(data_dir=directory, store_url=store_url, secret="audit-tests-signing-key-0123456789")


@pytest.fixture
def served(city: City, tmp_path: Path) -> Iterator[Served]:
    settings = served_settings(tmp_path)
    with serve_gateway(city.catalog, settings) as url:
        yield Served(url, settings)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty platform database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'platform.db'}"
    else:
        with fresh_database(POSTGRES) as url:
            yield url
