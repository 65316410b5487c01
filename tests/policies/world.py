"""Policyville: a small catalog with every sharing class, and the helpers the policy tests share.

One citizen record is enough to see every decision: its items cover the three
sharing classes, and its values are written out here so that the tests state
expected answers (masked ones too) without asking the package.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.ext.asyncio import create_async_engine

from govshare.auth import issue_token
from govshare.catalog import Catalog, parse_catalog
from govshare.settings import Settings
from tests.services import run_async
from tests.worlds import govshare_command, graphql_headers, start_serve, stop_serve, wait_until_ready

AUTHORITY = "hub"
PROVIDER = "civil"  # provides Citizen
OTHER = "transport"  # provides Vehicle, uses Citizen
STRANGER = "health"  # provides nothing

CITIZEN_ID = "c001"
PHONE = "13812345678"
PHONE_MASKED = "138****5678"  # mask: phone keeps three and four digits
RECORD = "2019年交通肇事"
RECORD_MASKED = "******"  # no mask named in the catalog: the whole value is hidden
CONDITION = "仅限联系本人"
LEGAL_BASIS = "《中华人民共和国个人信息保护法》第三十四条"
SECRET = "policyville-signing-key-of-enough-length"

# item of Citizen → its value, for each sharing class
ITEMS = {"unconditional": "fullName", "conditional": "phone", "withheld": "record"}
VALUES = {"fullName": "张三丰", "phone": PHONE, "record": RECORD}
MASKED = {"fullName": "张**", "phone": PHONE_MASKED, "record": RECORD_MASKED}

metadata = MetaData()
citizen = Table(
    "citizen",
    metadata,
    Column("citizen_id", String(20), primary_key=True),
    Column("full_name", String(40)),
    Column("phone", String(20)),
    Column("record", String(80)),
)
vehicle = Table(
    "vehicle",
    metadata,
    Column("plate", String(20), primary_key=True),
    Column("owner_id", String(20)),
    Column("insurer", String(40)),
)


def catalog_text(directory: Path, *, phone: str = "conditional") -> str:
    """The catalog; ``phone="withheld"`` is the same catalog after the phone was reclassified."""
    if phone == "withheld":
        phone_item = f"sharing: withheld, legal_basis: {LEGAL_BASIS}, mask: phone"
    else:
        phone_item = f"sharing: conditional, condition: {CONDITION}, mask: phone"
    return textwrap.dedent(
        f"""\
        version: 1
        platform:
          name: Policyville data sharing
          authority: {AUTHORITY}
          purposes:
            work_reference: 工作参考
            data_verification: 数据校核
            administrative_basis: 作为行政依据
        departments:
          {AUTHORITY}: {{name: 大数据局}}
          {PROVIDER}: {{name: 民政局}}
          {OTHER}: {{name: 交通运输局}}
          {STRANGER}: {{name: 卫生健康委}}
        sources:
          civil_db: {{department: {PROVIDER}, kind: sql, url: "sqlite+aiosqlite:///{directory / "civil.db"}"}}
          transport_db: {{department: {OTHER}, kind: sql, url: "sqlite+aiosqlite:///{directory / "transport.db"}"}}
        resources:
          Citizen:
            code: "P001/000001"
            title: 居民信息
            provider: {PROVIDER}
            category: department
            source: civil_db
            table: citizen
            key: citizenId
            update_cycle: daily
            share_methods: [interface, query, download]
            items:
              citizenId: {{column: citizen_id, type: ID, title: 居民编号, sharing: unconditional}}
              fullName: {{column: full_name, type: String, title: 姓名, sharing: unconditional, mask: name}}
              phone: {{type: String, title: 电话, {phone_item}}}
              record: {{type: String, title: 违法记录, sharing: withheld, legal_basis: {LEGAL_BASIS}}}
          Vehicle:
            code: "P002/000001"
            title: 机动车信息
            provider: {OTHER}
            category: department
            source: transport_db
            table: vehicle
            key: plate
            update_cycle: daily
            share_methods: [interface, query, download]
            items:
              plate: {{type: ID, title: 号牌, sharing: unconditional}}
              ownerId: {{column: owner_id, type: ID, title: 所有人, sharing: unconditional}}
              insurer: {{type: String, title: 承保公司, sharing: conditional, condition: 仅限理赔核查}}
        """
    )


@dataclass(frozen=True)
class World:
    directory: Path
    catalog_path: Path
    catalog: Catalog


def make_world(directory: Path) -> World:
    """Write the department databases and the catalog file under ``directory``."""

    async def load() -> None:
        rows: dict[str, tuple[Table, dict[str, Any]]] = {
            "civil.db": (
                citizen,
                {"citizen_id": CITIZEN_ID, "full_name": VALUES["fullName"], "phone": PHONE, "record": RECORD},
            ),
            "transport.db": (vehicle, {"plate": "豫B12345", "owner_id": CITIZEN_ID, "insurer": "人保"}),
        }
        for file, (table, row) in rows.items():
            engine = create_async_engine(f"sqlite+aiosqlite:///{directory / file}")
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(table.create)
                    await conn.execute(table.insert(), [row])
            finally:
                await engine.dispose()

    run_async(load)
    path = directory / "catalog.yaml"
    path.write_text(catalog_text(directory), encoding="utf-8")
    return World(directory, path, parse_catalog(path.read_text(encoding="utf-8"), str(path)))


# --- GraphQL documents -------------------------------------------------------------------------


def read_query(item: str) -> str:
    return f'{{ citizen(citizenId: "{CITIZEN_ID}") {{ citizenId {item} }} }}'


def verify_query(item: str, claim: str) -> str:
    return (
        f'{{ citizenVerify(citizenId: "{CITIZEN_ID}", claims: {{{item}: "{claim}"}}) {{ found matched mismatched }} }}'
    )


GRANT_FIELDS = "id department resource items purposes effect scope until origin active revokedAt policyVersion"
GRANT_ADD = f"mutation($input: GrantInput!) {{ grantAdd(input: $input) {{ {GRANT_FIELDS} }} }}"
GRANT_REVOKE = f"mutation($id: ID!, $reason: String) {{ grantRevoke(id: $id, reason: $reason) {{ {GRANT_FIELDS} }} }}"


def phone_grant(department: str, purposes: list[str], **extra: Any) -> dict[str, Any]:
    """GrantInput for Citizen.phone, the conditional item most tests need."""
    return {
        "department": department,
        "resource": "Citizen",
        "items": ["phone"],
        "purposes": purposes,
        "effect": "ALLOW",
        **extra,
    }


# --- HTTP -----------------------------------------------------------------------------------------


class Api:
    """A GraphQL client of one gateway, signing tokens with the platform's key."""

    def __init__(self, http: httpx.Client, base_url: str, settings: Settings) -> None:
        self.http = http
        self.url = f"{base_url}/graphql"
        self.settings = settings

    def token(self, department: str, *roles: str) -> str:
        return issue_token(self.settings, department, f"{department}-user", list(roles or ("member",)))

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        department: str = OTHER,
        roles: tuple[str, ...] = ("member",),
        purpose: str = "work_reference",
    ) -> dict[str, Any]:
        headers = graphql_headers(self.settings, department, f"{department}-user", roles, purpose)
        response = self.http.post(self.url, json={"query": query, "variables": variables}, headers=headers)
        body: dict[str, Any] = response.json()
        return body

    def as_authority(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return self.post(query, variables, department=AUTHORITY, roles=("authority",))

    def phone(self, department: str = OTHER, purpose: str = "work_reference") -> str | None:
        """Citizen.phone as ``department`` reads it; None when it is denied (FORBIDDEN asserted)."""
        body = self.post(read_query("phone"), department=department, purpose=purpose)
        value: str | None = body["data"]["citizen"]["phone"]
        if value is None:
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
        return value


# --- processes ------------------------------------------------------------------------------------


def command_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a govshare process: this machine's, minus any platform settings of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSHARE_")}
    env.update({"GOVSHARE_DATA_DIR": str(data_dir), "GOVSHARE_SECRET": SECRET, **settings})
    return env


def govshare(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command line; ``cwd`` is a directory without a stray govshare.env."""
    return subprocess.run(govshare_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


@contextlib.contextmanager
def serving(catalog_path: Path, env: dict[str, str], cwd: Path, count: int = 1) -> Iterator[list[str]]:
    """``count`` `govshare serve` processes, started together, until each is ready; yields their URLs."""
    servers = [start_serve(catalog_path, env, cwd / f"serve-{n}.log", cwd=cwd) for n in range(count)]
    try:
        for server in servers:
            wait_until_ready(server)
        yield [server.url for server in servers]
    finally:
        logs = [stop_serve(server) for server in servers]
    # A clean run and shutdown log nothing (the servers log warnings and errors only).
    assert not any("Traceback" in log for log in logs), logs


def wait_for(read: Callable[[], object], expected: object, within: float = 30.0) -> None:
    """Poll ``read`` every 50 ms until it gives ``expected``; fails, saying what it saw, after ``within`` s."""
    start = time.monotonic()
    while (seen := read()) != expected:
        assert time.monotonic() - start < within, f"still {seen!r} after {within} s, expected {expected!r}"
        time.sleep(0.05)
