"""`govshare audit …` on a log written by a served gateway; retention and purge."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from govshare.app import create_app
from govshare.audit.keys import KEYRING, ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.settings import SettingsError, load_settings
from govshare.store.database import migrate, store_engine
from govshare.store.tables import audit_checkpoints
from tests.audit.conftest import Served
from tests.services import serve_app
from tests.testville import City


def _govshare(served: Served, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(served.settings.data_dir), "GOVSHARE_SECRET": served.settings.secret,
           **(env or {})}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "govshare.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_list_show_export_verify_and_replay(served: Served, tmp_path: Path) -> None:
    served.post('query One { resident(residentId: "r00001") { fullName } }')
    served.post('query Two { resident(residentId: "r00002") { fullName phone } }')
    listed = _govshare(served, "audit", "list", "--department", "transport")
    assert listed.returncode == 0
    header, *lines = listed.stdout.splitlines()
    assert header.split("\t")[0] == "seq" and header.split("\t")[6] == "operation"
    assert [line.split("\t")[6] for line in lines] == ["Two", "One"]
    assert _govshare(served, "audit", "list", "--decision", "deny").stdout.count("\n") == 2  # header and one
    shown = json.loads(_govshare(served, "audit", "show", "2").stdout)
    assert shown["operation_name"] == "Two" and ["Resident", "phone", "deny", "none"] in shown["decisions"]
    assert _govshare(served, "audit", "show", "99").returncode == 1
    jsonl = _govshare(served, "audit", "export", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["seq"] for line in jsonl[:2]] == [1, 2]
    out = tmp_path / "log.csv"
    assert _govshare(served, "audit", "export", "--format", "csv", "--output", str(out)).returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["operation_name"] == "One" and rows[1]["error_codes"] == '["FORBIDDEN"]'
    verified = _govshare(served, "audit", "verify")
    assert verified.returncode == 0 and "OK" in verified.stdout
    replayed = _govshare(served, "audit", "replay", "1")
    assert replayed.returncode == 0, replayed.stderr
    assert "reproduced" in replayed.stdout
    # the commands themselves are in the log
    assert "cli" in _govshare(served, "audit", "list", "--limit", "100").stdout


def test_checkpoints_exported_outside_back_a_later_verify(served: Served, tmp_path: Path) -> None:
    served.post('{ resident(residentId: "r00001") { fullName } }')
    kept = tmp_path / "checkpoints.jsonl"
    assert _govshare(served, "audit", "checkpoint", "--export", str(kept)).returncode == 0
    assert json.loads(kept.read_text())["head_seq"] == 1
    verified = _govshare(served, "audit", "verify", "--checkpoints", str(kept))
    assert verified.returncode == 0, verified.stderr


def test_rotating_the_result_key_keeps_older_records_comparable(served: Served, city: City) -> None:
    served.post('query One { resident(residentId: "r00001") { fullName } }')
    rotated = _govshare(served, "audit", "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    match = re.search(r"now use key (\w+) \(was (\w+)\)", rotated.stdout)
    assert match is not None
    new, old = match.groups()
    keyring = served.settings.data_dir / KEYRING
    assert keyring.stat().st_mode & 0o777 == 0o600
    assert {k["id"] for k in json.loads(keyring.read_text())["keys"]} == {old, new}
    with serve_app(create_app(city.catalog, served.settings), lifespan="on") as restarted:  # a gateway started since
        headers = {"Authorization": f"Bearer {served.token()}", "X-Purpose": "work_reference"}
        query = 'query Two { resident(residentId: "r00002") { fullName } }'
        assert httpx.post(f"{restarted}/graphql", json={"query": query}, headers=headers).status_code == 200
    records = [json.loads(line) for line in _govshare(served, "audit", "export").stdout.splitlines()]
    keys = {r["operation_name"]: (r["seq"], r["result_key_id"]) for r in records if r["kind"] == "query"}
    assert keys["One"][1] == old and keys["Two"][1] == new
    for seq, _ in keys.values():
        replayed = _govshare(served, "audit", "replay", str(seq))
        assert replayed.returncode == 0, replayed.stderr
        assert "(reproduced;" in replayed.stdout
    # Without the keyring the first key comes back from the platform secret; a rotated one cannot.
    keyring.unlink()
    assert "(reproduced;" in _govshare(served, "audit", "replay", str(keys["One"][0])).stdout
    lost = _govshare(served, "audit", "replay", str(keys["Two"][0]))
    assert (
        lost.returncode == 1
        and f"the result key '{new}' is not in" in lost.stderr
        and "copy the keyring" in lost.stderr
    )


def test_retention_shorter_than_a_year_is_refused() -> None:
    with pytest.raises(SettingsError, match="at least 365 days"):
        load_settings({"GOVSHARE_AUDIT_RETENTION_DAYS": "364"})


def test_purge_keeps_a_year_and_the_rest_still_verifies(tmp_path: Path) -> None:
    # The log's clock is the real one; here it is handed a moment a year and more back, then today.
    moment = [datetime(2025, 10, 1, 8, tzinfo=UTC)]

    async def scenario() -> tuple[int, int, bool, int, list[tuple[int, int]]]:
        engine = store_engine(f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}")
        await migrate(engine)
        keys = ResultKeys(tmp_path / "audit-keys.json", "purge")
        audit = AuditLog(engine, checkpoint_key("purge"), keys, checkpoint_every=3, now=lambda: moment[0])
        try:
            for n in range(5):
                await audit.append(AuditRecord(kind="query", outcome="answered", user=f"old{n}"))
            moment[0] = datetime(2026, 11, 26, 8, tzinfo=UTC)
            for n in range(4):
                await audit.append(AuditRecord(kind="query", outcome="answered", user=f"new{n}"))
            with pytest.raises(ValueError, match="at least 365 days"):
                await audit.purge(100)
            deleted, anchor = await audit.purge(365)
            await audit.checkpoint()
            result = await verify_log(engine, audit.key)
            async with engine.connect() as conn:
                counts = select(audit_checkpoints.c.head_seq, audit_checkpoints.c.count).order_by(
                    audit_checkpoints.c.id
                )
                signed = [(int(head), int(count)) for head, count in (await conn.execute(counts)).all()]
            return deleted, anchor, result.ok, result.records, signed
        finally:
            await audit.close()
            await engine.dispose()

    # Checkpoints sign the records kept: every one until the purge, then the four after its anchor.
    assert asyncio.run(scenario()) == (5, 5, True, 4, [(3, 3), (6, 6), (9, 9), (9, 4)])


def test_govshare_now_moves_neither_record_times_nor_retention(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # GOVSHARE_NOW still drives token expiry and deadlines; the audit log keeps to the real clock.
    monkeypatch.setenv("GOVSHARE_NOW", "2029-01-01T00:00:00+00:00")
    before = datetime.now(UTC)
    assert served.post('query Early { resident(residentId: "r00001") { fullName } }').status_code == 200
    purged = _govshare(served, "audit", "purge", env={"GOVSHARE_NOW": "2029-01-01T00:00:00+00:00"})
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("purged 0 records")
    after = datetime.now(UTC)
    exported = [json.loads(line) for line in _govshare(served, "audit", "export").stdout.splitlines()]
    assert [r["operation_name"] for r in exported if r["kind"] == "query"] == ["Early"]
    # the query's record and the purge's own record, both written under GOVSHARE_NOW, carry the real time
    times = [datetime.fromisoformat(r["recorded_at"]) for r in exported]
    assert len(times) == 2 and all(before <= t <= after for t in times)
