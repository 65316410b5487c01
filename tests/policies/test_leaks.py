"""The leak test of the sharing policy (DESIGN §5) on a small demo world.

Every department runs generated operations (leakgen.py) through the gateway. Each answer
is checked against the source databases, read here with sqlite3, and against decisions
worked out from the catalog's sharing types and the grants below, never by the engine:

- no value the department may not read (a denied or verify-only item, the raw value of a
  masked item, a scoped item outside its scope) appears anywhere, inside cursors included;
- every unreadable item is null with a FORBIDDEN error at its path, and no other error comes;
- filtering, ordering or grouping by an item that is not ``allow`` fails the page or aggregate;
  otherwise counts, groups, pages and records are exactly those of the rows the department may
  see, so that no count differs by a value it may not read.
"""

from __future__ import annotations

import base64
import functools
import json
import operator
import sqlite3
import string
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from govshare.catalog import Catalog, load_catalog
from govshare.catalog.model import ItemType, Relation, Sharing
from govshare.connectors.reference_api import make_source_app
from govshare.demo import credit_source, generate_world
from govshare.demo.catalog import DEPARTMENTS
from govshare.demo.world import FILE_OF_RESOURCE
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.policies.granting import add_grant, revoke_grant
from govshare.runtime import Runtime, close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from govshare.store.grant_rows import NewGrant
from tests.policies.leakgen import (
    Aggregate,
    Entry,
    Lookup,
    Operations,
    Page,
    Root,
    Verify,
    fields,
    filter_items,
    render,
)
from tests.services import serve_app

PERSONS = 300
EXAMPLES = 100  # operations per department (repeats are skipped), each with up to three root fields
PURPOSES = ("work_reference", "data_verification")  # the purposes the operations declare
AUTHORITY = Caller("bigdata", "leak-test", ("authority",))
# Grants are made on SEEDED_AT; the operations run on QUERIED_AT, after one grant has ended.
SEEDED_AT, QUERIED_AT, TODAY = "2026-12-01T09:00:00+08:00", "2027-03-01T09:00:00+08:00", date(2027, 3, 1)
Row = dict[str, Any]


@dataclass(frozen=True)
class Grant:
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    effect: str
    scope: dict[str, Any] | None = None
    until: date | None = None
    origin: str = "authority"
    revoked: bool = False


GRANTS = (
    Grant("hrss", "Person", ("address", "maritalStatus"), ("work_reference",), "allow", {"district": {"eq": "杞县"}}),
    Grant("health", "License", ("surfaceInfo",), PURPOSES, "mask", {"type": {"eq": "社会保障卡"}}),
    Grant("market", "Person", ("phone", "address"), PURPOSES, "mask"),
    # Overlaps the mask: the most permissive effect wins, so outside 龙亭区 no phone (and no row reading it) shows.
    Grant("market", "Person", ("phone",), ("data_verification",), "allow", {"district": {"eq": "龙亭区"}}),
    Grant("market", "LandParcel", ("transactionPrice",), ("work_reference",), "mask"),  # not text: masked to null
    Grant("market", "CreditRecord", ("penaltyAmount",), ("work_reference",), "allow"),  # an HTTP source
    Grant("ndrc", "LegalEntity", ("phone", "employees"), PURPOSES, "verify"),
    Grant("bigdata", "HealthRecord", ("lastCheckup",), ("data_verification",), "verify"),
    Grant("police", "SocialInsurance", ("paymentBase", "monthsPaid"), PURPOSES, "allow", until=date(2027, 12, 31)),
    # A withheld item opened by the authority's coordination decision.
    Grant("hrss", "LegalEntity", ("annualRevenue",), ("data_verification",), "allow", origin="coordination"),
    # Grants that open nothing to the operations: another purpose, ended, revoked.
    Grant("natres", "Person", ("address", "phone"), ("business_collaboration",), "allow"),
    Grant("elicense", "Person", ("phone",), PURPOSES, "allow", until=date(2026, 12, 31)),
    Grant("health", "Person", ("phone", "address"), PURPOSES, "allow", revoked=True),
)


