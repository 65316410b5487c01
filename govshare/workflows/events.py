"""Workflow events: one row per step (who, when, what, on which record, details).

Each event is written in the transaction of the step it records, so a step and its event
exist together or not at all. They are read-only to users and shaped so that they can be
carried into the audit log as they are.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.identity import Caller
from govshare.store.tables import workflow_events
from govshare.workflows.records import WorkflowEvent, fetch, insert

APPLICATION, COORDINATION, DATA_ISSUE = "application", "coordination", "data_issue"
TARGETS = (APPLICATION, COORDINATION, DATA_ISSUE)


async def record_event(
    conn: AsyncConnection,
    caller: Caller,
    action: str,
    target: str,
    target_id: int,
    now: datetime.datetime,
    details: dict[str, Any] | None = None,
) -> int:
    """Append the event of one step; ``action`` is ``<target>.<what happened>``."""
    assert target in TARGETS and action.startswith(target + ".")
    return await insert(
        conn,
        workflow_events,
        {
            "at": now,
            "department": caller.department,
            "user": caller.user,
            "roles": list(caller.roles),
            "action": action,
            "target": target,
            "target_id": target_id,
            "details": details or {},
        },
    )


async def events_of(conn: AsyncConnection, target: str, target_id: int) -> list[WorkflowEvent]:
    """The events of one record, oldest first."""
    table = workflow_events
    return await fetch(conn, WorkflowEvent, table, table.c.target == target, table.c.target_id == target_id)
