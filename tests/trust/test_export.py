"""The policy battery applied to bulk exports of the demo world: the decisions of a GraphQL read, every one.

Masked items leave masked, denied items asked for are refused and others left out, withheld
columns are never selected from the source, and a grant's row scope bounds the rows exported.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from govshare.policies.masks import mask_for
from govshare.store.grant_rows import NewGrant
from tests.trust.demo import Demo

CONDITIONAL = ("address", "phone", "maritalStatus")


def _jsonl(body: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in body.splitlines()]


def test_a_masked_item_is_exported_masked_on_every_row(demo: Demo) -> None:
    demo.revoke_all()
    demo.stored_grant(NewGrant("market", "Person", ("phone",), ("work_reference",), "mask"))
    got = demo.export("Person", items="idNumber,phone", format="jsonl")
    assert got.status_code == 200, got.text
    rows = _jsonl(got.content)
    people = demo.rows["Person"]
    assert len(rows) == len(people)
    mask = mask_for(demo.catalog.resources["Person"].items["phone"].mask)
    assert all(row["phone"] == mask(people[row["idNumber"]]["phone"]) for row in rows)
    assert any(row["phone"] and "*" in row["phone"] for row in rows)


def test_an_item_not_granted_is_refused_when_asked_and_left_out_otherwise(
    demo: Demo, statements: list[tuple[str, str]]
) -> None:
    demo.revoke_all()
    asked = demo.export("Person", items="idNumber,phone,criminalRecord")
    assert asked.status_code == 403
    errors = asked.json()["errors"]
    assert [(e["extensions"]["item"], e["extensions"]["sharing"]) for e in errors] == [
        ("phone", "conditional"),
        ("criminalRecord", "withheld"),
    ]
    assert "apply to police for Person.phone" in errors[0]["extensions"]["apply"]
    assert "legalBasis" in errors[1]["extensions"]
    statements.clear()
    whole = demo.export("Person", format="jsonl")
    assert whole.status_code == 200
    assert whole.headers["x-export-omitted"] == "address,phone,maritalStatus,criminalRecord"
    rows = _jsonl(whole.content)
    assert rows and all(set(row).isdisjoint({*CONDITIONAL, "criminalRecord"}) for row in rows)
    police = [sql for database, sql in statements if database == "police"]
    assert police and not any(column in sql for sql in police for column in ("criminal_record", "phone", "address"))


def test_a_scoped_grant_bounds_the_rows_and_the_scope_item_needs_no_grant_of_its_own(demo: Demo) -> None:
    demo.revoke_all()
    scope = {"district": {"eq": "杞县"}}
    demo.stored_grant(NewGrant("market", "Person", ("phone",), ("work_reference",), "allow", scope))
    got = demo.export("Person", items="idNumber,phone", format="jsonl")
    assert got.status_code == 200, got.text
    people = demo.rows["Person"]
    in_scope = sorted(k for k, p in people.items() if p["district"] == "杞县")
    rows = _jsonl(got.content)
    assert [r["idNumber"] for r in rows] == in_scope
    assert all(r["phone"] == people[r["idNumber"]]["phone"] for r in rows)
    # The unconditional items alone are not scoped: every person.
    assert len(_jsonl(demo.export("Person", items="idNumber,district", format="jsonl").content)) == len(people)


def test_the_grant_of_another_purpose_exports_nothing_of_it(demo: Demo) -> None:
    demo.revoke_all()
    demo.stored_grant(NewGrant("market", "Person", ("phone",), ("data_verification",), "allow"))
    refused = demo.export("Person", items="idNumber,phone")
    assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["item"] == "phone"
    allowed = demo.export("Person", items="idNumber,phone", purpose="data_verification", format="jsonl")
    assert allowed.status_code == 200 and any(r["phone"] for r in _jsonl(allowed.content))


def test_filtering_or_ordering_by_an_item_needs_it_allowed(demo: Demo) -> None:
    demo.revoke_all()
    demo.stored_grant(NewGrant("market", "Person", ("phone",), ("work_reference",), "mask"))
    by_phone = demo.export("Person", items="idNumber", filter=json.dumps({"phone": {"startsWith": "138"}}))
    assert by_phone.status_code == 403 and "filter by it" in by_phone.json()["errors"][0]["message"]
    ordered = demo.export("Person", items="idNumber", order="phone")
    assert ordered.status_code == 403 and "order by it" in ordered.json()["errors"][0]["message"]


def test_a_resource_offered_online_only_is_not_exported_whatever_the_grants(demo: Demo) -> None:
    got = demo.export("HealthRecord", department="health")  # its own provider, too
    assert got.status_code == 403
    assert got.json()["errors"][0]["extensions"]["offered"] == ["interface"]


def test_a_resource_of_an_http_source_exports_in_keyset_batches_like_a_sql_one(demo: Demo) -> None:
    credit = demo.catalog.resources["CreditRecord"]
    assert demo.catalog.sources[credit.source].kind == "http"
    got = demo.export("CreditRecord", format="jsonl")
    assert got.status_code == 200, got.text
    rows = _jsonl(got.content)
    records = demo.rows["CreditRecord"]
    assert len(records) > 30  # more than one batch
    assert [r[credit.key] for r in rows] == sorted(records)
