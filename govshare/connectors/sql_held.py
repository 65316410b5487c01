"""Connections the SQL connector's direct asyncpg path keeps checked out of SQLAlchemy's pool.

A checkout from SQLAlchemy's async pool and its return cost two greenlet switches and
the pool's events, more than the statement of a lookup by key. So the direct path
checks a connection out once and keeps it: a statement takes an idle one, or checks
out another while the path holds fewer than its share, or waits for one to come back.
Its share leaves a connection to SQLAlchemy's own executions (new statement shapes),
and while one of those waits, a connection coming back goes to the pool instead.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

RECYCLE = 1800.0  # seconds a connection is kept before the pool may replace it (its pool_recycle)

Held = tuple[Any, float]  # SQLAlchemy's pooled connection, and when it was checked out


class HeldConnections:
    def __init__(self, engine: AsyncEngine, pool_size: int, wait: float) -> None:
        self._engine = engine
        self._share = max(1, pool_size - 1)
        self._wait = wait  # the longest a statement waits for a connection, as the pool's timeout
        self._idle: list[Held] = []
        self._held = 0  # checked out by this path: idle or running a statement
        self._waiting: collections.deque[asyncio.Future[Held | None]] = collections.deque()
        self._pool_waiting = 0  # SQLAlchemy executions waiting for a pooled connection

    async def take(self) -> Held:
        idle = self._idle
        while idle:
            held = idle.pop()
            if time.monotonic() - held[1] < RECYCLE:
                return held
            await self._give_back(held[0])
        if self._held < self._share:
            return await self._check_out()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Held | None] = loop.create_future()
        self._waiting.append(future)
        timer = loop.call_later(self._wait, _expire, future)  # a timer, cheaper than a timeout scope
        try:
            handed = await future
        except BaseException:
            if future.done() and not future.cancelled() and future.exception() is None:
                self._hand_on(future.result())  # handed over as this statement gave up: pass it on
            raise
        finally:
            timer.cancel()
        # None: a share came free, for whichever statement checks out first
        return handed if handed is not None else await self.take()

    async def fetch(self, sql: str, params: Any, seconds: float) -> list[Any]:
        """A statement (its positional parameters, at most ``seconds``) straight to asyncpg on a held
        connection: SQLAlchemy's connection, execution context and result objects cost more than a
        lookup, and asyncpg keeps its own prepared statements per connection."""
        held = await self.take()
        try:
            records: list[Any] = await held[0].driver_connection.fetch(sql, *params, timeout=seconds)
        except BaseException:
            await self.discard(held)
            raise
        await self.put(held)
        return records

    async def put(self, held: Held) -> None:
        """A connection whose statement ended well, for the next statement."""
        if self._pool_waiting:
            await self._give_back(held[0])
        else:
            self._hand_on(held)

    async def discard(self, held: Held) -> None:
        """A connection whose statement failed or was cancelled: its state is unknown.

        The idle ones go too: if the source restarted, they are as dead as this one.
        """
        stale, self._idle = [held, *self._idle], []
        self._held -= len(stale)
        for connection, _ in stale:
            try:
                await greenlet_spawn(connection.invalidate)
            finally:
                self._hand_on(None)

    @contextlib.asynccontextmanager
    async def pooled(self) -> AsyncIterator[None]:
        """Around a SQLAlchemy execution's checkout: an idle connection goes back to the pool for
        it, and while it waits, connections coming back go to the pool."""
        if self._idle:
            await self._give_back(self._idle.pop()[0])
        self._pool_waiting += 1
        try:
            yield
        finally:
            self._pool_waiting -= 1

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await self._give_back(connection)

    async def _check_out(self) -> Held:
        self._held += 1
        try:
            return await self._engine.raw_connection(), time.monotonic()
        except BaseException:
            self._held -= 1
            self._hand_on(None)
            raise

    async def _give_back(self, connection: Any) -> None:
        self._held -= 1
        await greenlet_spawn(connection.close)
        self._hand_on(None)

    def _hand_on(self, held: Held | None) -> None:
        """To the first statement still waiting (``None``: a free share, to check one out), or idle."""
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(held)
                return
        if held is not None:
            self._idle.append(held)


def _expire(future: asyncio.Future[Held | None]) -> None:
    if not future.done():
        future.set_exception(TimeoutError("no pooled connection came free in time"))