@dataclass
class Lab:
    catalog: Catalog
    rows: dict[str, dict[Any, Row]]  # resource → key → item → source value
    portal: BlockingPortal  # the event loop the gateway lives on, for synchronous hypothesis tests
    gateway: Gateway

    def run(self, query: str, variables: dict[str, Any] | None, department: str, purpose: str) -> dict[str, Any]:
        caller = Caller(department, "leak-test", ("member",))
        return self.portal.call(self.gateway.run, GraphQLRequest(query, variables), caller, purpose).body

    @functools.cached_property
    def index(self) -> dict[tuple[str, str, Any], list[Row]]:
        """Source rows by (resource, item, value), for joins."""
        index: dict[tuple[str, str, Any], list[Row]] = {}
        for name, rows in self.rows.items():
            for row in rows.values():
                for item, value in row.items():
                    index.setdefault((name, item, value), []).append(row)
        return index

    def joined(self, resource: str, item: str, value: Any) -> list[Row]:
        return self.index.get((resource, item, value), []) if value is not None else []


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    world = tmp_path_factory.mktemp("leak-world")
    generate_world(world, PERSONS, progress=False)
    # Generated operations are deep and wide; the limits have tests of their own.
    platform = Settings(tmp_path_factory.mktemp("leak-platform"), max_depth=30, max_aliases=1000, max_tokens=100_000)
    with serve_app(make_source_app(*credit_source(world))) as credit_url, start_blocking_portal() as portal:
        catalog = load_catalog(world / "catalog.yaml", env={"CREDIT_API_URL": credit_url})
        runtime = portal.call(functools.partial(open_runtime, catalog, platform, poll=False))
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("GOVSHARE_NOW", SEEDED_AT)
                portal.call(seed_grants, runtime)
            rows = read_world(world, catalog)
            for g in GRANTS:  # a row scope that hides no row, or every row, would prove nothing
                inside = [holds(g.scope, row) for row in rows[g.resource].values()]
                assert g.scope is None or 0 < inside.count(True) < len(inside), g
            yield Lab(catalog, rows, portal, Gateway(runtime, build_schema(catalog)))
        finally:
            portal.call(close_runtime, runtime)


async def seed_grants(runtime: Runtime) -> None:
    for g in GRANTS:
        new = NewGrant(g.department, g.resource, g.items, g.purposes, g.effect, g.scope, g.until, origin=g.origin)
        made = await add_grant(runtime.policies, new, AUTHORITY)
        if g.revoked:
            await revoke_grant(runtime.policies, made.id, AUTHORITY, "withdrawn")


def read_world(directory: Path, catalog: Catalog) -> dict[str, dict[Any, Row]]:
    """Every row of every resource, straight from the department databases."""
    world: dict[str, dict[Any, Row]] = {}
    for name, res in catalog.resources.items():
        columns = ", ".join(f'"{item.column}"' for item in res.items.values())
        with closing(sqlite3.connect(f"file:{directory / FILE_OF_RESOURCE[name]}?mode=ro", uri=True)) as conn:
            rows = [dict(zip(res.items, r, strict=True)) for r in conn.execute(f'SELECT {columns} FROM "{res.table}"')]
        flags = [i for i, item in res.items.items() if item.type is ItemType.BOOLEAN]
        for row in rows:  # SQLite keeps booleans as 0/1
            row.update({i: bool(row[i]) for i in flags if row[i] is not None})
        world[name] = {row[res.key]: row for row in rows}
    return world


