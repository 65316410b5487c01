"""The Testville world (tests/world.py) on SQLite and a gateway over it, for every test folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from govshare.catalog import Catalog, parse_catalog
from govshare.gateway.executor import Gateway, GraphQLRequest, Outcome
from govshare.identity import Caller
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import BuiltSchema, build_schema
from govshare.settings import Settings
from tests import world
from tests.services import run_async
from tests.worlds import serve_gateway

RESIDENTS = 1000


@dataclass
class City:
    directory: Path
    urls: dict[str, str]
    data: world.WorldData
    catalog: Catalog
    schema: BuiltSchema


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    directory = tmp_path_factory.mktemp("testville")
    urls = world.sqlite_urls(directory)
    data = world.make_data(RESIDENTS)
    run_async(lambda: world.load(urls, data))
    (directory / "catalog.yaml").write_text(world.catalog_text(urls), encoding="utf-8")
    catalog = parse_catalog(world.catalog_text(urls), str(directory / "catalog.yaml"))
    return City(directory, urls, data, catalog, build_schema(catalog))


def export_platform(tmp_path_factory: pytest.TempPathFactory, name: str, **settings: Any) -> Settings:
    """A platform of its own whose exports of Testville take several statements (100 rows each)."""
    data_dir = tmp_path_factory.mktemp(name)
    return Settings(data_dir=data_dir, secret="an-export-test-key-of-enough-length", export_batch=100, **settings)


@pytest.fixture(scope="module")
def export_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return export_platform(tmp_path_factory, "export-platform")


@pytest.fixture(scope="module")
def export_url(city: City, export_settings: Settings) -> Iterator[str]:
    """Testville served over HTTP by the platform of ``export_settings``."""
    with serve_gateway(city.catalog, export_settings) as url:
        yield url


class Client:
    """Runs operations in-process as one department, like the HTTP endpoint does."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def run(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        department: str = "civil",
        purpose: str | None = "work_reference",
    ) -> Outcome:
        caller = Caller(department, "tester", ("member",))
        return await self.gateway.run(GraphQLRequest(query, variables), caller, purpose)

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        outcome = await self.run(query, variables, **kwargs)
        assert "errors" not in outcome.body, outcome.body["errors"]
        return outcome.body["data"]

    async def error_codes(self, query: str, **kwargs: Any) -> list[str]:
        return (await self.run(query, **kwargs)).codes


async def open_client(catalog: Catalog, data_dir: Path, schema: BuiltSchema | None = None, **settings: Any) -> Gateway:
    runtime = await open_runtime(catalog, Settings(data_dir=data_dir, **settings), poll=False)
    return Gateway(runtime, schema or build_schema(catalog))


@pytest.fixture
async def client(city: City, tmp_path: Path) -> AsyncIterator[Client]:
    gateway = await open_client(city.catalog, tmp_path, city.schema)
    try:
        yield Client(gateway)
    finally:
        await close_runtime(gateway.runtime)


@pytest.fixture
def statements() -> Iterator[list[tuple[str, str]]]:
    """Every SQL statement sent to a data source during the test, as (database file name, SQL).

    The platform database is left out: servers other tests keep running in this process poll it
    for policy versions at any moment.
    """
    seen: list[tuple[str, str]] = []

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        database = Path(str(conn.engine.url.database)).stem
        if database != "platform":
            seen.append((database, statement))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
