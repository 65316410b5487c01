"""The standard introspection query (GraphiQL, code generators) runs, with limits of its own that
an operation mixing it with other fields does not get."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_client_schema, get_introspection_query

from govshare.gateway.executor import GraphQLRequest, Outcome
from govshare.identity import Caller
from tests.testville import Client

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "no-descriptions": {"descriptions": False},
    "every-option": {
        "descriptions": True,
        "specified_by_url": True,
        "directive_is_repeatable": True,
        "schema_description": True,
        "input_value_deprecation": True,
        "one_of": True,
    },
}


@pytest.mark.parametrize("variant", list(VARIANTS))
async def test_the_standard_introspection_query_answers(
    client: Client, statements: list[tuple[str, str]], variant: str
) -> None:
    data = await client.data(get_introspection_query(**VARIANTS[variant]), purpose=None)
    schema = build_client_schema(data)  # what a code generator does with it
    assert schema.query_type is not None and "residents" in schema.query_type.fields
    assert statements == []


def _type_refs(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"kind ofType {{ {inner} }}"
    return inner


async def test_introspection_deeper_than_its_limit_is_refused(client: Client) -> None:
    # __type, fields, type, 12 × ofType, name: 16 levels
    query = f'{{ __type(name: "Resident") {{ fields {{ type {{ {_type_refs(12)} }} }} }} }}'
    outcome = await client.run(query, purpose=None)
    assert outcome.codes == ["QUERY_TOO_COMPLEX"]
    assert "nests introspection 16 levels deep; at most 15" in outcome.body["errors"][0]["message"]
    within = f'{{ __type(name: "Resident") {{ fields {{ type {{ {_type_refs(11)} }} }} }} }}'
    assert (await client.data(within, purpose=None))["__type"]["fields"]


async def test_mixed_with_other_fields_the_ordinary_limits_hold(
    client: Client, statements: list[tuple[str, str]]
) -> None:
    deep = f'__type(name: "Resident") {{ fields {{ type {{ {_type_refs(8)} }} }} }}'  # 12 levels
    for other in ("residents { totalCount }", "me { user }", "__typename residents { totalCount }"):
        outcome = await client.run(f"{{ {deep} {other} }}")
        assert outcome.codes == ["QUERY_TOO_COMPLEX"], other
        assert "nests fields 12 levels deep; at most 10" in outcome.body["errors"][0]["message"]
    assert statements == []


def _operations(count: int, extra: str = "") -> str:
    """A document of ``count`` small introspection operations (13 tokens each)."""
    return " ".join(
        f"query Q{n} {{ __schema {{ queryType {{ name kind }} }} __typename {extra}}}" for n in range(count)
    )


async def test_introspection_has_its_own_token_budget(client: Client) -> None:
    caller = Caller("civil", "tester", ("member",))

    async def run(document: str) -> Outcome:
        return await client.gateway.run(GraphQLRequest(document, None, "Q1"), caller, None)

    answered = await run(_operations(200))  # 2,600 tokens
    assert answered.body == {
        "data": {"__schema": {"queryType": {"name": "Query", "kind": "OBJECT"}}, "__typename": "Query"}
    }
    mixed = await run(_operations(200, "me { user } "))
    assert mixed.codes == ["QUERY_TOO_COMPLEX"]
    assert mixed.body["errors"][0]["message"] == "The document has more than 2000 tokens"
    assert (await run(_operations(400))).codes == ["QUERY_TOO_COMPLEX"]  # beyond 5,000 tokens


async def test_a_document_too_costly_to_validate_is_too_complex(client: Client) -> None:
    outcome = await client.run("{ __schema { types { " + "name " * 1500 + "} } }", purpose=None)
    assert outcome.codes == ["QUERY_TOO_COMPLEX"]
    assert "too costly to validate" in outcome.body["errors"][0]["message"]
