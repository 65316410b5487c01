"""How long a request waits to learn that a source is unavailable: refused (nothing listens)
against silent (accepts, never answers; bounded by the 0.5 s statement timeout)."""

from __future__ import annotations

import socket
import statistics
import time
from contextlib import closing

from govshare.catalog.model import Source
from govshare.connectors import open_connector
from govshare.connectors.base import SourceUnavailable

TIMEOUT = 0.5
KINDS = {"postgres": "postgresql://postgres@127.0.0.1:{port}/none", "http": "http://127.0.0.1:{port}/api"}


async def _seconds_to_fail(kind: str, port: int) -> float:
    options: dict[str, object] = {"timeout": TIMEOUT}
    if kind != "http":
        options = {"statement_timeout": TIMEOUT, "connect_timeout": TIMEOUT}
    url = KINDS[kind].format(port=port)
    connector = open_connector(Source("bench", "bench", "http" if kind == "http" else "sql", url, options))
    started = time.perf_counter()
    try:
        await connector.ping()
    except SourceUnavailable:
        return time.perf_counter() - started
    finally:
        await connector.close()
    raise RuntimeError(f"the {kind} source on port {port} answered")


async def failures(reps: int) -> list[str]:
    lines = [f"| unavailable source (timeout {TIMEOUT:g} s) | refused (ms) | silent (ms) |", "|---|---|---|"]
    with closing(socket.socket()) as refused, closing(socket.socket()) as silent:
        refused.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel completes handshakes; nothing ever answers
        for kind in KINDS:
            down = [await _seconds_to_fail(kind, refused.getsockname()[1]) for _ in range(reps)]
            quiet = [await _seconds_to_fail(kind, silent.getsockname()[1]) for _ in range(reps)]
            lines.append(f"| {kind} | {statistics.median(down) * 1000:.1f} | {statistics.median(quiet) * 1000:.1f} |")
    return lines
