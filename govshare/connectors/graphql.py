"""A department's GraphQL API as a source, another govshare platform's included (cascade).

The remote schema is introspected once (:meth:`GraphqlConnector.prepare`, and again before
a request while it has not answered); what each table's root field offers becomes the
connector's capabilities (connectors.graphql_schema). One request to the connector is one
GraphQL request, but for pages beyond ``page_size`` rows and lookups beyond
``lookup_batch`` keys. Each request carries the caller's purpose and request id
(connectors.exchange).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govshare.catalog.model import ItemType
from govshare.connectors.base import Capabilities, Connector, Count, Declined, Select, SourceUnavailable, TableRef
from govshare.connectors.completion import selected
from govshare.connectors.credentials import Credential
from govshare.connectors.exchange import current_headers
from govshare.connectors.graphql_query import (
    Json,
    Untranslatable,
    count_document,
    keyset,
    list_document,
    lookup_document,
    order_json,
    where_json,
)
from govshare.connectors.graphql_schema import INTROSPECTION, RemoteSchema, RemoteSchemaError, RemoteTable, read_table
from govshare.connectors.http_client import JsonClient
from govshare.connectors.json_values import DECODERS
from govshare.filters import OPS, And, Cmp, Filter, Not, Or, OrderKey, conjoin

log = logging.getLogger(__name__)

_BOOLEAN = ("and", "or", "not")


@dataclass(frozen=True, slots=True)
class RemoteCapabilities(Capabilities):
    """Also declines a comparison with null that the remote cannot express (``isNull``,
    and ``or`` for an ``in`` list holding null)."""

    def _decline_filter(self, where: Filter | None, *, top: bool) -> str | None:
        if isinstance(where, Cmp) and _tests_null(where):
            expressible = "isNull" in self.filter_ops and (self.boolean_filters or where.op != "in")
            if not expressible:
                return f"a '{where.op}' comparison with null"
        return Capabilities._decline_filter(self, where, top=top)


def _tests_null(cmp: Cmp) -> bool:
    if cmp.op in ("in", "nin"):
        return any(v is None for v in cmp.value)
    return cmp.op in ("eq", "ne") and cmp.value is None


# Before the remote schema is known only what every table of a graphql source offers.
_UNKNOWN = RemoteCapabilities(filter_ops=frozenset())


class GraphqlConnector(Connector):
    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout: float = 10.0,
        page_size: int = 1000,
        lookup_batch: int = 100,
        tables: Iterable[TableRef] = (),
        credential: Credential | None = None,
    ) -> None:
        for option, value in (("page_size", page_size), ("lookup_batch", lookup_batch)):
            if value < 1:
                raise ValueError(f"source '{name}': option '{option}' must be a positive integer, got {value}")
        self.name = name
        self._url = url
        self._client = JsonClient(name, url, timeout=timeout, credential=credential)
        self._page_size = page_size
        self._lookup_batch = lookup_batch
        self._known = tuple(tables)
        self._schema: RemoteSchema | None = None
        # What the remote schema offers per table shape, or why it serves none.
        self._tables: dict[tuple[str, str, frozenset[str]], RemoteTable | RemoteSchemaError] = {}
        self._learning = asyncio.Lock()
        self.capabilities: Capabilities = _UNKNOWN

    # ------------------------------------------------------------ the remote schema

    async def prepare(self) -> None:
        if self._schema is not None:
            return
        async with self._learning:
            if self._schema is None:
                data = await self._query(INTROSPECTION, {})
                try:
                    schema = RemoteSchema.parse(data)
                except (KeyError, TypeError) as e:
                    raise SourceUnavailable(self.name, "malformed introspection answer") from e
                served = []
                for table in self._known:
                    with contextlib.suppress(SourceUnavailable):  # unavailable on its own; the others serve
                        served.append((table, self._read(schema, table)))
                self._schema = schema
                self.capabilities = _capabilities(served)

    def _read(self, schema: RemoteSchema, table: TableRef) -> RemoteTable:
        shape = (table.name, table.key, frozenset(table.columns))
        if shape not in self._tables:
            try:
                self._tables[shape] = read_table(schema, table.name, table.key, table.columns)
            except RemoteSchemaError as e:
                log.warning("source %s cannot serve table %s: %s", self.name, table.name, e)
                self._tables[shape] = e
        found = self._tables[shape]
        if isinstance(found, RemoteSchemaError):
            # The reason names no table: callers may not know the source's names.
            raise SourceUnavailable(self.name, "its schema does not serve this table (see the server log)") from found
        return found

    async def _remote(self, request: Select | Count) -> RemoteTable:
        for column in (*(request.columns if isinstance(request, Select) else ()), *_columns(request.where)):
            if column not in request.table.columns:
                raise ValueError(f"column '{column}' is not declared for table '{request.table.name}'")
        await self.prepare()
        assert self._schema is not None
        reason = self.capabilities.decline(request)
        if reason:
            raise Declined(self.name, reason)
        return self._read(self._schema, request.table)

    # ------------------------------------------------------------ requests

    async def select(self, request: Select) -> list[tuple[Any, ...]]:
        remote = await self._remote(request)
        if request.limit == 0:
            return []
        if not remote.listed:
            return await self._looked_up(remote, request)
        columns = tuple(dict.fromkeys([*request.columns, *(o.column for o in request.order)]))
        where: Filter | None = request.where
        local = False  # whether the page starts here rather than at the source
        if request.after is not None:
            if len(request.after) != len(request.order):
                raise ValueError("'after' needs one value per order column")
            beyond = keyset(request.order, request.after)
            if beyond is None:
                return []
            try:
                where_json(remote, beyond)
                where = conjoin(request.where, beyond)
            except Untranslatable:  # read from the start, the page cut here
                local = True
        try:
            sent_where, order = where_json(remote, where), order_json(remote, request.order)
        except Untranslatable as e:
            raise Declined(self.name, str(e)) from None
        rows = await self._rows(remote, request.table, columns, sent_where, order, None if local else request.limit)
        if local:
            fetched = Select(request.table, columns, request.where, request.order)
            rows = selected(request, fetched, rows)
        if columns != request.columns:
            rows = [row[: len(request.columns)] for row in rows]
        return rows

    async def count(self, request: Count) -> int:
        remote = await self._remote(request)
        try:
            document, variables = count_document(remote, where_json(remote, request.where))
        except Untranslatable as e:
            raise Declined(self.name, str(e)) from None
        answer = await self._query(document, variables)
        total = _at(answer, ("rows", "aggregate", "count") if remote.aggregate_count else ("rows", "totalCount"))
        if isinstance(total, bool) or not isinstance(total, int):
            raise SourceUnavailable(self.name, "malformed response: no count")
        return total

    async def _rows(
        self,
        remote: RemoteTable,
        table: TableRef,
        columns: Sequence[str],
        where: Json | None,
        order: list[Json] | Json,
        limit: int | None,
    ) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        cursor: str | None = None
        paged = remote.cursor is not None or remote.offset is not None
        while True:
            wanted = None if limit is None else limit - len(rows)
            size = wanted if not paged else self._page_size if wanted is None else min(wanted, self._page_size)
            offset = len(rows) if rows and remote.cursor is None else None
            document, variables = list_document(remote, columns, where, order, size, offset=offset, cursor=cursor)
            answer = (await self._query(document, variables)).get("rows")
            items = _edges(answer) if remote.nodes == ("edges", "node") else _at(answer, remote.nodes)
            rows += self._decoded(table, columns, items)
            if size is None or len(items) < size or (limit is not None and len(rows) >= limit):
                return rows
            if remote.cursor is not None:
                page = _at(answer, ("pageInfo",))
                if not isinstance(page, dict) or not page.get("hasNextPage"):
                    return rows
                cursor = page.get("endCursor")
                if not isinstance(cursor, str):
                    raise SourceUnavailable(self.name, "malformed response: a next page without a cursor")

    async def _looked_up(self, remote: RemoteTable, request: Select) -> list[tuple[Any, ...]]:
        keys = _keys(request.table.key, request.where)
        if keys is None:
            raise Declined(self.name, "listing rows of a table the source serves by key only")
        columns = tuple(dict.fromkeys([request.table.key, *request.columns, *(o.column for o in request.order),
                                       *_columns(request.where)]))  # fmt: skip
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), self._lookup_batch):
            chunk = keys[start : start + self._lookup_batch]
            answer = await self._query(*lookup_document(remote, columns, chunk))
            found = [answer.get(f"r{i}") for i in range(len(chunk))]
            rows += self._decoded(request.table, columns, [f for f in found if f is not None])
        fetched = Select(request.table, columns, None, (OrderKey(request.table.key),))
        return [row[: len(request.columns)] for row in selected(request, fetched, rows)]

    def _decoded(self, table: TableRef, columns: Sequence[str], items: Any) -> list[tuple[Any, ...]]:
        if not isinstance(items, list):
            raise SourceUnavailable(self.name, "malformed response: no list of rows")
        decoders = [(c, DECODERS[ItemType(table.columns[c])]) for c in columns]
        try:
            return [tuple(None if (v := item[c]) is None else decode(v) for c, decode in decoders) for item in items]
        except (KeyError, TypeError, ValueError) as e:
            raise SourceUnavailable(self.name, f"malformed response: bad row ({type(e).__name__})") from e

    async def _query(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        answer = await self._client.post_json(self._url, {"query": document, "variables": variables},
                                              current_headers())  # fmt: skip
        errors = answer.get("errors")
        if errors:
            log.warning("source %s answered errors: %.600s", self.name, errors)
            raise SourceUnavailable(self.name, _refusal(errors))
        data = answer.get("data")
        if not isinstance(data, dict):
            raise SourceUnavailable(self.name, "malformed response: no data")
        return data

    async def ping(self) -> None:
        data = await self._query("query govsharePing { __typename }", {})
        if not isinstance(data.get("__typename"), str):
            raise SourceUnavailable(self.name, "malformed response to a ping")

    async def close(self) -> None:
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"<GraphqlConnector {self.name}>"


def _capabilities(tables: Iterable[tuple[TableRef, RemoteTable]]) -> Capabilities:
    """What every given table offers (the connector's capabilities hold for all its tables)."""
    ops = {op for ops in OPS.values() for op in ops}
    boolean = order_by = count = True
    tables = list(tables)
    if not tables:
        return _UNKNOWN
    for table, remote in tables:
        if not remote.listed:
            ops &= {"eq", "in"}
            boolean = order_by = count = False
            continue
        for column, item_type in table.columns.items():
            offered = remote.ops.get(column, {})
            ops -= {op for op in OPS[ItemType(item_type)] if op not in offered}
        boolean = boolean and all(c in remote.combinators for c in _BOOLEAN)
        order_by = order_by and all(c in remote.directions for c in table.columns)
        count = count and (remote.total_count or remote.aggregate_count is not None)
    return RemoteCapabilities(frozenset(ops), boolean_filters=boolean, order_by=order_by, count=count)


def _refusal(errors: Any) -> str:
    """The first error as callers may see it: its code, where, and what it says."""
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = (first.get("extensions") or {}).get("code")
    path = ".".join(str(p) for p in first.get("path") or [])
    message = str(first.get("message", ""))[:200]
    where = f" at {path}" if path else ""
    return f"the source answered an error{f' {code}' if code else ''}{where}: {message}"


def _at(value: Any, path: Sequence[str]) -> Any:
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _edges(answer: Any) -> Any:
    edges = _at(answer, ("edges",))
    return [_at(e, ("node",)) for e in edges] if isinstance(edges, list) else None


def _columns(where: Filter | None) -> list[str]:
    if where is None:
        return []
    if isinstance(where, Cmp):
        return [where.column]
    parts = where.parts if isinstance(where, And | Or) else (where.part,) if isinstance(where, Not) else ()
    return [c for p in parts for c in _columns(p)]


def _keys(key: str, where: Filter | None) -> list[Any] | None:
    """The key values an AND of conditions allows, or None when it does not name them."""
    parts = where.parts if isinstance(where, And) else (where,) if where is not None else ()
    for part in parts:
        if isinstance(part, Cmp) and part.column == key and part.op in ("eq", "in"):
            values = part.value if part.op == "in" else (part.value,)
            return list(dict.fromkeys(v for v in values if v is not None))
    return None
