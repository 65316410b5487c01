"""A newcomer's stumbling blocks, each a clear line and exit status 1 (or a quiet end) instead of a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands.conftest import Platform, clean_env
from tests.policies.world import AUTHORITY, OTHER


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_busy_port_is_one_line(platform: Platform, command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        extra = ("--catalog", str(platform.world.catalog_path)) if command == "serve" else ("--persons", "10")
        done = platform.run(command, *extra, "--port", port)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"govshare: cannot listen on 127.0.0.1:{port}: Address already in use; "
                           "is another server running there? Stop it or choose another --port\n")  # fmt: skip
    assert not (platform.data_dir / "world").exists()  # refused before generating anything


@pytest.mark.parametrize(
    "args",
    [("audit", "list"), ("audit", "export"), ("grant", "list"), ("application", "list", "--department", OTHER)],
    ids=["audit list", "audit export", "grant list", "application list"],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(platform: Platform, args: tuple[str, ...]) -> None:
    platform.ok("grant", "add", "--department", OTHER, "--resource", "Citizen", "--items", "phone",
                "--purposes", "work_reference", "--effect", "mask")  # fmt: skip
    platform.ok("audit", "verify")  # a record to export
    # Like `govshare … | head -0`: the pipe is closed before the command writes.
    with subprocess.Popen(
        [sys.executable, "-m", "govshare.cli", *args, "--dir", str(platform.data_dir)],
        env=clean_env(), cwd=platform.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait(60)
    assert (code, err) == (141, "")


def test_audit_list_names_its_columns(platform: Platform) -> None:
    platform.ok("grant", "list")
    header, *records = platform.ok("audit", "list")
    assert header.split("\t") == ["seq", "recorded at (UTC)", "kind", "outcome", "department/user", "purpose",
                                  "operation", "error codes"]  # fmt: skip
    assert records == []  # grant list is not an audited step; the listing records itself after reading
    [listing] = platform.ok("audit", "list")[1:]
    assert listing.split("\t")[2:4] == ["cli", "answered"]


def test_a_token_for_an_unknown_department_is_refused(platform: Platform, tmp_path: Path) -> None:
    done = platform.run("token", "issue", "--department", "nosuch", "--user", "u")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"govshare: department 'nosuch' is not in the catalog {platform.world.catalog_path}; "
                           f"known departments: {AUTHORITY}, civil, {OTHER}, health\n")  # fmt: skip
    authority = platform.run("token", "issue", "--department", OTHER, "--user", "u", "--role", "authority")
    assert authority.returncode == 1 and f"belongs to the platform authority {AUTHORITY}" in authority.stderr
    # Without a platform, a catalog file given on the command line is checked instead.
    fresh = tmp_path / "fresh"
    by_file = platform.run("token", "issue", "--department", "nosuch", "--user", "u",
                           "--catalog", str(platform.world.catalog_path), cwd=fresh.parent)  # fmt: skip
    assert by_file.returncode == 1 and "known departments:" in by_file.stderr


def test_replay_of_a_record_that_is_no_query_says_what_it_is(platform: Platform) -> None:
    platform.ok("audit", "verify")
    done = platform.run("audit", "replay", "1")
    assert done.returncode == 1
    assert done.stderr == "govshare: record 1 is an answered cli: only executed queries can be replayed\n"
