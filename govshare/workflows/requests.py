"""What a department asks for (an application, a coordination request) and what such a request must name."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from govshare.catalog.model import Catalog, Item, Resource
from govshare.errors import bad_input
from govshare.identity import Caller
from govshare.policies.engine import Policy
from govshare.policies.granting import share_problems
from govshare.store.shares import Share
from govshare.workflows.permissions import forbidden


@dataclass(frozen=True, slots=True)
class Request:
    """What a department asks for (a share of items), with its justification."""

    share: Share
    justification: str

    def cleaned(self) -> Request:
        """The same request without repeated items or purposes, its justification trimmed."""
        return Request(self.share.cleaned(), self.justification.strip())

    def columns(self) -> dict[str, Any]:
        """The request as an application and a coordination request store it."""
        return {**self.share.columns(), "justification": self.justification}


def require_own(caller: Caller, request: Request) -> None:
    """A department asks for itself only."""
    if request.share.department != caller.department:
        raise forbidden(f"{caller.department} may ask for items for itself only, not for {request.share.department}")


def refuse(prefix: str, problems: list[str], **extensions: Any) -> NoReturn:
    raise bad_input(f"{prefix}: " + "; ".join(problems), problems=problems, **extensions)


def blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check_request(
    catalog: Catalog,
    request: Request,
    today: datetime.date,
    item_problem: Callable[[Resource, Item], str | None],
    policy: Policy,
) -> list[str]:
    """Everything wrong with ``request``: its share (see ``share_problems``) and its justification."""
    problems = share_problems(catalog, request.share, today, policy, item_problem)
    if blank(request.justification):
        problems.append("give a justification: why the department needs these items")
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
