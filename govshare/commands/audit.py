"""`govshare audit …`: the auditor's tools on the platform database of the data directory.

verify | list | show | export | checkpoint | purge work on the store alone;
replay opens the gateway (the catalog recorded in the store and its sources);
rotate-key changes the key of the result digests in the data directory.
They are the operator's tools on the server and see every department's records
(auditors over GraphQL see their own department's). Every run of these
commands is itself written to the log (kind ``cli``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from govshare import clock
from govshare.audit.keys import KeyringError
from govshare.audit.log import AuditLog
from govshare.audit.platform import platform_log
from govshare.audit.read import EVERY_RECORD, AuditFilter, all_records, get_record, list_records, to_csv_rows, to_jsonl
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.commands.errors import CommandError
from govshare.commands.platform import platform_engine
from govshare.errors import GovshareError
from govshare.settings import Settings

# The columns of `audit list`, printed as its first line.
HEADER = "seq\trecorded at (UTC)\tkind\toutcome\tdepartment/user\tpurpose\toperation\terror codes"


@asynccontextmanager
async def _log(settings: Settings) -> AsyncIterator[AuditLog]:
    async with platform_engine(settings) as engine:
        audit = platform_log(engine, settings)
        try:
            yield audit
        finally:
            await audit.close()


async def _note(audit: AuditLog, args: argparse.Namespace, outcome: str, **detail: Any) -> None:
    """Record the command itself: auditors' actions are operations too."""
    command = " ".join(sys.argv[1:]) or f"audit {args.action}"
    await audit.append(
        AuditRecord(kind="cli", outcome=outcome, user=f"cli:{getpass.getuser()}", query=command, detail=detail or None)
    )


def _filter(args: argparse.Namespace) -> AuditFilter:
    def moment(text: str | None) -> datetime.datetime | None:
        if not text:
            return None
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(f"{text!r} is not a date or time like 2026-11-26 or 2026-11-26T09:00:00+08:00") from None
        return clock.as_utc(value)

    return AuditFilter(
        department=args.department, user=args.user, resource=args.resource, item=args.item, decision=args.decision,
        outcome=args.outcome, purpose=args.purpose, since=moment(args.since), until=moment(args.until),
    )  # fmt: skip


def _line(record: AuditRecord) -> str:
    when = record.recorded_at.isoformat(timespec="seconds") if record.recorded_at else "?"
    who = f"{record.department or '-'}/{record.user or '-'}"
    codes = ",".join(record.error_codes)
    name = record.operation_name or (record.query or "").split("{", 1)[0].strip() or "-"
    return f"{record.seq}\t{when}\t{record.kind}\t{record.outcome}\t{who}\t{record.purpose or '-'}\t{name}\t{codes}"


async def _verify(audit: AuditLog, args: argparse.Namespace) -> int:
    text = Path(args.checkpoints).read_text(encoding="utf-8") if args.checkpoints else ""  # noqa: ASYNC240 - a CLI run
    outside = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    result = await verify_log(audit.engine, audit.key, outside)
    await _note(audit, args, "answered" if result.ok else "failed", ok=result.ok, bad_seq=result.bad_seq)
    if not result.ok:
        print(f"audit log: FAILED at record {result.bad_seq}: {result.problem}", file=sys.stderr)
        return 1
    span = f"{result.first_seq}–{result.last_seq}" if result.records else "none"
    print(f"audit log: OK — {result.records} records ({span}), {result.checkpoints} checkpoints")
    return 0


async def _list(audit: AuditLog, args: argparse.Namespace) -> int:
    found = await list_records(audit.engine, _filter(args), EVERY_RECORD, first=args.limit)
    # Recorded before the output: a reader that stops early (`| head`) leaves the run in the log.
    await _note(audit, args, "answered")
    print(HEADER)
    for record in found:
        print(_line(record))
    return 0


async def _show(audit: AuditLog, args: argparse.Namespace) -> int:
    record = await get_record(audit.engine, args.seq, EVERY_RECORD)
    if record is None:
        raise CommandError(f"there is no audit record {args.seq}")
    await _note(audit, args, "answered", seq=args.seq)
    print(orjson.dumps(record.as_dict(), option=orjson.OPT_INDENT_2).decode())
    return 0


