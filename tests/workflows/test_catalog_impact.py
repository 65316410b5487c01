"""Whom a new catalog version affects, read from a real platform database: grants, applications, clients.

The version in force is tests/workflows/catalog_versions.py's; the new one turns Person.phone
withheld, removes Person.email and the resource Permit, retypes Person.age and opens
Person.nickname to everyone. The clock stands on Monday 2 March 2026, 10:00 in China.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.catalog.changes import catalog_changes
from govshare.identity import Caller
from govshare.policies.granting import add_grant, revoke_grant
from govshare.policies.live import PolicyStore
from govshare.store.database import store_engine
from govshare.store.grant_rows import NewGrant, get_grant, insert_grant
from govshare.store.shares import Share
from govshare.workflows import applications, catalog_impact
from govshare.workflows.applications import Approval
from govshare.workflows.catalog_impact import (
    ApplicationRef,
    ClientUse,
    GrantRef,
    Impact,
    end_grants,
    impact,
    report_lines,
)
from govshare.workflows.requests import Request
from tests.services import POSTGRES, fresh_database
from tests.workflows.catalog_versions import NEW_EDITS, catalog

NOW = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
AUTHORITY = Caller("hub", "boss", ("authority",))
POLICE_ADMIN = Caller("police", "chief", ("dept_admin",))
HEALTH = Caller("health", "alice", ("member",))
MARKET = Caller("market", "bob", ("member",))
WORK, BUSINESS = "work_reference", "business_collaboration"
CHANGES = catalog_changes(catalog(), catalog(*NEW_EDITS))


@dataclass
class Platform:
    """The platform database with the grants and applications made in it, by what they stand for."""

    store: PolicyStore
    grants: dict[str, int]
    applications: dict[str, int]


def request(caller: Caller, resource: str, items: tuple[str, ...], purpose: str) -> Request:
    return Request(Share(caller.department, resource, items, (purpose,)), "办理业务需要")


async def grant(store: PolicyStore, department: str, resource: str, items: tuple[str, ...], purpose: str) -> int:
    made = await add_grant(store, NewGrant(department, resource, items, (purpose,), "allow"), AUTHORITY)
    return made.id


async def make_platform(url: str, move: Callable[[str], None]) -> Platform:
    store = PolicyStore(store_engine(url), catalog())
    await store.start(poll=False)
    # Submitted a month ago: overdue now.
    move("2026-02-02T10:00:00+08:00")
    overdue = await applications.submit(store, HEALTH, request(HEALTH, "Person", ("phone",), WORK))
    move("2026-03-02T10:00:00+08:00")
    approved = await applications.submit(store, HEALTH, request(HEALTH, "Person", ("phone",), BUSINESS))
    approved = await applications.approve(store, POLICE_ADMIN, approved.id, Approval("allow"))
    assert approved.grant_id is not None
    grants = {
        "phone on application": approved.grant_id,
        "address and email": await grant(store, "market", "Person", ("address", "email"), WORK),
        "nickname": await grant(store, "market", "Person", ("nickname",), WORK),
        "phone by the authority": await grant(store, "market", "Person", ("phone",), BUSINESS),
        "issuedOn": await grant(store, "health", "License", ("issuedOn",), BUSINESS),
        "permit": await grant(store, "health", "Permit", ("work_scope",), BUSINESS),
        "email revoked": await grant(store, "health", "Person", ("email",), WORK),
    }
    await revoke_grant(store, grants["email revoked"], AUTHORITY, "项目结束")

    async def expired(conn: AsyncConnection) -> int:
        # Stored directly, as a grant whose end date has since passed would be.
        new = NewGrant("market", "Permit", ("work_scope",), (WORK,), "allow", valid_until=datetime.date(2026, 3, 1))
        return await insert_grant(conn, new, by="hub/boss", now=NOW)

    expired_id, _ = await store.change("hub", "boss", "an expired grant", expired)
    assert expired_id is not None
    grants["permit expired"] = expired_id
    age = await applications.submit(store, MARKET, request(MARKET, "Person", ("age",), WORK))
    permit = await applications.submit(store, HEALTH, request(HEALTH, "Permit", ("work_scope",), WORK))
    license_ = await applications.submit(store, HEALTH, request(HEALTH, "License", ("issuedOn",), WORK))
    withdrawn = await applications.submit(store, MARKET, request(MARKET, "Person", ("nickname",), BUSINESS))
    await applications.withdraw(store, MARKET, withdrawn.id, None)
    applied = {"phone overdue": overdue.id, "phone approved": approved.id, "age": age.id, "permit": permit.id,
               "license": license_.id, "withdrawn": withdrawn.id}  # fmt: skip
    return Platform(store, grants, applied)


def decision(resource: str, item: str, basis: str = "unconditional") -> list[str]:
    return [resource, item, "allow", basis]


async def record_operations(platform: Platform, keyring: Path) -> None:
    """Operations of the clients, at the times the audit log gives them."""
    moments: list[datetime.datetime] = []
    log = AuditLog(platform.store.engine, b"k" * 32, ResultKeys(keyring, "impact-tests"), now=lambda: moments[0])
    phone_grant = f"grant:{platform.grants['phone on application']}"
    address_grant = f"grant:{platform.grants['address and email']}"
    nickname_grant = f"grant:{platform.grants['nickname']}"
    operations: list[tuple[int, AuditRecord]] = [
        # Before the 90 days of the report: not counted.
        (100, AuditRecord("query", "answered", "health", "alice", client="10.0.0.1", operation_name="Contact",
                          decisions=[decision("Person", "phone", phone_grant)])),
        (5, AuditRecord("query", "answered", "health", "alice", client="10.0.0.1", operation_name="Contact",
                        decisions=[decision("Person", "name"), decision("Person", "phone", phone_grant)])),
        (1, AuditRecord("query", "answered", "health", "alice", client="10.0.0.1", operation_name="Contact",
                        decisions=[decision("Person", "name"), decision("Person", "phone", phone_grant)])),
        (3, AuditRecord("query", "partial", "market", "bob", client="10.0.0.2", operation_name="Permits",
                        decisions=[decision("Permit", "permitNo"), ["Permit", "work_scope", "deny", "none"]])),
        # Unchanged and merely unconditional now: not broken.
        (3, AuditRecord("query", "answered", "market", "bob", client="10.0.0.2", operation_name="Names",
                        decisions=[decision("Person", "name"), decision("Person", "nickname", nickname_grant)])),
        # Person.address stays, but the grant it was read through ends.
        (2, AuditRecord("query", "answered", "market", "bob", client="10.0.0.2", operation_name="Addresses",
                        decisions=[decision("Person", "address", address_grant)])),
        # The provider reads its own address items as provider: nothing ends for it.
        (2, AuditRecord("query", "answered", "police", "carol", client="10.0.0.9", operation_name="Addresses",
                        decisions=[decision("Person", "address", "provider")])),
        (2, AuditRecord("query", "answered", "market", "bob", client="10.0.0.3",
                        decisions=[["Person", "age", "deny", "none"], ["Person", "email", "deny", "none"]])),
        # An auditor's replay is not a client's use.
        (1, AuditRecord("replay", "answered", "hub", "auditor", client="10.0.0.8", operation_name="Contact",
                        decisions=[decision("Person", "phone", phone_grant)])),
    ]  # fmt: skip
    try:
        for days_ago, record in operations:
            moments[:] = [NOW - datetime.timedelta(days=days_ago)]
            await log.append(record)
    finally:
        await log.close()


def expected_impact(platform: Platform) -> Impact:
    g, a = platform.grants, platform.applications
    return Impact(
        grants_ended=(
            GrantRef(g["phone on application"], "health", "Person", ("phone",), (BUSINESS,), "allow", "application",
                     None, ("phone",)),
            GrantRef(g["address and email"], "market", "Person", ("address", "email"), (WORK,), "allow", "authority",
                     None, ("email",)),
            GrantRef(g["phone by the authority"], "market", "Person", ("phone",), (BUSINESS,), "allow", "authority",
                     None, ("phone",)),
            GrantRef(g["permit"], "health", "Permit", ("work_scope",), (BUSINESS,), "allow", "authority", None,
                     ("work_scope",)),
        ),
        grants_moot=(
            GrantRef(g["nickname"], "market", "Person", ("nickname",), (WORK,), "allow", "authority", None,
                     ("nickname",)),
        ),
        applications=(
            ApplicationRef(a["phone overdue"], "health", "Person", ("phone",), (WORK,), "submitted", True,
                           datetime.date(2026, 2, 14), ("phone",)),
            ApplicationRef(a["age"], "market", "Person", ("age",), (WORK,), "submitted", False,
                           datetime.date(2026, 3, 16), ("age",)),
            ApplicationRef(a["permit"], "health", "Permit", ("work_scope",), (WORK,), "submitted", False,
                           datetime.date(2026, 3, 16), ("work_scope",)),
        ),
        clients=(
            ClientUse("health", "10.0.0.1", "Contact", 2, NOW - datetime.timedelta(days=1), ("Person.phone",)),
            ClientUse("market", "10.0.0.2", "Addresses", 1, NOW - datetime.timedelta(days=2), ("Person.address",)),
            ClientUse("market", "10.0.0.2", "Permits", 1, NOW - datetime.timedelta(days=3),
                      ("Permit.permitNo", "Permit.work_scope")),
            ClientUse("market", "10.0.0.3", None, 1, NOW - datetime.timedelta(days=2), ("Person.age", "Person.email")),
        ),
        since=NOW - datetime.timedelta(days=90),
    )  # fmt: skip


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of this test's own: the grant and application ids it asserts start from 1."""
    with fresh_database(POSTGRES) as url:
        yield url


