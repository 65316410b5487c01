"""`govshare inbox` and `govshare application list|approve|reject`: department administrators at a terminal.

The commands act on the platform database of the settings and on the catalog the gateway
serves from it, as an administrator (``dept_admin``) of ``--department``; for the authority's
department also with the role ``authority``, so that its queue shows. Each run is written to
the audit log (kind ``cli``), and each step to the workflow's events, like the same step
taken over GraphQL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import json
import shlex
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from govshare import clock
from govshare.audit.log import AuditLog
from govshare.audit.platform import platform_log
from govshare.audit.record import AuditRecord
from govshare.commands.grant import GrantCommandError, recorded_catalog
from govshare.errors import GovshareError
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.settings import load_settings
from govshare.store.database import store_engine
from govshare.workflows import applications, inbox
from govshare.workflows.records import Application, DataIssue

Action = Callable[[PolicyStore, Caller], Awaitable[str]]


class WorkflowCommandError(GrantCommandError):
    """A reason to stop; a GrantCommandError so that `govshare` prints it as its one-line failure."""


@asynccontextmanager
async def _acting(department: str, by: str | None) -> AsyncIterator[tuple[PolicyStore, Caller, AuditLog]]:
    settings = load_settings()
    engine = store_engine(settings.effective_store_url)
    audit = platform_log(engine, settings)
    try:
        store = PolicyStore(engine, await recorded_catalog(engine))
        await store.start(poll=False)
        catalog = store.catalog
        if department not in catalog.departments:
            raise WorkflowCommandError(f"department {department!r} is not in the catalog; "
                                       f"departments: {', '.join(catalog.departments)}")  # fmt: skip
        roles = ("dept_admin", "authority") if department == catalog.platform.authority else ("dept_admin",)
        yield store, Caller(department, by or f"cli:{getpass.getuser()}", roles), audit
    finally:
        await audit.close()
        await engine.dispose()


async def _run(args: argparse.Namespace, action: Action) -> str:
    """Run ``action`` as the department's administrator and record the run in the audit log."""
    async with _acting(args.department, args.by) as (store, caller, audit):
        try:
            text = await action(store, caller)
        except GovshareError as exc:
            await _note(audit, caller, "failed", [exc.code])
            raise WorkflowCommandError(exc.message) from None
        await _note(audit, caller, "answered", [])
        return text


async def _note(audit: AuditLog, caller: Caller, outcome: str, codes: list[str]) -> None:
    command = "govshare " + shlex.join(sys.argv[1:])
    await audit.append(
        AuditRecord(kind="cli", outcome=outcome, department=caller.department, user=caller.user,
                    roles=list(caller.roles), query=command, error_codes=codes)
    )  # fmt: skip


def describe(a: Application, today: datetime.date) -> str:
    state = a.state + (" (overdue)" if a.overdue_on(today) else "")
    due = f"due {a.deadline}" + (" (provisional)" if a.deadline_provisional else "")
    answer = f"\t{a.reason}" if a.reason else ""
    return (f"{a.id}\t{state}\t{a.department}\t{a.resource}.{{{','.join(a.items)}}}\t"
            f"purposes={','.join(a.purposes)}\t{due}\t{a.justification}{answer}")  # fmt: skip


def _issue(d: DataIssue) -> str:
    where = f"{d.resource}[{d.record_key}]" + (f".{d.item}" if d.item else "")
    return f"{d.id}\t{d.state}\t{d.department}\t{where}\treported {d.reported_at:%Y-%m-%d}\t{d.description}"


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title} ({len(lines)})", *(f"  {line}" for line in lines)]


async def _inbox(store: PolicyStore, caller: Caller) -> str:
    today = clock.today()
    box = await inbox.inbox(store, caller)
    out = [f"inbox of {box.department} on {today}"]
    out += _section("applications to answer", [describe(a, today) for a in box.applications_to_answer])
    out += _section("data issues to check", [_issue(d) for d in box.data_issues_to_check])
    out += _section(f"decisions received since {box.since}", [
        f"{d.target} {d.id}\t{d.outcome}\t{d.resource}\t{d.decided_at:%Y-%m-%d} by {d.decided_by}\t{d.note or ''}"
        for d in box.decisions_received
    ])  # fmt: skip
    if box.overdue_applications is not None:
        out += _section("overdue applications", [describe(a, today) for a in box.overdue_applications])
    if box.coordination_requests is not None:
        out += _section("coordination requests", [
            f"{c.id}\t{c.department}\t{c.resource}.{{{','.join(c.items)}}}\t{c.justification}"
            for c in box.coordination_requests
        ])  # fmt: skip
    if box.open_data_issues is not None:
        out += _section("open data issues", [_issue(d) for d in box.open_data_issues])
    return "\n".join(out)


def _list(args: argparse.Namespace) -> Action:
    async def action(store: PolicyStore, caller: Caller) -> str:
        found = await applications.list_applications(store, caller, state=args.state, overdue=args.overdue or None)
        return "\n".join(describe(a, clock.today()) for a in found) if found else "no applications"

    return action


def _approve(args: argparse.Namespace) -> Action:
    try:
        scope = json.loads(args.scope) if args.scope else None
    except json.JSONDecodeError as exc:
        raise WorkflowCommandError(f"--scope is not valid JSON: {exc}") from None
    try:
        until = datetime.date.fromisoformat(args.until) if args.until else None
    except ValueError:
        raise WorkflowCommandError(f"--until {args.until!r} is not a date like 2027-06-30") from None
    approval = applications.Approval(args.effect, scope, until, args.note)

    async def action(store: PolicyStore, caller: Caller) -> str:
        return describe(await applications.approve(store, caller, args.id, approval), clock.today())

    return action


def _reject(args: argparse.Namespace) -> Action:
    async def action(store: PolicyStore, caller: Caller) -> str:
        return describe(await applications.reject(store, caller, args.id, args.reason), clock.today())

    return action


def run(args: argparse.Namespace) -> int:
    actions: dict[str, Callable[[argparse.Namespace], Action]] = {
        "inbox": lambda _args: _inbox, "list": _list, "approve": _approve, "reject": _reject,
    }  # fmt: skip
    print(asyncio.run(_run(args, actions[args.action](args))))
    return 0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def acting(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument("--department", required=True, help="the department whose administrator acts")
        parser.add_argument("--by", help="who acts (recorded); default cli:<login>")
        parser.set_defaults(run=run)
        return parser

    acting(commands.add_parser("inbox", help="what waits for a department")).set_defaults(action="inbox")
    group = commands.add_parser("application", help="sharing applications").add_subparsers(dest="action", required=True)
    listing = acting(group.add_parser("list", help="the department's applications, as applicant or provider"))
    listing.add_argument("--state", choices=["submitted", "approved", "rejected", "withdrawn"])
    listing.add_argument("--overdue", action="store_true", help="only those past their deadline without an answer")
    approve = acting(group.add_parser("approve", help="approve an application: a grant from the next request on"))
    approve.add_argument("id", type=int)
    approve.add_argument("--effect", required=True, choices=["allow", "mask", "verify"])
    approve.add_argument("--scope", help="row scope in the filter language; default: the one applied for")
    approve.add_argument("--until", help="last day of the grant (YYYY-MM-DD); default: the one applied for")
    approve.add_argument("--note")
    reject = acting(group.add_parser("reject", help="reject an application, giving the reason"))
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
