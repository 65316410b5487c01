"""A published catalog version is served by every gateway process without a restart: built beside
the version serving, swapped in at once; requests that started before finish on their version."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare import clock
from govshare.catalog import Catalog, parse_catalog
from govshare.settings import Settings
from govshare.store.catalogs import publish_catalog, published_catalog
from govshare.store.database import store_engine
from tests.policies.world import command_env, serving
from tests.services import run_async
from tests.worlds import graphql_headers, read_audit, serve_gateway

BASE = """\
version: 1
platform:
  name: 重载市政务数据共享平台
  authority: hub
  purposes: {{work_reference: 工作参考}}
departments:
  hub: {{name: 大数据局}}
  civil: {{name: 民政局}}
sources:
  civil_db: {{department: civil, kind: sql, url: "sqlite+aiosqlite:///{civil}"}}
  extra_db: {{department: civil, kind: sql, url: "sqlite+aiosqlite:///{extra}"}}
resources:
  Resident:
    code: "R001/000001"
    title: 居民信息
    provider: civil
    category: department
    source: civil_db
    table: resident
    key: residentId
    update_cycle: daily
    share_methods: [interface, query]
    items:
      residentId: {{column: resident_id, type: ID, title: 居民编号, sharing: unconditional}}
      fullName: {{column: full_name, type: String, title: 姓名, sharing: unconditional}}
"""
MARRIAGE = """\
  Marriage:
    code: "R002/000001"
    title: 婚姻登记信息
    provider: civil
    category: department
    source: extra_db
    table: marriage
    key: marriageId
    update_cycle: daily
    share_methods: [interface, query]
    items:
      marriageId: {column: marriage_id, type: ID, title: 登记编号, sharing: unconditional}
      registeredOn: {column: registered_on, type: String, title: 登记日期, sharing: unconditional}
