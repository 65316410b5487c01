"""The floor: a bare Starlette endpoint over asyncpg that answers Q1 and Q2 with govshare's document.

Two statements per query (persons, then their licences by ``= ANY($1::text[])``), rows into
nested dicts, orjson: what any Python server over this database must do at least, with no
token, GraphQL, policy or audit. ``python -m bench.peers.floor --port P`` (DSN in BENCH_DSN)
serves ``POST /q1`` and ``POST /q2`` (body ``{"id": …}``) on uvicorn, uvloop and httptools.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.peers.queries import LICENSE, PERSON, Q1_SIZE

_PERSON_COLUMNS = ", ".join(PERSON.values())
_LICENSE_COLUMNS = ", ".join(LICENSE.values())
Q1_PERSONS = f"SELECT {_PERSON_COLUMNS} FROM person ORDER BY id_number LIMIT {Q1_SIZE}"
Q1_LICENSES = (f"SELECT holder_id, {_LICENSE_COLUMNS} FROM license WHERE holder_id = ANY($1::text[]) "
               "ORDER BY holder_id, license_no")  # fmt: skip
Q2_PERSON = f"SELECT {_PERSON_COLUMNS} FROM person WHERE id_number = $1"
Q2_LICENSES = f"SELECT {_LICENSE_COLUMNS} FROM license WHERE holder_id = $1 ORDER BY license_no"
_PERSON_NAMES = tuple(PERSON)
_LICENSE_NAMES = tuple(LICENSE)


def _json(document: dict[str, Any]) -> Response:
    return Response(orjson.dumps(document), media_type="application/json")


def _license(row: asyncpg.Record, skip: int = 0) -> dict[str, Any]:
    return dict(zip(_LICENSE_NAMES, tuple(row)[skip:], strict=True))


async def q1(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        persons = await conn.fetch(Q1_PERSONS)
        nodes = [dict(zip(_PERSON_NAMES, row, strict=True)) for row in persons]
        by_id: dict[str, list[dict[str, Any]]] = {}
        for node in nodes:
            node["licenses"] = by_id[node["idNumber"]] = []
        for row in await conn.fetch(Q1_LICENSES, list(by_id)):
            by_id[row[0]].append(_license(row, skip=1))
    return _json({"data": {"people": {"nodes": nodes}}})


async def q2(request: Request) -> Response:
    key = orjson.loads(await request.body())["id"]
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(Q2_PERSON, key)
        if row is None:
            return _json({"data": {"person": None}})
        person = dict(zip(_PERSON_NAMES, row, strict=True))
        person["licenses"] = [_license(lic) for lic in await conn.fetch(Q2_LICENSES, key)]
    return _json({"data": {"person": person}})


async def health(_request: Request) -> Response:
    return _json({"status": "ok"})


def create_app(dsn: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route("/q1", q1, methods=["POST"]), Route("/q2", q2, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(os.environ["BENCH_DSN"])
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
