"""`govshare inbox` and `govshare application list|approve|reject` on a served platform database.

The commands run in this process through ``govshare.cli.main``, as the `govshare` command runs
them, with the settings and clock in the environment.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from govshare.cli import main
from govshare.settings import Settings
from tests.policies.world import AUTHORITY, OTHER, PHONE_MASKED, PROVIDER, SECRET, wait_for
from tests.workflows.conftest import START
from tests.workflows.desk import ONE_APPLICATION, Desk


def test_an_administrator_answers_from_the_terminal(
    desk: Desk,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    set_now: Callable[[str], None],
) -> None:
    first = desk.apply()
    second = desk.apply(purposes=["data_verification"], justification="核对车主电话")
    monkeypatch.chdir(tmp_path)  # no stray govshare.env
    monkeypatch.setenv("GOVSHARE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GOVSHARE_SECRET", SECRET)

    def run(*args: str, now: str = START) -> tuple[int, str, str]:
        set_now(now)
        monkeypatch.setattr(sys, "argv", ["govshare", *args])
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("inbox", "--department", PROVIDER)
    assert code == 0 and "applications to answer (2)" in out
    assert f"{first['id']}\tsubmitted\t{OTHER}\tCitizen.{{phone}}\tpurposes=work_reference\tdue 2026-03-16" in out

    code, _, err = run("application", "reject", second["id"], "--department", OTHER, "--reason", "x")
    assert code == 1 and err.startswith("govshare: ") and "an administrator (dept_admin) of civil" in err
    code, _, err = run("application", "reject", second["id"], "--department", PROVIDER, "--reason", " ")
    assert code == 1 and "a refusal must give its reason" in err and len(err.strip().splitlines()) == 1

    code, out, _ = run("application", "approve", first["id"], "--department", PROVIDER, "--effect", "mask",
                       "--by", "张科长", "--note", "仅限联系车主")  # fmt: skip
    assert code == 0 and out.startswith(f"{first['id']}\tapproved\t")
    set_now(START)
    wait_for(desk.phone, PHONE_MASKED)  # the gateway picks up the new policy version
    answered = desk.ok(ONE_APPLICATION, {"id": first["id"]})
    assert answered["answeredBy"] == f"{PROVIDER}/张科长" and answered["events"][-1]["user"] == "张科长"

    # After the second one's deadline, the authority's inbox lists it as overdue.
    code, out, _ = run("inbox", "--department", AUTHORITY, now="2026-03-17T09:00:00+08:00")
    assert code == 0 and "overdue applications (1)" in out and f"{second['id']}\tsubmitted (overdue)" in out
    code, out, _ = run("application", "list", "--department", OTHER, "--state", "approved")
    assert code == 0 and [line.split("\t")[:2] for line in out.splitlines()] == [[first["id"], "approved"]]

    with contextlib.closing(sqlite3.connect(settings.data_dir / "platform.db")) as db:
        runs = db.execute("SELECT department, outcome, query FROM audit_records WHERE kind = 'cli' ORDER BY seq")
        recorded = [(department, outcome, query.split()[1]) for department, outcome, query in runs]
        submitted = db.execute("SELECT count(*) FROM audit_records WHERE kind = 'mutation' AND query LIKE "
                               "'%applicationSubmit%' AND outcome = 'answered'").fetchone()  # fmt: skip
    assert submitted == (2,)  # the steps taken over GraphQL are audited operations too
    assert recorded == [(PROVIDER, "answered", "inbox"), (OTHER, "failed", "application"),
                        (PROVIDER, "failed", "application"), (PROVIDER, "answered", "application"),
                        (AUTHORITY, "answered", "inbox"), (OTHER, "answered", "application")]  # fmt: skip
