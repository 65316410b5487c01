"""Static GraphQL types shared by every generated resource type."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry

from govshare.catalog.model import ItemType
from govshare.filters import OPS


@strawberry.enum(description="Sort direction. NULLs come first in ASC and last in DESC.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


# Python types of item values, as GraphQL scalars.
SCALARS: dict[ItemType, object] = {
    ItemType.ID: strawberry.ID,
    ItemType.STRING: str,
    ItemType.INT: int,
    ItemType.FLOAT: float,
    ItemType.BOOLEAN: bool,
    ItemType.DATE: datetime.date,
    ItemType.DATETIME: datetime.datetime,
}


# Python attribute of each operator on the generated input classes ("in" is a keyword).
OP_ATTRS: dict[str, str] = {op: ("in_" if op == "in" else op) for ops in OPS.values() for op in ops}


def _filter_input(item_type: ItemType) -> type:
    scalar = SCALARS[item_type]
    annotations: dict[str, object] = {}
    namespace: dict[str, object] = {"__module__": __name__}
    for op in OPS[item_type]:
        attr = OP_ATTRS[op]
        if op == "isNull":
            annotations[attr] = bool | None
        elif op in ("in", "nin"):
            annotations[attr] = list[scalar] | None  # type: ignore[valid-type]
        else:
            annotations[attr] = scalar | None  # type: ignore[operator]
        namespace[attr] = strawberry.field(name=op, default=strawberry.UNSET)
    namespace["__annotations__"] = annotations
    name = f"{item_type.value}Filter"
    cls = type(name, (), namespace)
    return strawberry.input(
        cls, name=name, description=f"Conditions on one {item_type.value} item; all given conditions hold."
    )


FILTER_INPUTS: dict[ItemType, type] = {t: _filter_input(t) for t in ItemType}


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    hasNextPage: bool
    endCursor: str | None


@strawberry.enum(description="A date bucket of a Date or DateTime item, keyed by its text: 2024-03-05, 2024-03, 2024.")
class DateBucket(Enum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@strawberry.type(description="The answer to a claim check (核验): claimed values are compared, never returned.")
class Verification:
    found: bool = strawberry.field(description="A record with that key exists (within the caller's row scope)")
    matched: bool = strawberry.field(description="Every claimed value equals the recorded one")
    mismatched: list[str] = strawberry.field(description="Items whose claimed value differs")
