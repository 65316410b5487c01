"""The aggregate types of one resource: groups with counts, measures per item, date buckets.

For ``Person``: ``PersonAggregate { count groups: [PersonAggregateGroup] }``, each group
``{ key count sum avg min max }``; ``sum``/``avg`` are ``PersonAggregateNumbers`` (a Float per
Int or Float item), ``min``/``max`` are ``PersonAggregateValues`` (per Int, Float, Date or
DateTime item, in its own type); ``buckets: [PersonBucket!]`` takes ``{item: PersonDateField,
by: DateBucket}``. A type with no fields is not valid GraphQL, so a resource without such
items has no such fields (and no ``buckets`` argument).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import strawberry

from govshare.catalog.model import Item, ItemType, Resource
from govshare.connectors.aggregate import AGGREGATE_FUNCTIONS
from govshare.schema.stubs import arg, optional_list
from govshare.schema.types import Namespace, python_name

_NUMBERS = AGGREGATE_FUNCTIONS["sum"]
_VALUES = AGGREGATE_FUNCTIONS["min"]
_DATED = frozenset({ItemType.DATE, ItemType.DATETIME})
_DOCS = {
    "sum": "Sums of the group's values (as Float), NULLs ignored; null when the group has none.",
    "avg": "Averages of the group's values (the sum over the number of values), NULLs ignored; null when none.",
    "min": "Least values of the group, NULLs ignored; null when the group has none.",
    "max": "Greatest values of the group, NULLs ignored; null when the group has none.",
}


def aggregate_type(ns: Namespace, resource: Resource) -> type:
    """``<T>Aggregate`` and the types below it (``ns``: the build's schema.types.Namespace)."""
    numbers = _measured(ns, resource, "AggregateNumbers", _NUMBERS, "Per numeric item, as Float", lambda _: "Float")
    values = _measured(ns, resource, "AggregateValues", _VALUES, "Per numeric or date item, in its type",
                       lambda item: item.type.value)  # fmt: skip
    group_name = f"{resource.name}AggregateGroup"
    annotations = {"key": "JSON", "count": "int"}
    attrs: dict[str, Any] = {
        "key": strawberry.field(
            description="The grouped items' values and the buckets' texts, e.g. "
            '{"district": "east", "birthDate.month": "1985-03"}'
        ),
        "count": strawberry.field(description="Rows in the group."),
    }
    for function in AGGREGATE_FUNCTIONS:
        shown = numbers if function in ("sum", "avg") else values
        if shown is not None:
            annotations[function] = f"Optional[{shown}]"
            attrs[function] = strawberry.field(description=_DOCS[function])
    group = ns.new_class(group_name, annotations, attrs)
    ns.add(strawberry.type(group, name=group_name, description=f"One group of {resource.plural}."))
    name = f"{resource.name}Aggregate"
    cls = ns.new_class(name, {"count": "Optional[int]", "groups": f"Optional[list[{group_name}]]"}, {})
    return ns.add(strawberry.type(cls, name=name, description=f"Counts and measures of {resource.plural}."))


def bucket_argument(ns: Namespace, resource: Resource) -> list[Any]:
    """The ``buckets`` argument of the aggregate field, if the resource has Date or DateTime items."""
    dated = _items(resource, _DATED)
    if not dated:
        return []
    enum_name, name = f"{resource.name}DateField", f"{resource.name}Bucket"
    members = Enum(enum_name, {f"item{n}": i.name for n, i in enumerate(dated)})  # type: ignore[misc]
    members.__module__ = ns.module.__name__
    doc = f"Date and DateTime items of {resource.name}, for buckets."
    ns.add(strawberry.enum(members, name=enum_name, description=doc, graphql_name_from="value"))
    cls = ns.new_class(name, {"item": enum_name, "by": "DateBucket"}, {})
    description = "Group by the day, month or year of a date item (the stored value, no time zone conversion)."
    bucket = ns.add(strawberry.input(cls, name=name, description=description))
    return [arg("buckets", optional_list(bucket), "Date buckets to group by, after groupBy.", None)]


def _measured(
    ns: Namespace, resource: Resource, suffix: str, types: frozenset[ItemType], doc: str, scalar: Callable[[Item], str]
) -> str | None:
    """The type of one kind of measure: a field per item of ``types``, of the ``scalar`` named."""
    items = _items(resource, types)
    if not items:
        return None
    name = f"{resource.name}{suffix}"
    annotations = {python_name(i.name): f"Optional[Scalar_{scalar(i)}]" for i in items}
    attrs = {python_name(i.name): strawberry.field(name=i.name, description=i.title) for i in items}
    cls = ns.new_class(name, annotations, attrs)
    ns.add(strawberry.type(cls, name=name, description=f"{doc}: a measure of {resource.plural}."))
    return name


def _items(resource: Resource, types: frozenset[ItemType]) -> list[Item]:
    return [i for i in resource.items.values() if i.type in types]
