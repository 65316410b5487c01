"""Hypothesis strategies for the leak test: GraphQL operations over the demo catalog.

An operation is drawn as data (root fields, selections, filters) and rendered to text
afterwards, so that the test knows which resource and item every place of the answer
holds, through aliases, fragments and directives. Keys, filter values and claims come
from the source rows, so that operations match real records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from govshare.catalog.model import Catalog, ItemType, Sharing
from govshare.filters import OPS  # the operators each filter type offers

Row = dict[str, Any]
PAGE_PARTS = ("totalCount", "nodes", "edges", "pageInfo")
AGGREGATE_PARTS = ("count", "groups")
EXCLUDED = ("@skip(if: true)", "@include(if: false)")
_DIRECTIVES = ("", "", "", "", "@skip(if: false)", "@include(if: true)", *EXCLUDED)
_DEPTHS = st.sampled_from((0, 1, 1, 2, 2, 3))  # relations nested up to three levels
# A value for an item that is NULL in every row.
_ANY = {ItemType.ID: "X1", ItemType.STRING: "无此值", ItemType.INT: 7, ItemType.FLOAT: 0.5, ItemType.BOOLEAN: True}
_ANY |= {ItemType.DATE: "2020-01-01", ItemType.DATETIME: "2020-01-01T00:00:00"}


@dataclass(frozen=True)
class Field:
    name: str  # an item or a relation
    alias: str | None = None  # always "<prefix>_<name>", so a response key never names two fields
    directive: str = ""
    sub: tuple[Entry, ...] = ()  # a relation's selection

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class Fragment:
    entries: tuple[Entry, ...]
    named: bool  # a fragment definition and its spread, else an inline fragment


Entry = Field | Fragment


def fields(entries: Iterable[Entry]) -> list[Field]:
    """The fields a selection shows: fragments spread, excluded fields left out."""
    out: list[Field] = []
    for entry in entries:
        if isinstance(entry, Fragment):
            out += fields(entry.entries)
        elif entry.directive not in EXCLUDED:
            out.append(entry)
    return out


@dataclass(frozen=True)
class Lookup:
    resource: str
    key: Any
    sel: tuple[Entry, ...]


@dataclass(frozen=True)
class Page:
    resource: str
    filter: dict[str, Any] | None
    order: tuple[tuple[str, str], ...]
    first: int
    parts: tuple[str, ...]
    sel: tuple[Entry, ...]  # under nodes
    edge_sel: tuple[Entry, ...]  # under edges.node
    variable: bool  # the filter travels as a variable
    follow: bool  # ask for the next page with the end cursor afterwards
    after: str | None = None


@dataclass(frozen=True)
class Aggregate:
    resource: str
    filter: dict[str, Any] | None
    group: tuple[str, ...]
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Verify:
    resource: str
    key: Any
    claims: dict[str, Any]


Root = Lookup | Page | Aggregate | Verify


class Operations:
    """Strategies for operations over ``catalog`` whose values come from ``rows``."""

    def __init__(self, catalog: Catalog, rows: Mapping[str, Mapping[Any, Row]], focus: Iterable[str] = ()) -> None:
        self.catalog, self.rows = catalog, rows
        self.names = [*sorted(catalog.resources), *3 * sorted(focus)]  # focus resources come up more often
        # HTTP sources filter by eq/in only, order by the key only and cannot aggregate.
        self.simple = {r.name for r in catalog.resources.values() if catalog.sources[r.source].kind == "http"}
        # Shown items are mostly conditional or withheld ones: that is where a leak would be. Items to
        # filter, order and group by are mostly unconditional, so that most pages answer.
        self.shown: dict[str, list[str]] = {}
        self.usable: dict[str, list[str]] = {}
        self.pools: dict[str, dict[str, list[Any]]] = {}
        for name, res in catalog.resources.items():
            free = [i for i, item in res.items.items() if item.sharing is Sharing.UNCONDITIONAL]
            self.shown[name] = [*res.items, *2 * [i for i in res.items if i not in free]]
            self.usable[name] = [*res.items, *4 * free]
            self.pools[name] = {i: sorted({r[i] for r in rows[name].values() if r[i] is not None}) for i in res.items}

    def operation(self) -> st.SearchStrategy[tuple[Root, ...]]:
        """One to three reading root fields, or one verification (a forbidden one nulls all of data)."""
        reads = st.lists(self.read(), min_size=1, max_size=3).map(tuple)
        return st.one_of(*[reads] * 5, self.verify().map(lambda v: (v,)))

    def read(self) -> st.SearchStrategy[Root]:
        def of(name: str) -> st.SearchStrategy[Root]:
            kinds = [self.page(name), self.page(name), self.lookup(name)]
            return st.one_of(*kinds, *([] if name in self.simple else [self.aggregate(name)]))

        return st.sampled_from(self.names).flatmap(of)

    def lookup(self, name: str) -> st.SearchStrategy[Lookup]:
        real = st.sampled_from(self.pools[name][self.catalog.resources[name].key])
        keys = st.one_of(*[real] * 7, st.just("NO-SUCH-KEY"))
        return st.builds(Lookup, st.just(name), keys, _DEPTHS.flatmap(lambda d: self.selection(name, d)))

    def page(self, name: str) -> st.SearchStrategy[Page]:
        @st.composite
        def build(draw: st.DrawFn) -> Page:
            key = self.catalog.resources[name].key
            if name in self.simple:
                order = draw(st.sampled_from(((), ((key, "ASC"),))))
            else:
                entry = st.tuples(st.sampled_from(self.usable[name]), st.sampled_from(("ASC", "DESC")))
                order = tuple(draw(st.lists(entry, max_size=2, unique_by=lambda e: e[0])))
            parts = tuple(draw(st.lists(st.sampled_from(PAGE_PARTS), min_size=1, max_size=4, unique=True)))
            if not {"nodes", "edges"} & set(parts) and draw(st.booleans()):
                parts += ("nodes",)  # most pages show rows
            return Page(
                resource=name,
                filter=draw(st.none() | self.filter(name)),
                order=order,
                first=draw(st.sampled_from((1, 2, 3, 5, 8, 12, 0))),
                parts=parts,
                sel=draw(_DEPTHS.flatmap(lambda d: self.selection(name, d))),
                edge_sel=draw(_DEPTHS.flatmap(lambda d: self.selection(name, d))),
                variable=draw(st.booleans()),
                follow=draw(st.booleans()),
            )

        return build()

    def aggregate(self, name: str) -> st.SearchStrategy[Aggregate]:
        group = st.lists(st.sampled_from(self.usable[name]), max_size=2, unique=True).map(tuple)
        parts = st.lists(st.sampled_from(AGGREGATE_PARTS), min_size=1, max_size=2, unique=True).map(tuple)
        return st.builds(Aggregate, st.just(name), st.none() | self.filter(name), group, parts)

    def verify(self) -> st.SearchStrategy[Verify]:
        @st.composite
        def build(draw: st.DrawFn) -> Verify:
            name = draw(st.sampled_from(self.names))
            res = self.catalog.resources[name]
            row = self.rows[name][draw(st.sampled_from(self.pools[name][res.key]))]
            claims: dict[str, Any] = {}
            claimable = [i for i in res.items if i != res.key]
            for item in draw(st.lists(st.sampled_from(claimable), min_size=1, max_size=3, unique=True)):
                # About half the claims are right, so that both answers of a verification come up.
                other = st.sampled_from(self.pools[name][item] or [_ANY[res.items[item].type]])
                claims[item] = row[item] if row[item] is not None and draw(st.booleans()) else draw(other)
            return Verify(name, row[res.key], claims)

        return build()

    def selection(self, name: str, depth: int) -> st.SearchStrategy[tuple[Entry, ...]]:
        """The key, then items and relations (``depth`` levels down), the last ones in a fragment."""

        @st.composite
        def build(draw: st.DrawFn) -> tuple[Entry, ...]:
            res = self.catalog.resources[name]
            entries: list[Entry] = []
            for item in draw(st.lists(st.sampled_from(self.shown[name]), min_size=1, max_size=4, unique=True)):
                entries.append(Field(item, draw(_alias(item)), draw(st.sampled_from(_DIRECTIVES))))
            for relation in draw(
                st.lists(st.sampled_from(list(res.relations)), max_size=2 if depth else 0, unique=True)
            ):
                sub = draw(self.selection(res.relations[relation].target, depth - 1))
                entries.append(Field(relation, draw(_alias(relation)), draw(st.sampled_from(_DIRECTIVES)), sub))
            cut = draw(st.integers(0, len(entries)))
            # The key stays a plain field: the test finds the source row of every record by it.
            head = (Field(res.key), *entries[:cut])
            return (*head, Fragment(tuple(entries[cut:]), draw(st.booleans()))) if entries[cut:] else head

        return build()

    def filter(self, name: str, depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
        """Conditions on any items (the policy decides whether each may be used), nested in and/or/not."""

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            spec: dict[str, Any] = {}
            for _ in range(draw(st.integers(1, 2))):
                simple = name in self.simple or depth == 0
                kind = "item" if simple else draw(st.sampled_from(("item", "item", "and", "or", "not")))
                if kind == "item":
                    item = draw(st.sampled_from(self.usable[name]))
                    spec[item] = draw(self.conditions(name, item))
                elif kind == "not":
                    spec["not"] = draw(self.filter(name, depth - 1))
                else:
                    spec[kind] = draw(st.lists(self.filter(name, depth - 1), min_size=1, max_size=2))
            return spec

        return build()

    def conditions(self, name: str, item: str) -> st.SearchStrategy[dict[str, Any]]:
        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            item_type = self.catalog.resources[name].items[item].type
            pool = self.pools[name][item] or [_ANY[item_type]]
            out: dict[str, Any] = {}
            ops = ("eq", "in") if name in self.simple else OPS[item_type]
            for op in draw(st.lists(st.sampled_from(ops), min_size=1, max_size=2, unique=True)):
                if op == "isNull":
                    out[op] = draw(st.booleans())
                elif op in ("in", "nin"):
                    out[op] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
                elif op in ("contains", "startsWith"):  # a piece of a real value
                    text = str(draw(st.sampled_from(pool)))
                    size, start = draw(st.integers(1, max(1, min(6, len(text))))), len(text) // 3
                    out[op] = text[:size] if op == "startsWith" else text[start : start + size]
                else:
                    out[op] = draw(st.sampled_from(pool))
            return out

        return build()


def _alias(name: str) -> st.SearchStrategy[str | None]:
    return st.sampled_from((None, None, "a", "b")).map(lambda prefix: f"{prefix}_{name}" if prefix else None)


def filter_items(spec: Mapping[str, Any] | None) -> set[str]:
    """The items a filter uses."""
    found: set[str] = set()
    for name, value in (spec or {}).items():
        if name in ("and", "or"):
            found.update(*map(filter_items, value))
        else:
            found |= filter_items(value) if name == "not" else {name}
    return found


def render(catalog: Catalog, roots: Sequence[Root]) -> tuple[str, dict[str, Any]]:
    """The GraphQL document (root field n under the alias ``r<n>``) and its variables."""
    out = _Renderer(catalog)
    body = " ".join(out.root(f"r{n}", root) for n, root in enumerate(roots))
    head = f"query Leak({', '.join(out.params)})" if out.params else "query Leak"
    return " ".join([f"{head} {{ {body} }}", *out.fragments]), out.variables


class _Renderer:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.fragments: list[str] = []
        self.params: list[str] = []
        self.variables: dict[str, Any] = {}

    def root(self, alias: str, root: Root) -> str:
        res, name = self.catalog.resources[root.resource], root.resource
        if isinstance(root, Lookup):
            return f"{alias}: {res.single}({res.key}: {literal(root.key)}) {self.selection(name, root.sel)}"
        if isinstance(root, Verify):
            call = f"{res.single}Verify({res.key}: {literal(root.key)}, claims: {literal(root.claims)})"
            return f"{alias}: {call} {{ found matched mismatched }}"
        args = [f"filter: {self.argument(alias, name, root)}"] if root.filter is not None else []
        if isinstance(root, Aggregate):
            args += [f"groupBy: [{', '.join(root.group)}]"] if root.group else []
            parts = {"count": "count", "groups": "groups { key count }"}
            return f"{alias}: {res.plural}Aggregate{_args(args)} {{ {' '.join(parts[p] for p in root.parts)} }}"
        args.append(f"first: {root.first}")
        args += ["orderBy: [" + ", ".join(f"{{{i}: {way}}}" for i, way in root.order) + "]"] if root.order else []
        args += [f"after: {literal(root.after)}"] if root.after is not None else []
        shown: dict[str, Callable[[], str]] = {  # rendered only when asked: an unused fragment is an error
            "totalCount": lambda: "totalCount",
            "nodes": lambda: f"nodes {self.selection(name, root.sel)}",
            "edges": lambda: f"edges {{ cursor node {self.selection(name, root.edge_sel)} }}",
            "pageInfo": lambda: "pageInfo { hasNextPage endCursor }",
        }
        return f"{alias}: {res.plural}{_args(args)} {{ {' '.join(shown[p]() for p in root.parts)} }}"

    def argument(self, alias: str, resource: str, root: Page | Aggregate) -> str:
        if not (isinstance(root, Page) and root.variable):
            return literal(root.filter)
        self.params.append(f"${alias}f: {resource}Filter")
        self.variables[f"{alias}f"] = root.filter
        return f"${alias}f"

    def selection(self, resource: str, entries: Iterable[Entry]) -> str:
        return "{ " + " ".join(self.entry(resource, e) for e in entries) + " }"

    def entry(self, resource: str, entry: Entry) -> str:
        if isinstance(entry, Fragment):
            body = self.selection(resource, entry.entries)
            if not entry.named:
                return f"... on {resource} {body}"
            self.fragments.append(f"fragment F{len(self.fragments)} on {resource} {body}")
            return f"...F{len(self.fragments) - 1}"
        text = f"{entry.alias}: {entry.name}" if entry.alias else entry.name
        relation = self.catalog.resources[resource].relations.get(entry.name)
        sub = self.selection(relation.target, entry.sub) if relation else ""
        return " ".join(part for part in (text, entry.directive, sub) if part)


def _args(args: list[str]) -> str:
    return f"({', '.join(args)})" if args else ""


def literal(value: Any) -> str:
    """A GraphQL input literal (dates travel as ISO strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
