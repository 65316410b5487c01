"""The HTTP baseline: a bare Starlette endpoint answering the lookup benchmark's query.

It runs the same two statements govshare sends for
``person(idNumber) { … licenses { … } }`` (same SQL text, same engine options:
pool of 32 without reset on return, autocommit) and returns the same JSON, with none of
govshare's work: no token, no GraphQL, no policy, no audit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The lookup's selection, as GraphQL names and their columns, in the order govshare answers them.
PERSON_FIELDS = {"idNumber": "id_number", "name": "name", "gender": "gender", "ethnicity": "ethnicity",
                 "birthDate": "birth_date", "district": "district"}  # fmt: skip
LICENSE_FIELDS = {"licenseNumber": "license_number", "type": "type", "issuer": "issuer", "issueDate": "issue_date",
                  "expiryDate": "expiry_date", "status": "status"}  # fmt: skip
LOOKUP_QUERY = (
    "query PersonLookup($idNumber: ID!) { person(idNumber: $idNumber) { "
    + " ".join(PERSON_FIELDS)
    + " licenses { "
    + " ".join(LICENSE_FIELDS)
    + " } } }"
)
_DATES = {"birth_date", "issue_date", "expiry_date"}
# govshare also fetches the join column holder_id (third), which is not shown.
LICENSE_COLUMNS = ["license_number", "type", "holder_id", "issuer", "issue_date", "expiry_date", "status"]


def _statement(table: str, columns: list[str], key: str, order: str = "") -> sa.TextualSelect:
    # The text govshare's SQL connector compiles for this lookup (bench/http_lookup.py checks that they agree).
    typed = {c: sa.Date() for c in columns if c in _DATES}  # dates come back as datetime.date, as in govshare
    cols = ", ".join(f"{table}.{c}" for c in columns)
    ordered = f" ORDER BY {table}.{order} ASC" if order else ""  # related rows come in key order
    return sa.text(f"SELECT {cols} \nFROM {table} \nWHERE {table}.{key} IN (:key){ordered}").columns(**typed)


PERSON_SQL = _statement("person", list(PERSON_FIELDS.values()), "id_number")
LICENSE_SQL = _statement("license", LICENSE_COLUMNS, "holder_id", "license_number")


def open_engine(url: str) -> AsyncEngine:
    """The engine options govshare's SQL connector uses for a file database."""
    return create_async_engine(
        url,
        pool_size=32,
        max_overflow=32,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,
    )


def create_bare_app(police_url: str, elicense_url: str) -> Starlette:
    engines: dict[str, AsyncEngine] = {}

    async def lookup(request: Request) -> Response:
        key = orjson.loads(await request.body())["variables"]["idNumber"]
        async with engines["police"].connect() as conn:
            row = (await conn.execute(PERSON_SQL, {"key": key})).first()
        person: dict[str, Any] | None = None
        if row is not None:
            person = dict(zip(PERSON_FIELDS, row, strict=True))
            async with engines["elicense"].connect() as conn:
                rows = (await conn.execute(LICENSE_SQL, {"key": person["idNumber"]})).all()
            person["licenses"] = [dict(zip(LICENSE_FIELDS, (*r[:2], *r[3:]), strict=True)) for r in rows]
        return Response(orjson.dumps({"data": {"person": person}}), media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        engines.update(police=open_engine(police_url), elicense=open_engine(elicense_url))
        try:
            yield
        finally:
            for engine in engines.values():
                await engine.dispose()

    return Starlette(
        routes=[Route("/graphql", lookup, methods=["POST"]), Route("/healthz", healthz)], lifespan=lifespan
    )
