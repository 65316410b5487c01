"""`govshare serve` and `govshare demo`: the gateway on the data directory, printed at start.

`serve --workers N` runs N uvicorn worker processes on one listening socket. They share the
platform store (policy versions and the audit chain head are locked there), which this process
prepares once before any worker starts, so that workers never race to create it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
from pathlib import Path
from typing import Any

from govshare.catalog.model import Catalog
from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.settings import Settings, settings_environment

MAX_WORKERS = 64


def require_free_port(host: str, port: int) -> None:
    """Refuse at once, in one line, a port another process holds (uvicorn would log a traceback)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except socket.gaierror as exc:
        raise CommandError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CommandError(f"cannot listen on {host}:{port}: {reason}; is another server running there? "
                           "Stop it or choose another --port") from None  # fmt: skip


def data_directory(settings: Settings) -> None:
    print(f"govshare: data directory {settings.data_dir}", flush=True)


def require_workers(workers: int) -> None:
    if not 1 <= workers <= MAX_WORKERS:
        cpus = os.cpu_count() or 1
        raise CommandError(f"--workers {workers} is out of range: give 1 to {MAX_WORKERS} "
                           f"(this machine has {cpus} CPUs; one worker per CPU is a good start)")  # fmt: skip


def server_options() -> dict[str, Any]:
    """uvloop and httptools when installed (``uvicorn[standard]``), else uvicorn's pure-Python choices."""
    installed = importlib.util.find_spec
    return {
        "loop": "uvloop" if installed("uvloop") else "auto",
        "http": "httptools" if installed("httptools") else "auto",
        "ws": "none",  # GraphQL over HTTP only
        "log_level": "warning",
        # Every request is in the audit log; the access log's lines are below the log level
        # anyway, yet each request would format their fields.
        "access_log": False,
    }


async def _prepare_store(catalog: Catalog, settings: Settings) -> None:
    """Migrate the platform store and record the catalog once, as a single gateway's start would."""
    from govshare.policies.live import PolicyStore
    from govshare.store.database import store_engine

    engine = store_engine(settings.effective_store_url)
    try:
        store = PolicyStore(engine, catalog, settings.policy_poll)
        await store.start(poll=False)
        await store.close()
    finally:
        await engine.dispose()


def _serve_workers(args: argparse.Namespace, catalog: Catalog, settings: Settings) -> None:
    import uvicorn

    from govshare.app import CATALOG_ENV
    from govshare.auth import signing_key

    signing_key(settings)  # a generated key is written once, here, not by racing workers
    asyncio.run(_prepare_store(catalog, settings))
    # Workers are new interpreters: they read the catalog file and these settings from the environment.
    os.environ.update(settings_environment(settings))
    os.environ[CATALOG_ENV] = str(Path(args.catalog).resolve())
    uvicorn.run("govshare.app:app_from_environment", factory=True, workers=args.workers,
                host=args.host, port=args.port, **server_options())  # fmt: skip


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from govshare.app import create_app

    require_workers(args.workers)
    catalog = catalog_file(args.catalog)
    require_free_port(args.host, args.port)
    data_directory(settings)
    workers = f" ({args.workers} workers)" if args.workers > 1 else ""
    print(f"govshare: serving {catalog.platform.name} on http://{args.host}:{args.port}/graphql{workers}", flush=True)
    if settings.oidc_issuer:
        print(f"govshare: accepting the tokens of {settings.oidc_issuer} (audience {settings.oidc_audience}) "
              "beside the platform's own", flush=True)  # fmt: skip
    if args.workers > 1:
        _serve_workers(args, catalog, settings)
    else:
        uvicorn.run(create_app(catalog, settings, serving=True), host=args.host, port=args.port, **server_options())
    return 0


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.demo.run import run_demo
    from govshare.demo.simulate import SimulationError, check_year

    require_free_port(args.host, args.port)
    data_directory(settings)
    try:
        if args.simulate_year is not None:
            check_year(args.simulate_year)  # before the world is generated
        run_demo(settings, persons=args.persons, host=args.host, port=args.port, simulate=args.simulate_year)
    except SimulationError as exc:
        raise CommandError(f"--simulate-year: {exc}") from None
    return 0
