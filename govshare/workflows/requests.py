"""What a department asks for (an application, a coordination request) and what such a request must name."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from govshare.catalog.model import Catalog, Item, Resource
from govshare.errors import bad_input
from govshare.filters import coerce_filter
from govshare.policies.engine import Policy
from govshare.policies.granting import scope_problems


@dataclass(frozen=True, slots=True)
class Request:
    """What a department asks for: items of one resource, for purposes, with a justification."""

    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    justification: str
    scope: dict[str, Any] | None = None
    valid_until: datetime.date | None = None

    def cleaned(self) -> Request:
        """The same request without repeated items or purposes, its justification trimmed."""
        return dataclasses.replace(
            self, items=unique(self.items), purposes=unique(self.purposes), justification=self.justification.strip()
        )

    def columns(self, department: str) -> dict[str, Any]:
        """The request as an application and a coordination request store it."""
        return {
            "department": department,
            "resource": self.resource,
            "items": list(self.items),
            "purposes": list(self.purposes),
            "justification": self.justification,
            "scope": self.scope,
            "valid_until": self.valid_until,
        }


def refuse(prefix: str, problems: list[str], **extensions: Any) -> NoReturn:
    raise bad_input(f"{prefix}: " + "; ".join(problems), problems=problems, **extensions)


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check_request(
    catalog: Catalog,
    department: str,
    request: Request,
    today: datetime.date,
    item_problem: Callable[[Resource, Item], str | None],
    policy: Policy,
) -> list[str]:
    """Everything wrong with ``request``; ``item_problem`` judges each named item's sharing type.

    A proposed row scope may test only items the department may read in full already (``policy``).
    """
    problems: list[str] = []
    resource = catalog.resources.get(request.resource)
    if resource is None:
        problems.append(
            f"resource '{request.resource}' is not in the catalog; resources: {', '.join(catalog.resources)}"
        )
    elif resource.provider == department:
        problems.append(f"{department} provides {resource.name} and reads all of it already")
    if not request.items:
        problems.append("name at least one item")
    items = resource.items if resource is not None else {}
    for name in request.items if resource is not None else ():
        item = items.get(name)
        if item is None:
            problems.append(f"{request.resource} has no item '{name}'; items: {', '.join(items)}")
        elif resource is not None and (problem := item_problem(resource, item)) is not None:
            problems.append(problem)
    purposes = catalog.platform.purposes
    if not request.purposes:
        problems.append(f"name at least one purpose: {', '.join(purposes)}")
    problems += [f"purpose '{p}' is not in the catalog; purposes: {', '.join(purposes)}"
                 for p in request.purposes if p not in purposes]  # fmt: skip
    if blank(request.justification):
        problems.append("give a justification: why the department needs these items")
    if request.valid_until is not None and request.valid_until < today:
        problems.append(f"the end date {request.valid_until} is in the past")
    if request.scope is not None and resource is not None:
        try:
            coerce_filter(resource, request.scope)
        except ValueError as exc:
            problems.append(f"the row scope is not a valid {resource.name} filter: {exc}")
        else:
            problems += scope_problems(policy, resource, department, request.scope, request.purposes, today)
    return problems


# The calendar is imported when first needed: loading its holiday data takes most of a
# second, which every `govshare` command would otherwise pay at start.


MAX_ID = 2**63 - 1  # ids are 64-bit in every platform database


def parse_id(text: str, what: str) -> int:
    """A record id as the caller wrote it (GraphQL IDs are text), checked to be one the store can hold."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 0 < number <= MAX_ID:
        raise bad_input(f"'{text[:40]}' is not {what} id; ids are whole numbers from 1 to {MAX_ID}")
    return number


def unique(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The values without repeats, in the order given."""
    return tuple(dict.fromkeys(values))
