"""The graphql connector beyond the conformance suite: what it asks the remote API, in how many
requests, what it declines, and what it says when the remote schema or answer is not usable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from govshare.catalog.model import Source
from govshare.connectors import (
    Capabilities,
    Cmp,
    Connector,
    Declined,
    OrderKey,
    Select,
    SourceUnavailable,
    TableRef,
    open_connector,
)
from govshare.connectors.exchange import CURRENT, Exchange
from tests.connectors.conftest import ROWS, TABLE, load
from tests.connectors.graphql_source import make_graphql_app
from tests.services import serve_app

ALL = tuple(TABLE.columns)
KEYS = sorted(r["id"] for r in ROWS)


class Served:
    def __init__(self, app: Starlette, url: str) -> None:
        self.app, self.url = app, url

    @property
    def received(self) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = self.app.state.received
        return got

    def open(self, tables: tuple[TableRef, ...] = (TABLE,), **options: object) -> Connector:
        return open_connector(Source("remote", "test", "graphql", f"{self.url}/graphql", options), tables=tables)


@pytest.fixture(scope="module")
def items_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("graphql-items") / "items.db"
    load(f"sqlite:///{file}")
    return file


def _served(file: Path, **kwargs: Any) -> Iterator[Served]:
    app = make_graphql_app(file, **kwargs)
    with serve_app(app) as url:
        yield Served(app, url)


@pytest.fixture
def listed(items_file: Path) -> Iterator[Served]:
    yield from _served(items_file)


@pytest.fixture
def by_key_only(items_file: Path) -> Iterator[Served]:
    yield from _served(items_file, list_field=False)


def _rows(keys: list[str], columns: tuple[str, ...] = ALL) -> list[tuple[Any, ...]]:
    by_id = {r["id"]: r for r in ROWS}
    return [tuple(by_id[k][c] for c in columns) for k in sorted(keys)]


async def test_the_capabilities_are_what_the_remote_schema_offers(listed: Served) -> None:
    connector = listed.open()
    try:
        assert connector.capabilities.filter_ops == frozenset()  # nothing is known before it is asked
        await connector.prepare()
        # Hasura's comparison operators; it has no contains/startsWith, no grouping, no CSV.
        declared = Capabilities(
            filter_ops=frozenset({"eq", "ne", "in", "nin", "lt", "lte", "gt", "gte", "isNull"}),
            boolean_filters=True,
            order_by=True,
            count=True,
        )
        assert asdict(connector.capabilities) == asdict(declared)
        assert listed.received[-1]["query"].startswith("query govshareIntrospection")
    finally:
        await connector.close()


async def test_a_batch_of_keys_is_one_request(listed: Served) -> None:
    connector = listed.open()
    try:
        await connector.prepare()
        before = len(listed.received)
        keys = KEYS[::2]
        rows = await connector.select(Select(TABLE, ALL, Cmp("id", "in", tuple(keys)), (OrderKey("id"),)))
        assert rows == _rows(keys)
        assert len(listed.received) == before + 1
        sent = listed.received[-1]
        assert sent["variables"]["where"] == {"id": {"_in": keys}}
        assert sent["variables"]["order_by"] == [{"id": "asc_nulls_first"}]
    finally:
        await connector.close()


async def test_pages_beyond_the_page_size_are_read_in_turn(listed: Served) -> None:
    connector = listed.open(page_size=7)
    try:
        await connector.prepare()
        before = len(listed.received)
        rows = await connector.select(Select(TABLE, ("id",), None, (OrderKey("id"),)))
        assert rows == _rows(KEYS, ("id",))
        assert len(listed.received) - before == len(KEYS) // 7 + 1
        assert [r["variables"].get("offset") for r in listed.received[before:]][:3] == [None, 7, 14]
    finally:
        await connector.close()


async def test_a_source_served_by_key_only_is_read_with_one_alias_per_key(by_key_only: Served) -> None:
    # The catalog's table names the lookup field.
    table = TableRef("items_by_pk", "id", TABLE.columns)
    connector = by_key_only.open((table,), lookup_batch=4)
    try:
        await connector.prepare()
        assert connector.capabilities.filter_ops == {"eq", "in"}
        assert not connector.capabilities.order_by and not connector.capabilities.count
        keys = [*KEYS[:9], "no-such-key"]
        before = len(by_key_only.received)
        where = Cmp("id", "in", tuple(keys))
        rows = await connector.select(Select(table, ("id", "n"), where, (OrderKey("id"),), None, 5))
        assert rows == _rows(KEYS[:9], ("id", "n"))[:5]
        assert len(by_key_only.received) - before == 3  # 10 keys, 4 aliases a request
        assert "r3: items_by_pk(id: $k3)" in by_key_only.received[before]["query"]
        with pytest.raises(Declined, match="serves by key only"):
            await connector.select(Select(table, ("id",), None, (OrderKey("id"),)))
    finally:
        await connector.close()


async def test_the_purpose_and_request_id_go_with_every_request(items_file: Path) -> None:
    seen: list[tuple[str | None, str | None]] = []
    app = make_graphql_app(items_file)

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", []))
        seen.append((headers.get(b"x-purpose", b"").decode() or None, headers.get(b"x-request-id", b"").decode()))
        await app(scope, receive, send)

    with serve_app(recording) as url:
        connector = Served(app, url).open()
        token = CURRENT.set(Exchange("r-42", "work_reference"))
        try:
            await connector.select(Select(TABLE, ("id",), Cmp("id", "eq", "k001"), (OrderKey("id"),)))
        finally:
            CURRENT.reset(token)
            await connector.close()
    assert seen[-1] == ("work_reference", "r-42")
    assert len(seen) == 2  # the introspection, then the select, both under the exchange


async def test_an_error_of_the_remote_api_is_reported_with_its_message(listed: Served) -> None:
    # The remote refuses a limit it finds wrong: the reason says what it answered.
    connector = listed.open()
    try:
        await connector.prepare()
        with pytest.raises(SourceUnavailable) as info:
            await connector.select(Select(TABLE, ("id",), Cmp("day", "eq", "not a date"), (OrderKey("id"),)))
        assert info.value.reason.startswith("the source answered an error"), info.value.reason
    finally:
        await connector.close()


@pytest.mark.parametrize(
    ("table", "logged"),
    [
        (TableRef("items", "id", {**TABLE.columns, "ghost": TABLE.columns["name"]}), "has no field ghost"),
        (TableRef("items_by_pk", "name", TABLE.columns), "nor a lookup by 'name' alone"),
        (TableRef("things", "id", TABLE.columns), "no root field 'things'"),
    ],
)
async def test_a_table_the_remote_schema_cannot_serve_is_named_in_the_log(
    listed: Served, table: TableRef, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    connector = listed.open(tables=())
    try:
        with pytest.raises(SourceUnavailable, match="its schema does not serve this table"):
            await connector.select(Select(table, ("id",), None, (OrderKey(table.key),)))
    finally:
        await connector.close()
    assert any(logged in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_size": 0}, "option 'page_size' must be a positive integer"),
        ({"lookup_batch": "some"}, "option 'lookup_batch' must be a positive integer"),
        ({"pool_size": 2}, "unknown option 'pool_size' for graphql sources"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"source 'remote': {message}"):
        open_connector(Source("remote", "test", "graphql", "http://127.0.0.1:1/graphql", options))
