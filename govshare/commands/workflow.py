"""`govshare inbox` and `govshare application list|apply|withdraw|approve|reject|revoke`.

Each command acts as ``--department`` (and ``--user``), with the role its step needs: the
applicant applies and withdraws as a ``member``, the provider answers and revokes as a
``dept_admin`` (see :mod:`govshare.commands.acting`, which also records each run).
"""

from __future__ import annotations

import argparse
import datetime

from govshare import clock
from govshare.commands.acting import Step, listing, runner
from govshare.commands.arguments import items, scope_option, until_option
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.store.shares import Share
from govshare.workflows import applications, inbox
from govshare.workflows.records import Application, DataIssue
from govshare.workflows.requests import Request


def describe(a: Application, today: datetime.date) -> str:
    state = a.state + (" (overdue)" if a.overdue_on(today) else "")
    due = f"due {a.deadline}" + (" (provisional)" if a.deadline_provisional else "")
    answer = f"\t{a.reason}" if a.reason else ""
    return (f"{a.id}\t{state}\t{a.department}\t{a.resource}.{{{','.join(a.items)}}}\t"
            f"purposes={','.join(a.purposes)}\t{due}\t{a.justification}{answer}")  # fmt: skip


def issue_line(d: DataIssue) -> str:
    where = f"{d.resource}[{d.record_key}]" + (f".{d.item}" if d.item else "")
    return f"{d.id}\t{d.state}\t{d.department}\t{where}\treported {d.reported_at:%Y-%m-%d}\t{d.description}"


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title} ({len(lines)})", *(f"  {line}" for line in lines)]


async def _inbox(store: PolicyStore, caller: Caller) -> str:
    today = clock.today()
    box = await inbox.inbox(store, caller)
    out = [f"inbox of {box.department} on {today}"]
    out += _section("applications to answer", [describe(a, today) for a in box.applications_to_answer])
    out += _section("data issues to check", [issue_line(d) for d in box.data_issues_to_check])
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
        out += _section("open data issues", [issue_line(d) for d in box.open_data_issues])
    return "\n".join(out)


def _list(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        found = await applications.list_applications(store, caller, state=args.state, overdue=args.overdue or None)
        return listing(found, _shown, "no applications")

    return step


def asked(args: argparse.Namespace) -> Request:
    """What ``apply`` and ``coordination request`` ask for, from their options."""
    share = Share(args.department, args.resource or "", items(args.items), items(args.purposes),
                  scope_option(args.scope), until_option(args.until))  # fmt: skip
    return Request(share, args.justification)


def _shown(application: Application) -> str:
    return describe(application, clock.today())


def _apply(args: argparse.Namespace) -> Step:
    request = asked(args)

    async def step(store: PolicyStore, caller: Caller) -> str:
        return _shown(await applications.submit(store, caller, request))

    return step


def _withdraw(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        return _shown(await applications.withdraw(store, caller, args.id, args.reason))

    return step


def _approve(args: argparse.Namespace) -> Step:
    approval = applications.Approval(args.effect, scope_option(args.scope), until_option(args.until), args.note)

    async def step(store: PolicyStore, caller: Caller) -> str:
        approved = await applications.approve(store, caller, args.id, approval)
        return f"{_shown(approved)}\n{granted(approved.grant_id, store)}"

    return step


def granted(grant_id: int | None, store: PolicyStore) -> str:
    """The second line of a step that created a grant."""
    return f"grant {grant_id} holds from the next request (policy version {store.current.version})"


def _reject(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        return _shown(await applications.reject(store, caller, args.id, args.reason))

    return step


def _revoke(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        revoked = await applications.revoke(store, caller, args.id, args.reason)
        return f"{_shown(revoked)}\ngrant {revoked.grant_id} revoked by {caller.actor}"

    return step


run = runner({
    "inbox": lambda _args: _inbox, "list": _list, "apply": _apply, "withdraw": _withdraw,
    "approve": _approve, "reject": _reject, "revoke": _revoke,
})  # fmt: skip
