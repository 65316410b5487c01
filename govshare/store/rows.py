"""Rows of the platform database as the frozen records the code passes around."""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

from govshare.clock import as_utc

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def from_row(cls: type[R], row: Row[Any]) -> R:
    """The record ``cls`` from a row whose columns carry its field names.

    Times come back in UTC (SQLite hands back naive ones) and JSON lists as tuples;
    fields without a column are left to their defaults (attached later, if at all).
    """
    mapping = row._mapping
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name not in mapping:
            continue
        value = mapping[field.name]
        if isinstance(value, datetime.datetime):
            value = as_utc(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[field.name] = value
    return cls(**values)
