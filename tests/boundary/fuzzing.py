"""Fuzzing a real `govshare serve` process over HTTP, and what must hold of every answer.

Used by tests/boundary/test_fuzz.py (a bounded run) and bench/fuzz_http.py (the full one).
Whatever is sent: no 5xx but AUDIT_UNAVAILABLE or SOURCE_UNAVAILABLE, no INTERNAL error, no stack trace, SQL,
path or host in any message, exactly one audit record per answer of the application, and a
memory peak under twice the idle server's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from govshare.auth import issue_token
from govshare.catalog import load_catalog
from govshare.schema.build import build_schema
from govshare.settings import Settings
from tests.boundary.fuzz_bodies import Raw, malformed, request, send
from tests.boundary.fuzz_operations import Operations
from tests.worlds import govshare_serve, read_audit

LEAK = re.compile(r"Traceback|File \"|/work|/tmp|site-packages|SELECT |sqlite|asyncpg|asyncmy|aiosqlite|127\.0\.0\.1")
ALLOWED_5XX = {"AUDIT_UNAVAILABLE", "SOURCE_UNAVAILABLE"}
SECRET = "fuzzing-signing-key-0123456789abcdef"


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    settings: Settings
    catalog: Path

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (the peak) of the server process, in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return {
            k: int(v.split()[0])
            for k, v in (line.split(":", 1) for line in status.splitlines())
            if k in ("VmRSS", "VmHWM")
        }

    def audit_count(self) -> int:
        return len(self.audit_queries())

    def audit_queries(self) -> list[str | None]:
        return [record.query for record in read_audit(self.settings)]


@contextmanager
def serve(catalog: Path, data_dir: Path) -> Iterator[Server]:
    """`govshare serve --catalog FILE` as a subprocess, with its own platform database."""
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(data_dir), "GOVSHARE_SECRET": SECRET}
    with govshare_serve(catalog, env, data_dir / "server.log") as server:
        port = int(server.url.rsplit(":", 1)[1])
        yield Server(server.url, port, server.process, Settings(data_dir=data_dir, secret=SECRET), catalog)


@dataclass
class Report:
    operations: int = 0
    malformed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    before_http: int = 0  # refused by the HTTP server itself (bad framing): no application answer, no record
    abandoned: int = 0  # the client ended its upload early: recorded, but no one is there to read the answer
    audited: int = 0
    answered: int = 0
    idle_kib: int = 0
    peak_kib: int = 0
    seconds: float = 0.0

    def check(self, label: str, status: int, content_type: str, body: bytes) -> None:
        self.statuses[status] += 1
        if not content_type.startswith("application/json"):
            self.problems.append(f"{label}: HTTP {status} {content_type!r} {body[:200]!r}")
            return
        self.answered += 1
        try:
            answer: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            self.problems.append(f"{label}: HTTP {status}, not JSON: {body[:200]!r}")
            return
        errors = answer.get("errors", []) if isinstance(answer, dict) else []
        codes = [e.get("extensions", {}).get("code") for e in errors]
        self.codes.update(str(c) for c in codes)
        if status >= 500 and not set(codes) <= ALLOWED_5XX:
            self.problems.append(f"{label}: HTTP {status} {codes} {body[:300]!r}")
        elif "INTERNAL" in codes:  # a field that failed unexpectedly: bad input must never get this far
            self.problems.append(f"{label}: INTERNAL {body[:300]!r}")
        for error in errors:
            if LEAK.search(str(error.get("message", ""))):
                self.problems.append(f"{label}: message leaks: {error['message'][:300]!r}")

    @property
    def memory_ratio(self) -> float:
        return self.peak_kib / self.idle_kib if self.idle_kib else 0.0


def fuzz(server: Server, *, operations: int, bodies: int, seed: int, huge: int, parallel_uploads: int) -> Report:
    report = Report()
    started = time.monotonic()
    generator = Operations(build_schema(load_catalog(server.catalog)).graphql, seed)
    tokens = [issue_token(server.settings, d, "fuzz", r) for d, r in
              (("transport", ["member"]), ("civil", ["member", "dept_admin"]), ("hub", ["authority", "auditor"]))]  # fmt: skip
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.post("/graphql", json={"query": "{ me { user } }"}, headers={"Authorization": f"Bearer {tokens[0]}"})
        time.sleep(0.5)
        report.idle_kib = server.memory_kib()["VmRSS"]
        before = server.audit_count()
        markers = []
        for n in range(operations):
            marker = f"fuzz-{seed}-{n}"
            markers.append(marker)
            operation = generator.operation(marker)
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            if n % 5:
                headers["X-Purpose"] = "work_reference"
            if n % 7 == 0 and "mutation" not in operation.query.split("{")[0]:
                # json, not orjson: the operations send integers beyond 64 bits (2**63) on purpose.
                params = {k: (json.dumps(v) if k == "variables" else v) for k, v in operation.body().items()}
                response = client.get("/graphql", params=params, headers=headers)
            else:
                response = client.post("/graphql", json=operation.body(), headers=headers)
            report.operations += 1
            report.check(f"operation {n}: {operation.query[:300]!r}", response.status_code,
                         response.headers.get("content-type", ""), response.content)  # fmt: skip
    raws = malformed(bodies, seed, lambda: generator.operation("malformed"), tokens[0], huge=huge)
    uploads = [request("parallel chunked upload", "POST", "/graphql", {"Content-Type": "application/json"},
                       chunks=_zeros(huge)) for _ in range(parallel_uploads)]  # fmt: skip
    replies = _send_together(server, uploads)
    for raw in raws:
        replies.append((raw, send("127.0.0.1", server.port, raw)))
    for raw, reply in replies:
        report.malformed += 1
        if reply.status == 400 and reply.content_type.startswith("text/plain"):
            report.before_http += 1  # uvicorn refused the framing; the application never saw it
            report.statuses[reply.status] += 1
            continue
        if reply.status == 0 and raw.half_close:
            report.abandoned += 1
            continue
        report.check(f"{raw.label}: {raw.head[:200]!r}", reply.status, reply.content_type, reply.body)
    time.sleep(0.2)
    queries = server.audit_queries()[before:]
    report.audited = len(queries)
    if report.audited != report.answered + report.abandoned:
        report.problems.append(f"{report.answered} answers, {report.abandoned} abandoned, {report.audited} records")
    seen = Counter(m for q in queries if q for m in re.findall(r"# (fuzz-\d+-\d+)\n", q))
    missing = [m for m in markers if seen[m] != 1]
    if missing:
        report.problems.append(f"{len(missing)} operations without exactly one audit record, e.g. {missing[:5]}")
    report.peak_kib = server.memory_kib()["VmHWM"]
    if report.memory_ratio >= 2:
        report.problems.append(f"memory peak {report.peak_kib} KiB is not under twice the idle {report.idle_kib} KiB")
    report.seconds = time.monotonic() - started
    return report


def _zeros(total: int) -> Any:
    def chunks() -> Iterator[bytes]:
        piece = b"0" * 65536
        for _ in range(total // len(piece)):
            yield piece

    return chunks


def _send_together(server: Server, raws: list[Raw]) -> list[tuple[Raw, Any]]:
    replies: list[tuple[Raw, Any]] = []
    lock = threading.Lock()

    def one(raw: Raw) -> None:
        reply = send("127.0.0.1", server.port, raw)
        with lock:
            replies.append((raw, reply))

    threads = [threading.Thread(target=one, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies
