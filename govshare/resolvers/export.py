"""A bulk export (批量下载) of one resource: planned under the caller's rights, read in keyset batches.

The rights are those of a GraphQL read: the items exported are decided once, a denied item
asked for is refused and one not asked for is left out (never selected), masked items are
masked, and the row scopes of the grants behind the exported and filtered items go with every
batch. Rows are read in a total order (ending with the key), each batch after the last row of
the one before, so no statement stays open between batches and a cut export continues from
the last row received (``after``) with no row twice and none missed.

The policy is looked at again before every batch: once a decision the export rests on (an
item's effect, its grant or that grant's row scope) is no longer the one it started under,
the export stops there, so nothing more leaves under rules that no longer hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from govshare.catalog.model import ItemType, Resource
from govshare.connectors.base import CsvBatch, CsvChunk, CsvField, Select
from govshare.errors import FORBIDDEN, INTERNAL, GovshareError, bad_input
from govshare.filters import coerce_filter, coerce_value, conjoin, order_keys, to_filter
from govshare.policies.engine import Policy
from govshare.resolvers.access import Access
from govshare.resolvers.context import RequestContext
from govshare.resolvers.fetch import columns_of
from govshare.resolvers.methods import DOWNLOAD, require_method
from govshare.resolvers.plan import Level


class Refused(GovshareError):
    """Items asked for that the caller may not read: one error for each (``errors``)."""

    def __init__(self, errors: list[GovshareError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, **{k: v for k, v in first.extensions.items() if k != "code"})
        self.errors = errors


@dataclass(slots=True)
class ExportPlan:
    resource: Resource
    items: tuple[str, ...]  # the columns of the export, in order
    omitted: tuple[str, ...]  # items left out because the caller may not read them (none asked)
    order: tuple[str, ...]  # item names, '-' for descending, ending with the key
    after: tuple[Any, ...] | None  # the order values of the last row already received
    level: Level  # what is fetched: the items and the order items, with masks and scope
    where: Any  # the filter and the scopes, as the connector takes it

    @property
    def fetched(self) -> tuple[str, ...]:
        return self.level.columns()

    @property
    def order_items(self) -> tuple[str, ...]:
        return tuple(name.lstrip("-") for name in self.order)

    def cursor(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """What continues the export after ``row`` (raw values): its order items."""
        return {name.lstrip("-"): row[name.lstrip("-")] for name in self.order}


def plan_export(
    ctx: RequestContext,
    resource: Resource,
    items: Sequence[str] | None,
    filter: Any,
    order: Sequence[str],
    after: Any,
) -> ExportPlan:
    """Check the request against the catalog and the caller's rights; raises GovshareError."""
    access = ctx.access()  # a purpose first (R7)
    require_method(ctx.catalog, resource, "bulk export", DOWNLOAD)
    names = _items(resource, items)
    ordering = _order(resource, order)
    omitted: tuple[str, ...] = ()
    if items is None:
        omitted = tuple(n for n in names if not access.decision(resource, n).readable)
        names = tuple(n for n in names if n not in omitted)
    else:
        refused = [access.forbidden(resource, n, d, "read") for n in names
                   if not (d := access.decision(resource, n)).readable]  # fmt: skip
        if refused:
            raise Refused(refused)
    try:
        spec = coerce_filter(resource, filter, "filter") if filter is not None else None
    except ValueError as exc:
        raise bad_input(f"{exc}; see docs/graphql.md for the filter language", resource=resource.name) from None
    touched: set[str] = set()
    where = to_filter(resource, spec, touched)
    access.require(resource, sorted(touched), "filter by it")
    access.require(resource, [o.lstrip("-") for o in ordering if o.lstrip("-") != resource.key], "order by it")
    level = Level(resource, {*names, *(o.lstrip("-") for o in ordering)}, fields=set(names))
    level.tested = frozenset(touched)
    access.apply(level)
    return ExportPlan(
        resource, names, omitted, ordering, _after(resource, ordering, after), level, conjoin(where, level.scope)
    )


async def batches(ctx: RequestContext, plan: ExportPlan) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The export's rows in batches of ``export_batch``, raw (as fetched: ``plan.fetched``), until none are left.

    Raises GovshareError (FORBIDDEN) before a batch whose decisions changed since the plan was made.
    """
    resource = plan.resource
    table = ctx.runtime.tables[resource.name]
    columns = columns_of(resource, plan.fetched)
    positions = [plan.fetched.index(o.lstrip("-")) for o in plan.order]
    order = order_keys(resource, plan.order)

    async def read(after: tuple[Any, ...] | None, size: int) -> Batch[list[tuple[Any, ...]]]:
        rows = await ctx.select(resource, Select(table, columns, plan.where, order, after, size))
        return rows, len(rows), tuple(rows[-1][p] for p in positions) if rows else None

    async for rows in _batches(ctx, plan, read, ctx.runtime.settings.export_batch):
        yield rows


class Unwritten(Exception):
    """The source cannot write this export's CSV itself (raised before any batch)."""


def csv_request(ctx: RequestContext, plan: ExportPlan) -> CsvBatch | None:
    """The export as CSV the source writes itself (connectors: ``csv_export``), or None."""
    resource = plan.resource
    connector = ctx.runtime.connectors[resource.source]
    if not connector.capabilities.csv_export:
        return None
    select = Select(ctx.runtime.tables[resource.name], columns_of(resource, plan.order_items), plan.where,
                    order_keys(resource, plan.order), plan.after, ctx.runtime.settings.export_copy_batch)  # fmt: skip
    if connector.capabilities.decline(select):
        return None
    # A masked item under its catalog strategy, as policies.masks.mask_for applies it.
    fields = tuple(CsvField(resource.items[n].column, resource.items[n].type,
                            (resource.items[n].mask or "full") if n in plan.level.masks else None)
                   for n in plan.items)  # fmt: skip
    return CsvBatch(select, fields)


async def written(ctx: RequestContext, plan: ExportPlan, request: CsvBatch) -> AsyncIterator[CsvChunk]:
    """The export in CSV chunks written by the source, under the same checks as ``batches``.

    Raises Unwritten when the source declines the first batch.
    """

    first = True

    async def write(after: tuple[Any, ...] | None, size: int) -> Batch[CsvChunk]:
        nonlocal first
        batch = CsvBatch(replace(request.select, after=after, limit=size), request.fields)
        chunk = await ctx.export_csv(plan.resource, batch)
        if chunk is None:
            if not first:  # the rest cannot be encoded here instead: that would begin the file again
                raise GovshareError(INTERNAL, f"The source of {plan.resource.name} stopped writing the export")
            raise Unwritten(plan.resource.name)
        first = False
        return chunk, chunk.rows, chunk.last

    # Bytes, not rows, are held per batch here: larger batches, fewer round trips.
    async for chunk in _batches(ctx, plan, write, ctx.runtime.settings.export_copy_batch):
        yield chunk


B = TypeVar("B")
Batch = tuple[B, int, "tuple[Any, ...] | None"]  # what was read, its row count, its last row's order values


async def _batches(
    ctx: RequestContext,
    plan: ExportPlan,
    read: Callable[[tuple[Any, ...] | None, int], Awaitable[Batch[B]]],
    size: int,
) -> AsyncIterator[B]:
    """Batches of ``size`` rows, each after the last row of the one before, until one is short;
    the policy looked at again before each."""
    after = plan.after
    watch = PolicyWatch(ctx)
    while True:
        watch.check()
        batch, rows, last = await read(after, size)
        if rows:
            yield batch
        if rows < size:
            return
        after = last


def shaper(plan: ExportPlan) -> Callable[[list[tuple[Any, ...]]], list[Sequence[Any]]]:
    """Raw rows (``plan.fetched``) as the export's columns: its items in order, masks applied.

    Column by column: the rows are transposed once and each column is selected (and masked)
    whole, so that no Python code runs per row.
    """
    steps = [(plan.fetched.index(n), plan.level.masks.get(n)) for n in plan.items]

    def columns(rows: list[tuple[Any, ...]]) -> list[Sequence[Any]]:
        fetched = list(zip(*rows, strict=True))
        return [fetched[p] if mask is None else list(map(mask, fetched[p])) for p, mask in steps]

    return columns


