"""Department JSON APIs over HTTP (the API shape is in docs/connectors.md).

Such an API filters by equality and membership, pages by its key ascending and
can count; everything else is declined by the declared capabilities.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from govshare.catalog.model import ItemType
from govshare.connectors.base import Capabilities, Connector, Count, Declined, Select, SourceUnavailable, TableRef
from govshare.filters import And, Cmp, Filter

log = logging.getLogger(__name__)

_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
# What a pooled connection closed by the other side at the moment of sending looks like.
_STALE = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def _as_str(v: Any) -> str:
    return v if isinstance(v, str) else str(v)  # numeric IDs are common in JSON APIs


def _as_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("not an integer")
    return v


def _as_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError("not a number")
    return float(v)


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise TypeError("not a boolean")


# JSON value → Python value of the item type (None passes through).
_DECODERS: dict[ItemType, Callable[[Any], Any]] = {
    ItemType.ID: _as_str,
    ItemType.STRING: _as_str,
    ItemType.INT: _as_int,
    ItemType.FLOAT: _as_float,
    ItemType.BOOLEAN: _as_bool,
    ItemType.DATE: date.fromisoformat,
    ItemType.DATETIME: datetime.fromisoformat,
}


@functools.cache
def _tls() -> ssl.SSLContext:
    """One certificate-verifying TLS context for all connectors: loading the CA bundle
    costs tens of milliseconds per client otherwise."""
    return httpx.create_ssl_context()


class HttpConnector(Connector):
    capabilities = Capabilities(
        filter_ops=frozenset({"eq", "in"}), boolean_filters=False, order_by=False, count=True, aggregate=False
    )

    def __init__(self, name: str, base_url: str, *, timeout: float = 10.0) -> None:
        if timeout <= 0:
            raise ValueError(f"source '{name}': the timeout must be positive")
        self.name = name
        self.timeout = timeout
        # One client for the connector's life: its connection pool is reused across requests.
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", timeout=timeout, follow_redirects=False, verify=_tls()
        )

    async def select(self, request: Select) -> list[tuple[Any, ...]]:
        self._check(request)
        if request.after is not None and len(request.after) != 1:
            raise ValueError("'after' holds the key value only")
        decoders = [(c, _DECODERS[_type(request.table, c)]) for c in request.columns]
        body = {
            "fields": list(request.columns),
            "where": _where(request.table, request.where),
            "after": request.after[0] if request.after is not None else None,
            "limit": request.limit,
            "count": False,
        }
        items = (await self._search(request.table, body)).get("items")
        if not isinstance(items, list):
            raise SourceUnavailable(self.name, "malformed response: no 'items' list")
        try:
            return [tuple(None if (v := item[c]) is None else decode(v) for c, decode in decoders) for item in items]
        except (KeyError, TypeError, ValueError) as e:
            raise SourceUnavailable(self.name, f"malformed response: bad item ({type(e).__name__})") from e

    async def count(self, request: Count) -> int:
        self._check(request)
        body = {"fields": [], "where": _where(request.table, request.where), "limit": 0, "count": True}
        total = (await self._search(request.table, body)).get("total")
        if isinstance(total, bool) or not isinstance(total, int):
            raise SourceUnavailable(self.name, "malformed response: no 'total' count")
        return total

    async def ping(self) -> None:
        response = await self._send("GET", "health")
        if response.status_code != 200:
            raise SourceUnavailable(self.name, f"health check answered HTTP {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()

    def _check(self, request: Select | Count) -> None:
        # The gateway checks capabilities first; this keeps a direct caller honest too.
        reason = self.capabilities.decline(request)
        if reason:
            raise Declined(self.name, reason)

    async def _search(self, table: TableRef, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._send("POST", quote(table.name, safe="/") + "/search", orjson.dumps(body))
        if not 200 <= response.status_code < 300:
            # The body may explain (a renamed field…); it goes to the log, not to callers.
            log.warning("source %s answered HTTP %s: %.300s", self.name, response.status_code, response.text)
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}")
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SourceUnavailable(self.name, "invalid JSON in the response") from None
        if not isinstance(data, dict):
            raise SourceUnavailable(self.name, "malformed response: not a JSON object")
        return data

    async def _send(self, method: str, path: str, content: bytes | None = None) -> httpx.Response:
        # httpx timeouts are per phase; this bounds the whole exchange.
        deadline = asyncio.timeout(self.timeout)
        headers = _JSON_HEADERS if content else None
        try:
            async with deadline:
                try:
                    return await self._client.request(method, path, content=content, headers=headers)
                except _STALE:
                    # A kept-alive connection the API closed as the request went out: one fresh try
                    # (every request of this API only reads).
                    return await self._client.request(method, path, content=content, headers=headers)
        except (httpx.HTTPError, OSError) as e:  # OSError covers TimeoutError
            if deadline.expired() or isinstance(e, httpx.TimeoutException):
                reason = f"no answer within {self.timeout:g} s"
            elif isinstance(e, httpx.ConnectError):
                reason = "cannot connect"
            else:
                reason = f"request failed ({type(e).__name__})"  # never the message: it holds the URL
            raise SourceUnavailable(self.name, reason) from e


def _type(table: TableRef, name: str) -> ItemType:
    try:
        return ItemType(table.columns[name])
    except KeyError:
        raise ValueError(f"column '{name}' is not declared for collection '{table.name}'") from None


def _where(table: TableRef, where: Filter | None) -> dict[str, dict[str, Any]]:
    """The AND of comparisons as the API's ``where`` object: one entry per column; several
    constraints on one column become a single ``in`` of the values they all allow."""
    by_column: dict[str, list[Cmp]] = {}
    for cmp in _conjuncts(where):
        _type(table, cmp.column)
        by_column.setdefault(cmp.column, []).append(cmp)
    result: dict[str, dict[str, Any]] = {}
    for col, cmps in by_column.items():
        if len(cmps) == 1:
            result[col] = {cmps[0].op: list(cmps[0].value) if cmps[0].op == "in" else cmps[0].value}
            continue
        allowed = _values(cmps[0])
        for other in cmps[1:]:
            kept = set(_values(other))
            allowed = [v for v in allowed if v in kept]
        result[col] = {"in": allowed}
    return result


def _conjuncts(where: Filter | None) -> list[Cmp]:
    if where is None:
        return []
    if isinstance(where, Cmp):
        return [where]
    if isinstance(where, And):
        return [cmp for part in where.parts for cmp in _conjuncts(part)]
    raise ValueError("only an AND of comparisons can be sent")  # declined before this point


def _values(cmp: Cmp) -> list[Any]:
    return list(cmp.value) if cmp.op == "in" else [cmp.value]
