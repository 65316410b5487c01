"""`govshare check FILE`: validate a catalog and list every problem."""

from __future__ import annotations

import sys

from govshare.catalog.errors import CatalogError
from govshare.catalog.loader import load_catalog


def check_main(path: str) -> int:
    """Print a one-line summary (exit 0) or every problem, one per line, to stderr (exit 1)."""
    try:
        catalog = load_catalog(path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    providers = {r.provider for r in catalog.resources.values()}
    print(f"OK: {len(catalog.resources)} resources from {len(providers)} departments")
    return 0
