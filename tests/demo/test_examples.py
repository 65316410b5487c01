"""The example queries: valid GraphQL over the catalog's surface, unconditional items only, real data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse

from govshare.catalog import Resource, Sharing
from govshare.demo import example_queries
from govshare.demo.catalog import RESOURCES
from govshare.demo.examples import AGGREGATE_QUERY, JOIN_QUERY, LOOKUP_QUERY, lookup_query, sample_person_id

_BY_SINGLE = {r.single: r for r in RESOURCES.values()}
_BY_PLURAL = {r.plural: r for r in RESOURCES.values()}
_CONNECTION = {"totalCount", "pageInfo", "hasNextPage", "endCursor", "cursor"}
_AGGREGATE = {"count", "groups", "key"}


def _fields(selection: SelectionSetNode | None) -> list[FieldNode]:
    return [s for s in (selection.selections if selection else ()) if isinstance(s, FieldNode)]


def _items_used(resource: Resource, selection: SelectionSetNode | None, used: set[tuple[str, str]]) -> None:
    """Every (resource, item) a selection on ``resource`` reads, following relations."""
    for field in _fields(selection):
        name = field.name.value
        if name in resource.relations:
            target = RESOURCES[resource.relations[name].target]
            used.add((resource.name, resource.relations[name].local))
            used.add((target.name, resource.relations[name].remote))
            _items_used(target, field.selection_set, used)
        else:
            assert name in resource.items, f"{resource.name} has no item {name}"
            used.add((resource.name, name))


def _root_items(query: str) -> set[tuple[str, str]]:
    (operation,) = parse(query).definitions
    assert isinstance(operation, OperationDefinitionNode)
    used: set[tuple[str, str]] = set()
    for root in _fields(operation.selection_set):
        name = root.name.value
        if name in _BY_SINGLE:
            _items_used(_BY_SINGLE[name], root.selection_set, used)
        elif name in _BY_PLURAL:
            resource = _BY_PLURAL[name]
            for part in _fields(root.selection_set):
                if part.name.value == "nodes":
                    _items_used(resource, part.selection_set, used)
                elif part.name.value == "edges":
                    for node in _fields(part.selection_set):
                        if node.name.value == "node":
                            _items_used(resource, node.selection_set, used)
                else:
                    assert part.name.value in _CONNECTION
        else:
            resource = _BY_PLURAL[name.removesuffix("Aggregate")]
            assert all(f.name.value in _AGGREGATE for f in _fields(root.selection_set))
            for arg in root.arguments or ():
                if arg.name.value == "groupBy":
                    used |= {(resource.name, v) for v in _enum_values(arg.value)}
    return used


def _enum_values(node: object) -> list[str]:
    values = getattr(node, "values", [])
    return [v.value for v in values]


@pytest.mark.parametrize("query", [lookup_query("41020219900101001X"), JOIN_QUERY, AGGREGATE_QUERY, LOOKUP_QUERY])
def test_examples_read_only_unconditional_items(query: str) -> None:
    used = _root_items(query)
    assert used
    for resource, item in used:
        assert RESOURCES[resource].items[item].sharing is Sharing.UNCONDITIONAL, (resource, item)


def test_join_example_crosses_departments() -> None:
    providers = {RESOURCES[r].provider for r, _ in _root_items(JOIN_QUERY)}
    assert providers == {"market", "police", "elicense"}


def test_examples_use_a_real_resident(world: Path) -> None:
    examples = example_queries(world)
    assert len(examples) == 3
    assert all(e.title_zh and e.title_en and e.title_zh in e.title for e in examples)
    id_number = sample_person_id(world)
    assert f'"{id_number}"' in examples[0].query
    with sqlite3.connect(world / "elicense.db") as conn:
        types = [t for (t,) in conn.execute("SELECT type FROM license WHERE holder_id = ?", (id_number,))]
    assert len(types) >= 3
    assert "机动车驾驶证" in types
