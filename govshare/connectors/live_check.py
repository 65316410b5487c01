"""A catalog checked against its live sources (`govshare check FILE --live`).

For every resource: its table (sql) or collection (http) exists, each item's column exists
and its type serves the item's type (connectors.shape), and the key column is unique. A
source that cannot be reached is a problem too, with the connector's reason. Problems are
the catalog's own (:class:`Problem`), at the line of what they concern: the source, the
resource's ``table:``, the item, the ``key:``.

A connector that can look at its source answers ``describe``; for the others (an HTTP API)
the check reads a sample of rows of all the items through ``select`` and reports what does
not come back: a collection the API does not know (HTTP 404), a field it refuses or leaves
out, values that do not decode as the item's type, a key value repeated within the sample.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass

from govshare.catalog.errors import Problem, did_you_mean
from govshare.catalog.model import Catalog, Item, ItemType, Resource
from govshare.catalog.reader import Path
from govshare.catalog.yamlnodes import key_lines
from govshare.connectors.base import Connector, Select, SourceUnavailable, TableRef
from govshare.connectors.shape import ColumnShape, TableShape

SAMPLE = 50  # rows read from a source that cannot describe itself
_STATUS = re.compile(r"\bHTTP (\d{3})\b")


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """What the live check found: every problem in file order, and what it could look at."""

    problems: list[Problem]
    tables: int  # resources whose source answered
    sources: int  # sources that answered


async def check_live(catalog: Catalog, connectors: Mapping[str, Connector], *, sample: int = SAMPLE) -> LiveCheck:
    """Check every resource of ``catalog`` against its source's connector in ``connectors``
    (one for every source; the sources are checked side by side)."""
    report = _Report(catalog)
    by_source: dict[str, list[Resource]] = {name: [] for name in catalog.sources}
    for resource in catalog.resources.values():
        by_source[resource.source].append(resource)
    answered = await asyncio.gather(
        *(_check_source(report, connectors[name], name, resources, sample) for name, resources in by_source.items())
    )
    tables = sum(len(by_source[name]) for name, ok in zip(by_source, answered, strict=True) if ok)
    problems = sorted(report.problems, key=lambda p: p.line)
    return LiveCheck(problems, tables, sum(answered))


def opening_problem(catalog: Catalog, error: ValueError) -> Problem:
    """A source whose connector could not be opened (its URL or options), as a problem at its line."""
    lines = key_lines(catalog.text, catalog.path)
    message = str(error)
    name = next((s for s in catalog.sources if message.startswith(f"source '{s}'")), None)
    line = lines.get(("sources", name), 0) if name else 0
    return Problem(catalog.path, line, message, "correct the source's url or options")


class _Report:
    def __init__(self, catalog: Catalog) -> None:
        self.file = catalog.path
        self.lines = key_lines(catalog.text, catalog.path)
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, hint: str) -> None:
        # The nearest ancestor written in the file, as the loader points at a missing key.
        while path and path not in self.lines:
            path = path[:-1]
        self.problems.append(Problem(self.file, self.lines.get(path, 0), message, hint))


def table_ref(resource: Resource) -> TableRef:
    """The resource's table as its connector reads it."""
    columns = {item.column: item.type for item in resource.items.values()}
    return TableRef(resource.table, resource.key_item.column, columns)


async def _check_source(
    report: _Report, connector: Connector, name: str, resources: list[Resource], sample: int
) -> bool:
    """Whether the source answered; its resources checked one after the other."""
    try:
        await connector.ping()
    except SourceUnavailable as e:
        report.add(
            ("sources", name),
            f"source '{name}' cannot be reached: {e.reason}",
            "check that the source is up, and its url and credentials",
        )
        return False
    for resource in resources:
        await _check_resource(report, connector, resource, sample)
    return True


async def _check_resource(report: _Report, connector: Connector, resource: Resource, sample: int) -> None:
    ref = table_ref(resource)
    try:
        shape = await connector.describe(ref)
    except SourceUnavailable as e:
        report.add(
            ("resources", resource.name, "table"),
            f"table '{resource.table}' of resource '{resource.name}' could not be described: {e.reason}",
            "try again when the source answers; without a unique constraint on the key, its values are "
            "counted, which takes long on a big table",
        )
        return
    if shape is None:
        await _check_sample(report, connector, resource, ref, sample)
        return
    if not shape.exists:
        _missing_table(report, resource)
        return
    for item in resource.items.values():
        column = shape.columns.get(item.column)
        if column is None:
            _missing_column(report, resource, item, shape)
        elif column.item_types is not None and item.type not in column.item_types:
            _mismatch(report, resource, item, column)
    if shape.key_unique is False:
        report.add(
            ("resources", resource.name, "key"),
            f"key '{resource.key}' of resource '{resource.name}' is not unique at the source: "
            f"column '{ref.key}' of table '{resource.table}' holds a value more than once, or none",
            "the key must name one record: choose a unique column as key, or correct the data "
            "(a unique constraint keeps it so)",
        )


