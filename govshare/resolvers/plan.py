"""Walks the selection of one root field once and turns it into a fetch plan.

A plan level names the items to read from one resource and, per relation,
the level below it. All selections of the same relation (under aliases or
fragments) merge into one level: relations take no arguments, so they share
the rows and differ only in the items shown. The walk costs time in the size
of the query, never in the number of rows.
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
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_directive_values

from govshare.catalog.model import Catalog, Resource
from govshare.errors import FieldError
from govshare.filters import Filter
from govshare.policies.masks import Mask


@dataclass(slots=True)
class Level:
    resource: Resource
    items: set[str] = field(default_factory=set)  # to fetch: shown items, keys, join items
    relations: dict[str, Level] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)  # items the operation shows
    # Set by the caller's access (resolvers.access) before anything is fetched:
    denied: dict[str, FieldError] = field(default_factory=dict)  # item or relation → its error
    masks: dict[str, Mask] = field(default_factory=dict)
    scope: Filter | None = None
    # Computed once the caller's access is applied: the level is not changed afterwards.
    _columns: tuple[str, ...] | None = None
    _signature: tuple[Any, ...] | None = None

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

    def _sign(self) -> tuple[Any, ...]:
        return (
            self.resource.name,
            self.columns(),
            repr(self.scope),
            tuple(sorted(self.denied)),
            tuple(sorted(self.masks)),
            tuple(sorted((name, child.signature()) for name, child in self.relations.items())),
        )


@dataclass(slots=True)
class ConnectionPlan:
    level: Level
    total_count: bool
    cursors: bool  # edges.cursor or pageInfo.endCursor
    fields: frozenset[str]  # top-level fields of the connection that were asked for


class Selection:
    """Field collection with fragments and @skip/@include, as graphql-core does it."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], variables: VariableValues) -> None:
        self.fragments = fragments
        self.variables = variables

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
    for name, occurrences in sel.fields(nodes).items():
        if name in resource.items:
            level.items.add(name)
            level.fields.add(name)
            continue
        relation = resource.relations.get(name)
        if relation is None:
            continue  # __typename
        level.items.add(relation.local)
        child = level.relations.get(name)
        if child is None:
            target = catalog.resources[relation.target]
            child = level.relations[name] = Level(target, {target.key, relation.remote})
        _fill(catalog, child, occurrences, sel)


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
