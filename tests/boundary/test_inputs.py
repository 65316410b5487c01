"""Bad input that used to end as HTTP 500 or INTERNAL is a clear 4xx or BAD_USER_INPUT at its path."""

from __future__ import annotations

import base64
import datetime
import math
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govshare.auth import ISSUER, TokenError, signing_key, verify_token
from govshare.catalog import parse_catalog
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from tests import world
from tests.audit.conftest import Served
from tests.boundary.conftest import audit_records
from tests.oracle import graphql_core_body
from tests.testville import City, Client

# --- token claims --------------------------------------------------------------------------------------


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    claims = {"iss": ISSUER, "sub": "alice", "dept": "civil", "roles": ["member"], "iat": now, "exp": now + 3600}
    return {**claims, **changes}


WRONG_CLAIMS: dict[str, list[Any]] = {
    "exp": ["tomorrow", True, None, [1], math.inf],
    "iat": ["today", {"t": 1}],
    "sub": [7, "", ["alice"]],
    "dept": [["civil"], {"code": "civil"}, 3],
    "roles": ["member", [1], [["member"]], {"member": True}],
}


@pytest.mark.parametrize(("claim", "value"), [(c, v) for c, values in WRONG_CLAIMS.items() for v in values], ids=str)
def test_a_signed_token_with_a_claim_of_the_wrong_type_is_a_recorded_401_naming_it(
    server: Served, claim: str, value: Any
) -> None:
    token = jwt.encode(_claims(**{claim: value}), signing_key(server.settings), algorithm="HS256")
    before = len(audit_records(server))
    response = httpx.post(
        f"{server.url}/graphql", json={"query": "{ me { user } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert re.search(rf"""['"]{claim}['"]""", error["message"]), error["message"]
    records = audit_records(server)
    assert len(records) == before + 1 and records[-1].outcome == "unauthenticated"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(claims=st.dictionaries(st.sampled_from(["exp", "iat", "sub", "dept", "roles", "nbf", "jti"]), JSON_VALUES))
def test_any_signed_claims_give_a_caller_or_a_token_error(city: City, claims: dict[str, Any]) -> None:
    token_settings = Settings(secret="a-test-signing-key-of-enough-length")
    token = jwt.encode(_claims(**claims), signing_key(token_settings), algorithm="HS256")
    try:
        caller = verify_token(token_settings, token, city.catalog)
    except TokenError:
        return
    assert caller.department in city.catalog.departments and isinstance(caller.user, str)


# --- values a source holds that the schema's types cannot -------------------------------------------------


@pytest.fixture
async def big_values(tmp_path: Path) -> AsyncIterator[Gateway]:
    """A small Testville whose first resident's score (an Int) is beyond 32 bits."""
    urls = world.sqlite_urls(tmp_path)
    data = world.make_data(5)
    data.residents[1]["score"] = 2**31
    await world.load(urls, data)
    catalog = parse_catalog(world.catalog_text(urls))
    schema = build_schema(catalog)
    runtime = await open_runtime(catalog, Settings(data_dir=tmp_path), poll=False)
    try:
        yield Gateway(runtime, schema)
    finally:
        await close_runtime(runtime)


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("{ residents(first: 3) { nodes { residentId score } } }", ["residents", "nodes", 1, "score"]),
        ('{ resident(residentId: "r00001") { residentId score } other: resident(residentId: "r00002") { score } }',
         ["resident", "score"]),
        ("{ residents(first: 3) { edges { node { score } } } }", ["residents", "edges", 1, "node", "score"]),
    ],
)  # fmt: skip
async def test_an_int_beyond_32_bits_is_an_error_at_its_path_as_graphql_core_places_it(
    big_values: Gateway, query: str, path: list[Any]
) -> None:
    caller = Caller("civil", "tester", ("member",))
    request = GraphQLRequest(query)
    direct = (await big_values.run(request, caller, "work_reference")).body
    assert direct == await graphql_core_body(big_values, request, caller, "work_reference")
    [error] = direct["errors"]
    assert error["message"] == "Int cannot represent non 32-bit signed integer value: 2147483648"
    assert error["path"] == path
    parent = direct["data"]
    for key in path[:-1]:
        parent = parent[key]
    assert parent[path[-1]] is None and len(parent) >= 1  # its siblings and the rest answer
    assert "2147483648" not in orjson.dumps(direct["data"]).decode()
    if "other" in direct["data"]:
        assert direct["data"]["resident"]["residentId"] == "r00001" and direct["data"]["other"] is not None


