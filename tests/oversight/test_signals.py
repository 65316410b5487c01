"""Supervision signals (R9) over hand-built scenarios: a resource whose newest record is older
than its update cycle allows, a source lacking a declared column, an API that does not answer,
a catalog entry unchanged for over a year, a burst of denied attempts, a grant used far beyond
the usual, reads after a grant ended, and a verify quota used up — each explained, with the audit
records behind it, and acknowledged by the authority with a note."""

from __future__ import annotations

import datetime
import sqlite3
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from govshare import clock
from govshare.catalog import Catalog, parse_catalog
from govshare.oversight.signals import BURST_FLOOR, VOLUME_FLOOR, median_of_others
from govshare.settings import Settings
from tests.worlds import graphql_headers, read_audit, serve_gateway

SIGNALS = """query($department: String) { supervisionSignals(department: $department) {
  key kind department resource since what records note notedBy notedAt } }"""
ACKNOWLEDGE = """mutation($key: String!, $note: String!) { supervisionAcknowledge(key: $key, note: $note) {
  key note notedBy } }"""
COUNTED = '{ sharingOperations(since: "2020-01-01", until: "2030-12-31") { countedUpTo } }'
EVALUATION = """query($department: String) { sharingEvaluation(since: "2026-01-01", until: "2026-12-31",
  department: $department) { dated late parts } }"""
PHONE = "13800001111"


def _catalog(directory: Path) -> str:
    return f"""
version: 1
platform:
  name: 测试市
  authority: hub
  purposes: {{work_reference: 工作参考}}
departments:
  hub: {{name: 大数据局}}
  civil: {{name: 民政局}}
  transport: {{name: 交通运输局}}
sources:
  civil_db: {{department: civil, kind: sql, url: "sqlite+aiosqlite:///{directory / "civil.db"}"}}
  civil_api: {{department: civil, kind: http, url: "http://127.0.0.1:9"}}
resources:
  Citizen:
    code: "P001/000001"
    title: 居民信息
    provider: civil
    category: department
    source: civil_db
    table: citizen
    key: citizenId
    update_cycle: daily
    share_methods: [interface, query]
    updated_item: updatedOn
    items:
      citizenId: {{column: citizen_id, type: ID, title: 居民编号, sharing: unconditional}}
      fullName: {{column: full_name, type: String, title: 姓名, sharing: unconditional}}
      phone: {{type: String, title: 电话, sharing: conditional, condition: 仅限联系本人}}
      updatedOn: {{column: updated_on, type: Date, title: 更新日期, sharing: unconditional}}
  Archive:
    code: "P001/000002"
    title: 档案
    provider: civil
    category: department
    source: civil_db
    table: archive
    key: archiveId
    update_cycle: yearly
    share_methods: [query]
    items:
      archiveId: {{column: archive_id, type: ID, title: 档案号, sharing: unconditional}}
      shelf: {{type: String, title: 位置, sharing: unconditional}}
  Address:
    code: "P001/000003"
    title: 地址
    provider: civil
    category: department
    source: civil_api
    table: addresses
    key: addressId
    update_cycle: monthly
    share_methods: [query]
    items:
      addressId: {{type: ID, title: 地址编号, sharing: unconditional}}
      street: {{type: String, title: 街道, sharing: unconditional}}
"""


@dataclass
class Platform:
    url: str
    settings: Settings
    catalog: Catalog

    def post(self, query: str, who: str, *roles: str, **variables: Any) -> Any:
        headers = graphql_headers(self.settings, who, f"{who}-user", roles or ("member",),
                                  "work_reference")  # fmt: skip
        return httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers,
                          timeout=30).json()  # fmt: skip

    def signals(self, who: str = "hub", *roles: str, **variables: Any) -> dict[str, dict[str, Any]]:
        """The signals, once the statistics have counted every record written so far."""
        records = read_audit(self.settings)
        last = records[-1].seq if records else 0
        deadline = time.monotonic() + 30
        while self.post(COUNTED, "hub", "authority")["data"]["sharingOperations"]["countedUpTo"] < last:
            assert time.monotonic() < deadline, "the statistics did not count the new records within 30 s"
            time.sleep(0.1)
        body = self.post(SIGNALS, who, *(roles or ("authority",)), **variables)
        assert "errors" not in body, body["errors"]
        return {s["key"]: s for s in body["data"]["supervisionSignals"]}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with sqlite3.connect(tmp_path / "civil.db") as db:
        db.execute("CREATE TABLE citizen (citizen_id TEXT PRIMARY KEY, full_name TEXT, phone TEXT, updated_on DATE)")
        old = clock.today() - datetime.timedelta(days=10)
        db.executemany("INSERT INTO citizen VALUES (?, ?, ?, ?)",
                       [("c1", "张三", PHONE, old.isoformat()), ("c2", "李四", "13900002222", None)])  # fmt: skip
        db.execute("CREATE TABLE archive (archive_id TEXT PRIMARY KEY)")  # no `shelf` column
    catalog = parse_catalog(_catalog(tmp_path), "signals.yaml", env={})
    settings = Settings(data_dir=tmp_path / "platform", stats_interval=0.1, verify_checks_per_day=2,
                        secret="signals-tests-signing-key-0123456789")  # fmt: skip
    with serve_gateway(catalog, settings) as url:
        yield Platform(url, settings, catalog)


