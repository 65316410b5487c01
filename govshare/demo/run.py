"""`govshare demo`: generate the Kaifeng world if needed, grant a few demo rights, serve it.

Everything lives in the data directory: the world (department databases and catalog) in its
``world`` folder, the platform database and signing secret beside it, so `govshare token issue
--dir DIR` anywhere issues tokens this server accepts.

The printed examples are runnable curl commands; each shows what one
department sees, so the differences the sharing policy makes are visible:
the provider reads a conditional item, a department with a mask grant sees
it masked, another gets FORBIDDEN, and a verify grant answers a 核验 check.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from govshare.app import create_app
from govshare.auth import issue_token
from govshare.catalog import Catalog, load_catalog
from govshare.connectors.reference_api import make_source_app
from govshare.demo.catalog import PERSON, credit_source
from govshare.demo.examples import example_queries, sample_person_id
from govshare.demo.world import generate_world
from govshare.identity import Caller
from govshare.policies.granting import add_grant
from govshare.policies.live import PolicyStore
from govshare.settings import Settings
from govshare.store import grant_rows as grant_rows
from govshare.store.database import store_engine
from govshare.store.grant_rows import NewGrant

PURPOSE = "work_reference"
# Rights the demo grants on first start, as the platform authority would.
DEMO_GRANTS = (
    NewGrant("market", "Person", ("phone",), (PURPOSE,), "mask", reason="demo: 监管执法时联系本人，掩码共享"),
    NewGrant("elicense", "Person", ("phone",), (PURPOSE,), "verify", reason="demo: 办证时核验联系电话"),
)


@dataclass(frozen=True, slots=True)
class Example:
    title: str
    department: str
    query: str


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed_grants(catalog: Catalog, settings: Settings) -> None:
    """Add the demo grants unless the platform database has them already (restarts keep them)."""
    store = PolicyStore(store_engine(settings.effective_store_url), catalog)
    try:
        await store.start(poll=False)
        async with store.engine.connect() as conn:
            held = {(g.department, g.resource, g.items, g.effect) for g in await grant_rows.unrevoked_grants(conn)}
        authority = Caller(catalog.platform.authority, "demo", ("authority",))
        for grant in DEMO_GRANTS:
            if (grant.share.department, grant.share.resource, grant.share.items, grant.effect) not in held:
                await add_grant(store, grant, authority)
    finally:
        await store.close()
        await store.engine.dispose()


def policy_examples(directory: Path) -> list[Example]:
    """Queries whose answers differ by department under the demo grants."""
    person = sample_person_id(directory)
    with sqlite3.connect(f"file:{directory / 'police.db'}?mode=ro", uri=True) as conn:
        phone = conn.execute(
            f"SELECT {PERSON.items['phone'].column} FROM {PERSON.table} WHERE {PERSON.key_item.column} = ?",
            (person,),
        ).fetchone()[0]
    shown = f'{{ person(idNumber: "{person}") {{ name phone criminalRecord }} }}'
    check = f'{{ personVerify(idNumber: "{person}", claims: {{phone: "{phone}"}}) {{ found matched mismatched }} }}'
    return [
        Example("提供部门读取全部数据项 / the provider reads every item", "police", shown),
        Example("掩码共享：联系电话 / a mask grant shows the phone masked; withheld stays FORBIDDEN", "market", shown),
        Example("无授权：FORBIDDEN / no grant: the conditional item is FORBIDDEN", "hrss", shown),
        Example("核验共享 / a verify grant checks a claimed phone without reading it", "elicense", check),
    ]


def all_examples(directory: Path) -> list[Example]:
    basics = [Example(e.title, "market", e.query) for e in example_queries(directory)]
    return basics + policy_examples(directory)


def curl(base: str, token: str, query: str) -> str:
    body = json.dumps({"query": " ".join(query.split())}, ensure_ascii=False)
    return (
        f"curl -s {base}/graphql -H 'Content-Type: application/json' "
        f"-H 'Authorization: Bearer {token}' -H 'X-Purpose: {PURPOSE}' --data {shlex.quote(body)}"
    )


WORLD = "world"  # the demo world's folder in the data directory


def run_demo(settings: Settings, *, persons: int, host: str, port: int, simulate: int | None = None) -> None:
    directory = settings.data_dir.resolve() / WORLD
    catalog_path = generate_world(directory, persons)
    credit_db, collections = credit_source(directory)
    credit_port = _free_port()
    os.environ["CREDIT_API_URL"] = f"http://127.0.0.1:{credit_port}"
    catalog = load_catalog(catalog_path)
    asyncio.run(seed_grants(catalog, settings))
    if simulate is not None:
        asyncio.run(_simulated(catalog, settings, simulate, make_source_app(credit_db, collections), credit_port))
    base = f"http://{host}:{port}"
    tokens = {code: issue_token(settings, code, "demo", ["member"]) for code in catalog.departments}
    _print_welcome(catalog, base, tokens, all_examples(directory))
    asyncio.run(_serve(create_app(catalog, settings), host, port, make_source_app(credit_db, collections), credit_port))


async def _serve(app: ASGIApp, host: str, port: int, credit: ASGIApp, credit_port: int) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(credit, host="127.0.0.1", port=credit_port, log_level="warning")),
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")),
    ]
    running = asyncio.gather(*(s.serve() for s in servers))
    while not all(s.started for s in servers) and not running.done():  # noqa: ASYNC110 - uvicorn sets a flag only
        await asyncio.sleep(0.05)
    if all(s.started for s in servers):
        print(f"Serving on http://{host}:{port}/graphql — press Ctrl+C to stop.", flush=True)
    await running


async def _simulated(catalog: Catalog, settings: Settings, year: int, credit: ASGIApp, credit_port: int) -> None:
    """A simulated year on the platform, the credit API served meanwhile (CreditRecord lives there)."""
    from govshare.demo.simulate import simulate_year

    server = uvicorn.Server(uvicorn.Config(credit, host="127.0.0.1", port=credit_port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn sets a flag only
        await asyncio.sleep(0.05)
    try:
        done = await simulate_year(catalog, settings, year, progress=_bar)
    finally:
        server.should_exit = True
        await serving
    print(f"\nsimulated {done.days} days of {year}: {done.operations:,} operations, {done.applications} "
          f"applications ({done.answers} answers), {done.issues} data-issue reports")  # fmt: skip
    print(f"the yearly report: govshare report --year {year} --dir {settings.data_dir}\n", flush=True)


def _bar(done: int, days: int, day: object) -> None:
    filled = 30 * done // days
    if done not in (1, days) and filled == 30 * (done - 1) // days:
        return  # redrawn when the bar grows, not every day
    print(f"\rsimulating {day} [{'#' * filled}{'.' * (30 - filled)}] {done}/{days} days", end="", flush=True)


def _print_welcome(catalog: Catalog, base: str, tokens: dict[str, str], examples: list[Example]) -> None:
    # A token in a URL ends up in browser history and server logs: GraphiQL gets it as a header.
    headers = json.dumps({"Authorization": f"Bearer {tokens['market']}", "X-Purpose": PURPOSE})
    print(f"\n{catalog.platform.name} — govshare demo\n")
    print(f"GraphiQL: {base}/graphql")
    print(f"  to query as market for purpose {PURPOSE}, paste into GraphiQL's Headers pane:")
    print(f"  {headers}\n")
    print("Tokens (valid 8 h; send as 'Authorization: Bearer <token>' with 'X-Purpose: <purpose>'):")
    for code, token in tokens.items():
        print(f"  {code:<9} {catalog.departments[code].name:<14} {token}")
    print(f"\nPurposes: {', '.join(catalog.platform.purposes)}")
    print("Demo grants: market may read Person.phone masked; elicense may verify it.\n")
    for number, example in enumerate(examples, start=1):
        print(f"# {number}. {example.title}  (as {example.department})")
        print(example.query.strip())
        print(curl(base, tokens[example.department], example.query))
        print()
