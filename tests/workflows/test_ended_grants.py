"""After a grant ends, a refusal says which grant ended, when and how, and how to apply again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.policies.world import OTHER, PHONE, PHONE_MASKED, PROVIDER, read_query
from tests.workflows.desk import PROVIDER_ADMIN, REVOKE, Desk


def _refusal(desk: Desk) -> dict[str, Any]:
    body = desk.api.post(read_query("phone"), department=OTHER)
    assert body["data"]["citizen"]["phone"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["citizen", "phone"]
    return error  # type: ignore[no-any-return]


def test_before_any_grant_the_refusal_says_there_is_none(desk: Desk) -> None:
    error = _refusal(desk)
    assert "has no active grant" in error["message"] and "endedGrant" not in error["extensions"]


def test_after_a_revocation_the_refusal_names_the_ended_grant(desk: Desk) -> None:
    application = desk.apply()
    grant = desk.approve(application["id"], "MASK")["grant"]
    assert desk.phone() == PHONE_MASKED
    desk.ok(REVOKE, {"id": application["id"], "reason": "业务结束"}, PROVIDER_ADMIN)

    error = _refusal(desk)
    message = error["message"]
    assert f"grant {grant['id']} for {OTHER} with purpose 'work_reference' ended on 2026-03-02" in message
    assert f"revoked by {PROVIDER}" in message
    assert f"apply to {PROVIDER} for Citizen.phone with purpose 'work_reference'" in message
    assert "has no active grant" not in message
    assert error["extensions"]["endedGrant"] == int(grant["id"])
    assert error["extensions"]["endedOn"] == "2026-03-02"


def test_after_the_end_date_the_refusal_says_the_grant_expired(desk: Desk, set_now: Callable[[str], None]) -> None:
    application = desk.apply(until="2026-06-30")
    grant = desk.approve(application["id"], "ALLOW")["grant"]
    set_now("2026-06-30T23:00:00+08:00")
    assert desk.phone() == PHONE  # the end date is the last day of the grant
    set_now("2026-07-01T08:00:00+08:00")

    error = _refusal(desk)
    assert (
        f"grant {grant['id']} for {OTHER} with purpose 'work_reference' ended on 2026-06-30 (expired)"
        in (error["message"])
    )
    assert error["extensions"]["endedOn"] == "2026-06-30"


def test_the_most_recent_ended_grant_is_named_and_a_new_grant_reads_again(desk: Desk) -> None:
    first = desk.apply()
    desk.approve(first["id"], "MASK")
    desk.ok(REVOKE, {"id": first["id"]}, PROVIDER_ADMIN)
    second = desk.apply()
    grant = desk.approve(second["id"], "ALLOW")["grant"]
    assert desk.phone() == PHONE
    desk.ok(REVOKE, {"id": second["id"]}, PROVIDER_ADMIN)
    assert _refusal(desk)["extensions"]["endedGrant"] == int(grant["id"])
    third = desk.apply()
    desk.approve(third["id"], "ALLOW")
    assert desk.phone() == PHONE
