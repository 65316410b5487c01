"""Closed-loop HTTP load: N connections each sending POSTs back to back for a fixed time.

``run_load`` uses wrk when it is on PATH (a Lua script picks a random
prepared request each time), else this file as a separate process
(`python bench/load.py SPEC.json`): asyncio streams on keep-alive
connections, so the client never shares the server's event loop or process.
Either way the answer is one `Load`: requests/s, p50 and p99 latency, and how
many answers were not HTTP 200 or failed.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Spec:
    """What to send: POST `path` with `headers` and one of `bodies` (chosen at random) per request."""

    port: int
    path: str
    headers: dict[str, str]
    bodies: list[str]
    connections: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failed: int  # non-200 answers, socket errors and timeouts

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_load(spec: Spec, work: Path, tool: str = "auto") -> Load:
    """One fixed-duration run against 127.0.0.1:port with wrk (tool 'wrk' or 'auto' when present) or Python."""
    work.mkdir(parents=True, exist_ok=True)
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return _wrk(spec, work)
    path = work / "load-spec.json"
    path.write_text(json.dumps(asdict(spec)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, __file__, str(path)], capture_output=True, text=True, timeout=spec.seconds + 60, check=True
    )
    return Load(**json.loads(done.stdout.strip().splitlines()[-1]))


# -- wrk ----------------------------------------------------------------------

_WRK_SCRIPT = """
local bodies = {%(bodies)s}
local headers = {%(headers)s}
local prepared = {}

function init(args)
  math.randomseed(os.time())
  for i, body in ipairs(bodies) do prepared[i] = wrk.format("POST", "%(path)s", headers, body) end
end

function request()
  return prepared[math.random(#prepared)]
end

function done(summary, latency, requests)
  local e = summary.errors
  local shape = 'BENCH {"requests": %%d, "seconds": %%.6f, "p50_ms": %%.3f, "p99_ms": %%.3f, "failed": %%d}\\n'
  io.write(string.format(shape,
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def _wrk(spec: Spec, work: Path) -> Load:
    script = work / "load.lua"
    script.write_text(
        _WRK_SCRIPT
        % {
            "bodies": ", ".join(_lua_string(b) for b in spec.bodies),
            # "[ [====[" with a space: "[[" would open a Lua long string.
            "headers": ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in spec.headers.items()),
            "path": spec.path,
        },
        encoding="utf-8",
    )
    # One thread: it drives 32 connections easily and leaves the other core to the server.
    # wrk takes whole seconds only.
    command = ["wrk", "-t1", f"-c{spec.connections}", f"-d{max(1, round(spec.seconds))}s", "--timeout", "10s",
               "-s", str(script), f"http://127.0.0.1:{spec.port}{spec.path}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=spec.seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return Load(**json.loads(line.removeprefix("BENCH ")))
    raise RuntimeError(f"wrk printed no result: {done.stdout[-2000:]} {done.stderr[-2000:]}")


# -- Python -------------------------------------------------------------------


async def _client(
    spec: Spec, requests: list[bytes], deadline: float, latencies: list[float], failures: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", spec.port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(random.choice(requests))
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
            await reader.readexactly(int(fields.get("content-length", "0")))
            latencies.append(time.perf_counter() - started)
            if lines[0].split(" ", 2)[1] != "200":
                failures[0] += 1
    except (OSError, asyncio.IncompleteReadError):
        failures[0] += 1
    finally:
        writer.close()


async def _python_load(spec: Spec) -> Load:
    headers = "".join(f"{k}: {v}\r\n" for k, v in spec.headers.items())
    requests = []
    for body in spec.bodies:
        data = body.encode()
        requests.append(
            f"POST {spec.path} HTTP/1.1\r\nHost: 127.0.0.1:{spec.port}\r\n{headers}"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
    latencies: list[float] = []
    failures = [0]
    started = time.perf_counter()
    deadline = started + spec.seconds
    await asyncio.gather(*(_client(spec, requests, deadline, latencies, failures) for _ in range(spec.connections)))
    elapsed = time.perf_counter() - started
    if not latencies:
        return Load(0, elapsed, 0.0, 0.0, failures[0])
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return Load(len(latencies), elapsed, cuts[49] * 1000, cuts[98] * 1000, failures[0])


def main(spec_path: str) -> None:
    raw: dict[str, Any] = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    load = asyncio.run(_python_load(Spec(**raw)))
    print(json.dumps({k: getattr(load, k) for k in ("requests", "seconds", "p50_ms", "p99_ms", "failed")}))


if __name__ == "__main__":
    main(sys.argv[1])
