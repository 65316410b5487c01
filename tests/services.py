"""Database services for tests: a fresh database per test session, dropped at its end.

Loaded as a pytest plugin by the root conftest. Fixtures ``postgres_url`` and
``mariadb_url`` give asyncio SQLAlchemy URLs of new, empty databases. When a
service is unreachable the tests that need it are skipped, or fail when
``GOVSHARE_REQUIRE_SERVICES=1`` (CI). The admin URLs can be changed with
``GOVSHARE_TEST_POSTGRES`` and ``GOVSHARE_TEST_MARIADB``.

The databases use byte-order collation (PostgreSQL "C", MariaDB utf8mb4_bin),
so string order and LIKE agree with SQLite and with Python.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.types import ASGIApp

T = TypeVar("T")

# Servers are waited on until they are ready or have died; this cap only ends a start that hangs.
STARTUP_CAP = 300.0


@dataclass(frozen=True)
class Service:
    title: str
    env: str
    default_admin_url: str
    create: str  # CREATE DATABASE statement, {name} filled in
    drop: str

    @property
    def admin_url(self) -> str:
        return os.environ.get(self.env, self.default_admin_url)


POSTGRES = Service(
    "PostgreSQL",
    "GOVSHARE_TEST_POSTGRES",
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
    "DROP DATABASE IF EXISTS {name} WITH (FORCE)",
)
MARIADB = Service(
    "MariaDB",
    "GOVSHARE_TEST_MARIADB",
    "mysql+asyncmy://root@127.0.0.1:3306/test",
    "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "DROP DATABASE IF EXISTS {name}",
)


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion in a thread with its own event loop, so that
    session set-up never touches the event loop of the test being run."""

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _admin(service: Service, statement: str) -> None:
    engine = create_async_engine(
        service.admin_url, isolation_level="AUTOCOMMIT", connect_args=_connect_timeout(service)
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _connect_timeout(service: Service) -> dict[str, float]:
    return {"timeout": 3.0} if service is POSTGRES else {"connect_timeout": 3.0}


@contextmanager
def fresh_database(service: Service) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"govshare_test_{secrets.token_hex(4)}"
    admin = make_url(service.admin_url)
    try:
        run_async(lambda: _admin(service, service.create.format(name=name)))
    except Exception as e:
        where = f"{admin.host}:{admin.port}"
        message = f"{service.title} at {where} unreachable: {type(e).__name__}: {e}"
        if os.environ.get("GOVSHARE_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        run_async(lambda: _admin(service, service.drop.format(name=name)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_database(POSTGRES) as url:
        yield url


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    with fresh_database(MARIADB) as url:
        yield url


@contextmanager
def serve_app(
    app: ASGIApp,
    *,
    lifespan: Literal["on", "off"] = "off",
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    ssl_ca_certs: str | None = None,
    ssl_cert_reqs: int = ssl.CERT_NONE,
) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free local port in a background thread;
    yields its base URL and stops the server afterwards. With ``ssl_certfile`` it serves
    HTTPS (``ssl_cert_reqs=ssl.CERT_REQUIRED`` and ``ssl_ca_certs``: clients need a certificate)."""
    for _ in range(3):  # the free port may be taken before uvicorn binds it
        port = free_port()
        # Not uvicorn's `sockets=`: its copies lose TCP_NODELAY, costing 40 ms a request.
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="critical",
            lifespan=lifespan,
            ws="none",
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            ssl_ca_certs=ssl_ca_certs,
            ssl_cert_reqs=ssl_cert_reqs,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        # Until uvicorn has bound its socket or given up; the cap only stops a hung start.
        deadline = time.monotonic() + STARTUP_CAP
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if server.started:
            break
        server.should_exit = True
        thread.join(10)
    else:
        raise RuntimeError("the test server did not start")
    try:
        yield f"{'https' if ssl_certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def free_port() -> int:
    """A local TCP port that nothing listens on (at the moment of asking)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