async def _export(audit: AuditLog, args: argparse.Namespace) -> int:
    # A CLI run: blocking writes hold up nothing else.
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115, ASYNC230
    count, first = 0, True
    try:
        async for record in all_records(audit.engine, _filter(args), EVERY_RECORD):
            out.write(to_jsonl(record) if args.format == "jsonl" else to_csv_rows([record], header=first))
            count, first = count + 1, False
    except BrokenPipeError:
        await _note(audit, args, "failed", exported=count, format=args.format, problem="the reader went away")
        raise
    finally:
        if out is not sys.stdout:
            out.close()
    await _note(audit, args, "answered", exported=count, format=args.format)
    print(f"exported {count} records", file=sys.stderr)
    return 0


async def _checkpoint(audit: AuditLog, args: argparse.Namespace) -> int:
    point = await audit.checkpoint()
    line = orjson.dumps(point).decode()
    if args.export:
        with open(args.export, "a", encoding="utf-8") as out:  # noqa: ASYNC230 - a CLI run
            out.write(line + "\n")
    print(line)
    return 0


async def _purge(audit: AuditLog, args: argparse.Namespace) -> int:
    days = args.settings.audit_retention_days
    deleted, anchor = await audit.purge(days)
    await _note(audit, args, "answered", deleted=deleted, anchor=anchor, retention_days=days)
    print(f"purged {deleted} records older than {days} days; the chain now starts after record {anchor}")
    return 0


async def _replay(audit: AuditLog, args: argparse.Namespace) -> int:
    from govshare.commands.grant import recorded_runtime
    from govshare.gateway.replay import replay

    async with recorded_runtime(args.settings) as gateway:
        report = await replay(gateway, args.seq, EVERY_RECORD)
    print(f"record {report.seq}: policy version then {report.policy_version_then}, now {report.policy_version_now}")
    for resource, item, effect, *_ in report.decisions_then:
        now = next((d[2] for d in report.decisions_now if d[:2] == [resource, item]), "not decided")
        flag = "  CHANGED" if now != effect else ""
        print(f"  {resource}.{item}: then {effect}, now {now}{flag}")
    print(f"result digest recorded {report.recorded_result} (key {report.recorded_key_id or 'none: plain SHA-256'})")
    verdict = "reproduced" if report.reproduced else "differs: the data changed"
    print(f"  under the recorded policy {report.result_then} ({verdict}; key {report.result_key_id})")
    print(f"  under today's policy      {report.result_now}")
    changed = [f"{c.resource}.{c.item}: {c.then}→{c.now}" for c in report.changed]
    await _note(audit, args, "answered", replayed=args.seq, reproduced=report.reproduced, changed=changed)
    return 0


async def _rotate_key(audit: AuditLog, args: argparse.Namespace) -> int:
    old = audit.results.current
    new = audit.results.rotate()
    await _note(audit, args, "answered", previous_key=old, key=new.id)
    kept = ", ".join(audit.results.keys)
    print(f"result digests now use key {new.id} (was {old}); the keyring {audit.results.path} keeps {kept}")
    print("restart the gateways (and copy the keyring to every gateway host) for them to use it")
    return 0


Action = Callable[[AuditLog, argparse.Namespace], Coroutine[Any, Any, int]]
ACTIONS: dict[str, Action] = {
    "verify": _verify, "list": _list, "show": _show, "export": _export,
    "checkpoint": _checkpoint, "purge": _purge, "replay": _replay, "rotate-key": _rotate_key,
}  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    args.settings = settings  # for the actions that read more than the log

    async def main() -> int:
        async with _log(settings) as audit:
            return await ACTIONS[args.action](audit, args)

    try:
        return asyncio.run(main())
    except GovshareError as exc:
        raise CommandError(exc.message) from None
    except (ValueError, KeyringError) as exc:
        raise CommandError(str(exc)) from None