def _grant(platform: Platform, effect: str, until: str | None = None) -> int:
    grant = {"department": "transport", "resource": "Citizen", "items": ["phone"], "purposes": ["work_reference"],
             "effect": effect, "until": until, "reason": "测试"}  # fmt: skip
    body = platform.post("mutation($g: GrantInput!) { grantAdd(input: $g) { id } }", "hub", "authority", g=grant)
    assert "errors" not in body, body
    return int(body["data"]["grantAdd"]["id"])


def test_late_data_unanswering_sources_and_missing_columns_are_named(platform: Platform) -> None:
    found = platform.signals()
    late = found["late_data:Citizen"]
    ten_days_ago = str(clock.today() - datetime.timedelta(days=10))
    assert (late["kind"], late["department"], late["since"]) == ("late_data", "civil", ten_days_ago)
    assert "10 days ago, by updatedOn); update_cycle daily allows 2" in late["what"]
    missing = found["missing_columns:Archive"]
    assert missing["department"] == "civil"
    assert "table 'archive' of source 'civil_db' lacks declared columns: shelf" in missing["what"]
    unreachable = found["unreachable_source:Address"]
    assert "its source 'civil_api' does not answer" in unreachable["what"]
    assert not any(key.endswith(":Citizen") and not key.startswith("late_data") for key in found)  # it answers
    # The evaluation counts it against the provider's freshness.
    evaluation = platform.post(EVALUATION, "hub", "authority", department="civil")["data"]["sharingEvaluation"]
    assert evaluation == [{"dated": 1, "late": 1, "parts": {"catalog": 0.0, "fresh": 0.0}}]
    # Fresh data: the signal goes.
    with sqlite3.connect(Path(platform.settings.data_dir).parent / "civil.db") as db:
        db.execute("UPDATE citizen SET updated_on = ? WHERE citizen_id = 'c2'", (clock.today().isoformat(),))
    assert "late_data:Citizen" not in platform.signals()
    evaluation = platform.post(EVALUATION, "hub", "authority", department="civil")["data"]["sharingEvaluation"]
    assert evaluation[0]["late"] == 0 and evaluation[0]["parts"]["fresh"] == 1.0


def test_a_catalog_entry_unchanged_for_over_a_year_is_stale(platform: Platform) -> None:
    assert not any(k.startswith("stale_entry") for k in platform.signals())
    engine = create_engine(f"sqlite:///{Path(platform.settings.data_dir) / 'platform.db'}")
    long_ago = clock.real_now() - datetime.timedelta(days=400)
    with engine.begin() as conn:
        conn.execute(text("UPDATE catalog_versions SET first_loaded_at = :at"), {"at": long_ago})
    engine.dispose()
    stale = platform.signals()["stale_entry:Citizen"]
    assert stale["department"] == "civil" and "unchanged since" in stale["what"] and "every 365 days" in stale["what"]


def _not_at_midnight(seconds: float) -> None:
    """Wait out China's midnight if it falls within ``seconds``: records are counted per day of
    their real recording time, and a burst split over two days is two smaller ones."""
    now = clock.real_now().astimezone(clock.CHINA)
    midnight = datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time(), clock.CHINA)
    left = (midnight - now).total_seconds()
    if left < seconds:
        time.sleep(left + 1)


def test_a_burst_of_denied_attempts_names_the_department_and_its_records(platform: Platform) -> None:
    _not_at_midnight(120)
    for _ in range(BURST_FLOOR):
        platform.post('{ citizen(citizenId: "c1") { fullName phone } }', "transport")
    recorded = read_audit(platform.settings)[-1].recorded_at
    assert recorded is not None
    key = f"denied_burst:transport:{clock.as_utc(recorded).astimezone(clock.CHINA).date()}"
    burst = platform.signals()[key]
    assert f"transport was refused {BURST_FLOOR} items" in burst["what"]
    denied = {r.seq for r in read_audit(platform.settings) if r.department == "transport"}
    assert burst["records"] and set(burst["records"]) <= denied and len(burst["records"]) == 10


