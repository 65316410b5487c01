"""A gateway killed with SIGKILL under load: every answer a client got has its record."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.audit.conftest import served_settings
from tests.testville import City
from tests.worlds import govshare_command, graphql_headers, start_serve, wait_until_ready


def _govshare(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(govshare_command(*args), env=env, capture_output=True, text=True, timeout=60)


def test_every_answered_request_survives_a_sigkill(city: City, tmp_path: Path) -> None:
    settings = served_settings(tmp_path)
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(tmp_path), "GOVSHARE_SECRET": settings.secret}
    server = start_serve(city.directory / "catalog.yaml", env, tmp_path / "server.log")
    wait_until_ready(server)
    url = f"{server.url}/graphql"
    headers = graphql_headers(settings, "transport", "load", purpose="work_reference")
    answered: list[str] = []
    stop = threading.Event()

    def client(number: int) -> None:
        with httpx.Client(timeout=10) as http:
            for n in range(10_000):
                if stop.is_set():
                    return
                name = f"C{number}N{n}"
                try:
                    response = http.post(
                        url,
                        headers=headers,
                        json={"query": f'query {name} {{ resident(residentId: "r{n % 900:05d}") {{ fullName }} }}'},
                    )
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    answered.append(name)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(20)
    assert len(answered) > 50  # the load really ran
    exported = _govshare("audit", "export", "--format", "jsonl", env=env)
    assert exported.returncode == 0, exported.stderr
    recorded = {
        line.split('"operation_name":"', 1)[1].split('"', 1)[0]
        for line in exported.stdout.splitlines()
        if '"operation_name":"C' in line
    }
    assert set(answered) <= recorded
    verified = _govshare("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit log: OK")
