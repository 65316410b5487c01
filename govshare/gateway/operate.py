"""One GraphQL operation run for a caller already authenticated (the console's session), and audited
as /graphql audits it: the record is durable before the answer is used, whatever the outcome.

The console sends every read and every action through here, so that it decides and records
nothing of its own: the same engine, the same permission checks, the same audit log.
"""

from __future__ import annotations

import time
from typing import Any

from govshare.audit.record import AuditRecord
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.gateway.http import describe, failed
from govshare.identity import Caller


async def operate(
    gateway: Gateway,
    caller: Caller,
    purpose: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    client: str | None = None,
    channel: str = "console",
) -> dict[str, Any]:
    """The body /graphql would answer; raises AuditUnavailable when its record cannot be made durable."""
    started = time.perf_counter()
    record = AuditRecord(
        kind="query", outcome="malformed", department=caller.department, user=caller.user, roles=list(caller.roles),
        purpose=purpose, client=client, query=query, variables=variables, detail={"channel": channel},
    )  # fmt: skip
    try:
        outcome = await gateway.run(GraphQLRequest(query, variables), caller, purpose)
        describe(record, outcome)
        body = outcome.body
    except Exception:
        body = failed(record, f"a {channel} operation")
    record.duration_ms = (time.perf_counter() - started) * 1000
    await gateway.runtime.audit.append(record)
    return body
