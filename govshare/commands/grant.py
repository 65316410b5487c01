"""`govshare grant add|revoke|list`: the authority's direct grants from a terminal.

The commands act on the platform database of the data directory and on the catalog the
gateway serves from it (the newest one recorded there). `grant list` reads the grants only:
it starts without the policy engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from govshare import clock
from govshare.commands.arguments import actor, items, scope_option, until_option
from govshare.commands.platform import platform_engine, policy_store, recorded_catalog
from govshare.identity import Caller
from govshare.settings import Settings
from govshare.store import grant_rows as rows
from govshare.store.grant_rows import Grant

if TYPE_CHECKING:
    from govshare.gateway.executor import Gateway


@asynccontextmanager
async def recorded_runtime(settings: Settings) -> AsyncIterator[Gateway]:
    """A gateway over the recorded catalog and its sources, for tools that run operations."""
    from govshare.gateway.executor import Gateway
    from govshare.runtime import close_runtime, open_runtime
    from govshare.schema.build import build_schema

    async with platform_engine(settings) as engine:
        catalog = await recorded_catalog(engine, settings)
    runtime = await open_runtime(catalog, settings, poll=False)
    try:
        yield Gateway(runtime, build_schema(catalog))
    finally:
        await close_runtime(runtime)


def describe(grant: Grant) -> str:
    state = "revoked" if grant.revoked_at else "active" if grant.active_on(clock.today()) else "expired"
    scope = f" scope={json.dumps(grant.scope, ensure_ascii=False)}" if grant.scope else ""
    until = f" until={grant.valid_until}" if grant.valid_until else ""
    return (
        f"{grant.id}\t{state}\t{grant.department}\t{grant.resource}.{{{','.join(grant.items)}}}\t"
        f"{grant.effect}\tpurposes={','.join(grant.purposes)}{until}{scope}\t({grant.origin})"
    )


async def _add(args: argparse.Namespace, settings: Settings) -> str:
    from govshare.policies.granting import add_grant
    from govshare.store.grant_rows import NewGrant

    new = NewGrant(
        department=args.department,
        resource=args.resource,
        items=items(args.items),
        purposes=items(args.purposes),
        effect=args.effect,
        scope=scope_option(args.scope),
        valid_until=until_option(args.until),
        reason=args.reason,
    )
    async with policy_store(settings) as store:
        authority = Caller(store.catalog.platform.authority, actor(args.by), ("authority",))
        grant = await add_grant(store, new, authority)
    return str(grant.id)


async def _revoke(args: argparse.Namespace, settings: Settings) -> str:
    # A grant an approval created is revoked through its application (workflows).
    from govshare.commands.acting import caller_of
    from govshare.workflows.applications import revoke_granted

    async with policy_store(settings) as store:
        catalog = store.catalog
        if args.department is None:
            caller = Caller(catalog.platform.authority, actor(args.by), ("authority",))
        else:
            caller = caller_of(catalog, args.department, args.by, "dept_admin")
        grant = await revoke_granted(store, caller, args.id, args.reason)
    return describe(grant)


async def _list(args: argparse.Namespace, settings: Settings) -> str:
    async with platform_engine(settings) as engine, engine.connect() as conn:
        found = await rows.list_grants(conn, department=args.department, resource=args.resource)
    return "\n".join(describe(g) for g in found) if found else "no grants"


def run(args: argparse.Namespace, settings: Settings) -> int:
    action = {"add": _add, "revoke": _revoke, "list": _list}[args.action]
    print(asyncio.run(action(args, settings)))
    return 0