async def test_impact_lists_whom_the_version_affects(
    sqlite_url: str, tmp_path: Path, set_now: Callable[[str], None]
) -> None:
    platform = await make_platform(sqlite_url, set_now)
    try:
        await record_operations(platform, tmp_path / "keyring.json")
        async with platform.store.engine.connect() as conn:
            found = await impact(conn, CHANGES, now=NOW)
        assert found == expected_impact(platform)
        # A shorter window leaves out the older uses.
        async with platform.store.engine.connect() as conn:
            recent = await impact(conn, CHANGES, now=NOW, days=2)
        assert [(c.operation_name, c.count) for c in recent.clients] == [("Contact", 1), ("Addresses", 1), (None, 1)]
    finally:
        await platform.store.engine.dispose()


async def test_a_record_matching_several_statements_counts_once(
    sqlite_url: str, tmp_path: Path, set_now: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit patterns are split over statements; a record they find twice is counted once."""
    monkeypatch.setattr(catalog_impact, "PATTERNS_PER_STATEMENT", 1)
    platform = await make_platform(sqlite_url, set_now)
    try:
        await record_operations(platform, tmp_path / "keyring.json")
        async with platform.store.engine.connect() as conn:
            found = await impact(conn, CHANGES, now=NOW)
        assert found.clients == expected_impact(platform).clients
    finally:
        await platform.store.engine.dispose()


async def test_end_grants_revokes_exactly_the_ended_ones(sqlite_url: str, set_now: Callable[[str], None]) -> None:
    platform = await make_platform(sqlite_url, set_now)
    store = platform.store
    try:
        async with store.engine.connect() as conn:
            found = await impact(conn, CHANGES, now=NOW)
        ended_ids = [g.id for g in found.grants_ended]
        named = ("phone on application", "address and email", "phone by the authority", "permit")
        assert ended_ids == [platform.grants[name] for name in named]

        async def publish(conn: AsyncConnection) -> list[int]:
            return await end_grants(conn, found, by="hub/boss", reason="catalog version 2", now=NOW)

        revoked, _ = await store.change("hub", "boss", "catalog version 2 published", publish)
        assert revoked == ended_ids
        async with store.engine.connect() as conn:
            for name, grant_id in platform.grants.items():
                stored = await get_grant(conn, grant_id)
                assert stored is not None
                if grant_id in ended_ids:
                    assert (stored.revoked_at, stored.revoked_by, stored.revoke_reason) == (
                        NOW,
                        "hub/boss",
                        "catalog version 2",
                    ), name
                elif name != "email revoked":
                    assert stored.revoked_at is None, name
            # Once ended, the grants are no longer listed, and ending them again revokes nothing.
            again = await impact(conn, CHANGES, now=NOW)
            assert again.grants_ended == ()
            assert await end_grants(conn, found, by="hub/boss", reason="again", now=NOW) == []
        assert not any(f"grant:{i}" in line for i in ended_ids for line in store.current.text.splitlines())
    finally:
        await store.engine.dispose()


async def test_the_report_lists_the_grants_that_end_first(sqlite_url: str, tmp_path: Path,
                                                          set_now: Callable[[str], None]) -> None:  # fmt: skip
    platform = await make_platform(sqlite_url, set_now)
    try:
        await record_operations(platform, tmp_path / "keyring.json")
        async with platform.store.engine.connect() as conn:
            found = await impact(conn, CHANGES, now=NOW)
    finally:
        await platform.store.engine.dispose()
    g, a = platform.grants, platform.applications
    lines = report_lines(CHANGES, found)
    assert lines[:12] == [
        f"grant {g['phone on application']} (health, Person: phone; purposes business_collaboration) ends: "
        "Person.phone turns withheld",
        f"grant {g['address and email']} (market, Person: address, email; purposes work_reference) ends: "
        "Person.email is removed; its other items (address) end with it: apply again for them",
        f"grant {g['phone by the authority']} (market, Person: phone; purposes business_collaboration) ends: "
        "Person.phone turns withheld",
        f"grant {g['permit']} (health, Permit: work_scope; purposes business_collaboration) ends: "
        "resource Permit is removed",
        f"grant {g['nickname']} (market, Person: nickname; purposes work_reference) is no longer needed for "
        "Person.nickname: it turns unconditional",
        f"application {a['phone overdue']} (health, Person: phone; purposes work_reference; submitted, overdue since "
        "2026-02-14) is affected: Person.phone turns withheld",
        f"application {a['age']} (market, Person: age; purposes work_reference; submitted, due 2026-03-16) is "
        "affected: Person.age changes type from Int to String",
        f"application {a['permit']} (health, Permit: work_scope; purposes work_reference; submitted, due "
        "2026-03-16) is affected: resource Permit is removed",
        "client 10.0.0.1 of health, operation Contact: 2 operations in the last 90 days touched Person.phone, "
        "last on 2026-03-01 02:00 UTC",
        "client 10.0.0.2 of market, operation Addresses: 1 operation in the last 90 days touched Person.address, "
        "last on 2026-02-28 02:00 UTC",
        "client 10.0.0.2 of market, operation Permits: 1 operation in the last 90 days touched Permit.permitNo, "
        "Permit.work_scope, last on 2026-02-27 02:00 UTC",
        "client 10.0.0.3 of market, unnamed operations: 1 operation in the last 90 days touched Person.age, "
        "Person.email, last on 2026-02-28 02:00 UTC",
    ]
    assert lines[12] == "resource Permit is removed"
    assert report_lines(CHANGES, None) == lines[12:]


async def test_no_change_affects_no_one(sqlite_url: str, set_now: Callable[[str], None]) -> None:
    platform = await make_platform(sqlite_url, set_now)
    try:
        async with platform.store.engine.connect() as conn:
            found = await impact(conn, catalog_changes(catalog(), catalog()), now=NOW)
    finally:
        await platform.store.engine.dispose()
    assert found == Impact((), (), (), (), since=NOW - datetime.timedelta(days=90))


@pytest.mark.postgres
async def test_impact_on_postgresql(pg_url: str, tmp_path: Path, set_now: Callable[[str], None]) -> None:
    platform = await make_platform(pg_url, set_now)
    try:
        await record_operations(platform, tmp_path / "keyring.json")
        async with platform.store.engine.connect() as conn:
            found = await impact(conn, CHANGES, now=NOW)
        assert found == expected_impact(platform)
        async with platform.store.engine.begin() as conn:
            assert await end_grants(conn, found, by="hub/boss", reason="v2", now=NOW) == [
                g.id for g in found.grants_ended
            ]
    finally:
        await platform.store.engine.dispose()
