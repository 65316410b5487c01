"""What an aggregate's measures and date buckets mean, as the gateway computes them.

The SQL connector computes the same in SQL (connectors.sql_aggregates); the gateway uses
these when it completes an aggregate a source declines (connectors.completion), and both
finish an average here, so that every source answers alike:

- NULLs are ignored; a group without a value has NULL for every measure (so the sum of
  no values is NULL, not 0, as in SQL);
- a sum is a float: exact while it stays below 2**53 in magnitude (an Int sum is exact
  before it is rounded to a double once), so sums of 64-bit items cannot overflow;
- an average is the sum over the number of values;
- min and max keep the item's type;
- a date bucket is the stored value's day, month or year as text (``2024-03-05``,
  ``2024-03``, ``2024``), with no time zone conversion: DateTime values are stored
  without one.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from typing import Any

from govshare.catalog.model import ItemType
from govshare.connectors.aggregate import DATE_BUCKETS


def bucket(value: datetime.date | None, by: str) -> str | None:
    """The bucket ``by`` (day, month, year) of a date or datetime, as text."""
    return None if value is None else value.isoformat()[: DATE_BUCKETS[by]]


def average(total: Any, count: int) -> float | None:
    """The average of ``count`` values whose sum is ``total`` (None for no values)."""
    return float(total) / count if count else None


def measure(function: str, item_type: ItemType, values: Sequence[Any]) -> Any:
    """``function`` (sum, avg, min, max) of ``values``, NULLs ignored."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if function == "min":
        return min(present)
    if function == "max":
        return max(present)
    # Integers are summed exactly, floats correctly rounded: rounded once, at the end.
    total = sum(present) if item_type is ItemType.INT else math.fsum(present)
    return float(total) if function == "sum" else average(total, len(present))
