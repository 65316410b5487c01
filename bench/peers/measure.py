"""One server's figures in one round: Q1 latency, Q2 load, CPU per request, the machine's load.

Q1: median of sequential requests on one keep-alive httpx connection, after warm-up, timed
until the whole body has arrived. Q2: a fixed-duration closed-loop run of concurrent
connections cycling through the same POST bodies, by wrk (a generated Lua script) when it
is on PATH, else the asyncio client of bench/load.py in its own process.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.load import Load, Spec, run_load
from bench.peers.procs import Backends, tree_cpu_ms
from bench.peers.servers import Server


@dataclass(frozen=True, slots=True)
class Settings:
    q1_warmup: int = 5
    q1_requests: int = 30
    q2_warmup: float = 3.0
    q2_seconds: float = 15.0
    q2_connections: int = 16


class Meter:
    """CPU of the server's process tree and of its PostgreSQL backends over a window."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pg = Backends(server.databases)
        self.server_ms = tree_cpu_ms(server.process.pid)

    def read(self) -> tuple[float, float]:
        """server and PostgreSQL CPU milliseconds since the meter started."""
        server_ms = tree_cpu_ms(self.server.process.pid) - self.server_ms
        return server_ms, self.pg.stop()


def machine() -> dict[str, Any]:
    return {"loadavg": list(os.getloadavg()), "cpus": os.cpu_count()}


def _post(client: httpx.Client, server: Server, path: str, body: bytes) -> bytes:
    response = client.post(server.base + path, content=body, headers=server.headers)
    if response.status_code != 200:
        raise RuntimeError(f"{server.name} answered {response.status_code}: {response.text[:500]}")
    return response.content


def documents(server: Server, first_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Q1's and Q2's (first id) answers, in govshare's shape."""
    with httpx.Client(timeout=60, headers={"Content-Type": "application/json"}) as client:
        q1 = json.loads(_post(client, server, server.q1_path, server.q1_body))
        q2 = json.loads(_post(client, server, server.q2_path, server.q2_body(first_id)))
    return server.reshape(q1), server.reshape(q2)


def q1_latency(server: Server, settings: Settings) -> dict[str, Any]:
    with httpx.Client(timeout=60, headers={"Content-Type": "application/json"}) as client:
        for _ in range(settings.q1_warmup):
            _post(client, server, server.q1_path, server.q1_body)
        meter = Meter(server)
        times: list[float] = []
        for _ in range(settings.q1_requests):
            started = time.perf_counter()
            _post(client, server, server.q1_path, server.q1_body)
            times.append((time.perf_counter() - started) * 1000)
        server_ms, pg_ms = meter.read()
    n = settings.q1_requests
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
            "cpu_ms_per_req": server_ms / n, "pg_cpu_ms_per_req": pg_ms / n}  # fmt: skip


_LUA = """
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local prepared = {}
local next_one = 0

function init(args)
  for i, body in ipairs(bodies) do prepared[i] = wrk.format("POST", "%(path)s", headers, body) end
end

function request()
  next_one = next_one %% #prepared + 1
  return prepared[next_one]
end

function done(summary, latency, requests)
  local e = summary.errors
  local shape = 'RESULT {"requests": %%d, "seconds": %%.6f, "p50_ms": %%.3f, "p99_ms": %%.3f, "failed": %%d}\\n'
  io.write(string.format(shape, summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua(text: str) -> str:
    """A Lua long string; a table key needs a space after its "[" ("[[" would open a long string)."""
    assert "]==]" not in text, text
    return f"[==[{text}]==]"


def _wrk(spec: Spec, work: Path) -> Load:
    script = work / f"q2-{spec.port}.lua"
    script.write_text(_LUA % {"bodies": ", ".join(_lua(b) for b in spec.bodies), "path": spec.path,
                              "headers": ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in spec.headers.items())},
                      encoding="utf-8")  # fmt: skip
    # One wrk thread drives 16 connections and leaves the rest of the machine to the server.
    command = ["wrk", "-t1", f"-c{spec.connections}", f"-d{max(1, round(spec.seconds))}s", "--timeout", "10s",
               "-s", str(script), f"http://127.0.0.1:{spec.port}{spec.path}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=spec.seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return Load(**json.loads(line.removeprefix("RESULT ")))
    raise RuntimeError(f"wrk gave no result ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def _load(spec: Spec, work: Path) -> Load:
    return _wrk(spec, work) if load_tool() == "wrk" else run_load(spec, work, tool="python")


def q2_load(server: Server, ids: list[str], settings: Settings, work: Path) -> dict[str, Any]:
    bodies = [server.q2_body(key).decode() for key in ids]
    headers = {**server.headers, "Content-Type": "application/json"}

    def spec(seconds: float) -> Spec:
        return Spec(server.port, server.q2_path, headers, bodies, settings.q2_connections, seconds)

    _load(spec(settings.q2_warmup), work)
    meter = Meter(server)
    result = _load(spec(settings.q2_seconds), work)
    server_ms, pg_ms = meter.read()
    during = machine()
    requests = max(result.requests, 1)
    figures = {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "requests": result.requests,
               "failed": result.failed, "cpu_ms_per_req": server_ms / requests, "pg_cpu_ms_per_req": pg_ms / requests,
               "machine_during": during}  # fmt: skip
    if server.store is not None:  # the platform store's share: its audit log, above all
        figures["pg_store_cpu_ms_per_req"] = meter.pg.by_database()[server.store] / requests
    return figures
