"""What every workflow checks: who may act, who may see a record, and what a request must name."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import ColumnElement, Table, or_

from govshare.catalog.model import Catalog, Item, Resource
from govshare.clock import CHINA
from govshare.errors import FORBIDDEN, GovshareError, bad_input
from govshare.filters import coerce_filter
from govshare.identity import APPLICANT_ROLES, Caller, require_role
from govshare.policies.engine import Policy
from govshare.policies.grants import scope_problems

if TYPE_CHECKING:
    from govshare.workflows.calendar import Deadline


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


def forbidden(message: str) -> GovshareError:
    return GovshareError(FORBIDDEN, message)


def refuse(prefix: str, problems: list[str], **extensions: Any) -> NoReturn:
    raise bad_input(f"{prefix}: " + "; ".join(problems), problems=problems, **extensions)


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


def require_applicant(caller: Caller, what: str) -> None:
    require_role(caller, what, *APPLICANT_ROLES)


def require_authority(caller: Caller, what: str) -> None:
    require_role(caller, what, "authority")


def require_provider_admin(catalog: Catalog, caller: Caller, resource: str, what: str) -> None:
    """Only an administrator (``dept_admin``) of the department providing ``resource`` answers."""
    provider = provider_of(catalog, resource)
    if caller.department != provider or not caller.has("dept_admin"):
        raise forbidden(f"{what} is for an administrator (dept_admin) of {provider}, which provides {resource}; "
                        f"the caller is {caller.department} with roles {', '.join(caller.roles)}")  # fmt: skip


def provider_of(catalog: Catalog, resource: str) -> str | None:
    found = catalog.resources.get(resource)
    return found.provider if found is not None else None


def provided_by(catalog: Catalog, department: str) -> list[str]:
    return [name for name, r in catalog.resources.items() if r.provider == department]


def visible_where(table: Table, catalog: Catalog, caller: Caller) -> list[ColumnElement[bool]]:
    """Records the caller may see: its department's own, and those about resources it provides."""
    if caller.oversees:
        return []
    return [or_(table.c.department == caller.department, table.c.resource.in_(provided_by(catalog, caller.department)))]


def require_visible(catalog: Catalog, caller: Caller, what: str, department: str, resource: str) -> None:
    if not caller.oversees and caller.department not in (department, provider_of(catalog, resource)):
        raise forbidden(f"{what} concerns {department} and the provider of {resource} only")


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


def cst_day(moment: datetime.datetime) -> datetime.date:
    """The date of ``moment`` in China Standard Time, the time rules and deadlines speak of."""
    return moment.astimezone(CHINA).date()


# The calendar is imported when first needed: loading its holiday data takes most of a
# second, which every `govshare` command would otherwise pay at start.


def answer_deadline(submitted: datetime.datetime) -> Deadline:
    """10 working days after the day of ``submitted``, on the official calendar (R5)."""
    from govshare.workflows.calendar import deadline_for

    return deadline_for(submitted)


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    from govshare.workflows.calendar import working_days_between

    return working_days_between(start, end)[0]


def working_days_taken(start: datetime.datetime, end: datetime.datetime) -> int:
    """Working days from the day of ``start`` (not counted) to the day of ``end`` (counted)."""
    return working_days(cst_day(start), cst_day(end))


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
