"""`govshare stats …`: sharing statistics of the platform in the data directory (R12).

``refresh`` counts the audit records not counted yet (the server does so every
``GOVSHARE_STATS_INTERVAL`` seconds); ``show`` refreshes, then prints the counts of a span
of days as a table: operations (with the rows they read) or, with ``--items``, the decided
items (``effect`` deny: the denied attempts). Each run is itself written to the audit log.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import sys
from typing import Any

from govshare.audit import statistics
from govshare.audit.platform import platform_log
from govshare.audit.record import AuditRecord
from govshare.audit.statistics import ITEM_KEYS, OPERATION_KEYS, Query
from govshare.commands.errors import CommandError
from govshare.commands.platform import platform_engine, recorded_catalog
from govshare.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    query = _query(args) if args.action == "show" else None

    async def main() -> int:
        async with platform_engine(settings) as engine:
            catalog = await recorded_catalog(engine, settings)
            counted = await statistics.roll_up(engine, {r.name: r.provider for r in catalog.resources.values()})
            if query is None:
                print(f"counted {counted} audit records not counted before")
            else:
                read = statistics.items if args.items else statistics.operations
                _print(await read(engine, query))
            audit = platform_log(engine, settings)
            try:
                command = " ".join(sys.argv[1:]) or f"stats {args.action}"
                await audit.append(AuditRecord(kind="cli", outcome="answered", user=f"cli:{getpass.getuser()}",
                                               query=command, detail={"counted": counted}))  # fmt: skip
            finally:
                await audit.close()
        return 0

    return asyncio.run(main())


def _query(args: argparse.Namespace) -> Query:
    try:
        since, until = datetime.date.fromisoformat(args.since), datetime.date.fromisoformat(args.until)
    except ValueError:
        raise CommandError(
            f"--since and --until are days (YYYY-MM-DD), not {args.since!r} and {args.until!r}"
        ) from None
    if until < since:
        raise CommandError(f"--until {until} is before --since {since}")
    group = tuple(g.strip() for g in (args.group or "").split(",") if g.strip())
    keys = ITEM_KEYS if args.items else OPERATION_KEYS
    unknown = [g for g in group if g not in keys]
    if unknown:
        what = "items" if args.items else "operations"
        raise CommandError(f"--group {unknown[0]!r}: {what} are grouped by {', '.join(keys)}")
    return Query(since, until, args.by, group, args.department)


def _print(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no counts in these days")
        return
    names = list(rows[0])
    print("\t".join(names))
    for row in rows:
        print("\t".join("" if row[n] is None else str(row[n]) for n in names))
