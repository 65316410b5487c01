"""Fetches plan levels: one statement per relation per level, rows as plain dicts.

Rows are dicts keyed by item name; a relation's rows are stored in the
parent dict under the relation's name, so GraphQL reads every field with a
plain dict lookup and no resolver runs per row. Related rows are loaded with
the request's DataLoaders, keyed by join value: every parent of a level is
batched into a single ``IN`` statement, and repeated keys are fetched once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from govshare.catalog.model import Relation, Resource
from govshare.connectors.base import Select
from govshare.errors import FieldError, GovshareError
from govshare.filters import Cmp, conjoin, order_keys
from govshare.resolvers.context import RequestContext
from govshare.resolvers.plan import Level


def as_dicts(level: Level, names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as dicts, with the level's masks applied and its denied fields marked."""
    dicts = [dict(zip(names, row, strict=True)) for row in rows]
    if level.masks or level.denied:
        for row in dicts:
            for item, mask in level.masks.items():
                row[item] = mask(row.get(item))
            row.update(level.denied)
    return dicts


async def rows_by(ctx: RequestContext, level: Level, item: str, values: Sequence[Any]) -> list[list[dict[str, Any]]]:
    """For each value, the rows of ``level``'s resource whose ``item`` equals it (one statement)."""
    resource = level.resource
    names = level.columns()
    column = resource.items[item].column
    request = Select(
        table=ctx.runtime.tables[resource.name],
        columns=columns_of(resource, names),
        where=conjoin(Cmp(column, "in", tuple(values)), level.where, level.scope),
        order=order_keys(resource, level.order),
        limit=level.first,
        per=column if level.first is not None else None,
    )
    rows = await ctx.select(resource, request)
    position = names.index(item)
    grouped: dict[Any, list[dict[str, Any]]] = {}
    # Group on the raw join value: a mask applied below must not change which parent a row joins.
    for row, shown in zip(rows, as_dicts(level, names, rows), strict=True):
        grouped.setdefault(row[position], []).append(shown)
    return [grouped.get(v, []) for v in values]


def keyed_loader(ctx: RequestContext, level: Level, item: str) -> Any:
    """The request's loader of ``level``'s rows by ``item``.

    Loaded dicts are shared by every place that uses the loader, and relations
    are attached to them in place, so only levels with the same plan share one.
    """

    async def batch(values: list[Any]) -> list[list[dict[str, Any]]]:
        return await rows_by(ctx, level, item, values)

    return ctx.loader((item, level.signature()), batch)


async def fill(ctx: RequestContext, level: Level, rows: list[dict[str, Any]]) -> None:
    """Attach every relation of ``level`` (recursively) to ``rows``."""
    if rows and level.relations:
        relations = level.resource.relations
        fills = [_fill_relation(ctx, relations[c.relation], c, rows) for c in level.relations.values()]
        # One relation needs no task of its own: most levels have one.
        await (fills[0] if len(fills) == 1 else asyncio.gather(*fills))


async def _fill_relation(ctx: RequestContext, relation: Relation, child: Level, rows: list[dict[str, Any]]) -> None:
    keys = list(dict.fromkeys(v for row in rows if (v := row.get(relation.local)) is not None))
    try:
        found = await keyed_loader(ctx, child, relation.remote).load_many(keys) if keys else []
    except GovshareError as exc:
        failed = FieldError.of(exc)
        for row in rows:
            for key in child.keys:
                row[key] = failed
        return
    by_key = dict(zip(keys, found, strict=True))
    children: dict[int, dict[str, Any]] = {}
    for row in rows:
        matches = by_key.get(row.get(relation.local), [])
        attached = matches if relation.many else (matches[0] if matches else None)
        for key in child.keys:
            row[key] = attached
        for match in matches:
            children[id(match)] = match
    await fill(ctx, child, list(children.values()))


def columns_of(resource: Resource, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(resource.items[n].column for n in names)
