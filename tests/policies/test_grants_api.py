"""Granting and revoking over HTTP with real tokens, and from the command line.

One gateway serves the whole module; each test uses its own combination of
department, item and purpose, so that grants made by one test never decide
what another one reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare import clock
from govshare.errors import GovshareError
from govshare.policies.engine import Policy
from govshare.policies.granting import check_grant
from govshare.policies.ruleset import policy_lines, policy_text
from govshare.settings import Settings
from govshare.store.grant_rows import NewGrant
from tests.policies.world import (
    AUTHORITY,
    GRANT_ADD,
    GRANT_REVOKE,
    LEGAL_BASIS,
    OTHER,
    PHONE,
    PHONE_MASKED,
    PROVIDER,
    RECORD,
    SECRET,
    STRANGER,
    Api,
    World,
    command_env,
    govshare,
    make_world,
    phone_grant,
    read_query,
    wait_for,
)
from tests.worlds import serve_gateway

GRANTS = "query($department: String) { grants(department: $department) { id department resource effect active } }"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("policyville"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # A short poll, so that grants made by the command line reach the server quickly.
    return Settings(data_dir=tmp_path_factory.mktemp("platform"), secret=SECRET, policy_poll=0.05)


@pytest.fixture(scope="module")
def api(world: World, settings: Settings) -> Iterator[Api]:
    with serve_gateway(world.catalog, settings) as url, httpx.Client(timeout=30) as http:
        yield Api(http, url, settings)


def granted(api: Api, grant: dict[str, Any]) -> str:
    body = api.as_authority(GRANT_ADD, {"input": grant})
    assert "errors" not in body, body
    grant_id: str = body["data"]["grantAdd"]["id"]
    return grant_id


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


@contextlib.contextmanager
def platform_db(settings: Settings) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(settings.data_dir / "platform.db")) as db:
        yield db


def policy_versions(settings: Settings) -> dict[int, tuple[str, str, str]]:
    """id → (acting department, digest, text) of every stored policy version."""
    with platform_db(settings) as db:
        found = db.execute("SELECT id, actor_department, policy_digest, policy_text FROM policy_versions").fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in found}


# --- who may grant and revoke -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "roles"),
    [(OTHER, ("member",)), (PROVIDER, ("dept_admin",)), (PROVIDER, ("member",)), (AUTHORITY, ("member", "auditor"))],
    ids=["other-member", "provider-dept_admin", "provider-member", "authority_department-without_role"],
)
def test_only_the_authority_role_grants_directly(
    api: Api, settings: Settings, department: str, roles: tuple[str, ...]
) -> None:
    before = policy_versions(settings)
    body = api.post(GRANT_ADD, {"input": phone_grant(OTHER, ["work_reference"])}, department=department, roles=roles)
    error = error_of(body)
    assert error["extensions"]["code"] == "FORBIDDEN" and "'authority'" in error["message"]
    assert policy_versions(settings) == before


@pytest.mark.parametrize(
    ("department", "roles", "allowed"),
    [
        (AUTHORITY, ("authority",), True),
        (PROVIDER, ("dept_admin",), True),
        (OTHER, ("dept_admin",), False),  # the department holding the grant
        (STRANGER, ("dept_admin",), False),
        (PROVIDER, ("member",), False),
        (OTHER, ("member",), False),
    ],
    ids=[
        "authority",
        "provider-dept_admin",
        "holder-dept_admin",
        "stranger-dept_admin",
        "provider-member",
        "holder-member",
    ],
)
def test_who_may_revoke(api: Api, department: str, roles: tuple[str, ...], allowed: bool) -> None:
    grant_id = granted(api, phone_grant(OTHER, ["data_verification"]))
    body = api.post(GRANT_REVOKE, {"id": grant_id, "reason": "no longer needed"}, department=department, roles=roles)
    listed = {g["id"]: g for g in api.as_authority(GRANTS, {"department": OTHER})["data"]["grants"]}
    if allowed:
        revoked = body["data"]["grantRevoke"]
        assert revoked["id"] == grant_id and revoked["revokedAt"] and revoked["active"] is False
        assert listed[grant_id]["active"] is False
    else:
        error = error_of(body)
        assert error["extensions"]["code"] == "FORBIDDEN" and f"revoke grant {grant_id}" in error["message"]
        assert listed[grant_id]["active"] is True


def test_a_grant_holds_from_the_next_request_and_a_revoke_at_once(api: Api) -> None:
    purpose = "administrative_basis"
    assert api.phone(OTHER, purpose) is None
    grant_id = granted(api, phone_grant(OTHER, [purpose]))
    assert api.phone(OTHER, purpose) == PHONE
    assert api.phone(OTHER, "work_reference") is None  # only for the granted purpose
    revoked = api.as_authority(GRANT_REVOKE, {"id": grant_id, "reason": "done"})
    assert revoked["data"]["grantRevoke"]["active"] is False
    assert api.phone(OTHER, purpose) is None


def test_revoking_twice_or_an_unknown_grant_is_explained(api: Api) -> None:
    grant_id = granted(api, phone_grant(STRANGER, ["data_verification"]))
    assert "errors" not in api.as_authority(GRANT_REVOKE, {"id": grant_id})
    for target, fragment in [
        (grant_id, "revoked already"),
        ("99999", "there is no grant 99999"),
        ("x", "not a grant id"),
    ]:
        error = error_of(api.as_authority(GRANT_REVOKE, {"id": target}))
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"]


# --- validation ----------------------------------------------------------------------------------------

INVALID = {
    "unknown_item": ({"items": ["nosuch"]}, "Citizen has no item 'nosuch'"),
    "unconditional_item": ({"items": ["fullName"]}, "Citizen.fullName is shared unconditionally already"),
    "unknown_purpose": ({"purposes": ["gossip"]}, "purpose 'gossip' is not in the catalog"),
    "past_end_date": ({"until": "2000-01-01"}, "the end date 2000-01-01 is in the past"),
    "scope_unknown_operator": ({"scope": {"fullName": {"like": "张%"}}}, "scope.fullName: 'like' is not an operator"),
    "scope_nested_unknown_item": (
        {"scope": {"or": [{"fullName": {"eq": "张三丰"}}, {"nosuch": {"eq": 1}}]}},
        "scope.or[1].nosuch: Citizen has no item 'nosuch'",
    ),
    "scope_bad_value": ({"scope": {"fullName": {"in": "张三丰"}}}, "scope.fullName.in must be a list"),
    "unknown_resource": ({"resource": "Nosuch"}, "resource 'Nosuch' is not in the catalog"),
    "unknown_department": ({"department": "nosuch"}, "department 'nosuch' is not in the catalog"),
    "to_the_provider": ({"department": PROVIDER}, "civil provides Citizen and reads all of it already"),
}


@pytest.mark.parametrize(("change", "problem"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_grant_is_refused_with_its_reason(
    api: Api, settings: Settings, change: dict[str, Any], problem: str
) -> None:
    before = policy_versions(settings)
    error = error_of(api.as_authority(GRANT_ADD, {"input": {**phone_grant(OTHER, ["work_reference"]), **change}}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    [stated] = error["extensions"]["problems"]
    assert problem in stated and problem in error["message"]
    assert policy_versions(settings) == before


def test_every_problem_is_named_at_once(api: Api) -> None:
    change = {"items": ["nosuch", "fullName"], "purposes": ["gossip"], "until": "2000-01-01"}
    error = error_of(api.as_authority(GRANT_ADD, {"input": {**phone_grant(OTHER, ["work_reference"]), **change}}))
    assert len(error["extensions"]["problems"]) == 4


def test_a_withheld_item_opens_by_the_authority_only(api: Api, world: World) -> None:
    application = NewGrant(STRANGER, "Citizen", ("record",), ("administrative_basis",), "allow", origin="application")
    catalog_only = Policy(0, policy_text(policy_lines(world.catalog, [])), {}, world.catalog)
    with pytest.raises(GovshareError) as refused:
        check_grant(world.catalog, application, clock.today(), catalog_only)
    assert refused.value.code == "BAD_USER_INPUT"
    assert "Citizen.record is withheld" in refused.value.message and LEGAL_BASIS in refused.value.message

    def record() -> dict[str, Any]:
        return api.post(read_query("record"), department=STRANGER, purpose="administrative_basis")

    assert error_of_field(record())["extensions"]["legalBasis"] == LEGAL_BASIS
    grant = {**phone_grant(STRANGER, ["administrative_basis"]), "items": ["record"]}
    body = api.as_authority(GRANT_ADD, {"input": grant})
    assert body["data"]["grantAdd"]["origin"] == "authority"
    assert record()["data"]["citizen"]["record"] == RECORD


def error_of_field(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    return error  # type: ignore[no-any-return]


# --- who sees which grants -----------------------------------------------------------------------------


def test_grants_are_shown_to_their_parties_and_to_overseers(api: Api, world: World) -> None:
    held_by_other = granted(api, phone_grant(OTHER, ["work_reference"], until="2099-12-31"))
    held_by_provider = granted(
        api, {**phone_grant(PROVIDER, ["work_reference"]), "resource": "Vehicle", "items": ["insurer"]}
    )
    held_by_stranger = granted(api, phone_grant(STRANGER, ["work_reference"], effect="MASK"))
    mine = {held_by_other, held_by_provider, held_by_stranger}
    providers = {name: r.provider for name, r in world.catalog.resources.items()}
    expected = {
        (AUTHORITY, ("authority",)): mine,
        (PROVIDER, ("auditor",)): mine,
        (PROVIDER, ("member",)): {held_by_other, held_by_stranger, held_by_provider},  # gives two, holds one
        (OTHER, ("dept_admin",)): {held_by_other, held_by_provider},  # holds one, gives one
        (STRANGER, ("member",)): {held_by_stranger},
        (AUTHORITY, ("member",)): set(),  # the authority's department, without the role
    }
    for (department, roles), visible in expected.items():
        body = api.post(GRANTS, department=department, roles=roles)
        seen = body["data"]["grants"]
        assert {g["id"] for g in seen} & mine == visible, (department, roles)
        if not {"authority", "auditor"} & set(roles):
            assert all(department in (g["department"], providers[g["resource"]]) for g in seen)
    revoke = api.as_authority(GRANT_REVOKE, {"id": held_by_other})
    assert "errors" not in revoke


# --- policy versions -----------------------------------------------------------------------------------


def test_every_change_is_a_new_policy_version_whose_text_is_kept(api: Api, settings: Settings) -> None:
    before = policy_versions(settings)
    grant_id = granted(api, phone_grant(STRANGER, ["work_reference"], until="2099-12-31"))
    added = policy_versions(settings)
    [new] = set(added) - set(before)
    rule = f"p, {STRANGER}, Citizen.phone, work_reference, allow, 2099-12-31, grant:{grant_id}"
    department, digest, text = added[new]
    assert department == AUTHORITY and rule in text.splitlines()
    assert digest == hashlib.sha256(text.encode()).hexdigest()
    with platform_db(settings) as db:
        assert db.execute("SELECT policy_version FROM grants WHERE id = ?", (int(grant_id),)).fetchone() == (new,)

    api.as_authority(GRANT_REVOKE, {"id": grant_id})
    revoked = policy_versions(settings)
    [newer] = set(revoked) - set(added)
    assert newer > new and rule not in revoked[newer][2]
    assert revoked[new] == added[new] and all(revoked[v] == before[v] for v in before)  # nothing rewritten


def test_a_grant_names_the_policy_version_it_created(api: Api, settings: Settings) -> None:
    """The Grant type's policyVersion is "the policy version the grant created"."""
    before = set(policy_versions(settings))
    body = api.as_authority(GRANT_ADD, {"input": phone_grant(STRANGER, ["work_reference"], effect="ALLOW")})
    assert "errors" not in body, body
    [new] = set(policy_versions(settings)) - before
    assert body["data"]["grantAdd"]["policyVersion"] == new
    listed = api.as_authority(GRANTS.replace("active", "active policyVersion"), {"department": STRANGER})
    [shown] = [g for g in listed["data"]["grants"] if g["id"] == body["data"]["grantAdd"]["id"]]
    assert shown["policyVersion"] == new


