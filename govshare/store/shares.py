"""What a department asks for and what a grant gives it: items of one resource, for purposes.

One value for applications, coordination requests and grants alike (the columns they
store in common are ``tables._share_columns`` and ``tables._bounds``); each adds its own
fields around it (a justification, an effect and an origin).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Share:
    department: str  # who asks, or who is granted
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    scope: dict[str, Any] | None = None  # a row scope: the GraphQL filter language as JSON
    valid_until: datetime.date | None = None  # the last day; None: until revoked

    def cleaned(self) -> Share:
        """The same share without repeated items or purposes."""
        return dataclasses.replace(self, items=unique(self.items), purposes=unique(self.purposes))

    def columns(self) -> dict[str, Any]:
        """The share as the grants, applications and coordinations tables store it."""
        return {
            "department": self.department,
            "resource": self.resource,
            "items": list(self.items),
            "purposes": list(self.purposes),
            "scope": self.scope,
            "valid_until": self.valid_until,
        }


def unique(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The values without repeats, in the order given."""
    return tuple(dict.fromkeys(values))
