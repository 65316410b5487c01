"""Workflow records as the platform database keeps them, and the row helpers every workflow shares."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.store import grant_rows as grant_rows
from govshare.store.grant_rows import Grant
from govshare.store.rows import R, from_row

# Application states; "overdue" is derived (submitted, and the deadline has passed), never stored.
SUBMITTED, APPROVED, REJECTED, WITHDRAWN = "submitted", "approved", "rejected", "withdrawn"
# Coordination states: the authority's decision is final.
OPEN, GRANTED, REFUSED = "open", "granted", "refused"
# Data-issue states: open until the provider answers with a verdict.
CORRECTED, NOT_AN_ERROR = "corrected", "not_an_error"
VERDICTS = (CORRECTED, NOT_AN_ERROR)


@dataclass(frozen=True, slots=True)
class Application:
    """A department's application for conditional items of one resource (R5)."""

    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    justification: str
    scope: dict[str, Any] | None
    valid_until: datetime.date | None
    state: str
    submitted_at: datetime.datetime
    submitted_by: str
    deadline: datetime.date
    deadline_provisional: bool
    deadline_basis: str
    answered_at: datetime.datetime | None
    answered_by: str | None
    reason: str | None
    working_days_taken: int | None
    late: bool | None
    grant_id: int | None
    withdrawn_at: datetime.datetime | None
    withdrawn_by: str | None
    withdraw_reason: str | None
    grant: Grant | None = None

    def overdue_on(self, day: datetime.date) -> bool:
        return self.state == SUBMITTED and day > self.deadline


@dataclass(frozen=True, slots=True)
class Coordination:
    """A request to the platform authority for withheld or refused items (R6)."""

    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    justification: str
    scope: dict[str, Any] | None
    valid_until: datetime.date | None
    application_id: int | None
    state: str
    requested_at: datetime.datetime
    requested_by: str
    decided_at: datetime.datetime | None
    decided_by: str | None
    reasoning: str | None
    grant_id: int | None
    grant: Grant | None = None


@dataclass(frozen=True, slots=True)
class DataIssue:
    """A using department's report of a suspected error in shared data (R8, 校核)."""

    id: int
    department: str
    resource: str
    record_key: str
    item: str | None
    description: str
    state: str
    reported_at: datetime.datetime
    reported_by: str
    answered_at: datetime.datetime | None
    answered_by: str | None
    note: str | None
    working_days_taken: int | None


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    id: int
    at: datetime.datetime
    department: str
    user: str
    roles: tuple[str, ...]
    action: str
    target: str
    target_id: int
    details: dict[str, Any]


async def insert(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> int:
    result = await conn.execute(table.insert().values(**values))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


async def transition(
    conn: AsyncConnection, table: Table, record_id: int, from_state: str, values: dict[str, Any]
) -> bool:
    """Move a record out of ``from_state``; False when another step moved it first."""
    result = await conn.execute(
        update(table).where(table.c.id == record_id, table.c.state == from_state).values(**values)
    )
    return result.rowcount == 1


async def fetch(
    conn: AsyncConnection, cls: type[R], table: Table, *where: ColumnElement[bool], newest_first: bool = False
) -> list[R]:
    order = table.c.id.desc() if newest_first else table.c.id
    return [from_row(cls, row) for row in await conn.execute(select(table).where(*where).order_by(order))]


async def fetch_one(conn: AsyncConnection, cls: type[R], table: Table, record_id: int) -> R | None:
    found = await fetch(conn, cls, table, table.c.id == record_id)
    return found[0] if found else None


async def with_grants(conn: AsyncConnection, records: Sequence[R]) -> list[R]:
    """Attach the grant each record created (approval or coordination decision), if any."""
    attached: list[R] = []
    for record in records:
        grant_id = getattr(record, "grant_id", None)
        grant = await grant_rows.get_grant(conn, grant_id) if grant_id is not None else None
        attached.append(dataclasses.replace(record, grant=grant) if grant is not None else record)
    return attached
