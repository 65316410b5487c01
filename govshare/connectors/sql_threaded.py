"""Statements of SQL sources whose SQLAlchemy dialect has no asyncio driver (DuckDB, Trino, …).

The SQL connector's compiled statements (connectors.sql_statements) run on a synchronous
``Engine`` in a pool of worker threads, no more than the engine has connections, so that a
thread never waits for a connection. The deadline stays on the event loop: a statement
still running at ``statement_timeout`` answers its caller then, and the driver is asked
to cancel it where it can (a cursor's ``cancel()``, as Trino's; a connection's
``interrupt()``, as DuckDB's). A driver that cannot cancel finishes the statement in its
thread, which stays busy, with its connection, until then. Either way the connection is
discarded afterwards: its state is unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from govshare.connectors.base import SourceUnavailable, TableRef
from govshare.connectors.shape import TableShape
from govshare.connectors.sql_describe import describe_table
from govshare.connectors.sql_statements import Compiled

T = TypeVar("T")
Rows = list[tuple[Any, ...]]


class _Job:
    """One call in a worker thread, and what it takes to cancel it from another."""

    __slots__ = ("abandoned", "connected", "connection", "cursor", "done", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connected = False
        self.done = False
        self.abandoned = False  # its caller is gone: stop it, discard its connection
        self.connection: Any = None  # the DBAPI connection and cursor of the running statement
        self.cursor: Any = None


class ThreadedStatements:
    def __init__(
        self,
        name: str,
        engine: sa.Engine,
        statement_timeout: float,
        threads: int,
        cause: Callable[[BaseException], str],
    ) -> None:
        self.name = name
        self._engine = engine
        self._timeout = statement_timeout
        self._cause = cause
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix=f"govshare-sql-{name}")
        self._running: set[_Job] = set()
        self._current = threading.local()  # the job of the calling worker thread
        sa.event.listen(engine, "before_cursor_execute", self._executing)

    async def fetch(self, compiled: Compiled, values: list[Any]) -> Rows:
        params = compiled.parameters(values)
        return await self._call(lambda job: self._fetch(job, compiled, params))

    async def describe(self, table: TableRef) -> TableShape:
        return await self._call(lambda job: self._connected(job, lambda conn: describe_table(conn, table)))

    async def close(self) -> None:
        for job in list(self._running):
            self._abandon(job)
        self._threads.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._engine.dispose)

    # -- the event loop's side ----------------------------------------------------

    async def _call(self, work: Callable[[_Job], T]) -> T:
        job = _Job()
        self._running.add(job)
        deadline = asyncio.timeout(self._timeout)
        try:
            async with deadline:  # waiting for a thread counts, as waiting for a connection does
                return await asyncio.get_running_loop().run_in_executor(self._threads, self._in_thread, job, work)
        # A request is checked before it gets here, so whatever a thread raises is the source's
        # failure, also where a driver raises past SQLAlchemy's wrapping (Trino's HTTP 503).
        except Exception as e:
            if deadline.expired():
                reason = f"no answer within {self._timeout:g} s"
            else:
                reason = f"{'query failed' if job.connected else 'cannot connect'} ({self._cause(e)})"
            raise SourceUnavailable(self.name, reason) from e
        finally:
            self._running.discard(job)
            if not job.done:  # timed out or cancelled
                self._abandon(job)

    def _abandon(self, job: _Job) -> None:
        with job.lock:
            job.abandoned = True
            cursor, connection = job.cursor, job.connection
        if cursor is None and connection is None:
            return  # not started (the thread will not run it) or between statements
        # Cancelling may be a network call (Trino's is an HTTP request): never on the event loop.
        threading.Thread(target=_cancel, args=(cursor, connection), daemon=True).start()

    # -- the worker threads' side -------------------------------------------------

    def _in_thread(self, job: _Job, work: Callable[[_Job], T]) -> T:
        self._current.job = job
        try:
            return work(job)
        finally:
            self._current.job = None
            job.done = True

    def _fetch(self, job: _Job, compiled: Compiled, params: Any) -> Rows:
        try:
            return self._connected(job, lambda conn: _rows(conn, compiled, params))
        except DBAPIError as e:
            if not e.connection_invalidated or job.abandoned:
                raise
            # A pooled connection went stale (the source restarted): one fresh try.
            job.connected = False
            return self._connected(job, lambda conn: _rows(conn, compiled, params))

    def _connected(self, job: _Job, work: Callable[[sa.Connection], T]) -> T:
        conn = self._engine.connect()
        job.connected = True
        try:
            return work(conn)
        finally:
            with job.lock:
                job.cursor = job.connection = None
                abandoned = job.abandoned
            if abandoned:
                conn.invalidate()
            conn.close()

    def _executing(self, conn: sa.Connection, cursor: Any, *_: Any) -> None:
        """'before_cursor_execute': the cursor and connection a cancel needs."""
        job: _Job | None = getattr(self._current, "job", None)
        if job is None:
            return
        with job.lock:
            if job.abandoned:  # gave up while connecting: do not start the statement
                raise TimeoutError("the statement's caller is gone")
            job.cursor, job.connection = cursor, conn.connection.dbapi_connection


def _rows(conn: sa.Connection, compiled: Compiled, params: Any) -> Rows:
    if compiled.statement is not None:  # values rendered into the SQL: SQLAlchemy executes it
        return compiled.rows(conn.execute(compiled.statement, params).all(), None)
    result = conn.exec_driver_sql(compiled.sql, params)
    cursor = result.cursor  # the driver's rows, without a Row object each (as in connectors.sql)
    try:
        return compiled.rows(cursor.fetchall(), cursor.description)
    finally:
        result.close()


def _cancel(cursor: Any, connection: Any) -> None:
    """Ask the driver to stop a running statement, where it knows how."""
    for target, method in ((cursor, "cancel"), (connection, "interrupt"), (connection, "cancel")):
        stop = getattr(target, method, None)
        if callable(stop):
            with contextlib.suppress(Exception):  # best effort: the connection is discarded anyway
                stop()
            return
