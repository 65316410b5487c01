"""Launches one benchmark server: `python bench/serve.py govshare|bare --catalog FILE --port P [--audit off]`.

uvicorn with one worker and the server options of `govshare serve`, on 127.0.0.1.
Settings come from the environment (GOVSHARE_DATA_DIR, GOVSHARE_SECRET).
``--audit off`` swaps the runtime's audit log for one that records nothing, to
measure what durable auditing costs; it exists here only, never in the package.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bare import create_bare_app
from govshare.app import create_app
from govshare.audit.log import AuditLog
from govshare.audit.record import AuditRecord
from govshare.catalog import load_catalog
from govshare.commands.serve import server_options
from govshare.settings import load_settings


class NoAudit(AuditLog):
    """Commits nothing: every record is 'written' at once."""

    async def append(self, record: AuditRecord) -> int:
        return 0


def without_audit(app: Starlette) -> Starlette:
    """``app`` with its runtime's audit log replaced by NoAudit once the lifespan has opened it."""
    opened = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(inner: Any) -> AsyncIterator[Any]:
        async with opened(inner) as state:
            runtime = inner.state.gateway.runtime
            durable = runtime.audit
            runtime.audit = NoAudit(durable.engine, durable.key, durable.results)
            try:
                yield state
            finally:
                runtime.audit = durable  # closed by the app's own shutdown

    app.router.lifespan_context = lifespan
    return app


def build(kind: str, catalog_path: Path, audit: bool) -> Starlette:
    catalog = load_catalog(catalog_path)
    if kind == "bare":
        return create_bare_app(catalog.sources["police_db"].url, catalog.sources["elicense_db"].url)
    app = create_app(catalog, load_settings(), serving=True)
    return app if audit else without_audit(app)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["govshare", "bare"])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--audit", choices=["on", "off"], default="on")
    args = parser.parse_args()
    # The server options of `govshare serve` for every kind: the same stack under each.
    uvicorn.run(build(args.kind, args.catalog, args.audit == "on"), host="127.0.0.1", port=args.port,
                **server_options())  # fmt: skip
