"""Opaque keyset cursors: the ordering values of the last row seen.

A cursor records which ordering it belongs to, so one from another ordering
is refused instead of silently skipping or repeating rows.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from govshare.catalog.model import ItemType, Resource
from govshare.errors import bad_input


def _fingerprint(resource: Resource, order: Sequence[str]) -> str:
    return hashlib.sha256(f"{resource.name}:{','.join(order)}".encode()).hexdigest()[:8]


def encode(resource: Resource, order: Sequence[str], values: Sequence[Any]) -> str:
    payload = orjson.dumps([_fingerprint(resource, order), *values])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode(resource: Resource, order: Sequence[str], cursor: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fingerprint, *values = orjson.loads(raw)
    except (ValueError, TypeError):
        raise bad_input(
            f"'after' is not a cursor returned by {resource.plural}; pass an endCursor or edge cursor as is",
            resource=resource.name,
        ) from None
    if fingerprint != _fingerprint(resource, order) or len(values) != len(order):
        raise bad_input(
            f"'after' belongs to another ordering of {resource.plural}; keep orderBy identical while paging",
            resource=resource.name,
        )
    typed = []
    for name, value in zip(order, values, strict=True):
        item = resource.items[name.lstrip("-")]
        parsed = _typed(item.type, value)
        if parsed is _WRONG:
            raise bad_input(
                f"The cursor in 'after' is not one this server issued for this ordering of {resource.plural} "
                f"(its {item.name} value is not a {item.type.value}); pass an endCursor or edge cursor as is, "
                "with the same orderBy",
                resource=resource.name,
            )
        typed.append(parsed)
    return tuple(typed)


_WRONG = object()  # a value no cursor of this server holds for its item's type
_INT64 = range(-(2**63), 2**63)  # what every source's integer columns hold


def _typed(item_type: ItemType, value: Any) -> Any:
    """The cursor value as its item's type, or _WRONG."""
    if value is None:
        return None
    if item_type in (ItemType.DATE, ItemType.DATETIME):
        if not isinstance(value, str):
            return _WRONG
        parse = datetime.date.fromisoformat if item_type is ItemType.DATE else datetime.datetime.fromisoformat
        try:
            return parse(value)
        except ValueError:
            return _WRONG
    if item_type is ItemType.BOOLEAN:
        return value if isinstance(value, bool) else _WRONG
    whole = type(value) is int and value in _INT64
    if item_type is ItemType.INT:
        return value if whole else _WRONG
    if item_type is ItemType.FLOAT:
        return value if whole or type(value) is float else _WRONG
    return value if isinstance(value, str) or whole else _WRONG  # ID and String (a source may hold them as numbers)