def holds(spec: Mapping[str, Any] | None, row: Row) -> bool | None:
    """SQL's three-valued truth of a filter (or of a grant's row scope) for one source row."""
    parts: list[bool | None] = []
    for name, value in (spec or {}).items():
        if name == "and":
            parts += [holds(s, row) for s in value]
        elif name == "or":
            branches = [holds(s, row) for s in value]
            parts.append(True if True in branches else None if None in branches else False)
        elif name == "not":
            inner = holds(value, row)
            parts.append(None if inner is None else not inner)
        else:
            parts += [_compare(row[name], op, v) for op, v in value.items()]
    return False if False in parts else None if None in parts else True


def _compare(actual: Any, op: str, value: Any) -> bool | None:
    if op == "isNull":
        return (actual is None) is value
    return None if actual is None else _OPS[op](actual, value)  # NULL never compares


_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge,
    "in": lambda a, v: a in v, "nin": lambda a, v: a not in v,
    # SQLite's LIKE ignores the case of ASCII letters.
    "contains": lambda a, v: v.translate(_LOWER) in a.translate(_LOWER),
    "startsWith": lambda a, v: a.translate(_LOWER).startswith(v.translate(_LOWER)),
}  # fmt: skip


@dataclass
class Judge:
    """What one department may see for one purpose, from the catalog's sharing types and GRANTS."""

    lab: Lab
    department: str
    purpose: str
    decisions: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = field(init=False)

    def __post_init__(self) -> None:
        resources = self.lab.catalog.resources.values()
        self.decisions = {(r.name, i): self._decide(r.name, i) for r in resources for i in r.items}

    def _decide(self, resource: str, item: str) -> tuple[str, dict[str, Any] | None]:
        res = self.lab.catalog.resources[resource]
        sharing = res.items[item].sharing
        if res.provider == self.department or sharing is Sharing.UNCONDITIONAL:
            return "allow", None
        live = [
            g for g in GRANTS
            if (g.department, g.resource) == (self.department, resource) and item in g.items
            and self.purpose in g.purposes and not g.revoked and (g.until is None or g.until >= TODAY)
            and (sharing is Sharing.CONDITIONAL or g.origin == "coordination")
        ]  # fmt: skip
        # docs/policy.md: the most permissive effect wins, and among its grants an unscoped one.
        live.sort(key=lambda g: (("allow", "mask", "verify").index(g.effect), g.scope is not None))
        return (live[0].effect, live[0].scope) if live else ("deny", None)

    def effect(self, resource: str, item: str) -> str:
        return self.decisions[resource, item][0]

    def visible(self, resource: str, items: Iterable[str], row: Row) -> bool:
        """Whether a fetch that reads ``items`` may return ``row`` (the row scopes of their grants)."""
        return all(holds(scope, row) is True for i in items if (scope := self.decisions[resource, i][1]))

    def secrets(self) -> set[Any]:
        """Source values that must never appear: unreadable, masked or out of scope, and not also readable."""
        hidden: set[Any] = set()
        shown: set[Any] = {i for _, i in self.decisions}  # item names are keys and `mismatched` entries
        for (resource, item), (effect, scope) in self.decisions.items():
            for row in self.lab.rows[resource].values():
                readable = effect == "allow" and (scope is None or holds(scope, row) is True)
                (shown if readable else hidden).add(row[item])
        # Leave out what may turn up by chance: flags, small numbers (counts, indices), single characters.
        chance = [v for v in hidden if v is None or isinstance(v, bool) or len(str(v)) < 2]
        chance += [v for v in hidden if isinstance(v, int | float) and v == int(v) and abs(v) < 1000]
        return hidden - shown - set(chance)


