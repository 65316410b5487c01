"""`govshare serve` and `govshare demo`: one gateway process on the data directory, printed at start."""

from __future__ import annotations

import argparse
import os
import socket

from govshare.commands.check import catalog_file
from govshare.commands.errors import CommandError
from govshare.settings import Settings


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


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from govshare.app import create_app

    catalog = catalog_file(args.catalog)
    require_free_port(args.host, args.port)
    data_directory(settings)
    app = create_app(catalog, settings)
    print(f"govshare: serving {catalog.platform.name} on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from govshare.demo.run import run_demo

    require_free_port(args.host, args.port)
    data_directory(settings)
    run_demo(settings, persons=args.persons, host=args.host, port=args.port)
    return 0
