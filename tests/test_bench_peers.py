"""The peer benchmark's pieces: its options, how answers are compared, and how the platform
store's cost is split.

Running it (PostgreSQL, three servers, wrk) takes a minute: `uv run python -m bench.peers --quick`.
"""

from __future__ import annotations

import datetime
import random

import pytest

from bench.peers import dataset, instructions, queries, store_cost
from bench.peers.__main__ import arguments
from bench.peers.measure import _lua
from tests.services import run_async


def test_quick_is_one_short_round() -> None:
    args = arguments(["--quick", "--workers", "2"])
    assert (args.rounds, args.q2_seconds, args.workers, args.keep_db) == (1, 3.0, 2, False)


def test_instruction_counts_take_at_least_one_request_per_concurrent_client(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = instructions.arguments([])
    assert (args.requests, args.audit) == (400, "on")
    assert instructions.arguments(["--requests", "16", "--audit", "off"]).audit == "off"
    with pytest.raises(SystemExit):
        instructions.arguments(["--requests", "15"])
    assert "--requests must be at least 16" in capsys.readouterr().err


def test_a_postgraphile_answer_compares_equal_to_govshares_once_licences_are_sorted() -> None:
    person = {name: f"v-{name}" for name in queries.PERSON}
    licences = [{"licenseNo": n, "licenseType": "t", "issueDate": "2020-01-01", "expiryDate": "2030-01-01"}
                for n in ("L2", "L1")]  # fmt: skip
    govshare = {"data": {"people": {"nodes": [{**person, "licenses": licences}]}}}
    postgraphile = {"data": {"allPeople": {"nodes": [{**person, "licensesByHolderId": {"nodes": licences[::-1]}}]}}}
    assert queries.comparable(queries.from_postgraphile(postgraphile)) == queries.comparable(govshare)
    assert queries.counts(govshare) == (1, 2)
    lookup = {"data": {"personByIdNumber": {**person, "licensesByHolderId": {"nodes": []}}}}
    assert queries.from_postgraphile(lookup) == {"data": {"person": {**person, "licenses": []}}}


def test_id_numbers_carry_their_check_digit() -> None:
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2, as the standard states it
    for _ in range(50):
        number = dataset._id_number(random.Random(), datetime.date(1990, 5, 17))
        assert number[6:14] == "19900517"
        assert number[17] == "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], weights, strict=True)) % 11]


def test_lua_table_keys_do_not_open_a_long_string() -> None:
    assert _lua("Authorization") == "[==[Authorization]==]"
    assert "[ [==[" in f"[ {_lua('X')} ]"


def test_the_store_cost_line_splits_a_batch_into_its_commit_and_its_records() -> None:
    rows = [
        {"size": float(b), "pg_us_per_batch": 180.0 + 70.0 * b + (3.0 if b == 5 else 0.0)} for b in store_cost.SIZES
    ]
    per_commit, per_record = store_cost.fit(rows)
    assert abs(per_commit - 180.0) < 3.0 and abs(per_record - 70.0) < 0.3


def test_the_store_cost_writer_commits_exactly_the_requests_that_wait_together(postgres_url: str) -> None:
    # ``postgres_url``: PostgreSQL is there (or the test skips, or fails in CI); the tool makes and
    # drops a store of its own on the peer benchmark's server, as `python -m bench.peers.store_cost` does.
    rows = run_async(lambda: store_cost.run(40))
    assert [(r["size"], r["records"], r["per_commit"]) for r in rows] == [(b, 40, b) for b in store_cost.SIZES]
    assert all(r["pg_us_per_record"] > 0 and r["process_us_per_record"] > 0 for r in rows)
