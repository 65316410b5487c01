"""Department JSON APIs over HTTP (the API shape is in docs/connectors.md).

Such an API filters by equality and membership, pages by its key ascending and
can count; everything else is declined by the declared capabilities.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from govshare.catalog.model import ItemType
from govshare.connectors.base import Capabilities, Connector, Count, Declined, Select, SourceUnavailable, TableRef
from govshare.connectors.credentials import Credential
from govshare.connectors.http_client import JsonClient
from govshare.connectors.json_values import DECODERS
from govshare.filters import And, Cmp, Filter

log = logging.getLogger(__name__)


class HttpConnector(Connector):
    capabilities = Capabilities(
        filter_ops=frozenset({"eq", "in"}), boolean_filters=False, order_by=False, count=True, aggregate=False
    )

    def __init__(
        self, name: str, base_url: str, *, timeout: float = 10.0, credential: Credential | None = None
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.credential = credential
        self._client = JsonClient(name, base_url, timeout=timeout, credential=credential)

    def __repr__(self) -> str:
        return f"<HttpConnector {self.name}>"

    async def select(self, request: Select) -> list[tuple[Any, ...]]:
        self._check(request)
        if request.after is not None and len(request.after) != 1:
            raise ValueError("'after' holds the key value only")
        decoders = [(c, DECODERS[_type(request.table, c)]) for c in request.columns]
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
        response = await self._client.send("GET", "health")
        if (refused := self._client.refusal(response.status_code)) is not None:
            raise SourceUnavailable(self.name, refused)
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
        return await self._client.post_json(quote(table.name, safe="/") + "/search", body)


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