class PolicyWatch:
    """Whether the decisions an export started under still hold."""

    def __init__(self, ctx: RequestContext) -> None:
        self._runtime = ctx.runtime
        self._started = ctx.access()
        self._checked = self._started.policy.version  # the live version last found to change nothing here

    def check(self) -> None:
        """Raises GovshareError (FORBIDDEN) once a decision the export rests on has changed."""
        live = self._runtime.policies.current
        if live.version != self._checked:
            changed = policy_change(self._started, live)
            if changed is not None:
                raise changed
            self._checked = live.version


def policy_change(started: Access, live: Policy) -> GovshareError | None:
    """Why the decisions ``started`` rests on no longer hold under ``live``, or None."""
    now = Access(started.catalog, live, started.department, started.purpose, started.today)
    for (name, item), then in sorted(started.decisions.items()):
        resource = started.catalog.resources[name]
        decided = now.decision(resource, item)
        grant = then.grant_id
        same_scope = grant is None or started.policy.scopes.get(grant) == live.scopes.get(grant)
        if (decided.effect, decided.basis) != (then.effect, then.basis) or not same_scope:
            was = f"{then.effect} ({then.basis})"
            return GovshareError(
                FORBIDDEN,
                f"The sharing policy changed during the export (version {started.policy.version} → {live.version}): "
                f"{name}.{item} was {was} and is now {decided.effect} ({decided.basis}); the export stopped here. "
                "Start it again with 'after' set to the last row received to continue under the policy now in force",
                resource=name,
                item=item,
                policyVersion=live.version,
            )
    return None


def _items(resource: Resource, items: Sequence[str] | None) -> tuple[str, ...]:
    if items is None:
        return tuple(resource.items)
    unknown = [n for n in items if n not in resource.items]
    if unknown or not items:
        problem = f"has no item {', '.join(map(repr, unknown))}" if unknown else "needs at least one item"
        raise bad_input(
            f"items: {resource.name} {problem}; items: {', '.join(resource.items)} (leave 'items' out to "
            "export every item you may read)",
            resource=resource.name,
        )
    if len(set(items)) != len(items):
        raise bad_input(f"items: an item is named twice in {','.join(items)}", resource=resource.name)
    return tuple(items)


def _order(resource: Resource, order: Sequence[str]) -> tuple[str, ...]:
    names = [o.lstrip("-") for o in order]
    unknown = [n for n in names if n not in resource.items]
    if unknown or len(set(names)) != len(names):
        problem = f"{resource.name} has no item {unknown[0]!r}" if unknown else "an item is named twice"
        raise bad_input(
            f"order: {problem}; name items separated by commas, '-' before one for descending "
            f"(e.g. order=-{resource.key}); items: {', '.join(resource.items)}",
            resource=resource.name,
        )
    return tuple(order) if resource.key in names else (*order, resource.key)


def _after(resource: Resource, order: Sequence[str], after: Any) -> tuple[Any, ...] | None:
    """The order values of the last row received, from an object naming them (a row, say)."""
    if after is None:
        return None
    names = [o.lstrip("-") for o in order]
    if not isinstance(after, Mapping) or any(n not in after for n in names):
        raise bad_input(
            f"after must be a JSON object holding the last row received, with at least the order items "
            f'{", ".join(names)}, e.g. after={{"{resource.key}": "…"}}',
            resource=resource.name,
        )
    values = []
    for name in names:
        item = resource.items[name]
        try:
            values.append(_typed(item.type, after[name], f"after.{name}"))
        except ValueError as exc:
            raise bad_input(str(exc), resource=resource.name, item=name) from None
    return tuple(values)


def _typed(item_type: ItemType, value: Any, path: str) -> Any:
    """A value of ``after``: as JSON, or as the text a CSV file holds (a number, true/false)."""
    if value is None or (value == "" and item_type not in (ItemType.ID, ItemType.STRING)):
        return None
    if isinstance(value, str) and item_type is ItemType.INT and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, str) and item_type is ItemType.FLOAT:
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, str) and item_type is ItemType.BOOLEAN and value in ("true", "false"):
        return value == "true"
    return coerce_value(item_type, value, path)
