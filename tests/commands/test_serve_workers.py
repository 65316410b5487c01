"""`govshare serve --workers N`: several processes on one port and one platform store, over real HTTP.

Which worker answered a request is read from the kernel: the server side of each test connection
is a socket held open by exactly one worker process (/proc/net/tcp and /proc/PID/fd).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import orjson
import pytest

from govshare.auth import issue_token
from govshare.settings import Settings
from tests.policies.world import CITIZEN_ID, OTHER, SECRET, World, command_env, govshare, make_world
from tests.services import free_port
from tests.worlds import ServeProcess, govshare_command, stop_serve, wait_until_ready


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("policyville"))


@contextmanager
def serve_workers(world: World, env: dict[str, str], cwd: Path, workers: int = 2) -> Iterator[ServeProcess]:
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            govshare_command("serve", "--catalog", str(world.catalog_path), "--port", str(port),
                             "--workers", str(workers)),
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = ServeProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_serve(server)


def worker_pids(server: ServeProcess, expected: int) -> set[int]:
    """The worker processes uvicorn started (its multiprocessing children, not the resource tracker)."""
    deadline = time.monotonic() + 30
    while True:
        pid = server.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = {int(c) for c in children if b"spawn_main" in _cmdline(int(c))}
        if len(workers) == expected or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _server_side_inodes(server_port: int, client_ports: set[int]) -> dict[int, int]:
    """client port → inode of the server's socket of that connection, from /proc/net/tcp."""
    found: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) in client_ports:
            found[int(remote.split(":")[1], 16)] = inode
    return found


def _owners(pids: set[int], inodes: set[int]) -> dict[int, int]:
    """inode → the process among ``pids`` that holds that socket open."""
    owners: dict[int, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                owners[int(target[8:-1])] = pid
    return owners


def _request(port: int, token: str) -> bytes:
    body = orjson.dumps({"query": f'{{ citizen(citizenId: "{CITIZEN_ID}") {{ citizenId fullName }} }}'})
    return (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nX-Purpose: work_reference\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _answer(conn: socket.socket) -> bytes:
    reader = conn.makefile("rb")
    status = reader.readline()
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    assert status.split()[1] == b"200", status
    return reader.read(length)


@contextmanager
def only(target: int, workers: set[int]) -> Iterator[None]:
    """Only ``target`` can accept a connection meanwhile: the other workers are stopped (SIGSTOP).

    Without this, connections that arrive while the workers wait go to whichever wakes first,
    most often the same one."""
    others = workers - {target}
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def owner(port: int, conn: socket.socket, workers: set[int]) -> int:
    """The worker that holds the server side of ``conn``."""
    inodes = _server_side_inodes(port, {conn.getsockname()[1]})
    owners = _owners(workers, set(inodes.values()))
    assert len(owners) == 1, (inodes, owners)
    return next(iter(owners.values()))


def ask(conn: socket.socket, port: int, token: str, times: int) -> None:
    """``times`` requests, one after another, on the keep-alive connection ``conn``."""
    for _ in range(times):
        conn.sendall(_request(port, token))
        assert orjson.loads(_answer(conn)) == {"data": {"citizen": {"citizenId": CITIZEN_ID, "fullName": "张三丰"}}}


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def _assert_all_stopped(server: ServeProcess, workers: set[int]) -> None:
    assert server.process.wait(30) == 0, server.output()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers still running after the server ended: {workers}"
        time.sleep(0.05)
    assert "Traceback" not in server.output(), server.output()


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_workers_answer_and_write_one_audit_chain(
    world: World, tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    extra = {"GOVSHARE_STORE_URL": request.getfixturevalue("postgres_url")} if store == "postgres" else {}
    env = command_env(tmp_path / "data", **extra)
    token = issue_token(Settings(secret=SECRET), OTHER, "transport-user", ["member"])
    with serve_workers(world, env, tmp_path) as server, ExitStack() as stack:
        workers = worker_pids(server, 2)
        assert len(workers) == 2, workers
        port = int(server.url.rsplit(":", 1)[1])
        conns: dict[int, socket.socket] = {}
        for pid in sorted(workers):
            with only(pid, workers):
                conns[pid] = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=30))
                ask(conns[pid], port, token, 1)
            assert owner(port, conns[pid], workers) == pid  # each worker answered on its own connection
        # Both workers answer at the same time, each appending to the one audit chain.
        with ThreadPoolExecutor(len(conns)) as pool:
            for done in [pool.submit(ask, conn, port, token, 40) for conn in conns.values()]:
                done.result()
        server.process.send_signal(signal.SIGTERM)
        _assert_all_stopped(server, workers)
    # Records written by both processes at once make one unbroken chain.
    verified = govshare("audit", "verify", env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_sigint_stops_every_worker(world: World, tmp_path: Path) -> None:
    with serve_workers(world, command_env(tmp_path / "data"), tmp_path) as server:
        workers = worker_pids(server, 2)
        assert len(workers) == 2, workers
        server.process.send_signal(signal.SIGINT)
        _assert_all_stopped(server, workers)


@pytest.mark.parametrize("workers", ["0", "65"])
def test_a_worker_count_out_of_range_is_one_line(world: World, tmp_path: Path, workers: str) -> None:
    done = govshare("serve", "--catalog", str(world.catalog_path), "--workers", workers,
                    env=command_env(tmp_path / "data"), cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"govshare: --workers {workers} is out of range: give 1 to 64 (")
    assert done.stderr.count("\n") == 1


def test_a_busy_port_and_a_bad_catalog_are_refused_before_any_worker_starts(world: World, tmp_path: Path) -> None:
    env = command_env(tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = govshare("serve", "--catalog", str(world.catalog_path), "--port", port, "--workers", "2",
                        env=env, cwd=tmp_path)  # fmt: skip
    assert busy.returncode == 1 and busy.stderr == (f"govshare: cannot listen on 127.0.0.1:{port}: Address already "
                                                    "in use; is another server running there? Stop it or choose "
                                                    "another --port\n")  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\n", encoding="utf-8")
    refused = govshare("serve", "--catalog", str(bad), "--workers", "2", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    last = refused.stderr.splitlines()[-1]
    assert last.startswith(f"govshare: {bad}: the catalog has ") and last.endswith(" problem(s), listed above")
    assert not (tmp_path / "data").exists()  # nothing was prepared for workers
