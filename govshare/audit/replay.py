"""Replaying a recorded operation: the same query, department and purpose, decided again
under the policy version recorded (on the day recorded) and under today's.

The report says which decisions changed and whether the recorded result
hash reproduces; it never carries the data itself. The replays write no
audit record of their own here: the auditor's request that asked for the
replay is the record (the CLI writes one explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from govshare import clock
from govshare.audit.read import get_record
from govshare.audit.record import result_digest
from govshare.errors import bad_input
from govshare.resolvers.context import Caller

if TYPE_CHECKING:
    from govshare.gateway.executor import Gateway


@dataclass(slots=True)
class DecisionChange:
    resource: str
    item: str
    then: str
    now: str


@dataclass(slots=True)
class ReplayReport:
    seq: int
    policy_version_then: int | None
    policy_version_now: int
    decisions_then: list[list[str]]
    decisions_now: list[list[str]]
    recorded_result: str | None
    result_then: str | None
    result_now: str | None
    changed: list[DecisionChange] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """The recorded result hash comes out again under the recorded policy (the data did not change)."""
        return self.recorded_result is not None and self.recorded_result == self.result_then


async def replay(gateway: Gateway, seq: int) -> ReplayReport:
    from govshare.gateway.executor import GraphQLRequest

    runtime = gateway.runtime
    record = await get_record(runtime.audit.engine, seq)
    if record is None:
        raise bad_input(f"there is no audit record {seq}")
    if record.kind != "query" or not record.query or record.department is None:
        raise bad_input(f"record {seq} is a {record.outcome} {record.kind}: only executed queries can be replayed")
    if record.department not in runtime.catalog.departments:
        raise bad_input(f"record {seq} was made by department {record.department!r}, which the catalog no longer has")
    then_policy = await runtime.policies.load(record.policy_version) if record.policy_version else None
    if then_policy is None:
        raise bad_input(f"record {seq} names policy version {record.policy_version}, which is not stored")
    caller = Caller(record.department, record.user or "", tuple(record.roles))
    request = GraphQLRequest(record.query, record.variables, record.operation_name)
    assert record.recorded_at is not None
    day = record.recorded_at.astimezone(clock.CHINA).date()
    then = await gateway.run(
        request, caller, record.purpose, allow_mutations=False, policy=then_policy, today=day, metered=False
    )
    now = await gateway.run(request, caller, record.purpose, allow_mutations=False, metered=False)
    decisions_then = then.context.decisions() if then.context else []
    decisions_now = now.context.decisions() if now.context else []
    report = ReplayReport(
        seq=seq,
        policy_version_then=record.policy_version,
        policy_version_now=runtime.policies.current.version,
        decisions_then=decisions_then,
        decisions_now=decisions_now,
        recorded_result=record.result_sha256,
        result_then=result_digest(then.body["data"]) if "data" in then.body else None,
        result_now=result_digest(now.body["data"]) if "data" in now.body else None,
    )
    effects_now = {(r, i): e for r, i, e, *_ in decisions_now}
    for resource, item, effect, *_ in decisions_then:
        current = effects_now.get((resource, item), "not decided")
        if current != effect:
            report.changed.append(DecisionChange(resource, item, effect, current))
    return report


__all__ = ["DecisionChange", "ReplayReport", "replay"]
