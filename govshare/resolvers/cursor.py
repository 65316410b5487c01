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
    return tuple(_typed(resource.items[o.lstrip("-")].type, v) for o, v in zip(order, values, strict=True))


def _typed(item_type: ItemType, value: Any) -> Any:
    if value is None:
        return None
    if item_type is ItemType.DATE:
        return datetime.date.fromisoformat(value)
    if item_type is ItemType.DATETIME:
        return datetime.datetime.fromisoformat(value)
    return value
