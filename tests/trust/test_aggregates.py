"""Aggregates reveal the items they measure, group or bucket: each use needs ``allow``.

A sum, an average, a least or greatest value, a group or a date bucket of an item says
something about its values, so a denied, masked or verify-only item is refused in each of
these positions (FORBIDDEN as a read of it is, with how to apply), before any statement
runs; and the row scope of the grant behind an item applies to the rows aggregated.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.trust.demo import Demo, errors_of

# LegalEntity (market): employees is conditional (Int), annualRevenue withheld (Float). The demo
# has no conditional date item that may be queried: buckets are refused in tests/gateway/test_aggregates.py.
POSITIONS = {
    "sum": "{ legalEntitiesAggregate { groups { sum { employees } } } }",
    "avg": "{ legalEntitiesAggregate { groups { avg { employees } } } }",
    "min": "{ legalEntitiesAggregate { groups { min { employees } } } }",
    "max": "{ legalEntitiesAggregate { count groups { count max { employees } } } }",
    "group": "{ legalEntitiesAggregate(groupBy: [employees]) { groups { count } } }",
}
READ = "{ legalEntities(first: 1) { nodes { employees } } }"


def _refusal(demo: Demo, query: str, department: str) -> dict[str, Any]:
    """The one FORBIDDEN error of an aggregate refused as a whole (its count and groups)."""
    before = demo.audit_count()
    body = demo.post(query, department=department)
    refused = errors_of(body, "FORBIDDEN")
    assert refused and len({e["message"] for e in refused}) == 1, body
    assert body["data"] is not None and all(v is None for v in next(iter(body["data"].values())).values())
    assert demo.audit_count() == before + 1
    return refused[0]


def _read_refusal(demo: Demo, query: str, department: str) -> dict[str, Any]:
    [error] = errors_of(demo.post(query, department=department), "FORBIDDEN")
    return error


@pytest.mark.parametrize("position", POSITIONS)
def test_a_denied_item_is_refused_with_how_to_apply(demo: Demo, position: str) -> None:
    error = _refusal(demo, POSITIONS[position], "health")
    assert error["extensions"] == _read_refusal(demo, READ, "health")["extensions"]
    assert error["extensions"]["item"] == "employees" and "apply" in error["extensions"]


def test_a_withheld_item_is_refused_with_its_legal_basis(demo: Demo) -> None:
    error = _refusal(demo, "{ legalEntitiesAggregate { groups { sum { annualRevenue } } } }", "police")
    assert error["extensions"]["item"] == "annualRevenue" and error["extensions"]["legalBasis"]


@pytest.mark.parametrize("position", POSITIONS)
def test_a_masked_item_is_refused(demo: Demo, position: str) -> None:
    if position == "sum":
        assert "errors" not in demo.grant("ndrc", "LegalEntity", ["employees"], ["work_reference"], "mask")
    error = _refusal(demo, POSITIONS[position], "ndrc")
    assert "masked only" in error["message"] and error["extensions"]["item"] == "employees"


@pytest.mark.parametrize("position", POSITIONS)
def test_a_verify_only_item_is_refused(demo: Demo, position: str) -> None:
    if position == "sum":
        assert "errors" not in demo.grant("hrss", "LegalEntity", ["employees"], ["work_reference"], "verify")
    error = _refusal(demo, POSITIONS[position], "hrss")
    assert error["extensions"]["verifyWith"] == "legalEntityVerify"


def test_the_row_scope_of_the_grant_applies_to_the_rows_aggregated(demo: Demo) -> None:
    rows = list(demo.rows["LegalEntity"].values())
    district = sorted({r["district"] for r in rows if r["district"]})[0]
    scope = {"district": {"eq": district}}
    assert "errors" not in demo.grant("elicense", "LegalEntity", ["employees"], ["work_reference"], "allow", scope)
    query = "{ legalEntitiesAggregate { count groups { count sum { employees } max { employees } } } }"
    [group] = demo.post(query, department="elicense")["data"]["legalEntitiesAggregate"]["groups"]
    inside = [r["employees"] for r in rows if r["district"] == district]
    assert 0 < len(inside) < len(rows)
    present = [n for n in inside if n is not None]
    assert group == {"count": len(inside), "sum": {"employees": float(sum(present))},
                     "max": {"employees": max(present)}}  # fmt: skip
    # An aggregate of unconditional items only is not narrowed by a grant it does not use.
    total = demo.post("{ legalEntitiesAggregate { count } }", department="elicense")
    assert total["data"]["legalEntitiesAggregate"]["count"] == len(rows)
