"""`govshare data-issue report|answer|list`: reports of suspected errors in shared data (R8, 校核).

The using department reports (``member``); the provider's administrator answers with a
verdict and a note.
"""

from __future__ import annotations

import argparse

from govshare.commands.acting import Step, listing, runner
from govshare.commands.workflow import issue_line
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.workflows import reports


def _report(args: argparse.Namespace) -> Step:
    report = reports.Report(args.resource, args.key, args.description, args.item)

    async def step(store: PolicyStore, caller: Caller) -> str:
        return issue_line(await reports.report(store, caller, report))

    return step


def _answer(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        answered = await reports.answer(store, caller, args.id, args.verdict, args.note)
        return f"{issue_line(answered)}\n{answered.answered_by}: {answered.note}"

    return step


def _list(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        found = await reports.list_issues(store, caller, state=args.state)
        return listing(found, issue_line, "no data issues")

    return step


run = runner({"report": _report, "answer": _answer, "list": _list})
