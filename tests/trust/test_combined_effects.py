"""Leak 1: a masked value plus verification under another purpose gives the whole value.

Purpose is declared by the caller, so a department knows the union of what its grants give
under every purpose. The attack: read 138****5678 under one purpose, then check the ~10⁴
candidates under the other, a few per request. It must learn nothing beyond the mask.
"""

from __future__ import annotations

from typing import Any

from govshare.store.grant_rows import NewGrant
from tests.trust.demo import Demo, errors_of

VERIFY = 'c{n}: personVerify(idNumber: "{key}", claims: {{phone: "{claim}"}}) {{ found matched mismatched }}'


def _person_with_phone(demo: Demo, skip: int = 0) -> dict[str, Any]:
    with_phone = [row for row in demo.rows["Person"].values() if row["phone"]]
    return with_phone[skip]


def _checks(demo: Demo, department: str, key: str, claims: list[str]) -> dict[str, Any]:
    query = "{ " + " ".join(VERIFY.format(n=n, key=key, claim=c) for n, c in enumerate(claims)) + " }"
    return demo.post(query, department=department, purpose="data_verification")


def _candidates(masked: str, true: str) -> list[str]:
    """Four wrong fillings of the mask and the true one, as the attacker would try them."""
    head, tail = masked[:3], masked[-4:]
    wrong = [f"{head}{n:04d}{tail}" for n in range(4) if f"{head}{n:04d}{tail}" != true]
    return [*wrong[:4], true]


def test_verify_is_refused_when_granted_beside_a_mask(demo: Demo) -> None:
    assert "errors" not in demo.grant("market", "Person", ["phone"], ["work_reference"], "mask")
    body = demo.grant("market", "Person", ["phone"], ["data_verification"], "verify")
    [error] = errors_of(body, "BAD_USER_INPUT") or [body]
    assert "masked" in error["message"] and "whole value" in error["message"]
    assert "grant 'allow'" in error["message"]  # and what to do instead


def test_a_mask_is_refused_when_granted_beside_verification(demo: Demo) -> None:
    assert "errors" not in demo.grant("ndrc", "Person", ["phone"], ["data_verification"], "verify")
    [error] = errors_of(demo.grant("ndrc", "Person", ["phone"], ["work_reference"], "mask"), "BAD_USER_INPUT")
    assert "verify-only" in error["message"]


def test_a_stored_mask_and_verify_pair_reveals_nothing_beyond_the_mask(demo: Demo) -> None:
    demo.stored_grant(NewGrant("natres", "Person", ("phone",), ("work_reference",), "mask"))
    demo.stored_grant(NewGrant("natres", "Person", ("phone",), ("data_verification",), "verify"))
    person = _person_with_phone(demo)
    read = demo.post(f'{{ person(idNumber: "{person["idNumber"]}") {{ phone }} }}', department="natres")
    masked = read["data"]["person"]["phone"]
    assert masked != person["phone"] and masked[-4:] == person["phone"][-4:]  # the mask still holds

    body = _checks(demo, "natres", person["idNumber"], _candidates(masked, person["phone"]))
    assert body["data"] is None or all(v is None for v in body["data"].values())  # no check answered
    refused = errors_of(body, "FORBIDDEN")
    # The checks are non-null root fields: the first refusal nulls the answer, as GraphQL execution does.
    assert refused and all("masked" in e["message"] for e in refused)
    assert all(e["extensions"]["refused"].startswith("grant:") for e in refused)


def test_an_unscoped_allow_elsewhere_makes_the_pair_harmless(demo: Demo) -> None:
    """With the whole value readable under some purpose, verifying reveals nothing more: it is allowed."""
    for purpose, effect in (("administrative_basis", "allow"), ("work_reference", "mask")):
        assert "errors" not in demo.grant("hrss", "Person", ["phone"], [purpose], effect)
    assert "errors" not in demo.grant("hrss", "Person", ["phone"], ["data_verification"], "verify")
    person = _person_with_phone(demo, 1)
    body = _checks(demo, "hrss", person["idNumber"], [person["phone"]])
    assert body["data"]["c0"] == {"found": True, "matched": True, "mismatched": []}
