"""A platform database held by another writer: requests fail fast with AUDIT_UNAVAILABLE, then recover."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from govshare.audit.log import AuditUnavailable, checkpoint_key
from govshare.audit.read import EVERY_RECORD, AuditFilter, list_records
from govshare.audit.record import AuditRecord
from govshare.audit.verify import verify_log
from govshare.settings import Settings
from govshare.store.database import store_engine
from tests.audit.conftest import Served, new_log, served_settings
from tests.testville import City
from tests.worlds import serve_gateway

KEY = checkpoint_key("locked-store-tests-key")
HOLD = 25.0  # longer than the store's own 30 s busy timeout would leave a request waiting


@pytest.fixture
def impatient(city: City, tmp_path: Path) -> Iterator[Served]:
    base = served_settings(tmp_path)
    settings = Settings(data_dir=base.data_dir, secret=base.secret, request_timeout=3.0)
    with serve_gateway(city.catalog, settings) as url:
        yield Served(url, settings)


def test_requests_get_503_while_the_store_is_locked_and_are_recorded_once_it_is_free(impatient: Served) -> None:
    assert impatient.post("query Before { me { user } }").status_code == 200
    database = impatient.settings.effective_store_url.split("///", 1)[1]
    locked, answered, released = threading.Event(), threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        conn = sqlite3.connect(database, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # what a long migration or a stuck writer does
            locked.set()
            answered.wait(HOLD)  # released when the requests have their answers, or after HOLD at the latest
            conn.execute("ROLLBACK")
        finally:
            released.set()
            conn.close()

    def request(n: int) -> tuple[int, str, bool]:
        response = impatient.post(f'query During{n} {{ resident(residentId: "r0000{n}") {{ fullName }} }}')
        return response.status_code, response.text, released.is_set()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with ThreadPoolExecutor(5) as pool:
            outcomes = list(pool.map(request, range(5)))
    finally:
        answered.set()
        holder.join(HOLD + 5)
    for status, body, after_release in outcomes:
        assert status == 503 and "AUDIT_UNAVAILABLE" in body and "fullName" not in body
        assert not after_release  # answered while the lock was still held
    # Free again: answered and recorded.
    after = impatient.post("query After { me { user } }")
    assert after.status_code == 200, after.text

    async def read() -> tuple[list[str | None], bool]:
        engine = store_engine(impatient.settings.effective_store_url)
        try:
            records = await list_records(engine, AuditFilter(), EVERY_RECORD, newest_first=False)
            return [r.operation_name for r in records], (
                await verify_log(engine, checkpoint_key(impatient.settings.secret))
            ).ok
        finally:
            await engine.dispose()

    names, verified = asyncio.run(read())
    # The withheld answers left nothing behind but the attempt: no record claims they were answered.
    assert names == ["Before", "After"] and verified
    httpx.get(f"{impatient.url}/healthz").raise_for_status()


async def test_a_batch_gives_up_on_a_held_lock_at_once_on_either_store(
    store_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audit = await new_log(store_url, KEY, tmp_path / "locked.json", wait=3.0)
    engine = audit.engine
    try:
        await audit.append(AuditRecord(kind="query", outcome="answered", user="before"))
        async with engine.connect() as holder:
            # Another writer holds the chain head: a gateway process in its commit, or a stuck one.
            if engine.dialect.name == "postgresql":
                await holder.execute(text("SELECT head_seq FROM audit_control WHERE id = 1 FOR UPDATE"))
            else:
                await holder.execute(text("UPDATE audit_control SET head_seq = head_seq WHERE id = 1"))
            with pytest.raises(AuditUnavailable):
                await audit.append(AuditRecord(kind="query", outcome="answered", user="during"))
            await holder.rollback()
        # Given up as a lock wait, not retried record by record as if the content were at fault.
        assert "stayed locked" in caplog.text and "one by one" not in caplog.text
        await audit.append(AuditRecord(kind="query", outcome="answered", user="after"))
        records = await list_records(engine, AuditFilter(), EVERY_RECORD, newest_first=False)
        assert [r.user for r in records] == ["before", "after"]
        assert (await verify_log(engine, KEY)).ok
    finally:
        await audit.close()
        await engine.dispose()