# --- forged cursors ----------------------------------------------------------------------------------------


def _forge(cursor: str, position: int, value: Any) -> str:
    payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload[position] = value
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


ORDERINGS = {
    "score": [" x", True, 2**63, 1.5, [1], {"a": 1}],
    "birthDate": [17, "not a date", "2020-02-30", ["2020-01-01"]],
    "income": ["12.5", True, 2**64 - 1],
    "married": [1, "true", 0.0],
    "fullName": [True, 1.5, {"n": "x"}, [["x"]]],
}


@pytest.mark.parametrize(("item", "value"), [(i, v) for i, values in ORDERINGS.items() for v in values], ids=str)
async def test_a_cursor_with_a_value_of_the_wrong_type_is_bad_user_input(
    client: Client, statements: list[tuple[str, str]], item: str, value: Any
) -> None:
    query = f"{{ residents(first: 2, orderBy: [{{{item}: ASC}}]) {{ pageInfo {{ endCursor }} }} }}"
    cursor = (await client.data(query))["residents"]["pageInfo"]["endCursor"]
    statements.clear()
    forged = _forge(cursor, 1, value)
    outcome = await client.run(
        f'{{ residents(first: 2, orderBy: [{{{item}: ASC}}], after: "{forged}") {{ nodes {{ residentId }} }} }}'
    )
    assert outcome.codes == ["BAD_USER_INPUT"], outcome.body
    message = outcome.body["errors"][0]["message"]
    assert "is not one this server issued for this ordering of residents" in message and f"its {item} value" in message
    assert statements == []
    # The key appended as a tiebreaker is checked too.
    wrong_key = _forge(cursor, 2, {"id": 1})
    outcome = await client.run(f'{{ residents(orderBy: [{{{item}: ASC}}], after: "{wrong_key}") {{ totalCount }} }}')
    assert outcome.codes == ["BAD_USER_INPUT"] and "its residentId value" in outcome.body["errors"][0]["message"]


# --- workflow ids and dates beyond what the platform database holds ---------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '{ inbox(since: "0001-01-01") { department } }',
        '{ inbox(since: "1969-12-31") { department } }',
        *(
            f'{{ {field}(id: "{number}") {{ id }} }}'
            for field in ("application", "coordination", "dataIssue")
            for number in ("9223372036854775808", "99999999999999999999999", "-1", "0")
        ),
        'mutation { grantRevoke(id: "9223372036854775808") { id } }',
    ],
)
async def test_ids_and_dates_out_of_range_are_bad_user_input(client: Client, query: str) -> None:
    outcome = await client.run(query, purpose=None)
    assert outcome.codes == ["BAD_USER_INPUT"], outcome.body
    message = outcome.body["errors"][0]["message"]
    assert "from 1 to 9223372036854775807" in message or "give a date from 1970-01-01 on" in message


async def test_ids_and_dates_in_range_still_reach_the_platform_database(client: Client) -> None:
    outcome = await client.run(
        '{ inbox(since: "1970-01-01") { department } application(id: "9223372036854775807") { id } '
        'coordination(id: "1") { id } dataIssue(id: "1") { id } }',
        purpose=None,
    )
    assert outcome.body["data"] == {"inbox": {"department": "civil"}, "application": None, "coordination": None,
                                    "dataIssue": None}  # fmt: skip
    problems = sorted(p for e in outcome.body["errors"] for p in e["extensions"]["problems"])
    assert problems == [
        "there is no application 9223372036854775807",
        "there is no coordination request 1",
        "there is no data issue 1",
    ]


# --- X-Purpose ---------------------------------------------------------------------------------------------


def test_a_long_purpose_is_echoed_and_recorded_cut_short(server: Served) -> None:
    purpose = "p" * 8000
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": "{ residents { totalCount } }"},
        headers={"Authorization": f"Bearer {server.token()}", "X-Purpose": purpose},
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNKNOWN_PURPOSE"
    assert "p" * 40 + "… (8000 chars)" in error["message"] and len(error["message"]) < 200
    assert "work_reference" in error["message"]
    record = audit_records(server)[-1]
    assert record.purpose == "p" * 63 + "…" and record.error_codes == ["UNKNOWN_PURPOSE"]  # the column holds 64
