"""Item values in JSON, as department APIs (JSON over HTTP, GraphQL) send and receive them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from govshare.catalog.model import ItemType


def _as_str(v: Any) -> str:
    return v if isinstance(v, str) else str(v)  # numeric IDs are common in JSON APIs


def _as_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("not an integer")
    return v


def _as_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError("not a number")
    return float(v)


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise TypeError("not a boolean")


# JSON value → Python value of the item type (None is handled by the caller).
DECODERS: dict[ItemType, Callable[[Any], Any]] = {
    ItemType.ID: _as_str,
    ItemType.STRING: _as_str,
    ItemType.INT: _as_int,
    ItemType.FLOAT: _as_float,
    ItemType.BOOLEAN: _as_bool,
    ItemType.DATE: date.fromisoformat,
    ItemType.DATETIME: datetime.fromisoformat,
}


def to_json(value: Any) -> Any:
    """A filter value as JSON: dates and times in ISO 8601, lists element-wise."""
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value
