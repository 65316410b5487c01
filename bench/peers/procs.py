"""CPU time of a server's process tree and of the PostgreSQL backends serving the bench, from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path

import asyncpg

from bench.peers.dataset import ADMIN_DSN

_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on: the name may hold spaces


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):  # a thread that has just ended
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_cpu_ms(root: int) -> float:
    """user + system CPU of ``root`` and every descendant alive now, plus the children it has reaped."""
    total = 0.0
    pending = [root]
    while pending:
        pid = pending.pop()
        fields = _stat(pid)
        if fields is None:
            continue
        # utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 counted from the state.
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
        pending += _children(pid)
    return total * _TICK_MS


class Backends:
    """CPU of the PostgreSQL backends connected to some databases, over a window.

    Backends are listed from pg_stat_activity every ``every`` seconds by a thread, so that one
    which ends within the window (a pool closing an overflow connection) still counts, up to
    its last sample. A backend that starts within the window counts whole."""

    def __init__(self, databases: list[str], every: float = 0.25) -> None:
        self.databases = databases
        self.every = every
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.database: dict[int, str] = {}  # each backend's database
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._poll()), daemon=True)
        self._thread.start()
        self._ready.wait(30)

    async def _sample(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch("SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                                self.databases)  # fmt: skip
        for row in rows:
            fields = _stat(int(row["pid"]))
            if fields is not None:
                self.last[int(row["pid"])] = (int(fields[11]) + int(fields[12])) * _TICK_MS
                self.database[int(row["pid"])] = str(row["datname"])

    async def _poll(self) -> None:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await self._sample(conn)
            self.first = dict(self.last)
            self._ready.set()
            while not self._stop.wait(self.every):
                await self._sample(conn)
            await self._sample(conn)
        finally:
            self._ready.set()
            await conn.close()

    def stop(self) -> float:
        """End the window: the backends' CPU milliseconds within it."""
        self._stop.set()
        self._thread.join(30)
        return sum(self.by_database().values())

    def by_database(self) -> dict[str, float]:
        """The window's backend CPU milliseconds of each database (once stopped)."""
        spent = dict.fromkeys(self.databases, 0.0)
        for pid, ms in self.last.items():
            spent[self.database[pid]] += ms - self.first.get(pid, 0.0)
        return spent
