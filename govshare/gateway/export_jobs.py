"""Exports as jobs (``?async=1``): the file is written on the server and fetched when it is done.

A job is started like a streamed export (checked, decided, its opening record durable first)
and runs in the serving process, writing ``<job>.part`` under ``exports/`` in the data
directory; the file takes its final name only once the closing record is durable. Its state
lives beside it as ``<job>.json``. ``GET /export-jobs/{job}`` tells the state and
``GET /export-jobs/{job}/file`` hands out the file: only to the department that started the
job (to any other, the job does not exist), each request audited, the fetch before a byte of
the file leaves. A file is kept ``GOVSHARE_EXPORT_KEEP_HOURS`` after it is done, then deleted.
A job its process did not finish (stopped, killed) is reported as cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from govshare import clock
from govshare.audit.record import AuditRecord
from govshare.errors import BAD_USER_INPUT
from govshare.gateway.export_run import ExportRun
from govshare.gateway.formats import MEDIA_TYPES
from govshare.gateway.http import Answer, JSONResponse, authenticate, error_body, internal, recorded
from govshare.identity import Caller

Job = dict[str, Any]


class ExportJobs:
    """The jobs of one data directory; the tasks of the jobs this process runs."""

    def __init__(self, directory: Path, keep: datetime.timedelta) -> None:
        self.directory = directory
        self.keep = keep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False  # the server stops: running jobs end at their next batch, recorded as cut

    def start(self, run: ExportRun) -> Job:
        self.sweep()
        self.directory.mkdir(parents=True, exist_ok=True)
        opening = run.opening
        job: Job = {
            "job": secrets.token_urlsafe(16),
            "department": opening.department,
            "resource": run.plan.resource.name,
            "format": run.encoder.format,
            "state": "running",
            "opening": opening.seq,
            "created": _iso(clock.real_now()),
            "pid": os.getpid(),
        }
        self._save(job)
        self._tasks[job["job"]] = asyncio.create_task(self._run(job, run), name=f"govshare-export-{job['job']}")
        return job

    async def _run(self, job: Job, run: ExportRun) -> None:
        part = self.directory / f"{job['job']}.part"
        try:
            with part.open("wb") as out:

                async def write(chunk: bytes) -> None:
                    out.write(chunk)

                final = await run.pump(write, lambda: self._stopping)
                if final is not None:
                    out.write(final)
                    out.flush()
                    os.fsync(out.fileno())
            closing = run.closing
            if final is not None and closing is not None and closing.detail is not None:
                part.rename(self.file_of(job))
                job.update(state="done", closing=closing.seq, rows=closing.detail["rows"],
                           bytes=closing.detail["bytes"], digest=closing.result_sha256, keyId=closing.result_key_id,
                           finished=_iso(clock.real_now()), expires=_iso(clock.real_now() + self.keep))  # fmt: skip
            else:
                detail = closing.detail if closing is not None and closing.detail else {}
                job.update(state="cut", cut=detail.get("cut", "its closing record could not be written"),
                           closing=closing.seq if closing is not None else None)  # fmt: skip
            self._save(job)
        finally:
            part.unlink(missing_ok=True)
            self._tasks.pop(job["job"], None)

    async def close(self, wait: float) -> None:
        """Stop the running jobs: each at its next batch (recorded as cut), or cancelled after ``wait`` s."""
        self._stopping = True
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=wait)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def find(self, job_id: str, department: str) -> Job | None:
        """The job, as far as ``department`` may know it (another department's does not exist)."""
        self.sweep()
        if not job_id.replace("-", "").replace("_", "").isalnum():
            return None
        try:
            job: Job = orjson.loads((self.directory / f"{job_id}.json").read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        if job["department"] != department:
            return None
        if job["state"] == "running" and job_id not in self._tasks and not _alive(job["pid"]):
            job.update(state="cut", cut="the server that ran it stopped before it ended")
            self._save(job)
        return job

    def sweep(self) -> None:
        """Delete the files (and state) of jobs past their keeping time."""
        now = clock.real_now()
        for state in self.directory.glob("*.json") if self.directory.exists() else ():
            with contextlib.suppress(OSError, orjson.JSONDecodeError, KeyError, ValueError):
                job = orjson.loads(state.read_bytes())
                if job.get("expires") and datetime.datetime.fromisoformat(job["expires"]) <= now:
                    self.file_of(job).unlink(missing_ok=True)
                    state.unlink()

    def file_of(self, job: Job) -> Path:
        return self.directory / f"{job['job']}.{job['format']}"

    def _save(self, job: Job) -> None:
        draft = self.directory / f".{job['job']}.{secrets.token_hex(4)}"
        draft.write_bytes(orjson.dumps(job))
        os.replace(draft, self.directory / f"{job['job']}.json")


def described(job: Job) -> Job:
    """What a caller is told of a job."""
    shown = {k: v for k, v in job.items() if k not in ("pid", "department", "keyId")}
    shown["status"] = f"/export-jobs/{job['job']}"
    if job["state"] == "done":
        shown["file"] = f"/export-jobs/{job['job']}/file"
    return shown


async def job_status(request: Request) -> Response:
    return await _answer(request, fetch=False)


async def job_file(request: Request) -> Response:
    return await _answer(request, fetch=True)


async def _answer(request: Request, *, fetch: bool) -> Response:
    started = time.perf_counter()
    audit = request.app.state.gateway.runtime.audit
    record = AuditRecord(kind="export", outcome="malformed", client=request.client.host if request.client else None)
    record.query = f"GET {request.url.path}"
    try:
        found = _find(request, record, fetch=fetch)
    except Exception:
        found = internal(request, record)
    record.duration_ms = (time.perf_counter() - started) * 1000
    withheld = await recorded(request, audit, record)
    if withheld is not None:
        return withheld
    if isinstance(found, Response):
        return found
    status, body, headers = found
    return JSONResponse(body, status, headers)


def _find(request: Request, record: AuditRecord, *, fetch: bool) -> Answer | Response:
    caller = authenticate(request, record)
    if not isinstance(caller, Caller):
        return caller
    jobs: ExportJobs = request.app.state.export_jobs
    job_id = request.path_params["job"]
    job = jobs.find(job_id, caller.department)
    if job is None:
        record.outcome, record.error_codes = "rejected", [BAD_USER_INPUT]
        hours = jobs.keep.total_seconds() / 3600
        message = (f"There is no export job {job_id!r} of {caller.department}: a job's file is kept {hours:g} hours "
                   "after it is done, for the department that started it")  # fmt: skip
        return 404, error_body(BAD_USER_INPUT, message), {}
    record.detail = {"job": job_id, "opening": job["opening"], "state": job["state"]}
    if not fetch:
        record.outcome = "answered"
        return 200, described(job), {}
    if job["state"] != "done":
        record.outcome, record.error_codes = "rejected", [BAD_USER_INPUT]
        message = f"Export job {job_id} is {job['state']}, not done: its file cannot be fetched"
        return 409, error_body(BAD_USER_INPUT, message, state=job["state"]), {}
    record.outcome = "answered"
    record.detail.update(rows=job["rows"], bytes=job["bytes"])
    record.result_key_id, record.result_sha256 = job["keyId"], job["digest"]
    name = f"{job['resource']}-{job['created'][:10]}.{job['format']}"
    return FileResponse(jobs.file_of(job), media_type=MEDIA_TYPES[job["format"]], filename=name,
                        headers={"cache-control": "no-store", "x-export-id": str(job["opening"])})  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")
