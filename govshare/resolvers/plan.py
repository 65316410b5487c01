"""Walks the selection of one root field once and turns it into a fetch plan.

A plan level names the items to read from one resource and, per relation,
the level below it. Selections of the same relation with the same arguments
(under aliases or fragments) merge into one level: they share the rows and
differ only in the items shown. A many relation takes filter, orderBy and
first; its rows are stored in the parent row under every response key that
asked for them, since aliases of it may differ in arguments. The walk costs
time in the size of the query, never in the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values

from govshare.catalog.model import Catalog, Resource
from govshare.errors import FieldError, GovshareError, bad_input
from govshare.filters import Filter, to_filter, to_order
from govshare.policies.masks import Mask


@dataclass(slots=True)
class Level:
    resource: Resource
    items: set[str] = field(default_factory=set)  # to fetch: shown items, keys, join items
    # By relation name, followed by the arguments when the selection gives any.
    relations: dict[str, Level] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)  # items the operation shows
    # A level below a relation: its name, and the keys of the parent row its rows are stored under.
    relation: str = ""
    keys: list[str] = field(default_factory=list)
    # A many relation's arguments: the filter, the items it tests, the order (ending with the key)
    # and the rows per parent; or why they cannot be used.
    where: Filter | None = None
    tested: frozenset[str] = frozenset()
    order: tuple[str, ...] = ()
    first: int | None = None
    invalid: GovshareError | None = None
    # Set by the caller's access (resolvers.access) before anything is fetched:
    denied: dict[str, FieldError] = field(default_factory=dict)  # item or relation → its error
    masks: dict[str, Mask] = field(default_factory=dict)
    scope: Filter | None = None
    # Computed once the caller's access is applied: the level is not changed afterwards.
    _columns: tuple[str, ...] | None = None
    _signature: tuple[Any, ...] | None = None
    _loader_keys: dict[str, LoaderKey] = field(default_factory=dict)

    def columns(self) -> tuple[str, ...]:
        """Items to fetch, in catalog order (stable statements for caches and tests)."""
        if self._columns is None:
            self._columns = tuple(name for name in self.resource.items if name in self.items)
        return self._columns

    def signature(self) -> tuple[Any, ...]:
        """Equal for levels that fetch and attach exactly the same things."""
        if self._signature is None:
            self._signature = self._sign()
        return self._signature

    def loader_key(self, item: str) -> LoaderKey:
        """The key of the request's loader of this level's rows by ``item`` (made once per level)."""
        found = self._loader_keys.get(item)
        if found is None:
            found = self._loader_keys[item] = LoaderKey(item, self.signature())
        return found

    def _sign(self) -> tuple[Any, ...]:
        return (
            self.resource.name,
            self.columns(),
            repr(self.scope),
            repr(self.where),
            self.order,
            self.first,
            tuple(sorted(self.denied)),
            tuple(sorted(self.masks)),
            tuple(sorted((name, child.signature()) for name, child in self.relations.items())),
        )


class LoaderKey:
    """An item and a level's signature, with their hash kept: a tuple's hash is not, and a
    signature nests the whole level below it, which a request would hash at every lookup."""

    __slots__ = ("_hash", "item", "signature")

    def __init__(self, item: str, signature: tuple[Any, ...]) -> None:
        self.item, self.signature = item, signature
        self._hash = hash((item, signature))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, LoaderKey) and self.item == other.item and self.signature == other.signature
        )


@dataclass(slots=True)
class ConnectionPlan:
    level: Level
    total_count: bool
    cursors: bool  # edges.cursor or pageInfo.endCursor
    fields: frozenset[str]  # top-level fields of the connection that were asked for


class Selection:
    """Field collection with fragments and @skip/@include, as graphql-core does it."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        schema: GraphQLSchema | None = None,
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.schema = schema  # to coerce the arguments of relations

    def arguments(self, type_name: str, node: FieldNode) -> dict[str, Any]:
        """The coerced arguments of ``node``, a field of the object type ``type_name``."""
        if not node.arguments or self.schema is None:
            return {}
        object_type = self.schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        return get_argument_values(object_type.fields[node.name.value], node, self.variables)

    def fields(self, nodes: Iterable[FieldNode]) -> dict[str, list[FieldNode]]:
        """Sub-fields of ``nodes`` by field name (not alias), with every occurrence."""
        return self._fields(nodes, by_alias=False)

    def response_fields(self, nodes: Iterable[FieldNode]) -> dict[str, list[FieldNode]]:
        """Sub-fields of ``nodes`` by response key (alias or name), in response order."""
        return self._fields(nodes, by_alias=True)

    def _fields(self, nodes: Iterable[FieldNode], *, by_alias: bool) -> dict[str, list[FieldNode]]:
        found: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self.collect(node.selection_set, found, by_alias=by_alias)
        return found

    def collect(
        self,
        selection_set: SelectionSetNode,
        found: dict[str, list[FieldNode]],
        seen: set[str] | None = None,
        *,
        by_alias: bool = False,
    ) -> None:
        seen = set() if seen is None else seen
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if by_alias and selection.alias else selection.name.value
                found.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self.collect(selection.selection_set, found, seen, by_alias=by_alias)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    self.collect(fragment.selection_set, found, seen, by_alias=by_alias)

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)


