"""Leak 5: verification is a read, one yes/no a check, so it is metered and kept off small domains.

The served world allows 8 checks a day per verify grant (``verify_checks_per_day``) and 5 per
operation (the default); a check through an ``allow`` is no read beyond what is shared.
"""

from __future__ import annotations

import datetime
from typing import Any

from govshare.clock import CHINA
from govshare.store.grant_rows import NewGrant
from tests.trust.demo import Demo, errors_of

CHECK = 'c{n}: personVerify(idNumber: "{key}", claims: {{{item}: {claim}}}) {{ found matched }}'


def _checks(demo: Demo, department: str, claims: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Verify (key, item, claim as GraphQL literal) several times in one operation."""
    fields = [CHECK.format(n=n, key=k, item=i, claim=c) for n, (k, i, c) in enumerate(claims)]
    return demo.post("{ " + " ".join(fields) + " }", department=department, purpose="data_verification")


def _address_checks(demo: Demo, count: int) -> list[tuple[str, str, str]]:
    people = list(demo.rows["Person"].values())[:count]
    return [(p["idNumber"], "address", f'"{p["address"]}"') for p in people]


def test_small_domains_are_never_verify_only(demo: Demo) -> None:
    [coded] = errors_of(demo.grant("market", "Person", ["maritalStatus"], ["data_verification"], "verify"))
    assert "code set has 4 values" in coded["message"]
    [boolean] = errors_of(
        demo.grant("market", "HealthRecord", ["vaccinationComplete"], ["data_verification"], "verify")
    )
    assert "Boolean" in boolean["message"]
    # One stored before the rule is refused when decided.
    demo.stored_grant(NewGrant("police", "HealthRecord", ("bloodType",), ("data_verification",), "verify"))
    record = next(iter(demo.rows["HealthRecord"].values()))
    body = demo.post(f'{{ healthRecordVerify(recordId: "{record["recordId"]}", claims: {{bloodType: "A型"}}) {{ matched }} }}',
                     department="police", purpose="data_verification")  # fmt: skip
    [refused] = errors_of(body, "FORBIDDEN")
    assert "code set has 8 values" in refused["message"]


def test_checks_are_capped_per_operation_aliases_included(demo: Demo) -> None:
    assert "errors" not in demo.grant("natres", "Person", ["address"], ["data_verification"], "verify")
    body = _checks(demo, "natres", _address_checks(demo, 6))
    capped = errors_of(body)
    assert body["data"] is None and capped and all(e["extensions"]["code"] == "QUERY_TOO_COMPLEX" for e in capped)
    assert "asks for 6 verification checks" in capped[0]["message"] and capped[0]["extensions"]["limit"] == 5
    five = _checks(demo, "natres", _address_checks(demo, 5))  # none of the six was made, so 8 remain
    assert all(v == {"found": True, "matched": True} for v in five["data"].values()), five


def test_a_verify_grant_has_a_daily_quota(demo: Demo) -> None:
    """natres made 5 of its 8 checks above; three more go through, the ninth does not."""
    for _ in range(3):
        assert "errors" not in _checks(demo, "natres", _address_checks(demo, 1))
    body = _checks(demo, "natres", _address_checks(demo, 1))
    [exceeded] = errors_of(body, "QUOTA_EXCEEDED")
    assert exceeded["path"] == ["c0"] and exceeded["extensions"]["quota"] == 8
    reset = datetime.datetime.fromisoformat(exceeded["extensions"]["resetAt"])
    tomorrow = datetime.datetime.now(CHINA).date() + datetime.timedelta(days=1)
    assert reset == datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=CHINA)
    assert reset.isoformat() in exceeded["message"]
    # Reading what is shared goes on.
    person = next(iter(demo.rows["Person"].values()))
    read = demo.post(f'{{ person(idNumber: "{person["idNumber"]}") {{ name }} }}', department="natres")
    assert read["data"]["person"]["name"] == person["name"]


def test_checks_through_an_allow_are_not_counted(demo: Demo) -> None:
    assert "errors" not in demo.grant("health", "Person", ["address"], ["data_verification"], "allow")
    for _ in range(3):  # 15 checks, beyond the daily quota of a verify grant
        body = _checks(demo, "health", _address_checks(demo, 5))
        assert all(v == {"found": True, "matched": True} for v in body["data"].values()), body
