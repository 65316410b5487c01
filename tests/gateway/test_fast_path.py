"""Resource-only queries are shaped directly, not by graphql-core: the answers must not differ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode

from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.runtime import close_runtime, open_runtime
from govshare.settings import Settings
from govshare.store.grant_rows import NewGrant
from tests.testville import City

QUERIES: list[tuple[str, dict[str, Any] | None]] = [
    (
        '{ resident(residentId: "r00002") { __typename residentId fullName birthDate income married vehicles { plate } } }',
        None,
    ),
    ('{ a: resident(residentId: "r00002") { n: fullName } b: resident(residentId: "nobody") { fullName } }', None),
    (
        "{ residents(first: 3, orderBy: [{score: DESC}]) { totalCount nodes { residentId score } edges { cursor node { fullName } } pageInfo { hasNextPage endCursor } } }",
        None,
    ),
    ("{ residents(first: 2) { edges { node { residentId } } } }", None),
    ("{ residents(first: 0) { totalCount nodes { residentId } pageInfo { hasNextPage endCursor } } }", None),
    (
        "query Q($d: String, $v: Boolean!) { residents(first: 4, filter: {district: {eq: $d}}) { nodes { ...R vehicles @include(if: $v) { plate owner { fullName } } } } } fragment R on Resident { residentId note }",
        {"d": "east", "v": True},
    ),
    (
        "query Q($d: String, $v: Boolean!) { residents(first: 4, filter: {district: {eq: $d}}) { nodes { ... on Resident { residentId } vehicles @skip(if: $v) { plate } } } }",
        {"d": "west", "v": True},
    ),
    ("{ residentsAggregate(groupBy: [district]) { __typename count groups { key count } } }", None),
    ("{ vehicles(first: 5) { nodes { plate inspections { year passed vehicle { brand } } } } }", None),
    ('{ resident(residentId: "r00001") { fullName phone } }', None),
    ("{ residents(first: 3) { nodes { fullName phone } } }", None),
    (
        '{ residents(filter: {phone: {eq: "1"}}) { totalCount } other: residents(first: 1) { nodes { fullName } } }',
        None,
    ),
    ("{ residents(first: 2001) { totalCount } }", None),
    ('{ residents(after: "nonsense") { totalCount } }', None),
    ("query Q($n: Int!) { residents(first: $n) { totalCount } }", {"n": "three"}),
    ("query Q($n: Int!) { residents(first: $n) { totalCount } }", None),
    (
        '{ residentVerify(residentId: "r00003", claims: {fullName: "nobody"}) { __typename found matched mismatched } }',
        None,
    ),
    ('{ residentVerify(residentId: "r00003", claims: {phone: "1"}) { found } }', None),
]


@pytest.fixture
async def gateways(city: City, tmp_path: Path) -> AsyncIterator[tuple[Gateway, Gateway]]:
    runtime = await open_runtime(city.catalog, Settings(data_dir=tmp_path), poll=False)
    await add_grant(
        runtime.policies,
        NewGrant("transport", "Resident", ("phone",), ("work_reference",), "mask", scope={"district": {"eq": "east"}}),
        Caller("hub", "t", ("authority",)),
    )
    try:
        yield Gateway(runtime, city.schema), Gateway(runtime, city.schema, fast=False)
    finally:
        await close_runtime(runtime)


def _normal(body: dict[str, Any]) -> dict[str, Any]:
    """Errors in a stable order: the two paths may finish sibling fields in another order."""
    errors = sorted(body.get("errors", []), key=lambda e: (str(e.get("path")), e["message"]))
    return {**body, "errors": errors} if errors else body


@pytest.mark.parametrize(
    ("department", "purpose"), [("civil", "work_reference"), ("transport", "work_reference"), ("transport", None)]
)
@pytest.mark.parametrize(("query", "variables"), QUERIES)
async def test_both_paths_answer_alike(
    gateways: tuple[Gateway, Gateway],
    query: str,
    variables: dict[str, Any] | None,
    department: str,
    purpose: str | None,
) -> None:
    fast, general = gateways
    caller = Caller(department, "t", ("member",))
    request = GraphQLRequest(query, variables)
    assert fast.fast is not None and general.fast is None
    ours, theirs = await fast.run(request, caller, purpose), await general.run(request, caller, purpose)
    if ours.body.get("data", {}) is None:
        # A non-null root field failed and nulled everything: graphql-core stops at the first
        # failure it meets, the direct path reports every root field's.
        assert theirs.body["data"] is None
        assert all(e in ours.body["errors"] for e in theirs.body["errors"])
    else:
        assert _normal(ours.body) == _normal(theirs.body)


async def test_the_fast_path_serves_resource_queries_only(gateways: tuple[Gateway, Gateway]) -> None:
    fast, _ = gateways
    document, _errors = fast.prepare("{ residents { totalCount } me { user } }")
    assert document is not None and fast.fast is not None
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert not fast.fast.serves(operation, {})
    document, _errors = fast.prepare("query { ...F } fragment F on Query { residents { totalCount } }")
    assert document is not None
    operation, fragment = document.definitions
    assert isinstance(operation, OperationDefinitionNode) and isinstance(fragment, FragmentDefinitionNode)
    assert fast.fast.serves(operation, {"F": fragment})


def test_a_null_in_a_non_null_place_is_reported_once_and_nulls_its_parent() -> None:
    from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLString, parse

    from govshare.gateway.fast import _Shaping
    from govshare.resolvers.plan import Selection

    inner = GraphQLObjectType("Inner", {"name": GraphQLField(GraphQLNonNull(GraphQLString))})
    outer = GraphQLObjectType("Outer", {"inner": GraphQLField(GraphQLNonNull(inner))})
    document = parse("{ outer { inner { name } } }")
    nodes = [document.definitions[0].selection_set.selections[0]]  # type: ignore[attr-defined]
    errors: list[Any] = []
    shaped = _Shaping(Selection({}, None), errors).complete({"inner": {"name": None}}, outer, nodes, (None, "outer"))  # type: ignore[arg-type]
    assert shaped is None
    assert [(e.message, e.path) for e in errors] == [
        ("Cannot return null for non-nullable field name.", ["outer", "inner", "name"])
    ]
