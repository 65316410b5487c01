"""`govshare grant add|revoke|list`: the authority's direct grants from a terminal.

The commands act on the platform database named by the settings and on the
catalog the gateway serves from it (the newest one recorded there).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.catalog import Catalog, CatalogError, parse_catalog
from govshare.errors import GovshareError
from govshare.gateway.executor import Gateway
from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.policies.live import PolicyStore
from govshare.settings import load_settings
from govshare.store import grant_rows as rows
from govshare.store.catalogs import newest_catalog
from govshare.store.database import migrate, store_engine
from govshare.store.grant_rows import Grant, NewGrant


class GrantCommandError(Exception):
    pass


async def recorded_catalog(engine: AsyncEngine) -> Catalog:
    """The catalog the gateway serves, as recorded in the platform database."""
    await migrate(engine)
    async with engine.connect() as conn:
        found = await newest_catalog(conn)
    if found is None:
        raise GrantCommandError("the platform database has no catalog yet: start `govshare serve` once first")
    path, text = found
    try:
        return parse_catalog(text, path)
    except CatalogError as exc:
        raise GrantCommandError(f"the recorded catalog {path} no longer parses: {exc.problems[0]}") from None


@asynccontextmanager
async def _store() -> AsyncIterator[PolicyStore]:
    engine = store_engine(load_settings().effective_store_url)
    try:
        store = PolicyStore(engine, await recorded_catalog(engine))
        await store.start(poll=False)
        yield store
    finally:
        await engine.dispose()


@asynccontextmanager
async def recorded_runtime() -> AsyncIterator[Gateway]:
    """A gateway over the recorded catalog and its sources, for tools that run operations."""
    from govshare.runtime import close_runtime, open_runtime
    from govshare.schema.build import build_schema

    settings = load_settings()
    engine = store_engine(settings.effective_store_url)
    try:
        catalog = await recorded_catalog(engine)
    finally:
        await engine.dispose()
    runtime = await open_runtime(catalog, settings, poll=False)
    try:
        yield Gateway(runtime, build_schema(catalog))
    finally:
        await close_runtime(runtime)


def _authority(store: PolicyStore, by: str | None) -> Caller:
    return Caller(store.catalog.platform.authority, by or f"cli:{getpass.getuser()}", ("authority",))


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def describe(grant: Grant) -> str:
    state = "revoked" if grant.revoked_at else "active" if grant.active_on(clock.today()) else "expired"
    scope = f" scope={json.dumps(grant.scope, ensure_ascii=False)}" if grant.scope else ""
    until = f" until={grant.valid_until}" if grant.valid_until else ""
    return (
        f"{grant.id}\t{state}\t{grant.department}\t{grant.resource}.{{{','.join(grant.items)}}}\t"
        f"{grant.effect}\tpurposes={','.join(grant.purposes)}{until}{scope}\t({grant.origin})"
    )


async def _add(args: argparse.Namespace) -> str:
    try:
        scope = json.loads(args.scope) if args.scope else None
    except json.JSONDecodeError as exc:
        raise GrantCommandError(f"--scope is not valid JSON: {exc}") from None
    try:
        until = datetime.date.fromisoformat(args.until) if args.until else None
    except ValueError:
        raise GrantCommandError(f"--until {args.until!r} is not a date like 2027-06-30") from None
    new = NewGrant(
        department=args.department,
        resource=args.resource,
        items=_csv(args.items),
        purposes=_csv(args.purposes),
        effect=args.effect,
        scope=scope,
        valid_until=until,
        reason=args.reason,
    )
    async with _store() as store:
        grant = await add_grant(store, new, _authority(store, args.by))
    return str(grant.id)


async def _revoke(args: argparse.Namespace) -> str:
    async with _store() as store:
        # A grant an approval created is revoked through its application (workflows).
        from govshare.workflows.applications import revoke_granted

        grant = await revoke_granted(store, _authority(store, args.by), args.id, args.reason)
    return describe(grant)


async def _list(args: argparse.Namespace) -> str:
    async with _store() as store, store.engine.connect() as conn:
        found = await rows.list_grants(conn, department=args.department, resource=args.resource)
    return "\n".join(describe(g) for g in found) if found else "no grants"


def run(args: argparse.Namespace) -> int:
    action = {"add": _add, "revoke": _revoke, "list": _list}[args.action]
    try:
        print(asyncio.run(action(args)))
    except GovshareError as exc:
        raise GrantCommandError(exc.message) from None
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grant = commands.add_parser("grant", help="the authority's direct grants").add_subparsers(
        dest="action", required=True
    )
    add = grant.add_parser("add", help="grant items to a department; prints the grant id")
    add.add_argument("--department", required=True)
    add.add_argument("--resource", required=True)
    add.add_argument("--items", required=True, help="comma-separated item names")
    add.add_argument("--purposes", required=True, help="comma-separated purpose codes")
    add.add_argument("--effect", required=True, choices=["allow", "mask", "verify"])
    add.add_argument("--scope", help='row scope in the filter language, e.g. {"district": {"eq": "龙亭区"}}')
    add.add_argument("--until", help="last day of the grant (YYYY-MM-DD)")
    add.add_argument("--reason")
    add.add_argument("--by", help="who grants (recorded); default cli:<login>")
    revoke = grant.add_parser("revoke", help="revoke a grant")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--reason")
    revoke.add_argument("--by")
    listing = grant.add_parser("list", help="list grants")
    listing.add_argument("--department")
    listing.add_argument("--resource")
    for sub in (add, revoke, listing):
        sub.set_defaults(run=run)
