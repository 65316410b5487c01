"""The decision table of DESIGN §5, checked in the engine and through the gateway.

Every case is one caller (the provider or another department), one sharing
class, one grant (none, allow, mask or verify; for the caller's purpose or
another; active, expired or revoked). The expected outcome is worked out here
from §5, never asked of the engine. The platform store is shared by the cases
of a module and emptied after each, and runs once on SQLite and once on
PostgreSQL.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog import parse_catalog
from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.policies.granting import add_grant, revoke_grant
from govshare.policies.live import PolicyStore
from govshare.runtime import close_runtime, open_runtime
from govshare.schema.build import build_schema
from govshare.settings import Settings
from govshare.store import grant_rows as rows
from govshare.store.database import store_engine
from govshare.store.grant_rows import NewGrant
from tests.policies.world import (
    AUTHORITY,
    CITIZEN_ID,
    CONDITION,
    ITEMS,
    LEGAL_BASIS,
    MASKED,
    OTHER,
    PROVIDER,
    VALUES,
    World,
    catalog_text,
    make_world,
    read_query,
    verify_query,
)
from tests.services import POSTGRES, fresh_database

pytestmark = pytest.mark.asyncio(loop_scope="module")

LAST_DAY = datetime.date(2027, 3, 31)
# Late on the grant's last day and just after midnight, both in China Standard Time: end dates are
# dates in CST (the second instant is still March 31 in UTC).
ON_LAST_DAY = "2027-03-31T23:30:00+08:00"
DAY_AFTER = "2027-04-01T00:30:00+08:00"
GRANTED_PURPOSE = "work_reference"
OTHER_PURPOSE = "data_verification"
THE_AUTHORITY = Caller(AUTHORITY, "coordinator", ("authority",))
PROVIDER_ADMIN = Caller(PROVIDER, "admin", ("dept_admin",))


@dataclass(frozen=True)
class Case:
    caller: str  # provider | other
    sharing: str  # unconditional | conditional | withheld
    effect: str | None  # the grant's effect; None: no grant
    purpose_matches: bool
    state: str  # active | expired | revoked

    def __str__(self) -> str:
        if self.effect is None:
            return f"{self.caller}-{self.sharing}-no_grant"
        purpose = "same_purpose" if self.purpose_matches else "other_purpose"
        return f"{self.caller}-{self.sharing}-{self.effect}-{purpose}-{self.state}"

    @property
    def department(self) -> str:
        return PROVIDER if self.caller == "provider" else OTHER

    @property
    def item(self) -> str:
        return ITEMS[self.sharing]

    @property
    def purpose(self) -> str:
        return GRANTED_PURPOSE if self.purpose_matches else OTHER_PURPOSE

    def expected(self) -> tuple[str, str]:
        """(effect, basis) by DESIGN §5; basis "grant" stands for the case's own grant."""
        if self.caller == "provider":
            return "allow", "provider"
        if self.sharing == "unconditional":
            return "allow", "unconditional"
        # Conditional and withheld items alike open only through a grant that is active and whose
        # purposes include the caller's; the table's withheld grants are the authority's decisions.
        if self.effect is None or not self.purpose_matches or self.state != "active":
            return "deny", "none"
        return self.effect, "grant"


CASES = [
    Case(caller, sharing, effect, matches, state)
    for caller, sharing in itertools.product(("provider", "other"), ITEMS)
    for effect, matches, state in [
        (None, True, "active"),
        *itertools.product(("allow", "mask", "verify"), (True, False), ("active", "expired", "revoked")),
    ]
]


@dataclass
class Platform:
    gateway: Gateway

    @property
    def store(self) -> PolicyStore:
        return self.gateway.runtime.policies


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("policyville"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'platform.db'}"
        return
    # A database of its own: the cases move the clock to 2027, and a catalog recorded "then" would
    # be the newest one for every later user of the session's shared database.
    with fresh_database(POSTGRES) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(world: World, store_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), store_url=store_url)
    runtime = await open_runtime(world.catalog, settings, poll=False)
    try:
        yield Platform(Gateway(runtime, build_schema(world.catalog)))
    finally:
        await close_runtime(runtime)


@pytest_asyncio.fixture(loop_scope="module")
async def store(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PolicyStore]:
    """The platform's policy store, with the clock on the grants' last day and no grant left after."""
    monkeypatch.setenv("GOVSHARE_NOW", ON_LAST_DAY)
    async with platform.store.engine.connect() as conn:
        assert await rows.unrevoked_grants(conn) == [], "a previous case left a grant behind"
    yield platform.store

    async def revoke_all(conn: AsyncConnection) -> None:
        for grant in await rows.unrevoked_grants(conn):
            await rows.revoke_grant(conn, grant.id, by="tests", reason="case over", now=clock.now())

    await platform.store.change(AUTHORITY, "tests", "case over", revoke_all)


