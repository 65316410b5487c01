"""The engine answers as graphql-core does: generated operations (agreement.py), run by the gateway and
by graphql-core's own ``execute`` on the same schema and runtime, give equal bodies (data, and errors
with their messages, paths and locations), for callers of every department, role and purpose. Over the
demo world under grants that allow, mask and verify items (mutations each on a fresh copy of its
platform database), and over a Testville holding values its GraphQL types cannot (errors in rows).
"""

from __future__ import annotations

import functools
import gc
import math
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govshare.catalog import Catalog, load_catalog, parse_catalog
from govshare.catalog.model import Sharing
from govshare.connectors.reference_api import make_source_app
from govshare.demo import credit_source, generate_world
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from tests import world
from tests.gateway.agreement import Pools, operations
from tests.oracle import graphql_core_body
from tests.policies.test_leaks import SEEDED_AT, read_world, seed_grants
from tests.services import serve_app

# graphql-core cancels the fields still running when a sibling fails, and a fetch cancelled on SQLite
# leaves its aiosqlite connection to be collected unclosed. The engine lets them finish instead
# (engine.Run._settle): this comes from the oracle only, collected before the module's tests end.
# (A colon separates the filter's fields: the message's own is matched by a dot.)
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <function Connection.__del__:pytest.PytestUnraisableExceptionWarning"
)


PERSONS = 120
ROLES = (("member",), ("dept_admin",), ("authority",), ("auditor",))
PURPOSES = ("work_reference", "work_reference", "data_verification", None, "no_such_purpose")


@dataclass
class Bench:
    catalog: Catalog
    pools: Pools
    portal: BlockingPortal  # the event loop the runtime lives on, for synchronous hypothesis tests
    gateway: Gateway
    pristine: Settings  # the platform database as seeded, copied for each run that changes it

    def both(self, request: GraphQLRequest, caller: Caller, purpose: str | None) -> tuple[Any, Any]:
        """The body a client gets from the gateway, and graphql-core's body, for the same request."""
        engine = self.portal.call(self.gateway.run, request, caller, purpose)
        core = self.portal.call(graphql_core_body, self.gateway, request, caller, purpose)
        return normalised(engine.body), normalised(core)


