"""SQL sources through SQLAlchemy 2 Core: any dialect, on its asyncio driver (SQLite, PostgreSQL,
MySQL/MariaDB, …) or, without one (DuckDB, Trino, …), in worker threads (connectors.sql_threaded).

Statements are built from lightweight ``table()``/``column()`` constructs typed
from the catalog, so values come back as Python types (a SQLite date stored as
text is a ``datetime.date``) and no database reflection is needed; each request
shape is built and compiled once (connectors.sql_statements) and then runs as
driver SQL through the engine's pool. Rows are handed out as plain tuples:
SQLAlchemy ``Row`` objects are slow GraphQL parents.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from govshare.connectors.aggregate import AGGREGATE_FUNCTIONS
from govshare.connectors.base import (
    Aggregate,
    Capabilities,
    Connector,
    Count,
    CsvBatch,
    CsvChunk,
    Declined,
    Group,
    Joined,
    Select,
    SourceUnavailable,
    TableRef,
)
from govshare.connectors.shape import TableShape
from govshare.connectors.sql_aggregates import buckets_supported, groups
from govshare.connectors.sql_copy import CsvStatements, copy_batch
from govshare.connectors.sql_describe import describe_table
from govshare.connectors.sql_held import HeldConnections
from govshare.connectors.sql_statements import Compiled, StatementCache, Statements
from govshare.connectors.sql_threaded import ThreadedStatements
from govshare.filters import ALL_OPS

_SERVER_POOL = 10  # connections to a database server, by default
# Dialects with LATERAL joins: a relation's rows per parent in the parents' statement.
_LATERAL = frozenset({"postgresql"})

# Plain URLs are rewritten to the asyncio driver of their database.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
    "mariadb": "mariadb+asyncmy",
}


# What a call may raise: SQLAlchemy's errors, the network's, and asyncpg's own when it is
# called directly (HeldConnections.fetch); the first kind and the last may mean a stale connection.
_STALE: tuple[type[BaseException], ...] = (DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError)
_FAILURES: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def async_url(url: str) -> URL:
    """The SQLAlchemy URL with an asyncio driver; raises ValueError (without echoing the URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("not a valid SQLAlchemy URL") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


class SqlConnector(Connector):
    capabilities = Capabilities(
        filter_ops=ALL_OPS,
        boolean_filters=True,
        order_by=True,
        count=True,
        aggregate=True,
        aggregate_functions=frozenset(AGGREGATE_FUNCTIONS),
        limit_per=True,
    )

    def __init__(
        self,
        name: str,
        url: str,
        *,
        statement_timeout: float = 10.0,
        pool_size: int | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        if statement_timeout <= 0 or connect_timeout <= 0 or (pool_size is not None and pool_size < 1):
            raise ValueError(f"source '{name}': timeouts must be positive and pool_size at least 1")
        self.name = name
        self.statement_timeout = statement_timeout
        try:
            engine = _open_engine(async_url(url), statement_timeout, pool_size, connect_timeout)
        except (ValueError, SQLAlchemyError, ImportError) as e:
            # The message may quote the URL (and its password): name the cause only.
            raise ValueError(f"source '{name}': cannot use this URL ({type(e).__name__})") from None
        self._threaded: ThreadedStatements | None = None
        if isinstance(engine, AsyncEngine):
            self._engine, self._run = engine, self._fetch
            self._held = HeldConnections(engine, pool_size or _SERVER_POOL, statement_timeout + 1)
        else:  # no asyncio driver: a thread per pooled connection, so that no thread waits for one
            self._threaded = ThreadedStatements(name, engine, statement_timeout, pool_size or _SERVER_POOL, _cause)
            self._run = self._threaded.fetch
        dialect = engine.dialect
        # Compiled statements by request shape (connectors.sql_statements): the hot path
        # builds no SQLAlchemy statement for a shape seen before.
        self._statements = Statements(dialect)
        self._direct = dialect.driver == "asyncpg"
        if dialect.name in _LATERAL:
            self.capabilities = replace(self.capabilities, joins=True)
        if buckets_supported(dialect.name):
            self.capabilities = replace(self.capabilities, date_buckets=True)
        if self._direct:  # COPY through asyncpg (connectors.sql_copy)
            self.capabilities = replace(self.capabilities, csv_export=True)
            self._csv = CsvStatements(self._statements)

    @property
    def statements(self) -> StatementCache:
        return self._statements.cache

    # -- requests -------------------------------------------------------------

    async def select(self, request: Select) -> list[tuple[Any, ...]]:
        rows = await self._run(*self._statements.select(request))
        return rows if request.columns else [() for _ in rows]

    async def select_joined(self, request: Joined) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
        if not self.capabilities.joins:
            return await super().select_joined(request)
        rows = await self._run(*self._statements.joined(request))
        width, child_width = len(request.parent.columns), len(request.child.columns)
        parents: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = []
        last: Any = None
        # A parent's rows are consecutive (ordered by its order, which ends with its key).
        for row in rows:
            if not parents or row[width] != last:
                last = row[width]
                parents.append((row[:width], []))
            if row[-1] is not None:  # the child key: NULL when the parent has no child rows
                parents[-1][1].append(row[width + 1 : width + 1 + child_width])
        return parents

    async def count(self, request: Count) -> int:
        rows = await self._run(*self._statements.count(request))
        return int(rows[0][0])

    async def aggregate(self, request: Aggregate) -> list[Group]:
        if request.buckets and not self.capabilities.date_buckets:  # a dialect without their SQL
            raise Declined(self.name, "date buckets")
        return groups(request, await self._run(*self._statements.aggregate(request)))

    async def export_csv(self, request: CsvBatch) -> CsvChunk | None:
        if not self.capabilities.csv_export:
            return await super().export_csv(request)
        held = await self._held.take()
        try:
            written = await copy_batch(held[0].driver_connection, self._csv, request, self.statement_timeout)
        except BaseException as e:
            await self._held.discard(held)
            if isinstance(e, _FAILURES):
                timed_out = isinstance(e, TimeoutError)
                reason = (
                    f"no answer within {self.statement_timeout:g} s" if timed_out else f"query failed ({_cause(e)})"
                )
                raise SourceUnavailable(self.name, reason) from e
            raise
        await self._held.put(held)
        return written

    async def describe(self, table: TableRef) -> TableShape | None:
        if self._threaded is not None:
            return await self._threaded.describe(table)
        deadline, conn = asyncio.timeout(self.statement_timeout), None
        try:
            async with deadline:  # the inspection's queries and the key's count together
                async with self._held.pooled() if self._direct else contextlib.nullcontext():
                    conn = await self._engine.connect().start()
                try:
                    return await conn.run_sync(describe_table, table)
                finally:
                    await conn.close()
        except _FAILURES as e:
            stage = f"{'cannot connect' if conn is None else 'query failed'} ({_cause(e)})"
            reason = f"no answer within {self.statement_timeout:g} s" if deadline.expired() else stage
            raise SourceUnavailable(self.name, reason) from e

    async def ping(self) -> None:
        await self._run(*self._statements.ping())

    async def close(self) -> None:
        if self._threaded is not None:
            await self._threaded.close()
            return
        await self._held.close()
        await self._engine.dispose()

    # -- execution ------------------------------------------------------------

    async def _fetch(self, compiled: Compiled, values: list[Any]) -> list[tuple[Any, ...]]:
        connected = False
        params = compiled.parameters(values)
        # A settled statement on asyncpg is bounded by the driver's own timeout (a timer in
        # its protocol), cheaper than a timeout scope per statement.
        direct = self._direct and compiled.settled and compiled.statement is None

        async def attempt() -> list[tuple[Any, ...]]:
            nonlocal connected
            if direct:
                connected = True
                # A statement that ran once, on asyncpg: straight to the driver on a held connection.
                return compiled.rows(await self._held.fetch(compiled.sql, params, self.statement_timeout), None)
            # Only the asyncpg path holds connections that SQLAlchemy's executions may need back.
            async with self._held.pooled() if self._direct else contextlib.nullcontext():
                conn = await self._engine.connect().start()
            try:
                connected = True
                if compiled.statement is not None:  # values rendered into the SQL: SQLAlchemy executes it
                    assert isinstance(params, dict)
                    return compiled.rows((await conn.execute(compiled.statement, params)).all(), None)
                result = await conn.exec_driver_sql(compiled.sql, params)
                # The driver's rows straight from its (buffered) cursor: SQLAlchemy would make
                # a Row of each first, and half of a 2,000-row batch went there.
                cursor = result.cursor
                try:
                    return compiled.rows(cursor.fetchall(), cursor.description)
                finally:
                    result.close()
            finally:
                await conn.close()

        deadline = contextlib.nullcontext() if direct else asyncio.timeout(self.statement_timeout)
        try:
            async with deadline:
                try:
                    return await attempt()
                except _STALE as e:
                    if not (e.connection_invalidated if isinstance(e, DBAPIError) else _lost(e)):
                        raise
                    # A pooled connection went stale (the source restarted): one fresh try.
                    connected = False
                    return await attempt()
        except _FAILURES as e:  # OSError covers TimeoutError
            if isinstance(deadline, asyncio.Timeout):
                timed_out = deadline.expired()
            else:
                timed_out = connected and isinstance(e, TimeoutError)
            if timed_out:
                reason = f"no answer within {self.statement_timeout:g} s"
            else:
                reason = f"{'query failed' if connected else 'cannot connect'} ({_cause(e)})"
            raise SourceUnavailable(self.name, reason) from e


def _lost(e: BaseException) -> bool:
    """A driver error saying the connection itself is gone (the source restarted)."""
    return type(e).__name__ in ("ConnectionDoesNotExistError", "InterfaceError", "ConnectionFailureError")


def _open_engine(
    url: URL, statement_timeout: float, pool_size: int | None, connect_timeout: float
) -> AsyncEngine | Engine:
    backend, driver = url.get_backend_name(), url.get_driver_name()
    options: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    in_memory = backend in ("sqlite", "duckdb") and url.database in (None, "", ":memory:")
    if backend == "sqlite" and not in_memory:  # in-memory SQLite uses a single static connection
        # A SQLite connection is a thread and an open file, cheap to open and limited by
        # no server: keep enough for a burst of concurrent requests, and let a bigger
        # burst open more rather than queue behind a reader that runs long.
        size = pool_size or 32
        options.update(pool_size=size, max_overflow=size, pool_recycle=1800)
    elif not in_memory:
        # A server connection costs a handshake (and a backend process on PostgreSQL):
        # a fixed pool, so that a burst waits for a connection (as long as a statement
        # may take, then the request's own deadline answers) instead of opening
        # connections and closing them again when they return.
        options.update(
            pool_size=pool_size or _SERVER_POOL, max_overflow=0, pool_timeout=statement_timeout + 1, pool_recycle=1800
        )
    if backend in ("sqlite", "postgresql", "mysql", "mariadb"):
        # Every request is one read statement: no BEGIN/ROLLBACK round trips, and so
        # nothing to roll back when a connection goes back to the pool.
        options["isolation_level"] = "AUTOCOMMIT"
        options["pool_reset_on_return"] = None
    if backend == "sqlite":
        # A locked database waits no longer than a statement may take.
        connect_args["timeout"] = statement_timeout
    elif driver == "asyncpg":
        connect_args["timeout"] = connect_timeout
        # Server-side limit too, so an abandoned statement stops working at the source.
        connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = connect_timeout
    elif backend == "trino":
        # Trino's client sends a password over HTTPS only, yet picks HTTPS by the port alone (443).
        if url.password and "allow_insecure_auth" not in url.query:
            connect_args["http_scheme"] = "https"
        connect_args["request_timeout"] = statement_timeout  # each HTTP call of a statement
    create = create_async_engine if url.get_dialect().is_async else sa.create_engine
    engine = create(url, connect_args=connect_args, **options)
    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    # In memory, a SQLite URI or a service's name (DuckDB's md:…) rather than a path.
    not_a_file = in_memory or url.query.get("uri") or re.match(r"[a-z]{2,}:", str(url.database))
    if backend in ("mysql", "mariadb"):
        sa.event.listen(sync, "connect", _mysql_session_limit(statement_timeout))
    elif backend in ("sqlite", "duckdb") and not not_a_file:
        sa.event.listen(sync, "do_connect", _require_file(str(url.database)))
    return engine


def _require_file(path: str) -> Callable[..., None]:
    """A 'do_connect' hook: SQLite and DuckDB would create a missing file, and a wrong
    path must not look like a source without data."""

    def check(*_args: Any) -> None:
        if not os.path.exists(path):
            raise FileNotFoundError("no database file")

    return check


def _mysql_session_limit(statement_timeout: float) -> Callable[[Any, Any], None]:
    """A 'connect' hook setting the server-side statement limit (MariaDB and MySQL differ)."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT VERSION()")
            if "mariadb" in str(cursor.fetchone()[0]).lower():
                cursor.execute(f"SET SESSION max_statement_time = {statement_timeout:.3f}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {int(statement_timeout * 1000)}")
        finally:
            cursor.close()

    return limit


def _cause(e: BaseException) -> str:
    """A safe description of a driver error: its class, never its message (which may
    quote the SQL, the host or credentials)."""
    orig = e.orig if isinstance(e, DBAPIError) and e.orig is not None else e
    code = orig.args[0] if orig.args else None
    if getattr(orig, "sqlstate", None) == "57014" or code in (1969, 3024):
        return "statement timeout at the source"
    return type(orig).__name__
