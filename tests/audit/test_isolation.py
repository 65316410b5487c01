"""One record never fails another: what a request carries, or what the store refuses, stays its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from govshare.audit.keys import ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.audit.read import EVERY_RECORD, AuditFilter, list_records
from govshare.audit.record import AuditRecord
from govshare.audit.storable import MAX_BYTES, MAX_DEPTH, NOT_RECORDED, make_storable
from govshare.audit.verify import verify_log
from govshare.store.database import migrate, store_engine
from tests.audit.conftest import Served

KEY = checkpoint_key("isolation-tests-key")
DEEP = 500  # orjson serialises at most 254 levels


def _nested(depth: int, leaf: Any = 1) -> Any:
    return orjson.loads('{"a":' * depth + orjson.dumps(leaf).decode() + "}" * depth)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.fixture
async def log(store_url: str, tmp_path: Path) -> AsyncIterator[AuditLog]:
    engine = store_engine(store_url)
    await migrate(engine)
    audit = AuditLog(engine, KEY, ResultKeys(tmp_path / "audit-keys.json", "isolation"))
    try:
        yield audit
    finally:
        await audit.close()
        await engine.dispose()


def _honest(n: int) -> AuditRecord:
    return AuditRecord(kind="query", outcome="answered", department="civil", user=f"u{n}", variables={"n": n},
                       query=f"query Honest{n} {{ me {{ user }} }}", operation_name=f"Honest{n}")  # fmt: skip


async def test_content_no_store_takes_as_sent_fails_no_other_record_of_its_batch(log: AuditLog) -> None:
    hostile = [
        AuditRecord(
            kind="query", outcome="unauthenticated", query="query Deep { me { user } }", variables=_nested(DEEP)
        ),
        AuditRecord(
            kind="query", outcome="malformed", query="query Nul { me { user } }\x00", variables={"s": "a\x00b"}
        ),
        AuditRecord(kind="query", outcome="rejected", purpose="p" * 500, operation_name="O" * 5000, user="u" * 300),
        AuditRecord(kind="query", outcome="malformed", variables={"huge": "x" * (MAX_BYTES + 1)}),
    ]
    batch = [_honest(n) for n in range(30)]
    for n, record in enumerate(hostile):
        batch.insert(7 * n + 3, record)
    # Appended together, they are committed as one batch.
    seqs = await asyncio.gather(*(log.append(r) for r in batch))
    assert sorted(seqs) == list(range(1, len(batch) + 1))
    stored = {r.seq: r for r in await list_records(log.engine, AuditFilter(), EVERY_RECORD, first=100)}
    assert len({r.recorded_at for r in stored.values()}) == 1  # one commit, one time
    seq_of = {id(r): seq for r, seq in zip(batch, seqs, strict=True)}
    honest = [stored[seq_of[id(r)]] for r in batch if all(r is not h for h in hostile)]
    assert [(r.operation_name, r.variables) for r in honest] == [(f"Honest{n}", {"n": n}) for n in range(30)]
    deep, nul, long, huge = (stored[seq_of[id(r)]] for r in hostile)
    assert deep.variables is not None and NOT_RECORDED in deep.variables and _depth(deep.variables) <= MAX_DEPTH
    node, steps = deep.variables, 0
    while isinstance(node, dict):  # the top levels are kept, the rest replaced where the cut is
        node, steps = node["a"], steps + 1
    assert (steps, node) == (MAX_DEPTH - 1, f"{NOT_RECORDED}: nested deeper than {MAX_DEPTH} levels")
    assert nul.query == "query Nul { me { user } }\\u0000" and nul.variables == {"s": "a\x00b"}
    assert long.purpose is not None and len(long.purpose) == 64 and long.purpose.endswith("…")
    assert long.operation_name is not None and len(long.operation_name) == 256
    assert long.user is not None and len(long.user) == 128
    assert huge.variables is not None and "more than" in huge.variables[NOT_RECORDED]
    assert (await verify_log(log.engine, KEY)).ok


async def _refuse_poison(log: AuditLog) -> None:
    """Make the store itself refuse records whose query mentions 'poison'."""
    async with log.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.query LIKE '%poison%' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$"
            ))  # fmt: skip
            await conn.execute(text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            ))  # fmt: skip
        else:
            await conn.execute(text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_records WHEN NEW.query LIKE '%poison%' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ))  # fmt: skip


async def test_a_record_the_store_refuses_is_kept_without_its_content_and_fails_no_other(log: AuditLog) -> None:
    await log.append(_honest(100))  # the writer runs before the store changes
    await _refuse_poison(log)
    poison = AuditRecord(kind="query", outcome="answered", department="civil", user="mallory",
                         query="query P { poison }", variables={"v": 1}, result_sha256="cd" * 32, result_key_id="k")  # fmt: skip
    batch = [_honest(n) for n in range(10)]
    batch.insert(4, poison)
    seqs = await asyncio.gather(*(log.append(r) for r in batch))
    assert sorted(seqs) == list(range(2, 13))
    stored = {r.seq: r for r in await list_records(log.engine, AuditFilter(), EVERY_RECORD, first=100)}
    assert [stored[s].operation_name for s, r in zip(seqs, batch, strict=True) if r is not poison] == [
        f"Honest{n}" for n in range(10)
    ]
    kept = stored[seqs[4]]
    assert (kept.user, kept.outcome, kept.result_sha256, kept.query, kept.variables) == (
        "mallory", "answered", "cd" * 32, None, None,
    )  # fmt: skip
    assert kept.detail is not None and "refused" in kept.detail[NOT_RECORDED]
    assert (await verify_log(log.engine, KEY)).ok


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(st.characters()),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(st.characters(), max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON, depth=st.integers(0, 400), purpose=st.text(st.characters(), max_size=100))
def test_any_request_content_becomes_a_storable_record(value: Any, depth: int, purpose: str) -> None:
    variables = {"v": value}
    for _ in range(depth):
        variables = {"a": variables}
    record = AuditRecord(kind="query", outcome="malformed", purpose=purpose, variables=variables)
    try:
        orjson.dumps([variables])
        serialisable = True
    except TypeError:
        serialisable = False
    make_storable(record)
    record.canonical()  # what the log hashes: it cannot fail now
    assert record.purpose is not None and len(record.purpose) <= 64 and "\x00" not in record.purpose
    record.purpose.encode("utf-8")
    if serialisable:
        assert record.variables is variables  # content that serialises is kept as it came
    else:
        assert record.variables is not None and NOT_RECORDED in record.variables
        assert _depth(record.variables) <= MAX_DEPTH


def test_concurrent_honest_requests_and_hostile_ones_each_get_their_own_record(served: Served) -> None:
    token = {"Authorization": f"Bearer {served.token()}", "X-Purpose": "work_reference"}
    hostile = (
        '{"query": "query Hostile { me { user } }", "variables": {"v": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}}"
    ).encode()

    def honest(n: int) -> int:
        query = f'query Honest{n} {{ resident(residentId: "r{n:05d}") {{ fullName }} }}'
        return httpx.post(f"{served.url}/graphql", json={"query": query}, headers=token, timeout=30).status_code

    def attack(_: int) -> int:  # no token needed
        headers = {"Content-Type": "application/json"}
        return httpx.post(f"{served.url}/graphql", content=hostile, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(40) as pool:
        attacks = [pool.submit(attack, n) for n in range(6)]
        answers = [pool.submit(honest, n) for n in range(30)]
        assert [a.result() for a in answers] == [200] * 30
        assert all(a.result() in (400, 401) for a in attacks)

    async def read() -> tuple[list[AuditRecord], bool]:
        engine = store_engine(served.settings.effective_store_url)
        try:
            records = await list_records(engine, AuditFilter(), EVERY_RECORD, first=1000)
            return records, (await verify_log(engine, checkpoint_key(served.settings.secret))).ok
        finally:
            await engine.dispose()

    records, verified = asyncio.run(read())
    assert len(records) == 36 and verified
    names = sorted(r.operation_name or "" for r in records if (r.operation_name or "").startswith("Honest"))
    assert names == sorted(f"Honest{n}" for n in range(30))
    assert all(r.outcome == "answered" for r in records if (r.operation_name or "").startswith("Honest"))