def _missing_table(report: _Report, resource: Resource, what: str = "table") -> None:
    hint = (
        "check the name (with its schema where there is one, e.g. public.person), or create the table"
        if what == "table"
        else f"check the name of the {what} at the source"
    )
    report.add(
        ("resources", resource.name, "table"),
        f"{what} '{resource.table}' of resource '{resource.name}' does not exist at source '{resource.source}'",
        hint,
    )


def _missing_column(report: _Report, resource: Resource, item: Item, shape: TableShape) -> None:
    report.add(
        ("resources", resource.name, "items", item.name),
        f"column '{item.column}' of item '{item.name}' of resource '{resource.name}' "
        f"does not exist in table '{resource.table}'",
        did_you_mean(item.column, shape.columns, "its columns are") if shape.columns else "check the column name",
    )


def _mismatch(report: _Report, resource: Resource, item: Item, column: ColumnShape) -> None:
    serves = column.item_types or frozenset()
    if serves:
        ordered = [t.value for t in ItemType if t in serves]
        names = " or ".join(filter(None, (", ".join(ordered[:-1]), ordered[-1])))
        hint = f"a {column.type_name} column serves {names} items: change the item's type, or its column"
    else:
        hint = f"no item type reads a {column.type_name} column: use another column, or a view converting it"
    report.add(
        ("resources", resource.name, "items", item.name),
        f"item '{item.name}' of resource '{resource.name}' is {item.type.value}, "
        f"but column '{column.name}' of table '{resource.table}' is {column.type_name}",
        hint,
    )


async def _check_sample(report: _Report, connector: Connector, resource: Resource, ref: TableRef, sample: int) -> None:
    """Read ``sample`` rows of every item; when that fails, each item alone, to say which one."""
    try:
        rows = await connector.select(Select(ref, tuple(ref.columns), limit=sample))
    except SourceUnavailable as e:
        if _status(e) == 404:
            _missing_table(report, resource, "collection")
            return
        found = False
        for item in resource.items.values():
            try:
                await connector.select(Select(ref, (item.column,), limit=sample))
            except SourceUnavailable as alone:
                if _status(alone) == 404:
                    _missing_table(report, resource, "collection")
                    return
                found = _unread_field(report, resource, item, alone) or found
        if not found:
            report.add(
                ("resources", resource.name, "table"),
                f"collection '{resource.table}' of resource '{resource.name}' could not be read: {e.reason}",
                "check the collection at the source",
            )
        return
    key = list(ref.columns).index(ref.key)
    values = [row[key] for row in rows]
    if len(set(values)) < len(values) or None in values:
        report.add(
            ("resources", resource.name, "key"),
            f"key '{resource.key}' of resource '{resource.name}' is not unique at the source: "
            f"field '{ref.key}' of collection '{resource.table}' holds a value more than once, or none",
            f"the key must name one record (seen in the first {len(values)} records)",
        )


def _unread_field(report: _Report, resource: Resource, item: Item, e: SourceUnavailable) -> bool:
    """Report why the item's field alone could not be read; False when the reason is not the field's."""
    at = ("resources", resource.name, "items", item.name)
    cause = e.__cause__
    if isinstance(cause, KeyError) or _status(e) == 400:
        report.add(
            at,
            f"field '{item.column}' of item '{item.name}' of resource '{resource.name}' "
            f"is not in collection '{resource.table}' ({e.reason})",
            "check the field name at the source",
        )
        return True
    if isinstance(cause, TypeError | ValueError):
        report.add(
            at,
            f"item '{item.name}' of resource '{resource.name}' is {item.type.value}, "
            f"but field '{item.column}' of collection '{resource.table}' holds values that do not read as one",
            "change the item's type to the one the source's values have, or correct them at the source",
        )
        return True
    return False


def _status(e: SourceUnavailable) -> int | None:
    match = _STATUS.search(e.reason)
    return int(match.group(1)) if match else None
