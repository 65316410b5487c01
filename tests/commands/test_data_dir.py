"""One data directory per platform, found the same way by every command, wherever it runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.commands.conftest import clean_env, govshare
from tests.policies.world import World
from tests.services import free_port


def _me(url: str, token: str) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json={"query": "{ me { department { code } user } }"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip


def _token(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return govshare("token", "issue", "--department", "transport", "--user", "王五", *args, cwd=cwd, **settings)


def test_a_token_issued_with_the_servers_dir_anywhere_is_accepted(world: World, tmp_path: Path) -> None:
    server_cwd, other_cwd, third_cwd = (tmp_path / name for name in ("a", "b", "c"))
    for cwd in (server_cwd, other_cwd, third_cwd):
        cwd.mkdir()
    data = tmp_path / "platform"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "govshare.cli", "serve", "--catalog", str(world.catalog_path), "--port", str(port),
         "--dir", "../platform"],
        env=clean_env(), cwd=server_cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        # The data directory is the first thing the server says, absolute.
        assert server.stdout.readline() == f"govshare: data directory {data}\n"
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        by_option = _token(other_cwd, "--dir", str(data))
        by_env = _token(third_cwd, GOVSHARE_DATA_DIR=str(data))
        before = govshare("--dir", str(data), "token", "issue", "--department", "hub", "--user", "u", cwd=third_cwd)
        elsewhere = _token(other_cwd)  # no --dir: ./.govshare of that directory, a platform of its own
        for done in (by_option, by_env, before):
            assert done.returncode == 0 and done.stderr == "", done.stderr
            assert _me(url, done.stdout.strip()).json()["data"]["me"]["department"]["code"] in ("transport", "hub")
        assert elsewhere.returncode == 0 and "made a new signing secret" in elsewhere.stderr
        assert str(other_cwd / ".govshare") in elsewhere.stderr  # it says where, and that no platform is there
        refused = _me(url, elsewhere.stdout.strip())
        assert refused.status_code == 401 and "invalid" in refused.text
    finally:
        server.terminate()
        server.communicate(timeout=15)
    assert {"platform.db", "secret.key"} <= {p.name for p in data.iterdir()}
    assert not (server_cwd / ".govshare").exists() and not (third_cwd / ".govshare").exists()


def test_every_command_reads_the_same_platform_by_option_or_environment(world: World, tmp_path: Path) -> None:
    from tests.commands.conftest import served_platform

    data = tmp_path / "platform"
    served_platform(world, data)
    (tmp_path / "x").mkdir()
    added = govshare("grant", "add", "--department", "transport", "--resource", "Citizen", "--items", "phone",
                     "--purposes", "work_reference", "--effect", "mask", "--dir", str(data), cwd=tmp_path / "x")  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = {
        "option after": govshare("grant", "list", "--dir", str(data), cwd=tmp_path),
        "option before": govshare("--dir", "platform", "grant", "list", cwd=tmp_path),
        "environment": govshare("grant", "list", cwd=tmp_path / "x", GOVSHARE_DATA_DIR=str(data)),
        "option over environment": govshare(
            "grant", "list", "--dir", str(data), cwd=tmp_path, GOVSHARE_DATA_DIR=str(tmp_path / "nosuch")
        ),
    }
    outputs = {name: (done.returncode, done.stdout) for name, done in listed.items()}
    assert set(outputs.values()) == {(0, f"{added.stdout.strip()}\tactive\ttransport\tCitizen.{{phone}}\tmask\t"
                                         "purposes=work_reference\t(authority)\n")}, outputs  # fmt: skip
    # A directory without a platform is named, with what to do, and nothing is created there.
    empty = govshare("audit", "list", "--dir", "nosuch", cwd=tmp_path)
    assert empty.returncode == 1 and empty.stderr.count("\n") == 1
    assert f"there is no platform database in {tmp_path / 'nosuch'}" in empty.stderr and "--dir" in empty.stderr
    assert not (tmp_path / "nosuch").exists()
