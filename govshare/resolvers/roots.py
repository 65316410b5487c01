"""Root field resolvers of every resource: lookup, connection, aggregate.

They are bound to the executable schema directly (see ``schema.build``), so
arguments arrive as plain values and dicts. Each fetches its whole tree
eagerly, level by level; the fields below them are plain dict reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLResolveInfo

from govshare.catalog.model import Resource
from govshare.connectors.aggregate import Aggregate, Bucket, Measure
from govshare.connectors.base import Count, Select
from govshare.errors import FORBIDDEN, SOURCE_UNAVAILABLE, FieldError, GovshareError, bad_input
from govshare.filters import Filter, conjoin, order_keys, to_filter, to_order
from govshare.policies.quota import count_check, too_many_checks
from govshare.resolvers import cursor
from govshare.resolvers.aggregates import aggregated, group_answer
from govshare.resolvers.context import RequestContext
from govshare.resolvers.fetch import as_dicts, columns_of, fill, joined_lookup, keyed_loader, rows_by
from govshare.resolvers.methods import INTERFACE, QUERY, require_method
from govshare.resolvers.plan import ConnectionPlan, Level, Selection, plan_connection, plan_level
from govshare.resolvers.plans import planned

if TYPE_CHECKING:
    Info = GraphQLResolveInfo[RequestContext]

Resolver = Callable[..., Awaitable[Any]]
DEFAULT_PAGE = 50
# Connection fields that need the page's rows (totalCount alone does not).
ROW_FIELDS = frozenset({"nodes", "edges", "pageInfo"})


def _selection(info: Info) -> Selection:
    return Selection(info.fragments, info.variable_values, info.schema)


def _failed(fields: frozenset[str], exc: GovshareError) -> dict[str, Any]:
    """A result whose every asked field fails with ``exc`` at its own path.

    Connections and aggregates are non-null: failing their fields, not them,
    keeps the other root fields of the operation answering.
    """
    return dict.fromkeys(fields, FieldError.of(exc))


def _arguments(
    ctx: RequestContext, resource: Resource, filter: dict[str, Any] | None, uses: dict[str, list[str]]
) -> Filter | None:
    """The filter, checked like every other use of items, with the row scopes it brings."""
    access = ctx.access()
    touched: set[str] = set()
    where = to_filter(resource, filter, touched)
    access.require(resource, sorted(touched), "filter by it")
    for use, items in uses.items():
        access.require(resource, items, use)
    return conjoin(where, access.scope(resource, touched.union(*uses.values())))


def lookup(resource: Resource) -> Resolver:
    async def resolve(_root: Any, info: Info, **args: Any) -> dict[str, Any] | None:
        ctx: RequestContext = info.context
        require_method(ctx.catalog, resource, "a lookup by key", INTERFACE)

        def build() -> Level:
            level = plan_level(ctx.catalog, resource, info.field_nodes, _selection(info))
            ctx.access().apply(level)
            return level

        level = planned(ctx, info, build)
        alone, value = ctx.lone_root, args[resource.key]
        if alone:
            await joined_lookup(ctx, level, value)
        (rows,) = await keyed_loader(ctx, level, resource.key).rows((value,), alone=alone)
        if not rows:
            return None
        await fill(ctx, level, rows[:1], alone=alone)
        return rows[0]

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
        ctx.access()  # a purpose first (R7), before anything else is judged
        cap = ctx.runtime.settings.page_cap
        first = DEFAULT_PAGE if first is None else first
        if not 0 <= first <= cap:
            raise bad_input(f"first must be between 0 and {cap}, got {first}", resource=resource.name)
        order = to_order(resource, orderBy)
        start = cursor.decode(resource, order, after) if after else None

        def build() -> ConnectionPlan:
            plan = plan_connection(ctx.catalog, resource, info.field_nodes, _selection(info))
            if plan.cursors:
                plan.level.items.update(o.lstrip("-") for o in order)
            ctx.access().apply(plan.level)
            return plan

        plan = planned(ctx, info, build, tuple(order))
        names = plan.level.columns()
        table = ctx.runtime.tables[resource.name]
        try:
            require_method(ctx.catalog, resource, "listing its records", QUERY)
            where = conjoin(
                _arguments(ctx, resource, filter, {"order by it": [o.lstrip("-") for o in order]}),
                plan.level.scope,
            )
            select = Select(table, columns_of(resource, names), where, order_keys(resource, order), start, first + 1)
            rows, total = await asyncio.gather(
                ctx.select(resource, select) if plan.fields & ROW_FIELDS else _rows_not_asked(),
                ctx.count(resource, Count(table, where)) if plan.total_count else _none(),
            )
        except GovshareError as exc:
            if exc.code not in (SOURCE_UNAVAILABLE, FORBIDDEN):
                raise
            return _failed(plan.fields, exc)
        nodes = as_dicts(plan.level, names, rows[:first])
        await fill(ctx, plan.level, nodes, alone=ctx.lone_root)
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


async def _rows_not_asked() -> list[tuple[Any, ...]]:
    return []


def aggregate(resource: Resource) -> Resolver:
    async def resolve(
        _root: Any,
        info: Info,
        filter: dict[str, Any] | None = None,
        groupBy: list[Any] | None = None,
        buckets: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        ctx: RequestContext = info.context
        items = list(dict.fromkeys(getattr(g, "value", g) for g in groupBy or ()))
        bucketed = list(dict.fromkeys((getattr(b["item"], "value", b["item"]), b["by"].value) for b in buckets or ()))
        measured = aggregated(resource, info.field_nodes, _selection(info))
        try:
            require_method(ctx.catalog, resource, "aggregates", QUERY)
            uses = {"group by it": items, "bucket by it": [item for item, _ in bucketed]}
            for function, item in measured:
                uses.setdefault(f"compute its {function}", []).append(item)
            where = _arguments(ctx, resource, filter, uses)
            request = Aggregate(
                ctx.runtime.tables[resource.name],
                columns_of(resource, items),
                where,
                tuple(Bucket(resource.items[item].column, by) for item, by in bucketed),
                tuple(Measure(function, resource.items[item].column) for function, item in measured),
            )
            groups = await ctx.aggregate(resource, request)
        except GovshareError as exc:
            if exc.code not in (SOURCE_UNAVAILABLE, FORBIDDEN):
                raise
            return _failed(frozenset({"count", "groups"}), exc)
        keys = [*items, *(f"{item}.{by}" for item, by in bucketed)]
        return {"count": sum(g.rows for g in groups), "groups": [group_answer(keys, measured, g) for g in groups]}

    return resolve


def verify(resource: Resource) -> Resolver:
    async def resolve(_root: Any, info: Info, claims: dict[str, Any], **args: Any) -> dict[str, Any]:
        ctx: RequestContext = info.context
        access = ctx.access()
        require_method(ctx.catalog, resource, "verification", INTERFACE)
        claimed = {name: getattr(v, "value", v) for name, v in claims.items()}
        if not claimed:
            raise bad_input(f"claims must name at least one item of {resource.name}", resource=resource.name)
        if ctx.verify_checks is None:
            ctx.verify_checks = _verify_fields(info)
        cap = ctx.runtime.settings.verify_checks_per_operation
        if ctx.verify_checks > cap:  # refused before any is counted or made
            raise too_many_checks(ctx.verify_checks, cap)
        metered: dict[int, str] = {}
        for name in claimed:
            decision = access.decision(resource, name)
            # Not with a mask: the shown part narrows the rest to a few thousand guesses.
            if decision.effect not in ("allow", "verify"):
                raise access.forbidden(resource, name, decision, "verify it")
            if decision.effect == "verify" and decision.grant_id is not None:
                metered.setdefault(decision.grant_id, f"{resource.name}.{name}")
        if ctx.metered:
            quota = ctx.runtime.settings.verify_checks_per_day
            for grant, owner in sorted(metered.items()):
                await count_check(ctx.runtime.policies.engine, grant, owner, access.today, quota)
        # The comparison happens here: the claimed items' values never reach the response.
        level = Level(resource, {resource.key, *claimed})
        level.scope = access.scope(resource, claimed)
        [rows] = await rows_by(ctx, level, resource.key, [args[resource.key]])
        if not rows:
            return {"found": False, "matched": False, "mismatched": sorted(claimed)}
        mismatched = [name for name, value in claimed.items() if rows[0][name] != value]
        return {"found": True, "matched": not mismatched, "mismatched": mismatched}

    return resolve


def _verify_fields(info: Info) -> int:
    """How many verification checks the operation makes: its verify root fields, aliases included."""
    verifiers = {r.single + "Verify" for r in info.context.catalog.resources.values()}
    top: dict[str, list[FieldNode]] = {}
    _selection(info).collect(info.operation.selection_set, top, by_alias=True)
    return sum(1 for nodes in top.values() if nodes[0].name.value in verifiers)
