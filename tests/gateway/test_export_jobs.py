"""Exports as jobs (?async=1) over real HTTP: started, polled, fetched by its department only, expired."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest

from govshare.audit.platform import result_keys
from govshare.settings import Settings
from tests.testville import City, export_platform
from tests.worlds import graphql_headers, read_audit, serve_gateway


def _get(base_url: str, settings: Settings, path: str, department: str = "transport", **params: Any) -> httpx.Response:
    headers = graphql_headers(settings, department, "alice", purpose="work_reference")
    return httpx.get(f"{base_url}{path}", params=params, headers=headers, timeout=60)


def _done(base_url: str, settings: Settings, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        status = _get(base_url, settings, f"/export-jobs/{job}")
        assert status.status_code == 200, status.text
        if status.json()["state"] != "running":
            return dict(status.json())
        assert time.monotonic() < deadline, "the job did not end within 60 s"
        time.sleep(0.05)


def test_a_job_writes_the_file_the_stream_would_and_its_department_fetches_it(
    export_url: str, export_settings: Settings, city: City
) -> None:
    params = {"items": "plate,ownerId,brand", "order": "brand", "format": "csv"}
    started = _get(export_url, export_settings, "/export/Vehicle", **params, **{"async": "1"})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("running", "done") and job["status"] == f"/export-jobs/{job['job']}"
    done = _done(export_url, export_settings, job["job"])
    assert done["state"] == "done" and done["rows"] == len(city.data.vehicles)
    got = _get(export_url, export_settings, done["file"])
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    streamed = _get(export_url, export_settings, "/export/Vehicle", **params)
    assert got.content == streamed.content and done["bytes"] == len(got.content)
    records = read_audit(export_settings)
    closing = next(r for r in records if r.seq == done["closing"])
    keys = result_keys(export_settings)
    assert closing.result_sha256 == hmac.new(keys.key(keys.current).secret, got.content, hashlib.sha256).hexdigest()
    fetch = next(r for r in reversed(records) if r.detail and r.detail.get("job") == job["job"] and "rows" in r.detail)
    assert fetch.result_sha256 == closing.result_sha256 and fetch.department == "transport"


def test_another_department_finds_no_such_job(export_url: str, export_settings: Settings) -> None:
    job = _get(export_url, export_settings, "/export/Vehicle", items="plate", **{"async": "true"}).json()["job"]
    _done(export_url, export_settings, job)
    for path in (f"/export-jobs/{job}", f"/export-jobs/{job}/file"):
        other = _get(export_url, export_settings, path, department="civil")
        assert other.status_code == 404 and "no export job" in other.json()["errors"][0]["message"]
    assert httpx.get(f"{export_url}/export-jobs/{job}").status_code == 401
    assert _get(export_url, export_settings, "/export-jobs/..%2Fplatform").status_code == 404


def test_a_refused_job_starts_nothing(export_url: str, export_settings: Settings) -> None:
    got = _get(export_url, export_settings, "/export/Resident", items="residentId,phone", **{"async": "1"})
    assert got.status_code == 403 and got.json()["errors"][0]["extensions"]["item"] == "phone"
    assert _get(export_url, export_settings, "/export/Vehicle", **{"async": "maybe"}).status_code == 400


def test_a_job_file_is_deleted_once_its_keeping_time_is_over(
    city: City, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = export_platform(tmp_path_factory, "export-jobs-expiry", export_keep_hours=0.0002)
    data_dir = settings.data_dir
    with serve_gateway(city.catalog, settings) as url:
        job = _get(url, settings, "/export/Vehicle", **{"async": "1"}).json()["job"]
        deadline = time.monotonic() + 60
        while _get(url, settings, f"/export-jobs/{job}").status_code == 200:  # 0.72 s once done
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert _get(url, settings, f"/export-jobs/{job}/file").status_code == 404
        assert not any((data_dir / "exports").iterdir())
