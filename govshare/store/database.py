"""The platform database: SQLite by default, PostgreSQL when GOVSHARE_STORE_URL says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


# JSON columns (audit records, grants) through orjson: every request writes one audit record.
_JSON: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}


class StoreError(Exception):
    """The platform database cannot be used; the message names the cause, never credentials."""


def store_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"the platform database must be SQLite or PostgreSQL, not {backend}")
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, **_JSON)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(parsed, pool_size=5, max_overflow=10, pool_pre_ping=True, **_JSON)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _upgrade(connection: Connection) -> None:
    # Imported here: alembic costs half a second of start-up that most commands never need.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the platform database to the newest schema (idempotent, safe at every start)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Gateways starting together migrate one after the other.
            await conn.execute(text("SELECT pg_advisory_xact_lock(4711)"))
        await conn.run_sync(_upgrade)
