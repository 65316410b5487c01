"""A root field's plan is made once per (operation, department, purpose, policy version) and reused,
and a new policy version takes effect on the very next request."""

from __future__ import annotations

from govshare.identity import Caller
from govshare.policies.granting import add_grant, revoke_grant
from govshare.store.grant_rows import NewGrant
from tests.testville import Client

AUTHORITY = Caller("hub", "admin", ("authority",))
LOOKUP = '{ resident(residentId: "r00002") { fullName phone vehicles { plate } } }'
PAGE = "{ residents(first: 2, orderBy: [{residentId: ASC}]) { nodes { residentId phone } } }"


async def test_a_reused_plan_records_the_same_decisions_and_answers(client: Client) -> None:
    runtime = client.gateway.runtime
    first = await client.run(LOOKUP, department="transport")
    planned = len(runtime.plans)
    second = await client.run(LOOKUP, department="transport")
    assert len(runtime.plans) == planned  # nothing planned again
    assert second.body == first.body
    assert first.context is not None and second.context is not None
    assert second.context.decisions() == first.context.decisions() != []
    # Another department gets a plan of its own, never the first one's.
    other = await client.run(LOOKUP, department="civil")
    assert len(runtime.plans) == planned + 1
    assert other.context is not None and other.context.decisions() != first.context.decisions()


async def test_a_new_policy_version_changes_the_very_next_answer(client: Client) -> None:
    store = client.gateway.runtime.policies
    denied = await client.run(PAGE, department="transport")
    assert "FORBIDDEN" in denied.codes
    assert all(node["phone"] is None for node in denied.body["data"]["residents"]["nodes"])
    grant = await add_grant(
        store, NewGrant("transport", "Resident", ("phone",), ("work_reference",), "mask"), AUTHORITY
    )
    masked = await client.run(PAGE, department="transport")
    assert masked.codes == []
    phones = [node["phone"] for node in masked.body["data"]["residents"]["nodes"]]
    assert all(p is not None and "*" in p for p in phones)
    await revoke_grant(store, grant.id, AUTHORITY, "test over")
    again = await client.run(PAGE, department="transport")
    assert "FORBIDDEN" in again.codes
    assert again.context is not None and masked.context is not None
    assert again.context.policy is not None and masked.context.policy is not None
    assert again.context.policy.version > masked.context.policy.version


async def test_the_same_operation_with_other_directive_values_is_planned_apart(client: Client) -> None:
    query = 'query Q($v: Boolean!) { resident(residentId: "r00002") { fullName vehicles @include(if: $v) { plate } } }'
    with_vehicles = await client.data(query, {"v": True})
    without = await client.data(query, {"v": False})
    assert "vehicles" in with_vehicles["resident"] and "vehicles" not in without["resident"]
    assert (await client.data(query, {"v": True})) == with_vehicles
