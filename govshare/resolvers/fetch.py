"""Fetches plan levels: one statement per relation per level, rows as plain dicts.

Rows are dicts keyed by item name; a relation's rows are stored in the
parent dict under the relation's name, so GraphQL reads every field with a
plain dict lookup and no resolver runs per row. Related rows are loaded with
the request's DataLoaders, by join value: every parent of a level is batched
into a single ``IN`` statement, and repeated keys are fetched once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from aiodataloader import DataLoader

from govshare.catalog.model import Relation, Resource
from govshare.connectors.base import Joined, Select
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
    request = _select(ctx, level, Cmp(level.resource.items[item].column, "in", tuple(values)), per=item)
    return _grouped(level, item, await ctx.select(level.resource, request), values)


def _select(ctx: RequestContext, level: Level, key: Cmp | None, per: str | None) -> Select:
    """The statement of ``level``'s rows (those matching ``key``), the limit counted per ``per``
    value (``None``: in all, or per parent in a joined select)."""
    resource = level.resource
    return Select(
        table=ctx.runtime.tables[resource.name],
        columns=columns_of(resource, level.columns()),
        where=conjoin(key, level.where, level.scope),
        order=order_keys(resource, level.order),
        limit=level.first,
        per=resource.items[per].column if per is not None and level.first is not None else None,
    )


def _grouped(
    level: Level, item: str, rows: Sequence[tuple[Any, ...]], values: Sequence[Any]
) -> list[list[dict[str, Any]]]:
    """For each value, the rows (as shown) whose ``item`` equals it."""
    names = level.columns()
    position = names.index(item)
    grouped: dict[Any, list[dict[str, Any]]] = {}
    # Group on the raw join value: a mask applied below must not change which parent a row joins.
    for row, shown in zip(rows, as_dicts(level, names, rows), strict=True):
        grouped.setdefault(row[position], []).append(shown)
    return [grouped.get(v, []) for v in values]


async def joined_lookup(ctx: RequestContext, level: Level, value: Any) -> None:
    """A lone lookup and its one relation, when its source joins them: one statement, whose rows
    fill the two loaders that ``rows`` and ``fill`` then read (nothing else changes). If that
    statement fails, nothing is filled and the two statements run as they would have."""
    resource = level.resource
    if len(level.relations) != 1:
        return
    [child] = level.relations.values()
    relation = resource.relations[child.relation]
    if (
        child.resource.source != resource.source
        or relation.local in level.masks  # the join would see the raw value, the next level the masked one
        or relation.local in level.denied
        or not ctx.runtime.connectors[resource.source].capabilities.joins
    ):
        return
    key = resource.key
    request = Joined(
        parent=_select(ctx, level, Cmp(resource.items[key].column, "in", (value,)), per=key),
        local=resource.items[relation.local].column,
        child=_select(ctx, child, None, per=None),
        remote=child.resource.items[relation.remote].column,
    )
    if ctx.joins_declined(resource, request):
        return
    try:
        found = await ctx.select_joined(resource, request)
    except GovshareError:
        # The two statements then say which level failed: the lookup answers, its relation fails at its path.
        return
    parents = [parent for parent, _ in found]
    keyed_loader(ctx, level, key).known[value] = _grouped(level, key, parents, [value])[0]
    local = level.columns().index(relation.local)
    below = keyed_loader(ctx, child, relation.remote).known
    for parent, rows in found:
        if parent[local] is not None:
            below[parent[local]] = as_dicts(child, child.columns(), rows)


BATCH = 10_000  # join values per statement


class KeyedRows:
    """A level's rows by one item, for the whole request: every caller of one tick, one statement.

    The DataLoader's keys are the callers' whole key lists, not single values, so that a
    level of 1,000 parents costs one future and not 1,000. Values already loaded are not
    loaded again, and their dicts are the same objects wherever they are used: relations
    are attached to them in place, so only levels with the same plan share a loader.
    """

    __slots__ = ("_loader", "ctx", "item", "known", "level")

    def __init__(self, ctx: RequestContext, level: Level, item: str) -> None:
        self.ctx, self.level, self.item = ctx, level, item
        self.known: dict[Any, list[dict[str, Any]]] = {}
        self._loader: DataLoader[tuple[Any, ...], None] | None = None

    async def rows(self, values: tuple[Any, ...], *, alone: bool = False) -> list[list[dict[str, Any]]]:
        """For each of ``values``, its rows; ``alone``: no other caller can ask in this tick."""
        known = self.known
        if any(v not in known for v in values):
            if alone:
                await self._batch([values])
            else:
                if self._loader is None:
                    self._loader = DataLoader(self._batch, cache=False)
                await self._loader.load(values)
        return [known[v] for v in values]

    async def _batch(self, asked: list[tuple[Any, ...]]) -> list[None]:
        known = self.known
        missing = list(dict.fromkeys(v for values in asked for v in values if v not in known))
        chunks = [missing[n : n + BATCH] for n in range(0, len(missing), BATCH)]
        found = await (
            rows_by(self.ctx, self.level, self.item, chunks[0])
            if len(chunks) == 1
            else _chunked([rows_by(self.ctx, self.level, self.item, chunk) for chunk in chunks])
        )
        known.update(zip(missing, found, strict=True))
        return [None] * len(asked)


async def _chunked(fetches: list[Awaitable[list[list[dict[str, Any]]]]]) -> list[list[dict[str, Any]]]:
    return [rows for chunk in await asyncio.gather(*fetches) for rows in chunk]


def keyed_loader(ctx: RequestContext, level: Level, item: str) -> KeyedRows:
    """The request's loader of ``level``'s rows by ``item``."""
    key = level.loader_key(item)
    found: KeyedRows | None = ctx.loaders.get(key)
    if found is None:
        found = ctx.loaders[key] = KeyedRows(ctx, level, item)
    return found


async def fill(ctx: RequestContext, level: Level, rows: list[dict[str, Any]], *, alone: bool = False) -> None:
    """Attach every relation of ``level`` (recursively) to ``rows``.

    ``alone``: nothing runs beside this fill (a lone root field's tree, down to a level
    with several relations, whose fills run together).
    """
    if rows and level.relations:
        relations = level.resource.relations
        alone = alone and len(level.relations) == 1
        fills = [_fill_relation(ctx, relations[c.relation], c, rows, alone) for c in level.relations.values()]
        # One relation needs no task of its own: most levels have one.
        await (fills[0] if len(fills) == 1 else asyncio.gather(*fills))


async def _fill_relation(
    ctx: RequestContext, relation: Relation, child: Level, rows: list[dict[str, Any]], alone: bool
) -> None:
    keys = list(dict.fromkeys(v for row in rows if (v := row.get(relation.local)) is not None))
    try:
        found = await keyed_loader(ctx, child, relation.remote).rows(tuple(keys), alone=alone) if keys else []
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
    await fill(ctx, child, list(children.values()), alone=alone)


def columns_of(resource: Resource, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(resource.items[n].column for n in names)