def normalised(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its errors in one order, and the id of each INTERNAL error (random) one placeholder.

    Root fields of a query, and the relations of a record, run concurrently, so their errors are
    appended as their statements return: graphql-core itself lists them in a different order from
    one run to the next (seen on the same request). The errors themselves, and the data, are compared
    as they are.
    """
    errors = [_without_id(e) for e in body.get("errors", ())]
    if not errors:
        return body
    return {**body, "errors": sorted(errors, key=lambda e: orjson.dumps(e, option=orjson.OPT_SORT_KEYS))}


def _without_id(error: dict[str, Any]) -> dict[str, Any]:
    extensions = error.get("extensions") or {}
    if extensions.get("code") != "INTERNAL":
        return error
    found = extensions["errorId"]
    return {
        **error,
        "message": error["message"].replace(found, "<id>"),
        "extensions": {**extensions, "errorId": "<id>"},
    }


def _pools(rows: Mapping[str, Sequence[dict[str, Any]]]) -> dict[str, Sequence[Any]]:
    """A few values of every item (rows by resource, keyed by item name), as arguments and filters use them."""
    pools: dict[str, list[Any]] = {}
    for resource in rows.values():
        for row in resource[:: max(1, len(resource) // 6)]:
            for item, value in row.items():
                if value is not None and not isinstance(value, bytes):
                    pools.setdefault(item, []).append(value if not hasattr(value, "isoformat") else value.isoformat())
    return {item: sorted(set(values), key=repr) for item, values in pools.items()}


def _platform_names(catalog: Catalog, items: Pools) -> Pools:
    """Names of the demo catalog for the platform's arguments and inputs (grants, applications, reports)."""
    person = catalog.resources["Person"]
    conditional = [name for name, item in person.items.items() if item.sharing is Sharing.CONDITIONAL]
    return {
        "department": sorted(catalog.departments),
        "resource": ["Person", "Person", *sorted(catalog.resources)],  # mostly the one the items are of
        "items": conditional,
        "purposes": sorted(catalog.platform.purposes),
        "id": ["1", "2", "3"],  # the seeded grants
        "until": ["2027-06-30"],
        "recordKey": items["idNumber"],
        **{text: ["需要核对", "x"] for text in ("justification", "reason", "description", "reasoning", "note")},
    }


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    demo = tmp_path_factory.mktemp("agreement-world")
    generate_world(demo, PERSONS, progress=False)
    with serve_app(make_source_app(*credit_source(demo))) as credit_url, start_blocking_portal() as portal:
        catalog = load_catalog(demo / "catalog.yaml", env={"CREDIT_API_URL": credit_url})
        pristine = _settings(tmp_path_factory.mktemp("agreement-pristine"))
        portal.call(_seeded, catalog, pristine)
        platform = _settings(tmp_path_factory.mktemp("agreement") / "platform")
        shutil.copytree(pristine.data_dir, platform.data_dir)
        runtime = portal.call(functools.partial(open_runtime, catalog, platform, poll=False))
        try:
            gateway = Gateway(runtime, build_schema(catalog))
            items = _pools({name: list(rows.values()) for name, rows in read_world(demo, catalog).items()})
            yield Bench(catalog, {**items, **_platform_names(catalog, items)}, portal, gateway, pristine)
        finally:
            portal.call(close_runtime, runtime)
            gc.collect()


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    """Testville with values its GraphQL types cannot hold: Ints beyond 32 bits, an infinite Float."""
    directory = tmp_path_factory.mktemp("agreement-odd")
    urls = world.sqlite_urls(directory)
    data = world.make_data(40)
    for row in data.residents[::4] + data.residents[1::4]:  # half of them, and of those the pools draw on
        row["score"] = 2**31
    data.residents[2]["income"] = math.inf
    data.inspections[1]["year"] = -(2**40)
    catalog = parse_catalog(world.catalog_text(urls))
    settings = _settings(directory / "platform")
    with start_blocking_portal() as portal:
        portal.call(world.load, urls, data)
        runtime = portal.call(functools.partial(open_runtime, catalog, settings, poll=False))
        try:
            rows = {"Resident": data.residents, "Vehicle": data.vehicles, "Inspection": data.inspections}
            by_item = {
                name: [
                    {item: row[spec.column] for item, spec in catalog.resources[name].items.items()}
                    for row in rows[name]
                ]
                for name in rows
            }
            yield Bench(catalog, _pools(by_item), portal, Gateway(runtime, build_schema(catalog)), settings)
        finally:
            portal.call(close_runtime, runtime)
            gc.collect()


def _settings(data_dir: Path) -> Settings:
    # Generated operations are wide; the limits have tests of their own.
    return Settings(data_dir, max_depth=30, max_aliases=1000, max_tokens=100_000)


async def _seeded(catalog: Catalog, settings: Settings) -> None:
    """A platform database holding the grants of the leak test (allow, mask, verify, row scopes)."""
    runtime = await open_runtime(catalog, settings, poll=False)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GOVSHARE_NOW", SEEDED_AT)
            await seed_grants(runtime)
    finally:
        await close_runtime(runtime)


def callers(catalog: Catalog) -> st.SearchStrategy[tuple[Caller, str | None]]:
    departments = sorted(catalog.departments)
    anyone = st.builds(Caller, st.sampled_from(departments), st.just("agreement"), st.sampled_from(ROLES))
    authority = st.just(Caller(catalog.platform.authority, "agreement", ("authority",)))  # who may grant
    return st.tuples(anyone | authority, st.sampled_from(PURPOSES))


AGREEMENT = settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,  # the same operations on every run: a failure is repeatable
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@AGREEMENT
@given(data=st.data())
def test_generated_queries_answer_as_graphql_core_does(bench: Bench, data: st.DataObject) -> None:
    schema = bench.gateway.schema.graphql
    request = data.draw(operations(schema, bench.pools), label="request")
    caller, purpose = data.draw(callers(bench.catalog), label="caller")
    engine, core = bench.both(request, caller, purpose)
    assert engine == core


@settings(AGREEMENT, max_examples=300)
@given(data=st.data())
def test_generated_queries_over_values_no_graphql_type_holds_answer_as_graphql_core_does(
    odd: Bench, data: st.DataObject
) -> None:
    request = data.draw(operations(odd.gateway.schema.graphql, odd.pools), label="request")
    caller, purpose = data.draw(callers(odd.catalog), label="caller")
    engine, core = odd.both(request, caller, purpose)
    assert engine == core


def test_a_non_null_root_failing_first_hides_what_its_siblings_report_later(bench: Bench) -> None:
    """Found by the generated queries: graphql-core nulls the data when ``personVerify`` fails (before any
    statement) and cancels ``landParcel``, so its withheld item's error, which would come after the
    fetch, is never reported; the engine used to let it finish and report that error too."""
    parcel = bench.pools["parcelCode"][0]
    request = GraphQLRequest(
        f'{{ landParcel(parcelCode: "{parcel}") {{ mortgageInfo }} personVerify(idNumber: "1", claims: {{}}) {{ found }} }}'
    )
    engine, core = bench.both(request, Caller("market", "agreement", ("member",)), "work_reference")
    assert engine == core
    assert engine["data"] is None
    assert [e["message"] for e in engine["errors"]] == ["claims must name at least one item of Person"]


async def _fresh(bench: Bench, directory: Path) -> Gateway:
    """A gateway over a copy of the seeded platform database in ``directory``."""
    shutil.copytree(bench.pristine.data_dir, directory)
    runtime = await open_runtime(bench.catalog, _settings(directory), poll=False)
    return Gateway(runtime, bench.gateway.schema)


def _on_fresh_state(
    bench: Bench, request: GraphQLRequest, caller: Caller, purpose: str | None, directory: Path
) -> tuple[Any, Any]:
    """``Bench.both`` for an operation that changes the platform database: each execution changes a
    copy of its own of the seeded one, at the same instant, so that what succeeds makes the same ids
    and times in both."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVSHARE_NOW", SEEDED_AT)
        engine_side = bench.portal.call(_fresh, bench, directory / "engine")
        core_side = bench.portal.call(_fresh, bench, directory / "core")
        try:
            engine = bench.portal.call(engine_side.run, request, caller, purpose).body
            core = bench.portal.call(graphql_core_body, core_side, request, caller, purpose)
        finally:
            bench.portal.call(close_runtime, engine_side.runtime)
            bench.portal.call(close_runtime, core_side.runtime)
    return normalised(engine), normalised(core)


@settings(AGREEMENT, max_examples=60)
@given(data=st.data())
def test_generated_mutations_answer_as_graphql_core_does(
    bench: Bench, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    schema = bench.gateway.schema.graphql
    request = data.draw(operations(schema, bench.pools, mutation=True), label="request")
    caller, purpose = data.draw(callers(bench.catalog), label="caller")
    engine, core = _on_fresh_state(bench, request, caller, purpose, tmp_path_factory.mktemp("mutation"))
    assert engine == core


GRANT_NATRES = (
    'grantAdd(input: {department: "natres", resource: "Person", items: ["phone"], purposes: ["work_reference"], '
    "effect: MASK}) { id effect items department }"
)


@pytest.mark.parametrize(
    "query",
    [
        # One after another: a grant made, a seeded grant revoked.
        f'mutation {{ made: {GRANT_NATRES} revoked: grantRevoke(id: "1", reason: "不再需要") {{ id revokedAt }} }}',
        # A failure (no such grant) at a non-null root: the data is null, the grant after it is not made.
        f'mutation {{ none: grantRevoke(id: "999") {{ id }} made: {GRANT_NATRES} }}',
    ],
)
def test_mutations_that_succeed_or_fail_answer_as_graphql_core_does(bench: Bench, tmp_path: Path, query: str) -> None:
    caller = Caller(bench.catalog.platform.authority, "agreement", ("authority",))
    engine, core = _on_fresh_state(bench, GraphQLRequest(query), caller, None, tmp_path)
    assert engine == core
    if "none" in query:
        assert engine["data"] is None and [e["path"] for e in engine["errors"]] == [["none"]]
    else:
        assert "errors" not in engine
        assert engine["data"]["made"]["effect"] == "mask" and engine["data"]["revoked"]["id"] == "1"
