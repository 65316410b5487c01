"""A workflow step taken at a terminal: as a named department and user, audited like one over GraphQL.

The caller holds the role the step needs (``member`` to ask, ``dept_admin`` to answer); the
platform authority's department also holds ``authority``, so that its decisions and queues are
open to it. Each run is written to the audit log (kind ``cli``), and each step to the
workflow's events, as the same step taken over GraphQL is.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from govshare.audit.log import AuditLog
from govshare.audit.platform import platform_log
from govshare.audit.record import AuditRecord
from govshare.catalog.model import Catalog
from govshare.commands.arguments import actor
from govshare.commands.errors import CommandError
from govshare.commands.platform import policy_store
from govshare.errors import GovshareError
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.settings import Settings

Step = Callable[[PolicyStore, Caller], Awaitable[str]]
T = TypeVar("T")


def listing(found: Sequence[T], line: Callable[[T], str], nothing: str) -> str:
    """One record a line, or ``nothing`` said plainly."""
    return "\n".join(line(record) for record in found) if found else nothing


def caller_of(catalog: Catalog, department: str, user: str | None, role: str) -> Caller:
    if department not in catalog.departments:
        raise CommandError(f"department {department!r} is not in the catalog; "
                           f"departments: {', '.join(catalog.departments)}")  # fmt: skip
    roles = (role, "authority") if department == catalog.platform.authority else (role,)
    return Caller(department, actor(user), roles)


async def _take(args: argparse.Namespace, settings: Settings, step: Step) -> str:
    async with policy_store(settings) as store:
        caller = caller_of(store.catalog, args.department, args.user, args.role)
        audit = platform_log(store.engine, settings)
        try:
            try:
                text = await step(store, caller)
            except GovshareError as exc:
                await _note(audit, caller, "failed", [exc.code])
                raise CommandError(exc.message) from None
            await _note(audit, caller, "answered", [])
            return text
        finally:
            await audit.close()


async def _note(audit: AuditLog, caller: Caller, outcome: str, codes: list[str]) -> None:
    command = "govshare " + shlex.join(sys.argv[1:])
    await audit.append(
        AuditRecord(kind="cli", outcome=outcome, department=caller.department, user=caller.user,
                    roles=list(caller.roles), query=command, error_codes=codes)
    )  # fmt: skip


Steps = dict[str, Callable[[argparse.Namespace], Step]]


def runner(steps: Steps) -> Callable[[argparse.Namespace, Settings], int]:
    """The command of a group (``args.action`` names the step) that takes the step as the
    command's department and user, records it and prints what happened."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        print(asyncio.run(_take(args, settings, steps[args.action](args))))
        return 0

    return run
