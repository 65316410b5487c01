"""`govshare coordination request|decide|list`: asking the platform authority, and its final decision.

A department asks (``member``) for withheld items, or on an application its provider rejected
(``--application``); the authority's department decides (``--grant --effect …`` or ``--refuse``),
always with its reasoning.
"""

from __future__ import annotations

import argparse

from govshare.commands.acting import Step, listing, runner
from govshare.commands.arguments import scope_option, until_option
from govshare.commands.errors import CommandError
from govshare.commands.workflow import asked, granted
from govshare.identity import Caller
from govshare.policies.live import PolicyStore
from govshare.workflows import coordination
from govshare.workflows.records import Coordination


def describe(c: Coordination) -> str:
    origin = f"\tescalates application {c.application_id}" if c.application_id is not None else ""
    decided = f"\t{c.decided_by}: {c.reasoning}" if c.decided_by else ""
    return (f"{c.id}\t{c.state}\t{c.department}\t{c.resource}.{{{','.join(c.items)}}}\t"
            f"purposes={','.join(c.purposes)}\t{c.justification}{origin}{decided}")  # fmt: skip


def _request(args: argparse.Namespace) -> Step:
    if args.application is not None:
        given = [f"--{name}" for name in ("resource", "items", "purposes", "scope", "until") if getattr(args, name)]
        if given:
            raise CommandError(f"{', '.join(given)} come from application {args.application}; leave them out")

        async def escalate(store: PolicyStore, caller: Caller) -> str:
            return describe(await coordination.escalate(store, caller, args.application, args.justification))

        return escalate
    request = asked(args)

    async def step(store: PolicyStore, caller: Caller) -> str:
        return describe(await coordination.request(store, caller, request))

    return step


def _decide(args: argparse.Namespace) -> Step:
    if not args.grant and (args.effect or args.scope or args.until):
        raise CommandError("--effect, --scope and --until belong to a decision to grant (--grant), not --refuse")
    decision = coordination.Decision(args.grant, args.reasoning, args.effect, scope_option(args.scope),
                                     until_option(args.until))  # fmt: skip

    async def step(store: PolicyStore, caller: Caller) -> str:
        decided = await coordination.decide(store, caller, args.id, decision)
        return describe(decided) + (f"\n{granted(decided.grant_id, store)}" if decided.grant_id else "")

    return step


def _list(args: argparse.Namespace) -> Step:
    async def step(store: PolicyStore, caller: Caller) -> str:
        found = await coordination.list_coordinations(store, caller, state=args.state)
        return listing(found, describe, "no coordination requests")

    return step


run = runner({"request": _request, "decide": _decide, "list": _list})
