"""Every workflow step from the terminal, as a named department and user, against a real platform database.

Each command is its own process; each prints what happened in one or two lines, and each run
is in the audit log (kind ``cli``) under the department and user that took the step.
"""

from __future__ import annotations

import contextlib
import sqlite3

from tests.commands.conftest import Platform
from tests.policies.world import AUTHORITY, OTHER, PROVIDER

APPLY = ("application", "apply", "--department", OTHER, "--user", "王五", "--resource", "Citizen",
         "--items", "phone", "--justification", "联系车主")  # fmt: skip


def _fields(line: str) -> list[str]:
    return line.split("\t")


def test_an_application_from_apply_to_revocation(platform: Platform) -> None:
    [filed] = platform.ok(*APPLY, "--purposes", "work_reference")
    first, state, department, asked = _fields(filed)[:4]
    assert (state, department, asked) == ("submitted", OTHER, "Citizen.{phone}") and "due 20" in filed
    # Only the applicant withdraws: the provider is refused in one line, and nothing changes.
    refused = platform.run("application", "withdraw", first, "--department", PROVIDER)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"govshare: only {OTHER}, which applied, may withdraw application {first}")
    [withdrawn] = platform.ok("application", "withdraw", first, "--department", OTHER, "--reason", "重复")
    assert _fields(withdrawn)[:2] == [first, "withdrawn"]

    [again] = platform.ok(*APPLY, "--purposes", "work_reference")
    second = _fields(again)[0]
    approved, grant_line = platform.ok("application", "approve", second, "--department", PROVIDER,
                                       "--user", "张科长", "--effect", "mask")  # fmt: skip
    assert _fields(approved)[:2] == [second, "approved"]
    grant = grant_line.split()[1]
    assert grant_line == f"grant {grant} holds from the next request (policy version 2)"
    still, revoked = platform.ok("application", "revoke", second, "--department", PROVIDER, "--user", "张科长",
                                 "--reason", "联系已完成")  # fmt: skip
    assert _fields(still)[:2] == [second, "approved"] and revoked == f"grant {grant} revoked by {PROVIDER}/张科长"
    [listed] = platform.ok("grant", "list", "--department", OTHER)
    assert _fields(listed)[:2] == [grant, "revoked"]

    with contextlib.closing(sqlite3.connect(platform.data_dir / "platform.db")) as db:
        revoked_by = db.execute("SELECT revoked_by FROM grants WHERE id = ?", (int(grant),)).fetchone()
        runs = db.execute("SELECT department, user, roles, outcome, query FROM audit_records WHERE kind = 'cli' "
                          "ORDER BY seq").fetchall()  # fmt: skip
    assert revoked_by == (f"{PROVIDER}/张科长",)  # recorded as the provider, not as the authority
    steps = [(d, u, roles, outcome, query.split()[2]) for d, u, roles, outcome, query in runs]
    assert steps == [
        (OTHER, "王五", '["member"]', "answered", "apply"),
        (PROVIDER, steps[1][1], '["member"]', "failed", "withdraw"),
        (OTHER, steps[2][1], '["member"]', "answered", "withdraw"),
        (OTHER, "王五", '["member"]', "answered", "apply"),
        (PROVIDER, "张科长", '["dept_admin"]', "answered", "approve"),
        (PROVIDER, "张科长", '["dept_admin"]', "answered", "revoke"),
    ]
    assert steps[2][1].startswith("cli:")  # without --user: the login that ran the command


def test_coordination_after_a_refusal_and_for_withheld_items(platform: Platform) -> None:
    [filed] = platform.ok(*APPLY, "--purposes", "data_verification")
    application = _fields(filed)[0]
    [rejected] = platform.ok("application", "reject", application, "--department", PROVIDER, "--reason", "无依据")
    assert _fields(rejected)[:2] == [application, "rejected"] and rejected.endswith("\t无依据")
    [escalated] = platform.ok("coordination", "request", "--department", OTHER, "--application", application,
                              "--justification", "联系车主属于法定职责")  # fmt: skip
    coordination = _fields(escalated)[0]
    assert _fields(escalated)[1] == "open" and f"escalates application {application}" in escalated
    # Only the authority decides.
    refused = platform.run("coordination", "decide", coordination, "--department", OTHER, "--refuse",
                           "--reasoning", "x")  # fmt: skip
    assert refused.returncode == 1 and "authority" in refused.stderr and refused.stderr.count("\n") == 1
    [decided] = platform.ok("coordination", "decide", coordination, "--department", AUTHORITY, "--user", "局长",
                            "--refuse", "--reasoning", "维持原决定")  # fmt: skip
    assert _fields(decided)[:2] == [coordination, "refused"] and decided.endswith(f"{AUTHORITY}/局长: 维持原决定")

    [asked] = platform.ok("coordination", "request", "--department", OTHER, "--resource", "Citizen",
                          "--items", "record", "--purposes", "administrative_basis", "--justification", "执法需要")  # fmt: skip
    withheld = _fields(asked)[0]
    granted, grant_line = platform.ok("coordination", "decide", withheld, "--department", AUTHORITY, "--grant",
                                      "--effect", "allow", "--reasoning", "法定职责", "--until", "2099-12-31")  # fmt: skip
    assert _fields(granted)[:2] == [withheld, "granted"] and grant_line.startswith("grant ")
    [listed] = platform.ok("grant", "list", "--department", OTHER)
    assert "Citizen.{record}\tallow\tpurposes=administrative_basis until=2099-12-31" in listed
    assert listed.endswith("(coordination)")
    # A refusal takes no grant terms; a grant needs its effect (the workflow says so).
    mixed = platform.run("coordination", "decide", withheld, "--department", AUTHORITY, "--refuse",
                         "--effect", "allow", "--reasoning", "x")  # fmt: skip
    assert mixed.returncode == 1 and "--effect, --scope and --until belong to a decision to grant" in mixed.stderr
    assert len(platform.ok("coordination", "list", "--department", AUTHORITY)) == 2


def test_a_data_issue_reported_and_answered(platform: Platform) -> None:
    [reported] = platform.ok("data-issue", "report", "--department", OTHER, "--user", "王五", "--resource",
                             "Citizen", "--key", "c001", "--item", "fullName", "--description", "姓名有误")  # fmt: skip
    issue, state, department, where = _fields(reported)[:4]
    assert (state, department, where) == ("open", OTHER, "Citizen[c001].fullName")
    [waiting] = [line for line in platform.ok("inbox", "--department", PROVIDER) if line.startswith(f"  {issue}\t")]
    assert "姓名有误" in waiting
    answered, note = platform.ok("data-issue", "answer", issue, "--department", PROVIDER, "--user", "李科员",
                                 "--verdict", "corrected", "--note", "已更正")  # fmt: skip
    assert _fields(answered)[:2] == [issue, "corrected"] and note == f"{PROVIDER}/李科员: 已更正"
    again = platform.run("data-issue", "answer", issue, "--department", PROVIDER, "--verdict", "corrected",
                         "--note", "x")  # fmt: skip
    assert again.returncode == 1 and "it was answered on" in again.stderr and again.stderr.count("\n") == 1
    assert [_fields(line)[:2] for line in platform.ok("data-issue", "list", "--department", OTHER)] == [
        [issue, "corrected"]
    ]