"""
RESIDENTS = "{ residents(first: 5) { nodes { residentId fullName } } }"
MARRIAGES = "{ marriages(first: 5) { nodes { marriageId registeredOn } } }"


def _databases(root: Path) -> tuple[Path, Path]:
    civil, extra = root / "civil.db", root / "extra.db"
    with closing(sqlite3.connect(civil)) as db:
        db.execute("CREATE TABLE resident (resident_id TEXT PRIMARY KEY, full_name TEXT)")
        db.executemany("INSERT INTO resident VALUES (?, ?)", [(f"r{i}", f"居民{i}") for i in range(3)])
        db.commit()
    with closing(sqlite3.connect(extra)) as db:
        db.execute("CREATE TABLE marriage (marriage_id TEXT PRIMARY KEY, registered_on TEXT)")
        db.execute("INSERT INTO marriage VALUES ('m1', '2024-05-20')")
        db.commit()
    return civil, extra


def _catalogs(root: Path) -> tuple[Catalog, Catalog]:
    civil, extra = _databases(root)
    text = BASE.format(civil=civil, extra=extra)
    return parse_catalog(text, str(root / "catalog.yaml")), parse_catalog(text + MARRIAGE, str(root / "catalog.yaml"))


def _publish(settings: Settings, catalog: Catalog) -> int:
    async def go() -> int:
        engine = store_engine(settings.effective_store_url)
        try:
            async with engine.begin() as conn:
                return await publish_catalog(conn, catalog, "hub/reviewer", clock.now())
        finally:
            await engine.dispose()

    return run_async(go)


def _post(url: str, settings: Settings, query: str) -> dict[str, Any]:
    headers = graphql_headers(settings, "hub", "hub-user", ("member",), "work_reference")
    body: dict[str, Any] = httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=30).json()
    return body


def _until(check: Callable[[], bool], seconds: float) -> float:
    """How long it took ``check`` to hold; fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            pytest.fail(f"not within {seconds:g} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _serves_marriages(url: str, settings: Settings) -> bool:
    return "errors" not in _post(url, settings, MARRIAGES)


def test_a_published_version_is_served_and_requests_in_flight_finish_on_theirs(tmp_path: Path) -> None:
    before, after = _catalogs(tmp_path)
    settings = Settings(data_dir=tmp_path / "platform", secret="a-reload-test-key-of-enough-length", catalog_poll=0.1)
    with serve_gateway(before, settings) as url:
        assert "errors" in _post(url, settings, MARRIAGES)  # not in the catalog yet
        # A request blocked at its source when the new version is published.
        answers: list[dict[str, Any]] = []
        with closing(sqlite3.connect(tmp_path / "civil.db", isolation_level=None)) as lock:
            lock.execute("BEGIN EXCLUSIVE")
            blocked = threading.Thread(target=lambda: answers.append(_post(url, settings, RESIDENTS)))
            blocked.start()
            time.sleep(0.5)
            version = _publish(settings, after)
            _until(lambda: _serves_marriages(url, settings), 10)
            lock.execute("ROLLBACK")
        blocked.join(30)
    assert answers[0]["data"]["residents"]["nodes"][0] == {"residentId": "r0", "fullName": "居民0"}
    records = read_audit(settings)
    by_query = {r.query: r for r in records if r.kind == "query"}
    new = by_query[MARRIAGES].detail
    assert new is not None and new["catalog"] == version
    old = by_query[RESIDENTS].detail
    assert old is not None and old["catalog"] != version  # it ran on the version it started on


def test_a_version_that_does_not_load_is_skipped(tmp_path: Path) -> None:
    before, after = _catalogs(tmp_path)
    settings = Settings(data_dir=tmp_path / "platform", secret="a-reload-test-key-of-enough-length", catalog_poll=0.1)
    with serve_gateway(before, settings) as url:
        # A text the rules refuse (an item name that is no GraphQL name), as a store restored by hand could hold.
        text = after.text.replace("registeredOn:", "registered-on:")
        _publish(settings, replace(after, text=text, digest=hashlib.sha256(text.encode()).hexdigest()))
        time.sleep(1.0)
        assert "errors" not in _post(url, settings, RESIDENTS)  # still serving the version it had
        assert "errors" in _post(url, settings, MARRIAGES)
        _publish(settings, after)  # the next good version is taken
        _until(lambda: _serves_marriages(url, settings), 10)


def test_every_process_sharing_the_store_switches_within_seconds(tmp_path: Path) -> None:
    before, after = _catalogs(tmp_path)
    (tmp_path / "catalog.yaml").write_text(before.text, encoding="utf-8")
    env = command_env(tmp_path / "platform", GOVSHARE_CATALOG_POLL="0.5")
    settings = Settings(data_dir=tmp_path / "platform", secret=env["GOVSHARE_SECRET"])
    with serving(tmp_path / "catalog.yaml", env, tmp_path, count=2) as urls:
        assert all(not _serves_marriages(u, settings) for u in urls)
        published = time.monotonic()
        _publish(settings, after)
        waits = [_until(lambda u=u: _serves_marriages(u, settings), 10) for u in urls]  # type: ignore[misc]
        assert time.monotonic() - published < 5, waits
        # A restart with the same file keeps the published version (it came after the file).
    with serving(tmp_path / "catalog.yaml", env, tmp_path, count=1) as urls:
        assert _serves_marriages(urls[0], settings)

    async def newest() -> int | None:
        engine = store_engine(settings.effective_store_url)
        try:
            async with engine.connect() as conn:
                found = await published_catalog(conn)
                return found.seq if found else None
        finally:
            await engine.dispose()

    assert run_async(newest) == 2


# --- the whole way: a provider registers, the authority publishes, another process serves ----------

SAVE = """mutation($resource: String!, $text: String!, $id: Int) {
  catalogDraftSave(resource: $resource, text: $text, id: $id) { id state problems } }"""
SUBMIT = "mutation($id: Int!) { catalogDraftSubmit(id: $id) { id state } }"
REVIEW = """mutation($id: Int!, $approve: Boolean!, $reasons: String) {
  catalogDraftReview(id: $id, approve: $approve, reasons: $reasons) { id state publishedVersion } }"""
REPORT = "query($id: Int!) { catalogDraft(id: $id) { report } }"
GRANT = "mutation($input: GrantInput!) { grantAdd(input: $input) { id } }"
PHONE = '{ resident(residentId: "r1") { residentId phone } }'
ENTRY = "\n".join(line.removeprefix("    ") for line in MARRIAGE.splitlines()[1:]) + "\n"
# Resident's entry as the base catalog has it (its items last), to append a changed phone to.
ENTRY_OF_RESIDENT = (
    "\n".join(
        line.removeprefix("    ")
        for line in BASE.split("  Resident:\n")[1].replace("{{", "{").replace("}}", "}").splitlines()
    )
    + "\n"
)


def _as(url: str, settings: Settings, query: str, variables: dict[str, Any], department: str,
        role: str = "member") -> dict[str, Any]:  # fmt: skip
    headers = graphql_headers(settings, department, f"{department}-{role}", (role,), "work_reference")
    body: dict[str, Any] = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables},
                                      headers=headers, timeout=30).json()  # fmt: skip
    return body


