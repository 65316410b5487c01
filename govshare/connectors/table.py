"""The table a connector request reads (connectors.base), shared by every kind of request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from govshare.catalog.model import ItemType


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table (sql) or collection (http) with the typed columns govshare may read."""

    name: str
    key: str  # unique column: the tiebreaker of every ordering
    columns: Mapping[str, ItemType] = field(hash=False)
