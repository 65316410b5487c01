"""`govshare demo` end to end: a real process, and every curl command it prints answers."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.services import free_port


def _request(command: str) -> httpx.Response:
    """Run one printed curl command with httpx (same URL, headers and body)."""
    words = shlex.split(command)
    url = words[2]
    headers = dict(w.split(": ", 1) for p, w in itertools.pairwise(words) if p == "-H")
    body = words[words.index("--data") + 1]
    return httpx.post(url, content=body.encode(), headers=headers, timeout=30)


def _wait_for(server: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + 120
    while "press Ctrl+C to stop" not in log.read_text(encoding="utf-8"):
        assert server.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "the demo did not start in time"
        time.sleep(0.2)
    return log.read_text(encoding="utf-8")


def test_demo_answers_its_printed_examples(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.out"
    # Everything under --dir, whatever the working directory: no settings of this machine's.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GOVSHARE_")}
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "govshare.cli",
                "demo",
                "--dir",
                "../demo",
                "--persons",
                "300",
                "--port",
                str(port),
            ],
            env=env,
            cwd=tmp_path / "here",
            stdout=out,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            printed = _wait_for(server, log)
            commands = [line for line in printed.splitlines() if line.startswith("curl ")]
            answers: list[dict[str, Any]] = [_request(c).json() for c in commands]
            # GraphiQL's address carries no token; the headers to paste into it are printed apart.
            assert re.search(rf"^GraphiQL: http://127.0.0.1:{port}/graphql$", printed, re.MULTILINE)
            assert not re.search(r"https?://\S*(token|Bearer|ey[A-Za-z0-9_-]{10,})", printed)
            [pane] = [json.loads(line) for line in printed.splitlines() if line.strip().startswith('{"Authorization"')]
            assert pane["X-Purpose"] == "work_reference"
            assert httpx.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ me { user } }"}, headers=pane
            ).json() == {"data": {"me": {"user": "demo"}}}
            # A token issued elsewhere with the same --dir is the server's.
            issued = subprocess.run(
                [sys.executable, "-m", "govshare.cli", "token", "issue", "--department", "hrss", "--user", "李四",
                 "--dir", str(tmp_path / "demo")],
                env=env, cwd=tmp_path / "there", capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert issued.returncode == 0 and issued.stderr == "", issued.stderr
            assert httpx.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ me { user } }"},
                headers={"Authorization": f"Bearer {issued.stdout.strip()}"},
            ).json() == {"data": {"me": {"user": "李四"}}}  # fmt: skip
        finally:
            server.terminate()
            server.wait(20)
    assert printed.startswith(f"govshare: data directory {tmp_path / 'demo'}\n")
    assert (tmp_path / "demo" / "world" / "catalog.yaml").is_file() and (tmp_path / "demo" / "platform.db").is_file()
    assert not (tmp_path / "here" / ".govshare").exists() and not (tmp_path / "there" / ".govshare").exists()
    assert len(commands) == 7
    lookup, join, aggregate, provider, masked, ungranted, verified = answers
    for answer in (lookup, join, aggregate, provider, verified):
        assert "errors" not in answer, json.dumps(answer, ensure_ascii=False)
    assert lookup["data"]["person"]["licenses"]
    assert join["data"]["legalEntities"]["nodes"]
    assert aggregate["data"]["peopleAggregate"]["count"] == 300
    phone = provider["data"]["person"]["phone"]
    assert re.fullmatch(r"1\d{10}", phone)
    # market: the phone masked, the criminal record withheld with its legal basis
    assert masked["data"]["person"]["phone"] == phone[:3] + "****" + phone[-4:]
    [withheld] = masked["errors"]
    assert withheld["path"] == ["person", "criminalRecord"] and withheld["extensions"]["legalBasis"]
    # hrss: no grant, so the phone is FORBIDDEN too, with how to apply
    assert ungranted["data"]["person"]["phone"] is None
    assert {e["extensions"]["item"]: e["extensions"]["code"] for e in ungranted["errors"]} == {
        "phone": "FORBIDDEN",
        "criminalRecord": "FORBIDDEN",
    }
    assert verified["data"]["personVerify"] == {"found": True, "matched": True, "mismatched": []}