def plan_level(catalog: Catalog, resource: Resource, nodes: Iterable[FieldNode], sel: Selection) -> Level:
    level = Level(resource, {resource.key})
    _fill(catalog, level, list(nodes), sel)
    return level


def _fill(catalog: Catalog, level: Level, nodes: list[FieldNode], sel: Selection) -> None:
    resource = level.resource
    for key, occurrences in sel.response_fields(nodes).items():
        name = occurrences[0].name.value
        if name in resource.items:
            level.items.add(name)
            level.fields.add(name)
            continue
        relation = resource.relations.get(name)
        if relation is None:
            continue  # __typename
        level.items.add(relation.local)
        target = catalog.resources[relation.target]
        arguments = sel.arguments(resource.name, occurrences[0]) if relation.many else {}
        given = {k: v for k, v in arguments.items() if v is not None}
        merged = name + repr(sorted(given.items(), key=lambda kv: kv[0])) if given else name
        child = level.relations.get(merged)
        if child is None:
            child = level.relations[merged] = Level(target, {target.key, relation.remote}, relation=name)
            if relation.many:
                _arguments(child, given)
        if relation.many or not child.keys:
            child.keys.append(key if relation.many else name)
        _fill(catalog, child, occurrences, sel)


def _arguments(level: Level, given: Mapping[str, Any]) -> None:
    """A many relation's filter, orderBy and first, checked; a bad one fails the relation, not the query."""
    target = level.resource
    try:
        first = given.get("first")
        if first is not None and first < 0:
            raise bad_input(f"first must be 0 or more, got {first}", resource=target.name)
        tested: set[str] = set()
        level.where = to_filter(target, given.get("filter"), tested)
        level.order = tuple(to_order(target, given.get("orderBy")))
        level.tested = frozenset(tested)
        level.first = first
        level.items.update(o.lstrip("-") for o in level.order)
    except GovshareError as exc:
        level.invalid = exc


def plan_connection(catalog: Catalog, resource: Resource, nodes: Iterable[FieldNode], sel: Selection) -> ConnectionPlan:
    top = sel.fields(nodes)
    edges = sel.fields(top.get("edges", []))
    page_info = sel.fields(top.get("pageInfo", []))
    row_nodes = top.get("nodes", []) + edges.get("node", [])
    return ConnectionPlan(
        level=plan_level(catalog, resource, row_nodes, sel),
        total_count="totalCount" in top,
        cursors="cursor" in edges or "endCursor" in page_info,
        fields=frozenset(top),
    )
