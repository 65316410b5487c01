"""Catalog drafts over HTTP with real tokens: civil's dept_admin drafts, the authority publishes or returns.

Publishing writes a new catalog version to the platform database (what every gateway switches to)
and, in the same policy change, ends the grants of items the draft withholds or removes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from govshare.catalog import CatalogError
from govshare.catalog.drafts import merged_catalog
from govshare.cli import main
from govshare.settings import Settings
from tests.policies.world import OTHER, PHONE_MASKED, PROVIDER, SECRET, World
from tests.workflows.conftest import START, serving
from tests.workflows.desk import (
    APPLICANT,
    AUDITOR,
    AUTHORITY_ROLE,
    PROVIDER_ADMIN,
    PROVIDER_MEMBER,
    Desk,
    Who,
)
from tests.workflows.drafting import (
    DRAFTS,
    GRANT_STATE,
    ONE_DRAFT,
    RESIDENT,
    REVIEW,
    SAVE,
    SUBMIT,
    WITHDRAW,
    citizen_entry,
    line_of,
    published,
    save,
)

OTHER_ADMIN: Who = (OTHER, ("dept_admin",))
PHONE = "  phone: {type: String, title: 电话, sharing: conditional, condition: 仅限联系本人}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A gateway that follows what is published within a fifth of a second (govshare.reload)."""
    return Settings(data_dir=tmp_path / "platform", secret=SECRET, catalog_poll=0.2)