async def make_grant(store: PolicyStore, case: Case) -> int:
    assert case.effect is not None
    new = NewGrant(
        department=case.department,
        resource="Citizen",
        items=(case.item,),
        purposes=(GRANTED_PURPOSE,),
        effect=case.effect,
        valid_until=LAST_DAY,
        origin="coordination" if case.sharing == "withheld" else "application",
    )
    if case.caller == "provider" or case.sharing == "unconditional":
        # The checks refuse these grants (the provider and everyone read them already); a row
        # written past the checks must still change nothing, so it goes straight to the store.
        async def write(conn: AsyncConnection) -> int:
            return await rows.insert_grant(conn, new, by="tests", now=clock.now())

        grant_id, _version = await store.change(AUTHORITY, "tests", "raw grant", write)
        assert grant_id is not None
        return grant_id
    # A conditional item is granted by the provider's answer to an application, a withheld one
    # only by the authority's coordination decision.
    granter = THE_AUTHORITY if case.sharing == "withheld" else PROVIDER_ADMIN
    return (await add_grant(store, new, granter)).id


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_decision(case: Case, store: PolicyStore, platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    grant_id = await make_grant(store, case) if case.effect is not None else None
    if case.state == "revoked":
        assert grant_id is not None
        await revoke_grant(store, grant_id, THE_AUTHORITY, "case")
    elif case.state == "expired":
        monkeypatch.setenv("GOVSHARE_NOW", DAY_AFTER)
    effect, basis = case.expected()
    if basis == "grant":
        basis = f"grant:{grant_id}"

    # (a) the engine: the policy in force, and the same version read back from the store
    today = clock.today()
    decided = store.current.decide(case.department, "Citizen", case.item, case.purpose, today)
    assert (decided.effect, decided.basis) == (effect, basis)
    assert decided.until == (LAST_DAY if basis.startswith("grant:") else None)
    reader = PolicyStore(store.engine, store.catalog)
    await reader.refresh()
    assert reader.current.version == store.current.version
    reread = reader.current.decide(case.department, "Citizen", case.item, case.purpose, today)
    assert reread == decided

    # (b) the gateway
    await check_read(platform.gateway, case, effect)
    await check_verify(platform.gateway, case, effect)


async def run(gateway: Gateway, case: Case, query: str) -> dict[str, Any]:
    caller = Caller(case.department, "clerk", ("member",))
    return (await gateway.run(GraphQLRequest(query), caller, case.purpose)).body


async def check_read(gateway: Gateway, case: Case, effect: str) -> None:
    body = await run(gateway, case, read_query(case.item))
    value = body["data"]["citizen"][case.item]
    assert body["data"]["citizen"]["citizenId"] == CITIZEN_ID
    if effect == "allow":
        assert value == VALUES[case.item] and "errors" not in body
        return
    if effect == "mask":
        assert value == MASKED[case.item] and "errors" not in body
        return
    assert value is None
    [error] = body["errors"]
    assert error["path"] == ["citizen", case.item]
    extensions = error["extensions"]
    assert {k: extensions[k] for k in ("code", "resource", "item", "sharing")} == {
        "code": "FORBIDDEN",
        "resource": "Citizen",
        "item": case.item,
        "sharing": case.sharing,
    }
    if case.sharing == "withheld":
        assert extensions["legalBasis"] == LEGAL_BASIS
    elif effect == "verify":
        assert extensions["verifyWith"] == "citizenVerify"
    else:
        assert extensions["condition"] == CONDITION
        assert PROVIDER in extensions["apply"] and case.purpose in extensions["apply"]


async def check_verify(gateway: Gateway, case: Case, effect: str) -> None:
    """Whoever may read or verify an item can check a claimed value; a denied caller cannot, nor
    one that sees it masked (the visible part would make guessing the rest cheap)."""
    right = await run(gateway, case, verify_query(case.item, VALUES[case.item]))
    wrong = await run(gateway, case, verify_query(case.item, "not the value"))
    if effect in ("deny", "mask"):
        for body in (right, wrong):
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        return
    assert right == {"data": {"citizenVerify": {"found": True, "matched": True, "mismatched": []}}}
    assert wrong == {"data": {"citizenVerify": {"found": True, "matched": False, "mismatched": [case.item]}}}


@pytest.mark.parametrize(
    ("origin", "effect"), [("application", "deny"), ("coordination", "allow"), ("authority", "allow")]
)
async def test_reclassifying_an_item_as_withheld_leaves_only_the_authoritys_decisions(
    world: World, tmp_path: Path, origin: str, effect: str
) -> None:
    """Catalog v1 shares the phone conditionally and a grant opens it; catalog v2 withholds it.

    Under v2 only the authority's coordination decision may open the phone (§5); the provider's
    answer to an application was given for a conditional item and must not open a withheld one.
    """
    engine = store_engine(f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}")
    try:
        before = PolicyStore(engine, world.catalog)
        await before.start(poll=False)
        granter = PROVIDER_ADMIN if origin == "application" else THE_AUTHORITY
        grant = NewGrant(OTHER, "Citizen", ("phone",), (GRANTED_PURPOSE,), "allow", origin=origin)
        await add_grant(before, grant, granter)
        assert before.current.decide(OTHER, "Citizen", "phone", GRANTED_PURPOSE, clock.today()).effect == "allow"

        reclassified = catalog_text(world.directory, phone="withheld")
        after = PolicyStore(engine, parse_catalog(reclassified, str(world.catalog_path)))
        await after.start(poll=False)
        assert after.current.decide(OTHER, "Citizen", "phone", GRANTED_PURPOSE, clock.today()).effect == effect
    finally:
        await engine.dispose()
