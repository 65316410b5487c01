"""The platform database: SQLite by default, PostgreSQL when GOVSHARE_STORE_URL says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# How long a statement waits for another writer's lock by default (see ``lock_wait`` for less).
BUSY_TIMEOUT = 30.0
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
        engine = create_async_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT}, **_JSON)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(parsed, pool_size=5, max_overflow=10, pool_pre_ping=True, **_JSON)


@asynccontextmanager
async def lock_wait(conn: AsyncConnection, seconds: float) -> AsyncIterator[None]:
    """Within this transaction, wait at most ``seconds`` for another writer's lock, then fail."""
    ms = max(1, round(seconds * 1000))
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SET LOCAL lock_timeout = {ms}"))  # ends with the transaction
        yield
        return
    # SQLite's busy timeout belongs to the pooled connection: set back for its next user.
    await conn.execute(text(f"PRAGMA busy_timeout = {ms}"))
    try:
        yield
    finally:
        await conn.execute(text(f"PRAGMA busy_timeout = {round(BUSY_TIMEOUT * 1000)}"))


async def session_lock_wait(conn: AsyncConnection, seconds: float) -> None:
    """For every later transaction of this connection (one kept by its user), the wait of ``lock_wait``."""
    ms = max(1, round(seconds * 1000))
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"SET lock_timeout = {ms}"))
    else:
        await conn.execute(text(f"PRAGMA busy_timeout = {ms}"))


def lock_timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is a statement giving up on another writer's lock (SQLite busy, PostgreSQL 55P03)."""
    if getattr(exc, "sqlstate", None) == "55P03":  # the driver's own error, called directly (audit.bulk)
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) == "55P03":
        return True
    return "database is locked" in str(exc.orig)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _upgrade(connection: Connection, revision: str) -> None:
    # Imported here: alembic costs half a second of start-up that most commands never need.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def head_revision() -> str:
    """The newest migration's revision: the files are numbered in order (0001_policy.py, …)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the platform database to the newest schema (idempotent, safe at every start).

    ``revision`` stops at an older one, as a platform of that version had it. A database at
    the newest revision already is left alone without loading alembic (a command starts faster)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Gateways starting together migrate one after the other.
            await conn.execute(text("SELECT pg_advisory_xact_lock(4711)"))
        elif engine.dialect.name == "sqlite":
            # The same on SQLite: a first write takes the database's write lock (a reader would not).
            await conn.execute(text("CREATE TABLE IF NOT EXISTS migration_lock (id INTEGER)"))
            await conn.execute(text("DELETE FROM migration_lock"))
        if revision == "head" and await conn.run_sync(_revision) == head_revision():
            return
        await conn.run_sync(_upgrade, revision)