@pytest.fixture(scope="module")
def drafting(policyville: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """One gateway for a module's drafts that never reach the catalog: each is a record of its own."""
    with serving(policyville, Settings(data_dir=tmp_path_factory.mktemp("platform"), secret=SECRET)) as served:
        yield served


def test_a_new_resource_is_drafted_submitted_and_published(desk: Desk, settings: Settings) -> None:
    saved = save(desk, PROVIDER_ADMIN, RESIDENT)
    assert (saved["state"], saved["department"], saved["createdBy"]) == ("draft", PROVIDER, f"{PROVIDER}/civil-user")
    assert saved["problems"] == [] and "resource Resident is added" in saved["report"]
    assert isinstance(saved["baseVersion"], int) and saved["publishedVersion"] is None
    assert desk.ok(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)["state"] == "submitted"
    waiting = desk.ok(DRAFTS, {"state": "submitted"}, AUTHORITY_ROLE)
    assert [d["id"] for d in waiting] == [saved["id"]]

    done = desk.ok(REVIEW, {"id": saved["id"], "approve": True}, AUTHORITY_ROLE)
    assert (done["state"], done["reviewedBy"], done["problems"], done["report"]) == (
        "published",
        "hub/hub-user",
        [],
        [],
    )
    found = published(settings)
    assert found is not None
    version, catalog = found
    assert version.version == done["publishedVersion"]
    assert list(catalog.resources) == ["Citizen", "Vehicle", "Resident"]
    assert catalog.resources["Resident"].relations["vehicles"].target == "Vehicle"
    assert 'code: "P001/000002"' in version.text  # the draft as written

    again = desk.refused(REVIEW, {"id": saved["id"], "approve": True}, AUTHORITY_ROLE)
    assert again["extensions"]["code"] == "BAD_USER_INPUT" and "it is published" in again["message"]


def test_a_reclassification_lists_the_grants_that_end_first_and_ends_them(
    desk: Desk, settings: Settings, policyville: World
) -> None:
    application = desk.apply()
    grant = desk.approve(application["id"], "MASK")["grant"]
    assert desk.phone() == PHONE_MASKED
    saved = save(desk, PROVIDER_ADMIN, citizen_entry(policyville.directory, phone="withheld"), "Citizen")
    assert saved["problems"] == []
    ends = f"grant {grant['id']} ({OTHER}, Citizen: phone; purposes work_reference) ends: Citizen.phone turns withheld"
    assert saved["report"][0] == ends
    assert "Citizen.phone: sharing changes from conditional to withheld" in "\n".join(saved["report"])
    desk.ok(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)
    assert desk.ok(ONE_DRAFT, {"id": saved["id"]}, AUTHORITY_ROLE)["report"][0] == ends

    desk.ok(REVIEW, {"id": saved["id"], "approve": True}, AUTHORITY_ROLE)
    ended = desk.ok(GRANT_STATE, {"id": application["id"]}, APPLICANT)["grant"]
    assert (ended["active"], ended["revokedBy"]) == (False, "hub/hub-user")
    assert desk.phone() is None  # refused from the very next request
    found = published(settings)
    assert found is not None and found[1].resources["Citizen"].items["phone"].sharing.value == "withheld"


def test_an_empty_draft_removes_its_resource(desk: Desk, settings: Settings) -> None:
    saved = save(desk, OTHER_ADMIN, "", "Vehicle")
    assert saved["problems"] == [] and "resource Vehicle is removed" in saved["report"]
    desk.ok(SUBMIT, {"id": saved["id"]}, OTHER_ADMIN)
    desk.ok(REVIEW, {"id": saved["id"], "approve": True}, AUTHORITY_ROLE)
    found = published(settings)
    assert found is not None and list(found[1].resources) == ["Citizen"]


def test_a_returned_draft_changes_nothing(desk: Desk, settings: Settings, policyville: World) -> None:
    application = desk.apply()
    desk.approve(application["id"], "MASK")
    saved = save(desk, PROVIDER_ADMIN, citizen_entry(policyville.directory, phone="withheld"), "Citizen")
    desk.ok(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)
    before = published(settings)

    blank = desk.refused(REVIEW, {"id": saved["id"], "approve": False, "reasons": "  "}, AUTHORITY_ROLE)
    assert blank["extensions"]["code"] == "BAD_USER_INPUT" and "give the reasons" in blank["message"]
    returned = desk.ok(REVIEW, {"id": saved["id"], "approve": False, "reasons": "先征求使用部门意见"}, AUTHORITY_ROLE)
    assert (returned["state"], returned["reasons"], returned["publishedVersion"]) == (
        "returned",
        "先征求使用部门意见",
        None,
    )
    after = published(settings)
    assert (after and after[0].version) == (before and before[0].version)
    assert desk.ok(GRANT_STATE, {"id": application["id"]}, APPLICANT)["grant"]["active"] is True
    assert desk.phone() == PHONE_MASKED

    # The department may write it anew and submit it again.
    rewritten = save(desk, PROVIDER_ADMIN, citizen_entry(policyville.directory), "Citizen", id=saved["id"])
    assert (rewritten["id"], rewritten["state"]) == (saved["id"], "draft")
    assert desk.ok(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)["state"] == "submitted"


BAD_DRAFTS = [
    ("unknown key", "title: 居民姓名", "title: 居民姓名\ntitel: 居民", "titel:", "unknown key 'titel' in resource 'Resident'"),
    ("withheld without legal basis", PHONE, "  phone: {type: String, title: 电话, sharing: withheld}", "  phone:",
     "item 'phone' of resource 'Resident' is withheld but cites no legal_basis (R3)"),
    ("conditional without condition", PHONE, "  phone: {type: String, title: 电话, sharing: conditional}", "  phone:",
     "item 'phone' of resource 'Resident' is conditional but states no condition"),
    ("base item not unconditional", "category: department", "category: base", "  phone:",
     "item 'phone' of resource 'Resident' is conditional, but the base items of a base resource must be unconditional"),
    ("key not unconditional", "居民编号, sharing: unconditional}", "居民编号, sharing: conditional, condition: 仅限核验}",
     "key:", "key 'citizenId' of resource 'Resident' is a conditional item; the key must be unconditional"),
    ("bad GraphQL name", "  fullName:", "  full name:", "  full name:",
     "item 'full name' of resource 'Resident' is not a valid GraphQL name"),
    ("duplicate code", 'code: "P001/000002"', 'code: "P001/000001"', "code:",
     "resource code 'P001/000001' of resource 'Resident' is already used by resource 'Citizen'"),
    ("relation to unknown target", "target: Vehicle,", "target: Vehicles,", "  vehicles:",
     "'target' of relation 'vehicles' of resource 'Resident' is 'Vehicles', which is not a defined resource"),
    ("another department as provider", "provider: civil", "provider: transport", "provider:",
     "'provider' of resource 'Resident' is 'transport', but the draft is by 'civil'"),
    ("unknown source", "source: civil_db", "source: civil_api", "source:",
     "'source' of resource 'Resident' is 'civil_api', which is not a defined source"),
    ("table missing at the source", "table: citizen", "table: citizens", "table:",
     "table 'citizens' of resource 'Resident' does not exist at source 'civil_db'"),
    ("column missing at the source", "column: full_name", "column: fullname", "  fullName:",
     "column 'fullname' of item 'fullName' of resource 'Resident' does not exist in table 'citizen'"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "at", "message"), [case[1:] for case in BAD_DRAFTS],
                         ids=[case[0] for case in BAD_DRAFTS])  # fmt: skip
def test_a_bad_draft_is_told_at_its_own_line(drafting: Desk, old: str, new: str, at: str, message: str) -> None:
    assert old in RESIDENT
    text = RESIDENT.replace(old, new, 1)
    saved = save(drafting, PROVIDER_ADMIN, text)  # saved all the same: a draft may be unfinished
    told = f"draft {saved['id']}:{line_of(text, at)}: {message}"
    assert any(p.startswith(told) for p in saved["problems"]), saved["problems"]

    error = drafting.refused(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith(f"Draft {saved['id']} cannot be submitted: ") and told in error["message"]
    assert error["extensions"]["problems"] == saved["problems"]
    assert drafting.ok(ONE_DRAFT, {"id": saved["id"]}, PROVIDER_ADMIN)["state"] == "draft"


def test_a_new_source_is_not_for_a_draft(drafting: Desk) -> None:
    saved = save(drafting, PROVIDER_ADMIN, RESIDENT.replace("source: civil_db", "source: civil_api"))
    assert any("a new source is not supported" in p for p in saved["problems"])
    assert saved["report"] == []  # no change report for an entry that breaks the catalog's rules


def test_a_removal_that_breaks_another_resource_is_told_at_that_resource(policyville: World) -> None:
    with_resident = merged_catalog(policyville.catalog, "Resident", RESIDENT, "draft 1", department=PROVIDER)
    with pytest.raises(CatalogError) as raised:
        merged_catalog(with_resident, "Vehicle", "", "draft 2", department=OTHER)
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (
        f"draft 2: {with_resident.path}",
        line_of(with_resident.text, "      vehicles:"),
    )
    assert problem.message == (
        "because of the draft, 'target' of relation 'vehicles' of resource 'Resident' is 'Vehicle', "
        "which is not a defined resource"
    )


def test_a_member_cannot_draft(drafting: Desk) -> None:
    error = drafting.refused(SAVE, {"resource": "Resident", "text": RESIDENT}, PROVIDER_MEMBER)
    assert error["extensions"]["code"] == "FORBIDDEN" and "dept_admin" in error["message"]


def test_a_department_drafts_its_own_resources_only(drafting: Desk, policyville: World) -> None:
    variables = {"resource": "Citizen", "text": citizen_entry(policyville.directory)}
    error = drafting.refused(SAVE, variables, OTHER_ADMIN)
    assert error["extensions"]["code"] == "FORBIDDEN" and "provided by civil" in error["message"]
    mine = save(drafting, PROVIDER_ADMIN, RESIDENT)
    for step in (SUBMIT, WITHDRAW, ONE_DRAFT):
        refused = drafting.refused(step, {"id": mine["id"]}, OTHER_ADMIN)
        assert refused["extensions"]["code"] == "FORBIDDEN"
    assert mine["id"] not in [d["id"] for d in drafting.ok(DRAFTS, {}, OTHER_ADMIN)]
    assert mine["id"] in [d["id"] for d in drafting.ok(DRAFTS, {}, AUDITOR)]


def test_only_the_authority_reviews(drafting: Desk) -> None:
    saved = save(drafting, PROVIDER_ADMIN, RESIDENT.replace("P001/000002", "P001/000003"))
    drafting.ok(SUBMIT, {"id": saved["id"]}, PROVIDER_ADMIN)
    for who in (PROVIDER_ADMIN, AUDITOR):
        error = drafting.refused(REVIEW, {"id": saved["id"], "approve": False, "reasons": "x"}, who)
        assert error["extensions"]["code"] == "FORBIDDEN" and "authority" in error["message"]
    withdrawn = drafting.ok(WITHDRAW, {"id": saved["id"]}, PROVIDER_ADMIN)
    assert (withdrawn["state"], withdrawn["problems"]) == ("withdrawn", [])
    late = drafting.refused(REVIEW, {"id": saved["id"], "approve": True}, AUTHORITY_ROLE)
    assert late["extensions"]["code"] == "BAD_USER_INPUT" and "it is withdrawn" in late["message"]


def test_draft_diff_and_submit_from_the_terminal(
    desk: Desk,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    set_now: Callable[[str], None],
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray govshare.env
    monkeypatch.setenv("GOVSHARE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GOVSHARE_SECRET", SECRET)

    def run(*args: str) -> tuple[int, str, str]:
        set_now(START)
        monkeypatch.setattr(sys, "argv", ["govshare", *args])
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    good, bad = tmp_path / "resident.yaml", tmp_path / "missing.yaml"
    good.write_text(RESIDENT, encoding="utf-8")
    bad.write_text(RESIDENT.replace("table: citizen", "table: citizens"), encoding="utf-8")
    code, out, err = run("catalog", "draft", str(good), "--resource", "Resident", "--department", PROVIDER)
    assert code == 0 and err == ""
    first = out.split("\t")[0].removeprefix("draft ")
    assert out == f"draft {first}\tdraft\tentry of Resident\tby {PROVIDER}\n"
    code, out, _ = run("catalog", "diff", first)
    assert code == 0 and "resource Resident is added" in out.splitlines()
    code, out, _ = run("catalog", "submit", first, "--department", PROVIDER)
    assert code == 0 and out.startswith(f"draft {first}\tsubmitted\t")

    code, out, err = run("catalog", "draft", str(bad), "--resource", "Resident", "--department", PROVIDER,
                         "--user", "王科长")  # fmt: skip
    assert code == 0  # the live source is checked on submission
    second = out.split("\t")[0].removeprefix("draft ")
    code, _, err = run("catalog", "submit", second, "--department", PROVIDER)
    lines = err.splitlines()
    assert code == 1 and lines[0].startswith(f"draft {second}:6: table 'citizens' of resource 'Resident' does not")
    assert lines[-1] == f"govshare: draft {second} cannot be submitted: 1 problem(s), listed above"

    bad.write_text(RESIDENT.replace("title: 居民姓名", "titel: 居民姓名"), encoding="utf-8")
    code, out, err = run("catalog", "draft", str(bad), "--resource", "Resident", "--department", PROVIDER)
    assert code == 1 and out.startswith("draft ") and "problem(s), listed on stderr" in out
    told = err.splitlines()
    assert (
        told[0]
        == f"draft {out.split()[1]}:1: resource 'Resident' is missing the required key 'title' (hint: add 'title: ...')"
    )
    assert told[1].startswith(f"draft {out.split()[1]}:2: unknown key 'titel' in resource 'Resident'")
    code, _, err = run("catalog", "submit", first, "--department", OTHER)
    assert code == 1 and "dept_admin) of civil" in err
    drafts = desk.ok(DRAFTS, {}, PROVIDER_ADMIN)
    assert [d["createdBy"] for d in drafts][1] == f"{PROVIDER}/王科长"
