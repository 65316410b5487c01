"""Replaying a recorded operation: the same query, department and purpose, decided again
under the policy version recorded (on the day recorded) and under today's.

The report says which decisions changed and whether the recorded result
digest reproduces (recomputed under the key the record names); it never
carries the data itself. The replays write no audit record of their own
here: the auditor's request that asked for the replay is the record (the
CLI writes one explicitly). A reader replays only records it may see.
"""

from __future__ import annotations

from govshare import clock
from govshare.audit.keys import KeyringError
from govshare.audit.read import Visibility, get_record
from govshare.audit.report import DecisionChange, ReplayReport
from govshare.errors import bad_input
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller


async def replay(gateway: Gateway, seq: int, seen_by: Visibility) -> ReplayReport:
    runtime = gateway.runtime
    record = await get_record(runtime.audit.engine, seq, seen_by)
    if record is None:
        raise bad_input(f"there is no audit record {seq}")
    if record.kind != "query" or not record.query or record.department is None:
        article = "an" if record.outcome[:1] in "aeiou" else "a"
        raise bad_input(
            f"record {seq} is {article} {record.outcome} {record.kind}: only executed queries can be replayed"
        )
    if record.department not in runtime.catalog.departments:
        raise bad_input(f"record {seq} was made by department {record.department!r}, which the catalog no longer has")
    then_policy = await runtime.policies.load(record.policy_version) if record.policy_version else None
    if then_policy is None:
        raise bad_input(f"record {seq} names policy version {record.policy_version}, which is not stored")
    keys = runtime.audit.results
    if record.result_key_id is not None:
        try:
            keys.key(record.result_key_id)
        except KeyringError as exc:
            raise bad_input(f"record {seq} cannot be compared: {exc}") from None
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
    # A legacy record is compared by its plain hash, but no plain hash of today's answers is shown.
    shown_key = record.result_key_id or keys.current
    reproduced = (
        record.result_sha256 is not None
        and "data" in then.body
        and keys.digest_under(record.result_key_id, then.body["data"]) == record.result_sha256
    )
    report = ReplayReport(
        seq=seq,
        policy_version_then=record.policy_version,
        policy_version_now=runtime.policies.current.version,
        decisions_then=decisions_then,
        decisions_now=decisions_now,
        recorded_result=record.result_sha256,
        recorded_key_id=record.result_key_id,
        result_key_id=shown_key,
        result_then=keys.digest_under(shown_key, then.body["data"]) if "data" in then.body else None,
        result_now=keys.digest_under(shown_key, now.body["data"]) if "data" in now.body else None,
        reproduced=reproduced,
    )
    effects_now = {(r, i): e for r, i, e, *_ in decisions_now}
    for resource, item, effect, *_ in decisions_then:
        current = effects_now.get((resource, item), "not decided")
        if current != effect:
            report.changed.append(DecisionChange(resource, item, effect, current))
    return report
