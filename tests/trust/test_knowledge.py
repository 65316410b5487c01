"""What a department can derive, all purposes and channels together, over generated grant sets.

Each example ends every grant, makes a random set of grants — several purposes, allow, mask and
verify, row scopes on readable and unreadable items — some through ``grantAdd`` (where the rules
may refuse them) and some written straight into the store (as grants older than the rules), and
then lets every department with a grant read, filter, verify and export (filtered too) under
every purpose, over HTTP, on both execution paths. From the answers alone it works out what the
department learned of each item and checks that against the grants it holds:

- a value shown in full, a count filtered by the item, or a verified claim needs a grant of that
  kind for that purpose whose row scope tests only items the department reads on every row, and
  a shown row lies inside the scope of such a grant;
- a masked value needs such a mask grant; nothing withheld or ungranted shows at all;
- a masked value under one purpose and a verified claim under any other never come together
  unless the department may read the whole value on every row anyway (its strongest single grant);
- verification is never answered through a verify-only grant on an item with a code set;
- the direct-shaping path and graphql-core give the same answer, and every response has exactly
  one audit record (an export that starts, two: its opening and its end).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from govshare.catalog.model import Sharing
from govshare.store.grant_rows import NewGrant
from tests.trust.demo import Demo, errors_of, serve_demo

DEPARTMENTS = ("market", "hrss", "ndrc", "natres")  # none provides Person
PURPOSES = ("administrative_basis", "work_reference", "data_verification", "business_collaboration")
ITEMS = ("phone", "address", "maritalStatus", "criminalRecord")  # conditional, and one withheld
SMALL_DOMAIN = {"maritalStatus"}  # has a code set in the demo catalog
SCOPES: tuple[dict[str, Any] | None, ...] = (
    None,
    None,
    {"district": {"eq": "杞县"}},
    {"criminalRecord": {"isNull": False}},
    {"phone": {"isNull": False}},
    {"maritalStatus": {"eq": "已婚"}},
    {"or": [{"district": {"eq": "龙亭区"}}, {"not": {"address": {"isNull": True}}}]},
)
Row = dict[str, Any]


@dataclass(frozen=True)
class Drawn:
    department: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    effect: str
    scope: dict[str, Any] | None
    stored: bool  # written straight into the store, past the rules


@dataclass
class Learned:
    """What one department learned of one item, per purpose."""

    full: dict[str, set[Any]] = field(default_factory=dict)  # purpose → keys whose raw value showed
    masked: dict[str, set[Any]] = field(default_factory=dict)
    filtered: set[str] = field(default_factory=set)  # purposes under which a filter on it answered
    verified: set[str] = field(default_factory=set)


MASK_PHONE = Drawn("market", ("phone",), ("work_reference",), "mask", None, True)
VERIFY_PHONE = Drawn("market", ("phone", "address"), ("data_verification",), "verify", None, True)
grant_sets = st.lists(
    st.builds(
        Drawn,
        department=st.sampled_from(DEPARTMENTS[:3]),  # few departments, so that grants meet
        items=st.lists(st.sampled_from(ITEMS), min_size=1, max_size=2, unique=True).map(tuple),
        purposes=st.lists(st.sampled_from(PURPOSES[:3]), min_size=1, max_size=2, unique=True).map(tuple),
        effect=st.sampled_from(("allow", "mask", "verify")),
        scope=st.sampled_from(SCOPES),
        stored=st.booleans(),
    ),
    min_size=1,
    max_size=6,
)
reads = st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # Exports in several batches, so that the row scopes hold across keyset batches too.
    yield from serve_demo(
        tmp_path_factory.mktemp("knowledge-world"), tmp_path_factory.mktemp("knowledge-platform"), export_batch=150
    )


def test_what_a_department_derives_never_exceeds_its_strongest_grant(served: Demo) -> None:
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=grant_sets, shown=reads)
    # The known attacks, stored past the rules, besides whatever is drawn.
    @example(drawn=[MASK_PHONE, VERIFY_PHONE, Drawn("ndrc", ("address",), ("work_reference",), "allow", None, False)],
             shown=["phone", "address"])  # fmt: skip
    @example(
        drawn=[Drawn("hrss", ("maritalStatus",), ("work_reference",), "allow", SCOPES[3], True)], shown=list(ITEMS)
    )
    @example(drawn=[Drawn("hrss", ("maritalStatus",), ("data_verification",), "verify", None, True)], shown=["phone"])
    def derive(drawn: list[Drawn], shown: list[str]) -> None:
        served.revoke_all()
        before, responses = served.audit_count(), served.responses
        held = [g for g in drawn if _make(served, g)]
        for department in sorted({g.department for g in drawn}):
            learned = _explore(served, department, shown)
            for item, knowledge in learned.items():
                _check(served, department, item, knowledge, [g for g in held if g.department == department])
        assert served.audit_count() - before == served.responses - responses  # one record per response

    derive()


def _make(demo: Demo, g: Drawn) -> bool:
    """Make the grant; whether it is held (a stored one always is, a requested one unless refused)."""
    if g.stored:
        demo.stored_grant(NewGrant(g.department, "Person", g.items, g.purposes, g.effect, g.scope))
        return True
    body = demo.grant(g.department, "Person", list(g.items), list(g.purposes), g.effect, g.scope)
    if "errors" in body:
        [error] = errors_of(body, "BAD_USER_INPUT")  # refused with the reason, never failed
        assert error["extensions"]["problems"], error
        return False
    return True


def _explore(demo: Demo, department: str, shown: list[str]) -> dict[str, Learned]:
    learned = {item: Learned() for item in ITEMS}
    rows = demo.rows["Person"]
    probe = next(r for r in rows.values() if all(r[i] is not None for i in ITEMS if i != "criminalRecord"))
    criminal = next(r for r in rows.values() if r["criminalRecord"])
    for purpose in PURPOSES:
        page = f"people(first: 1000) {{ nodes {{ idNumber {' '.join(shown)} }} }}"
        fast = demo.post("{ " + page + " }", department=department, purpose=purpose)
        general = demo.post("{ __typename " + page + " }", department=department, purpose=purpose)
        assert fast["data"]["people"] == general["data"]["people"]  # the two paths agree
        assert _codes(fast) == _codes(general)
        assert {c for c, _ in _codes(fast)} <= {"FORBIDDEN"}, fast.get("errors")
        for node in fast["data"]["people"]["nodes"]:
            raw = rows[node["idNumber"]]
            for item in shown:
                if node[item] is None:
                    continue
                seen = learned[item].full if node[item] == raw[item] else learned[item].masked
                seen.setdefault(purpose, set()).add(node["idNumber"])
        exported = demo.export("Person", department=department, purpose=purpose, format="jsonl")
        assert exported.status_code == 200, exported.text
        for line in exported.content.splitlines():
            node = orjson.loads(line)
            raw = rows[node["idNumber"]]
            for item in set(ITEMS) & node.keys():
                if node[item] is not None:
                    seen = learned[item].full if node[item] == raw[item] else learned[item].masked
                    seen.setdefault(purpose, set()).add(node["idNumber"])
        for item in ITEMS:
            spec = json.dumps({item: {"isNull": False}})
            filtered = demo.export("Person", department=department, purpose=purpose, items="idNumber", filter=spec)
            if filtered.status_code == 200:
                learned[item].filtered.add(purpose)
            else:
                assert filtered.status_code == 403, filtered.text
            counted = demo.post(
                f"{{ peopleAggregate(filter: {{{item}: {{isNull: false}}}}) {{ count }} }}",
                department=department,
                purpose=purpose,
            )
            if not errors_of(counted):
                learned[item].filtered.add(purpose)
            else:
                assert {e["extensions"]["code"] for e in errors_of(counted)} == {"FORBIDDEN"}, counted
            target = criminal if item == "criminalRecord" else probe
            claim = target[item].replace('"', '\\"')
            checked = demo.post(
                f'{{ personVerify(idNumber: "{target["idNumber"]}", claims: {{{item}: "{claim}"}}) {{ found matched }} }}',
                department=department,
                purpose=purpose,
            )
            if not errors_of(checked):
                answer = checked["data"]["personVerify"]
                # Outside the grant's row scope the record is not found: that tells nothing.
                assert answer == {"found": True, "matched": True} or answer == {"found": False, "matched": False}
                if answer["found"]:
                    learned[item].verified.add(purpose)
            else:
                assert {e["extensions"]["code"] for e in errors_of(checked)} <= {"FORBIDDEN", "QUOTA_EXCEEDED"}
    return learned


def _codes(body: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    return sorted((e["extensions"]["code"], tuple(e.get("path", ()))) for e in errors_of(body))


def _check(demo: Demo, department: str, item: str, learned: Learned, held: list[Drawn]) -> None:
    """``learned`` of ``item`` against the grants ``department`` holds (``held``, of every item)."""
    rows = demo.rows["Person"]
    person = demo.catalog.resources["Person"]
    grants = [g for g in held if item in g.items]

    def read_in_full(tested: str, purpose: str) -> bool:
        return person.items[tested].sharing is Sharing.UNCONDITIONAL or any(
            g.effect == "allow" and g.scope is None and tested in g.items and purpose in g.purposes for g in held
        )

    def sound(g: Drawn, purpose: str) -> bool:
        """Held for the purpose, with a row scope that tests only items read on every row."""
        return purpose in g.purposes and all(read_in_full(t, purpose) for t in _scope_items(g.scope))

    what = f"{department} on Person.{item}"
    for effect, seen in (("allow", learned.full), ("mask", learned.masked)):
        for purpose, keys in seen.items():
            usable = [g for g in grants if g.effect == effect and sound(g, purpose)]
            assert usable, f"{what}: {effect} values under {purpose} without a sound {effect} grant"
            outside = {k for k in keys if not any(_holds(g.scope, rows[k]) for g in usable)}
            assert not outside, f"{what}: {len(outside)} rows shown outside every scope"
    for purpose in learned.filtered:
        assert any(g.effect == "allow" and sound(g, purpose) for g in grants), f"{what}: filtered under {purpose}"
    for purpose in learned.verified:
        through = [g for g in grants if sound(g, purpose) and g.effect in ("allow", "verify")]
        assert through, f"{what}: verified under {purpose} without a grant"
        if item in SMALL_DOMAIN:
            assert any(g.effect == "allow" for g in through), f"{what}: a small domain verified through verify only"
    if learned.masked and learned.verified:
        whole = any(g.effect == "allow" and g.scope is None for g in grants)
        assert whole, f"{what}: masked under {sorted(learned.masked)} and verified under {sorted(learned.verified)}"


def _scope_items(scope: Mapping[str, Any] | None) -> set[str]:
    found: set[str] = set()
    for name, value in (scope or {}).items():
        if name in ("and", "or"):
            for part in value:
                found |= _scope_items(part)
        elif name == "not":
            found |= _scope_items(value)
        else:
            found.add(name)
    return found


def _holds(scope: Mapping[str, Any] | None, row: Row) -> bool:
    """Whether ``row`` lies inside a row scope (the operators the drawn scopes use)."""
    for name, value in (scope or {}).items():
        if name == "and" and not all(_holds(s, row) for s in value):
            return False
        if name == "or" and not any(_holds(s, row) for s in value):
            return False
        if name == "not" and _holds(value, row):
            return False
        if name not in ("and", "or", "not"):
            for op, operand in value.items():
                if op == "eq" and row[name] != operand:
                    return False
                if op == "isNull" and (row[name] is None) != operand:
                    return False
    return True