def test_a_grant_used_far_beyond_the_usual_and_reads_after_it_ended(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSHARE_NOW", "2026-03-02T10:00:00+08:00")
    grant = _grant(platform, "ALLOW", until="2026-03-05")
    for _ in range(VOLUME_FLOOR):
        platform.post('{ citizen(citizenId: "c1") { phone } }', "transport")
    monkeypatch.setenv("GOVSHARE_NOW", "2026-03-09T10:00:00+08:00")  # the grant has ended
    refused = platform.post('{ citizen(citizenId: "c1") { phone } }', "transport")
    assert refused["errors"][0]["extensions"]["endedGrant"] == grant
    found = platform.signals()
    [volume] = [s for k, s in found.items() if k.startswith(f"grant_volume:grant:{grant}:")]
    assert f"transport read {VOLUME_FLOOR} item values through grant {grant} for 'work_reference'" in volume["what"]
    assert len(volume["records"]) == 10
    after = found[f"after_end:grant:{grant}"]
    assert after["since"] == "2026-03-05" and "tried 1 times to read Citizen.{phone} after grant" in after["what"]
    refused_seq = [r.seq for r in read_audit(platform.settings) if r.department == "transport" and r.error_codes]
    assert after["records"] == refused_seq  # the one refused read is the record behind it


def test_an_exhausted_verify_quota_and_the_authoritys_note(platform: Platform) -> None:
    _grant(platform, "VERIFY")
    check = f'{{ citizenVerify(citizenId: "c1", claims: {{phone: "{PHONE}"}}) {{ matched }} }}'
    answers = [platform.post(check, "transport") for _ in range(3)]
    assert answers[2]["errors"][0]["extensions"]["code"] == "QUOTA_EXCEEDED"
    found = platform.signals()
    [key] = [k for k in found if k.startswith("quota_exhausted:")]
    exceeded = [r.seq for r in read_audit(platform.settings) if "QUOTA_EXCEEDED" in r.error_codes]
    assert found[key]["records"] == exceeded and "used up the 2 verification checks a day" in found[key]["what"]
    inbox = "{ inbox { signals { key department } } }"
    assert {"key": key, "department": "transport"} in platform.post(inbox, "hub", "authority")["data"]["inbox"][
        "signals"
    ]
    assert platform.post(inbox, "civil", "dept_admin")["data"]["inbox"]["signals"] is None
    noted = platform.post(ACKNOWLEDGE, "hub", "authority", key=key, note="已提醒交通运输局按需核验")
    assert noted["data"]["supervisionAcknowledge"] == {"key": key, "note": "已提醒交通运输局按需核验",
                                                        "notedBy": "hub/hub-user"}  # fmt: skip
    assert platform.signals()[key]["note"] == "已提醒交通运输局按需核验"
    signals = platform.post(inbox, "hub", "authority")["data"]["inbox"]["signals"]
    assert key not in {s["key"] for s in signals} and "late_data:Citizen" in {s["key"] for s in signals}
    # Who may read and note what.
    own = platform.signals("transport", "dept_admin")
    assert own and {s["department"] for s in own.values()} == {"transport"}
    assert "civil" in {s["department"] for s in platform.signals().values()}
    refused = platform.post(SIGNALS, "transport", "dept_admin", department="civil")
    assert "reads the signals of transport only" in refused["errors"][0]["message"]
    member = platform.post(ACKNOWLEDGE, "transport", "dept_admin", key=key, note="x")
    assert "acknowledging a supervision signal is for" in member["errors"][0]["message"]
    unknown = platform.post(ACKNOWLEDGE, "hub", "authority", key="late_data:Nothing", note="x")
    assert "there is no signal 'late_data:Nothing' now" in unknown["errors"][0]["message"]
    blank = platform.post(ACKNOWLEDGE, "hub", "authority", key=key, note="  ")
    assert "give a note" in blank["errors"][0]["message"]


@given(st.lists(st.integers(0, 10_000), max_size=40))
def test_the_usual_day_is_the_median_of_the_others(values: list[int]) -> None:
    """What a day (or a grant's month) is compared with: the median of every other one, 0 alone."""
    expected = [statistics.median(values[:i] + values[i + 1 :]) if len(values) > 1 else 0 for i in range(len(values))]
    assert median_of_others(values) == expected