def decode_cursor(text: str) -> list[Any] | None:
    """A cursor's [fingerprint, *ordering values] (urlsafe base64 of JSON), or None for another string."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None
    return decoded if isinstance(decoded, list) and decoded and isinstance(decoded[0], str) else None


def leaves(value: Any) -> Iterator[Any]:
    """Every key and scalar of an answer, and the values inside its cursors."""
    if isinstance(value, dict | list):
        for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
            yield from [key] if isinstance(value, dict) else []
            yield from leaves(inner)
    else:
        yield value
        yield from (decode_cursor(value) or ()) if isinstance(value, str) else ()


class Check:
    """Checks one answer against the source rows and collects the FORBIDDEN paths it must carry."""

    def __init__(self, judge: Judge) -> None:
        self.judge, self.lab, self.resources, self.rows = judge, judge.lab, judge.lab.catalog.resources, judge.lab.rows
        self.forbidden: list[list[Any]] = []
        self.shown = 0  # records and groups the answer showed

    def items(self, resource: str, entries: Iterable[Entry]) -> set[str]:
        return {f.name for f in fields(entries) if f.name in self.resources[resource].items}

    def matching(self, resource: str, spec: dict[str, Any] | None, read: set[str]) -> list[Row]:
        rows = self.rows[resource].values()
        return [r for r in rows if holds(spec, r) is True and self.judge.visible(resource, read, r)]

    def refused(self, root: Page | Aggregate, used: set[str], value: Any, path: list[Any]) -> bool:
        """Lists and aggregates need the share method ``query``, and filtering, ordering or grouping by
        an item needs ``allow``; otherwise every part asked fails."""
        offered = "query" in self.resources[root.resource].share_methods
        if offered and all(self.judge.effect(root.resource, i) == "allow" for i in used):
            return False
        for part in root.parts:
            assert value[part] is None, f"{path}: {part} answered though it uses an item that is not allowed"
            self.forbidden.append([*path, part])
        return True

    def root(self, root: Root, value: Any, path: list[Any]) -> None:
        rows = self.rows[root.resource]
        if isinstance(root, Lookup):
            row = rows.get(root.key)
            if row is None or not self.judge.visible(root.resource, self.items(root.resource, root.sel), row):
                assert value is None, f"{path}: a record outside the department's row scope"
            else:
                self.record(value, root.resource, root.sel, root.sel, path)
        elif isinstance(root, Verify):
            if any(self.judge.effect(root.resource, i) in ("deny", "mask") for i in root.claims):
                assert value is None, f"{path}: verified an item the department may not verify"
                self.forbidden.append(path)
                return
            row = rows.get(root.key)
            if row is None or not self.judge.visible(root.resource, root.claims, row):
                expected: dict[str, Any] = {"found": False, "matched": False, "mismatched": sorted(root.claims)}
            else:
                wrong = sorted(i for i, claimed in root.claims.items() if row[i] != claimed)
                expected = {"found": True, "matched": not wrong, "mismatched": wrong}
            assert {**value, "mismatched": sorted(value["mismatched"])} == expected, f"{path}: {value} for {row}"
        elif isinstance(root, Aggregate):
            used = filter_items(root.filter) | set(root.group)
            if self.refused(root, used, value, path):
                return
            matching = self.matching(root.resource, root.filter, used)
            if "count" in root.parts:
                assert value["count"] == len(matching), f"{path}: count counts rows the department may not see"
            if "groups" in root.parts:
                keys = [tuple(r[g] for g in root.group) for r in matching]
                groups = Counter(keys) if root.group else {(): len(matching)}  # without groupBy: one group
                answered = [(tuple(g["key"][i] for i in root.group), g["count"]) for g in value["groups"]]
                assert sorted(answered, key=repr) == sorted(groups.items(), key=repr), f"{path}: groups differ"
                self.shown += len(answered)

    def page(self, root: Page, value: Any, path: list[Any], seen: set[Any]) -> tuple[set[Any], str | None]:
        """The keys on the page and its end cursor; ``seen`` holds the keys of the pages before it."""
        used = filter_items(root.filter) | {item for item, _ in root.order}
        if self.refused(root, used, value, path):
            return set(), None
        # The rows under nodes and edges are fetched once, with the row scopes of all either shows.
        level = [*(root.sel if "nodes" in root.parts else ()), *(root.edge_sel if "edges" in root.parts else ())]
        key = self.resources[root.resource].key
        matching = {r[key] for r in self.matching(root.resource, root.filter, self.items(root.resource, level) | used)}
        if "totalCount" in root.parts:
            assert value["totalCount"] == len(matching), f"{path}: totalCount counts rows the department may not see"
        shown: set[Any] = set()
        for part, own in (("nodes", root.sel), ("edges", root.edge_sel)):
            if part in root.parts:
                nodes = [e["node"] for e in value[part]] if part == "edges" else value[part]
                for n, node in enumerate(nodes):
                    where = [*path, part, n, "node"] if part == "edges" else [*path, part, n]
                    self.record(node, root.resource, own, level, where)
                shown = {node[key] for node in nodes}
                assert shown <= matching - seen and len(nodes) == min(root.first, len(matching - seen)), path
        cursors = [e["cursor"] for e in value.get("edges") or ()]
        if "pageInfo" in root.parts:
            assert value["pageInfo"]["hasNextPage"] == (len(matching - seen) > root.first), f"{path}: hasNextPage"
            cursors += [value["pageInfo"]["endCursor"]] if value["pageInfo"]["endCursor"] else []
        ordering = {item for item, _ in root.order} | {key}
        for cursor in cursors:  # [fingerprint, *ordering values]: leaves() reads them like any other value
            assert len(decode_cursor(cursor) or ()) == 1 + len(ordering), f"{path}: cursor {cursor}"
        return shown, cursors[-1] if "pageInfo" in root.parts and cursors else None

    def record(self, obj: Any, resource: str, own: Iterable[Entry], level: Sequence[Entry], path: list[Any]) -> None:
        """One record at ``path``: ``own`` is its selection, ``level`` every selection fetched with it."""
        res = self.resources[resource]
        row = self.rows[resource][obj[res.key]]
        assert self.judge.visible(resource, self.items(resource, level), row), f"{path}: a row outside its row scope"
        self.shown += 1
        shown = fields(own)
        for key in dict.fromkeys(f.key for f in shown):  # a key names one field, maybe selected several times
            same = [f for f in shown if f.key == key]
            name, value, where = same[0].name, obj[key], [*path, key]
            if name in res.relations:
                self.relation(resource, res.relations[name], [e for f in same for e in f.sub], value, row, level, where)
                continue
            effect, raw = self.judge.effect(resource, name), row[name]
            if effect in ("deny", "verify"):
                assert value is None, f"{where}: shows an item whose decision is {effect}"
                self.forbidden.append(where)
            elif effect == "mask" and isinstance(raw, str) and raw:
                assert isinstance(value, str) and "*" in value and value != raw, f"{where}: not masked"
            elif effect == "mask":  # what is not text cannot be partly shown: it is withheld as null
                assert value in (None, ""), f"{where}: not masked"
            else:
                assert value == raw, f"{where}: {value!r} is not the source value {raw!r}"

    def relation(
        self,
        resource: str,
        relation: Relation,
        own: list[Entry],
        value: Any,
        row: Row,
        level: Sequence[Entry],
        path: list[Any],
    ) -> None:
        target = self.resources[relation.target]
        joins = (self.judge.effect(resource, relation.local), self.judge.effect(target.name, relation.remote))
        if joins != ("allow", "allow"):
            assert value is None, f"{path}: joined through an item that is not allowed"
            self.forbidden.append(path)
            return
        # One fetch serves every selection of the relation on this level: the row scopes of all of them apply.
        merged = [e for f in fields(level) if f.name == relation.name for e in f.sub]
        read = self.items(target.name, merged)
        joined = self.lab.joined(target.name, relation.remote, row[relation.local])
        expected = {t[target.key] for t in joined if self.judge.visible(target.name, read, t)}
        children = value if relation.many else [value] if value is not None else []
        keys = [child[target.key] for child in children]
        if relation.many:
            assert sorted(keys) == sorted(expected), f"{path}: not the related records the department may see"
        else:
            assert set(keys) <= expected and bool(keys) == bool(expected), f"{path}: not the related record"
        for n, child in enumerate(children):
            self.record(child, target.name, own, merged, [*path, n] if relation.many else path)


def ask(
    judge: Judge, secrets: set[Any], roots: tuple[Root, ...], seen: set[Any], tally: Counter[str]
) -> list[tuple[Page, set[Any], str]]:
    """Run one operation and check the answer; returns the pages to follow to their next page."""
    query, variables = render(judge.lab.catalog, roots)
    body = judge.lab.run(query, variables, judge.department, judge.purpose)
    for leaf in leaves(body.get("data")):
        assert isinstance(leaf, bool) or leaf not in secrets, f"{leaf!r} leaked to {judge.department}: {query}"
    for leaf in leaves(body.get("errors")):  # an error may repeat what the query said, nothing more
        assert isinstance(leaf, bool) or leaf not in secrets or str(leaf) in query, f"{leaf!r} leaked: {query}"
    errors = body.get("errors", [])
    assert {e["extensions"]["code"] for e in errors} <= {"FORBIDDEN"}, errors
    # An item refused, or a share method the resource is not offered through.
    named = ({"resource", "item", "sharing"}, {"resource", "method", "offered"})
    assert all(any(n <= e["extensions"].keys() for n in named) for e in errors), errors
    # A forbidden verification nulls all of data (docs/policy.md): verifications come alone.
    assert body["data"] is not None or isinstance(roots[0], Verify), errors
    check, follow = Check(judge), []
    for n, root in enumerate(roots):
        value = body["data"][f"r{n}"] if body["data"] is not None else None
        if isinstance(root, Page):
            shown, end = check.page(root, value, [f"r{n}"], seen)
            follow += [(root, shown, end)] if root.follow and end else []
        else:
            check.root(root, value, [f"r{n}"])
    assert sorted(json.dumps(e["path"]) for e in errors) == sorted(map(json.dumps, check.forbidden)), query
    reads = not isinstance(roots[0], Verify)  # a verification shows no rows
    tally.update(queries=1, reads=reads, answered=reads and check.shown > 0, forbidden=bool(errors))
    return follow


@pytest.mark.parametrize("department", sorted(DEPARTMENTS))
def test_no_answer_reveals_what_the_department_may_not_read(
    lab: Lab, department: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSHARE_NOW", QUERIED_AT)
    judges = {p: Judge(lab, department, p) for p in PURPOSES}
    secrets = {p: judge.secrets() for p, judge in judges.items()}
    assert all(len(s) > 100 for s in secrets.values()), "too few secrets to prove anything"
    # Root fields favour the resources the department has grants on or provides (and joins from).
    focus = {g.resource for g in GRANTS if g.department == department}
    focus |= {r.name for r in lab.catalog.resources.values() if r.provider == department}
    operations = Operations(lab.catalog, lab.rows, focus)
    tally: Counter[str] = Counter()
    passed: set[str] = set()

    @seed(zlib.crc32(department.encode()))  # deterministic, and not the same operations for every department
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(purpose=st.sampled_from(PURPOSES), roots=operations.operation())
    def probe(purpose: str, roots: tuple[Root, ...]) -> None:
        if repr((purpose, roots)) in passed:  # hypothesis repeats itself; the gateway would answer the same
            return
        for page, shown, cursor in ask(judges[purpose], secrets[purpose], roots, set(), tally):
            ask(judges[purpose], secrets[purpose], (replace(page, after=cursor, follow=False),), shown, tally)
        passed.add(repr((purpose, roots)))

    probe()
    # The operations must reach the data, not only errors.
    assert tally["answered"] >= tally["reads"] / 3 and tally["forbidden"] >= tally["queries"] / 10, tally