# --- the command line ----------------------------------------------------------------------------------


def test_the_command_line_grants_lists_and_revokes(api: Api, settings: Settings, tmp_path: Path) -> None:
    env = command_env(settings.data_dir)
    add = govshare(
        "grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "phone",
        "--purposes", "work_reference", "--effect", "mask", "--until", "2099-12-31", "--by", "ops",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert add.returncode == 0 and add.stderr == "", add.stderr
    assert add.stdout.strip().isdigit() and add.stdout == add.stdout.strip() + "\n"  # the id alone
    grant_id = add.stdout.strip()
    # Another process changed the store: the server sees it at its next poll.
    wait_for(lambda: api.phone(OTHER, "work_reference"), PHONE_MASKED)

    listing = govshare("grant", "list", "--department", OTHER, env=env, cwd=tmp_path)
    assert listing.returncode == 0
    [line] = [row for row in listing.stdout.splitlines() if row.split("\t")[0] == grant_id]
    assert line.split("\t")[1:5] == ["active", OTHER, "Citizen.{phone}", "mask"] and "until=2099-12-31" in line
    assert all(row.split("\t")[2] == OTHER for row in listing.stdout.splitlines())

    revoke = govshare("grant", "revoke", grant_id, "--reason", "done", env=env, cwd=tmp_path)
    assert revoke.returncode == 0 and revoke.stdout.split("\t")[:2] == [grant_id, "revoked"]
    wait_for(lambda: api.phone(OTHER, "work_reference"), None)


# Run side by side: each command costs seconds of start-up.
CLI_ERRORS = {
    "several_problems": (
        ["grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "nosuch,fullName",
         "--purposes", "gossip", "--effect", "allow"],
        ["Citizen has no item 'nosuch'", "Citizen.fullName is shared unconditionally", "purpose 'gossip'"],
    ),
    "scope_not_json": (
        ["grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "phone",
         "--purposes", "work_reference", "--effect", "allow", "--scope", '{"fullName": {"eq": }}'],
        ["--scope is not valid JSON", "line 1 column 21"],
    ),
    "scope_bad_filter": (
        ["grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "phone",
         "--purposes", "work_reference", "--effect", "allow", "--scope", '{"not": {"nosuch": {"eq": 1}}}'],
        ["scope.not.nosuch"],
    ),
    "until_not_a_date": (
        ["grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "phone",
         "--purposes", "work_reference", "--effect", "allow", "--until", "31/12/2099"],
        ["--until '31/12/2099' is not a date"],
    ),
    "revoke_unknown": (["grant", "revoke", "99999"], ["there is no grant 99999"]),
}  # fmt: skip


@pytest.fixture(scope="module")
def cli_errors(
    api: Api, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str, str]]:
    """(exit code, stdout, stderr) of every CLI_ERRORS command, and of `grant list` on an empty platform."""
    cwd = tmp_path_factory.mktemp("cli")
    runs = {name: (args, command_env(settings.data_dir)) for name, (args, _) in CLI_ERRORS.items()}
    runs["no_catalog_yet"] = (["grant", "list"], command_env(cwd / "empty"))
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "govshare.cli", *args],
            env=env,
            cwd=cwd,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, (args, env) in runs.items()
    }
    results = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=60)
        results[name] = (process.returncode, out, err)
    return results


@pytest.mark.parametrize(
    ("name", "fragments"),
    [*((name, fragments) for name, (_, fragments) in CLI_ERRORS.items()), ("no_catalog_yet", ["no catalog yet"])],
    ids=[*CLI_ERRORS, "no_catalog_yet"],
)
def test_a_failing_command_exits_1_with_one_line(
    cli_errors: dict[str, tuple[int, str, str]], name: str, fragments: list[str]
) -> None:
    code, out, err = cli_errors[name]
    assert (code, out) == (1, "")
    assert err.startswith("govshare: ") and err.endswith("\n") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err
