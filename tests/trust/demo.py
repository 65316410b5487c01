"""A served demo world for the attack tests: the gateway over real HTTP, the platform database beside it.

Grants are made as a user would (``grantAdd`` as the authority), and also written straight
into the platform database, as grants stored before the present rules were would be, to show
that the rules hold when deciding too, not only when granting.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog import Catalog, load_catalog
from govshare.catalog.model import ItemType
from govshare.connectors.reference_api import make_source_app
from govshare.demo import credit_source, generate_world
from govshare.demo.world import FILE_OF_RESOURCE
from govshare.policies.live import PolicyStore
from govshare.settings import Settings
from govshare.store import grant_rows as grant_rows
from govshare.store.database import store_engine
from govshare.store.grant_rows import NewGrant
from govshare.store.tables import grants
from tests.policies.world import Api
from tests.services import run_async, serve_app
from tests.worlds import graphql_headers, read_audit, serve_gateway

PERSONS = 1000
GRANT_ADD = "mutation($input: GrantInput!) { grantAdd(input: $input) { id effect } }"
Row = dict[str, Any]
T = TypeVar("T")


class Demo(Api):
    """A client of the served demo world that counts its responses, with the world beside it."""

    def __init__(self, http: httpx.Client, base_url: str, settings: Settings, catalog: Catalog, world: Path) -> None:
        super().__init__(http, base_url, settings)
        self.catalog = catalog
        self.world = world
        self.responses = 0  # HTTP responses to /graphql so far

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        department: str = "market",
        roles: tuple[str, ...] = ("member",),
        purpose: str = "work_reference",
    ) -> dict[str, Any]:
        self.responses += 1
        return super().post(query, variables, department=department, roles=roles, purpose=purpose)

    def export(
        self, resource: str, *, department: str = "market", purpose: str = "work_reference", **params: str
    ) -> httpx.Response:
        """``GET /export/{resource}`` read whole; an export that starts has two records, its opening and its end."""
        headers = graphql_headers(self.settings, department, f"{department}-user", ("member",), purpose)
        response = self.http.get(f"{self.url.removesuffix('/graphql')}/export/{resource}", params=params,
                                 headers=headers)  # fmt: skip
        self.responses += 2 if response.status_code == 200 else 1
        return response

    def grant(self, department: str, resource: str, items: list[str], purposes: list[str], effect: str,
              scope: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        """``grantAdd`` as the authority: the answer's body (data or errors)."""
        grant = {"department": department, "resource": resource, "items": items, "purposes": purposes,
                 "effect": effect.upper(), "scope": scope}  # fmt: skip
        return self.post(GRANT_ADD, {"input": grant}, department=self.catalog.platform.authority, roles=("authority",))

    def stored_grant(self, new: NewGrant) -> int:
        """Write a grant without any check, as one stored before the present rules; wait until it is served."""

        async def insert(conn: AsyncConnection) -> int:
            return await grant_rows.insert_grant(conn, new, by="bigdata/legacy", now=clock.now())

        grant_id = self._change("grant stored before the present rules", insert)
        assert grant_id is not None
        return grant_id

    def revoke_all(self) -> None:
        """End every grant at once, as if none had been made."""

        async def revoke(conn: AsyncConnection) -> None:
            await conn.execute(
                update(grants).where(grants.c.revoked_at.is_(None)).values(revoked_at=clock.now(), revoked_by="reset")
            )

        self._change("every grant ended", revoke)

    def _change(self, reason: str, write: Callable[[AsyncConnection], Awaitable[T]]) -> T | None:
        async def change() -> T | None:
            engine = store_engine(self.settings.effective_store_url)
            try:
                result, _ = await PolicyStore(engine, self.catalog).change("bigdata", "tests", reason, write)
                return result
            finally:
                await engine.dispose()

        result = run_async(change)
        time.sleep(4 * self.settings.policy_poll)  # the server polls for new policy versions
        return result

    def audit_count(self) -> int:
        return len(read_audit(self.settings))

    @functools.cached_property
    def rows(self) -> dict[str, dict[Any, Row]]:
        """Every row of every resource, read straight from the department databases."""
        found: dict[str, dict[Any, Row]] = {}
        for name, res in self.catalog.resources.items():
            columns = ", ".join(f'"{item.column}"' for item in res.items.values())
            with closing(sqlite3.connect(f"file:{self.world / FILE_OF_RESOURCE[name]}?mode=ro", uri=True)) as conn:
                rows = [
                    dict(zip(res.items, r, strict=True)) for r in conn.execute(f'SELECT {columns} FROM "{res.table}"')
                ]
            flags = [i for i, item in res.items.items() if item.type is ItemType.BOOLEAN]
            for row in rows:  # SQLite keeps booleans as 0/1
                row.update({i: bool(row[i]) for i in flags if row[i] is not None})
            found[name] = {row[res.key]: row for row in rows}
        return found


def serve_demo(world: Path, platform: Path, **settings: Any) -> Iterator[Demo]:
    generate_world(world, PERSONS, progress=False)
    config = Settings(
        data_dir=platform, secret="trust-tests-signing-key-of-enough-length", policy_poll=0.05, **settings
    )
    with serve_app(make_source_app(*credit_source(world))) as credit_url:
        catalog = load_catalog(world / "catalog.yaml", env={"CREDIT_API_URL": credit_url})
        with serve_gateway(catalog, config) as url, httpx.Client(timeout=60) as http:
            yield Demo(http, url, config, catalog, world)


def errors_of(body: dict[str, Any], code: str | None = None) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = body.get("errors", [])
    return [e for e in errors if code is None or e["extensions"]["code"] == code]
