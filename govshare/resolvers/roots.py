"""Root field resolvers of every resource: lookup, connection, aggregate.

They are bound to the executable schema directly (see ``schema.build``), so
arguments arrive as plain values and dicts. Each fetches its whole tree
eagerly, level by level; the fields below them are plain dict reads.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from govshare.catalog.model import Resource
from govshare.connectors.base import Aggregate, Count, Select
from govshare.errors import SOURCE_UNAVAILABLE, FieldError, GovshareError, bad_input
from govshare.resolvers import cursor
from govshare.resolvers.context import RequestContext
from govshare.resolvers.fetch import as_dicts, columns_of, fill, keyed_loader
from govshare.resolvers.filters import order_keys, to_filter, to_order
from govshare.resolvers.plan import Selection, plan_connection, plan_level

if TYPE_CHECKING:
    Info = GraphQLResolveInfo[RequestContext]

Resolver = Callable[..., Awaitable[Any]]
DEFAULT_PAGE = 50


def _selection(info: Info) -> Selection:
    return Selection(info.fragments, info.variable_values)


def _failed(fields: frozenset[str], exc: GovshareError) -> dict[str, Any]:
    """A result whose every asked field fails with ``exc`` at its own path."""
    extensions = {k: v for k, v in exc.extensions.items() if k != "code"}
    return dict.fromkeys(fields, FieldError(exc.code, exc.message, **extensions))


def lookup(resource: Resource) -> Resolver:
    async def resolve(_root: Any, info: Info, **args: Any) -> dict[str, Any] | None:
        ctx: RequestContext = info.context
        ctx.require_purpose()
        level = plan_level(ctx.catalog, resource, info.field_nodes, _selection(info))
        rows = await keyed_loader(ctx, level, resource.key).load(args[resource.key])
        if not rows:
            return None
        await fill(ctx, level, rows[:1])
        return rows[0]  # type: ignore[no-any-return]

    return resolve


def connection(resource: Resource) -> Resolver:
    async def resolve(
        _root: Any,
        info: Info,
        filter: dict[str, Any] | None = None,
        orderBy: list[dict[str, Any]] | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> dict[str, Any]:
        ctx: RequestContext = info.context
        ctx.require_purpose()
        cap = ctx.runtime.settings.page_cap
        first = DEFAULT_PAGE if first is None else first
        if not 0 <= first <= cap:
            raise bad_input(f"first must be between 0 and {cap}, got {first}", resource=resource.name)
        plan = plan_connection(ctx.catalog, resource, info.field_nodes, _selection(info))
        touched: set[str] = set()
        where = to_filter(resource, filter, touched)
        order = to_order(resource, orderBy, touched)
        start = cursor.decode(resource, order, after) if after else None
        if plan.cursors:
            plan.level.items.update(o.lstrip("-") for o in order)
        names = plan.level.columns()
        table = ctx.runtime.tables[resource.name]
        select = Select(table, columns_of(resource, names), where, order_keys(resource, order), start, first + 1)
        try:
            rows, total = await asyncio.gather(
                ctx.select(resource, select),
                ctx.count(resource, Count(table, where)) if plan.total_count else _none(),
            )
        except GovshareError as exc:
            if exc.code != SOURCE_UNAVAILABLE:
                raise
            return _failed(plan.fields, exc)
        nodes = as_dicts(names, rows[:first])
        await fill(ctx, plan.level, nodes)
        # A cursor is computed only when asked for; an edge's cursor is then never read.
        cursors: list[str | None] = (
            [cursor.encode(resource, order, [n[o.lstrip("-")] for o in order]) for n in nodes]
            if plan.cursors
            else [None] * len(nodes)
        )
        return {
            "totalCount": total,
            "nodes": nodes,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": cursors[-1] if cursors else None},
        }

    return resolve


async def _none() -> None:
    return None


def aggregate(resource: Resource) -> Resolver:
    async def resolve(
        _root: Any,
        info: Info,
        filter: dict[str, Any] | None = None,
        groupBy: list[Any] | None = None,
    ) -> dict[str, Any]:
        ctx: RequestContext = info.context
        ctx.require_purpose()
        touched: set[str] = set()
        where = to_filter(resource, filter, touched)
        items = list(dict.fromkeys(getattr(g, "value", g) for g in groupBy or ()))
        touched.update(items)
        request = Aggregate(ctx.runtime.tables[resource.name], columns_of(resource, items), where)
        try:
            groups = await ctx.aggregate(resource, request)
        except GovshareError as exc:
            if exc.code != SOURCE_UNAVAILABLE:
                raise
            return _failed(frozenset({"count", "groups"}), exc)
        return {
            "count": sum(n for _, n in groups),
            "groups": [
                {"key": {i: _json(v) for i, v in zip(items, values, strict=True)}, "count": n} for values, n in groups
            ],
        }

    return resolve


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value
