"""What the test worlds (Testville, Policyville, the demo world) share: a gateway served in this
process or as a `govshare serve` process, the headers of a GraphQL request with a token and a
purpose, and the platform's audit log read back. Each world keeps its own data and catalog.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govshare.app import create_app
from govshare.audit.read import EVERY_RECORD, AuditFilter, all_records
from govshare.audit.record import AuditRecord
from govshare.auth import issue_token
from govshare.catalog import Catalog
from govshare.settings import Settings
from govshare.store.database import store_engine
from tests.services import STARTUP_CAP, free_port, run_async, serve_app


@contextmanager
def serve_gateway(catalog: Catalog, settings: Settings) -> Iterator[str]:
    """The gateway of ``catalog`` served by uvicorn in a thread, with its lifespan; yields its base URL."""
    with serve_app(create_app(catalog, settings), lifespan="on") as url:
        yield url


def graphql_headers(
    settings: Settings, department: str, user: str, roles: tuple[str, ...] = ("member",), purpose: str | None = None
) -> dict[str, str]:
    """The headers of a request by ``user`` of ``department``: a token signed with the platform's key, the purpose."""
    headers = {"Authorization": f"Bearer {issue_token(settings, department, user, list(roles))}"}
    if purpose:
        headers["X-Purpose"] = purpose
    return headers


def read_audit(settings: Settings) -> list[AuditRecord]:
    """Every record of the platform's audit log, oldest first (run outside any event loop)."""

    async def read() -> list[AuditRecord]:
        engine = store_engine(settings.effective_store_url)
        try:
            return [r async for r in all_records(engine, AuditFilter(), EVERY_RECORD)]
        finally:
            await engine.dispose()

    return run_async(read)


def govshare_command(*args: str) -> list[str]:
    """The command line of ``govshare ARGS`` run by this interpreter."""
    return [sys.executable, "-m", "govshare.cli", *args]


@dataclass
class ServeProcess:
    """A `govshare serve` process and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_serve(catalog: Path, env: dict[str, str], log: Path, *, cwd: Path | None = None) -> ServeProcess:
    """Start `govshare serve --catalog CATALOG` on a free port, its output in ``log``; does not wait."""
    port = free_port()
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            govshare_command("serve", "--catalog", str(catalog), "--port", str(port)),
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return ServeProcess(f"http://127.0.0.1:{port}", process, log)


def wait_until_ready(server: ServeProcess) -> None:
    """Poll /readyz until it answers 200; fail with the server's output if it exits first."""
    deadline = time.monotonic() + STARTUP_CAP
    while True:
        code = server.process.poll()
        if code is not None:
            pytest.fail(f"govshare serve exited with {code} before {server.url}/readyz answered:\n{server.output()}")
        try:
            answer = httpx.get(f"{server.url}/readyz", timeout=5)
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_serve(server)
            pytest.fail(f"govshare serve at {server.url} not ready after {STARTUP_CAP:g} s:\n{server.output()}")
        time.sleep(0.05)


def stop_serve(server: ServeProcess) -> str:
    """Terminate the process (if it still runs) and return all it wrote."""
    if server.process.poll() is None:
        server.process.terminate()
    server.process.wait(30)
    return server.output()


@contextmanager
def govshare_serve(catalog: Path, env: dict[str, str], log: Path, *, cwd: Path | None = None) -> Iterator[ServeProcess]:
    """A ready `govshare serve` process, stopped afterwards."""
    server = start_serve(catalog, env, log, cwd=cwd)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_serve(server)