def _published_seq(settings: Settings) -> int | None:
    async def newest() -> int | None:
        engine = store_engine(settings.effective_store_url)
        try:
            async with engine.connect() as conn:
                found = await published_catalog(conn)
                return found.seq if found else None
        finally:
            await engine.dispose()

    return run_async(newest)


def test_a_registered_resource_is_served_by_another_process_and_a_reclassification_ends_its_grants(
    tmp_path: Path,
) -> None:
    before, _ = _catalogs(tmp_path)
    with closing(sqlite3.connect(tmp_path / "civil.db")) as db:
        db.execute("ALTER TABLE resident ADD COLUMN phone TEXT")
        db.execute("UPDATE resident SET phone = '13800000001'")
        db.commit()
    phone = "      phone: {type: String, title: 电话, sharing: conditional, condition: 仅限联系本人}\n"
    text = before.text.replace("  civil: {name: 民政局}\n", "  civil: {name: 民政局}\n  transport: {name: 交通局}\n")
    (tmp_path / "catalog.yaml").write_text(text + phone, encoding="utf-8")
    env = command_env(tmp_path / "platform", GOVSHARE_CATALOG_POLL="0.5")
    settings = Settings(data_dir=tmp_path / "platform", secret=env["GOVSHARE_SECRET"])
    with serving(tmp_path / "catalog.yaml", env, tmp_path, count=2) as (first, second):
        # The provider registers a new resource on the first process; the authority approves it there.
        saved = _as(first, settings, SAVE, {"resource": "Marriage", "text": ENTRY}, "civil", "dept_admin")
        draft = saved["data"]["catalogDraftSave"]
        assert draft["problems"] == [], saved
        assert _as(first, settings, SUBMIT, {"id": draft["id"]}, "civil", "dept_admin")["data"]
        approved = _as(first, settings, REVIEW, {"id": draft["id"], "approve": True}, "hub", "authority")
        assert approved["data"]["catalogDraftReview"]["state"] == "published", approved
        _until(lambda: _serves_marriages(second, settings), 10)  # the second process, without a restart

        # A rejected draft changes nothing.
        seq = _published_seq(settings)
        entry = ENTRY.replace("婚姻登记信息", "婚姻信息")
        other = _as(first, settings, SAVE, {"resource": "Marriage", "text": entry}, "civil", "dept_admin")
        other_id = other["data"]["catalogDraftSave"]["id"]
        _as(first, settings, SUBMIT, {"id": other_id}, "civil", "dept_admin")
        returned = _as(first, settings, REVIEW, {"id": other_id, "approve": False, "reasons": "标题需与目录一致"},
                       "hub", "authority")  # fmt: skip
        assert returned["data"]["catalogDraftReview"]["state"] == "returned"
        assert _published_seq(settings) == seq

        # Transport may read the phone under a grant; the provider turns the phone withheld.
        grant = {"department": "transport", "resource": "Resident", "items": ["phone"],
                 "purposes": ["work_reference"], "effect": "ALLOW"}  # fmt: skip
        granted = _as(first, settings, GRANT, {"input": grant}, "hub", "authority")
        assert "errors" not in granted, granted
        _until(lambda: _as(second, settings, PHONE, {}, "transport")["data"]["resident"]["phone"] is not None, 10)
        resident = (
            ENTRY_OF_RESIDENT + "  phone: {type: String, title: 电话, sharing: withheld, "
            "legal_basis: 《中华人民共和国个人信息保护法》第三十四条}\n"
        )
        change = _as(first, settings, SAVE, {"resource": "Resident", "text": resident}, "civil", "dept_admin")
        change_id = change["data"]["catalogDraftSave"]["id"]
        report = _as(first, settings, REPORT, {"id": change_id}, "hub", "authority")["data"]["catalogDraft"]["report"]
        grant_id = granted["data"]["grantAdd"]["id"]
        assert report[0].startswith(f"grant {grant_id} "), report  # the grants that end come first
        assert "errors" not in _as(first, settings, SUBMIT, {"id": change_id}, "civil", "dept_admin")
        published = _as(first, settings, REVIEW, {"id": change_id, "approve": True}, "hub", "authority")
        assert published["data"]["catalogDraftReview"]["state"] == "published", published

        def denied() -> bool:
            answer = _as(second, settings, PHONE, {}, "transport")
            return answer["data"]["resident"]["phone"] is None and "FORBIDDEN" in str(answer["errors"])

        _until(denied, 10)
