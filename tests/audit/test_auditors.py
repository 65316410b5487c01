"""Auditors on the demo world over HTTP: what the log shows them, and what it must not.

Police (the provider of Person) reads residents' criminal records, which are
withheld from every other department. The log records those queries; an
auditor reads the records but must learn neither the withheld values (the
result digest is keyed, so guessing offline finds nothing) nor, as an auditor
of another department, that the queries happened at all.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.audit.keys import canonical_result
from govshare.catalog import load_catalog
from govshare.demo import generate_world
from govshare.demo.areas import DISTRICTS
from govshare.demo.people import _CRIMES, _SENTENCES
from govshare.demo.places import district_office
from govshare.demo.pools import AS_OF
from govshare.settings import Settings
from tests.worlds import graphql_headers, serve_gateway

RECORD_QUERY = "query Record($id: ID!) { person(idNumber: $id) { criminalRecord } }"
RECORD_FIELDS = """seq department user query variables operationName resultSha256 resultKeyId
                   decisions { resource item effect }"""
REPLAY = """query Replay($seq: Int!) { auditReplay(seq: $seq) {
  seq resultReproduced recordedResultSha256 recordedResultKeyId resultKeyId resultSha256Then } }"""


@dataclass
class Demo:
    url: str
    settings: Settings
    world: Path

    def post(self, department: str, query: str, variables: dict[str, Any] | None = None,
             roles: tuple[str, ...] = ("member",)) -> dict[str, Any]:  # fmt: skip
        purpose = "work_reference" if roles == ("member",) else None
        headers = graphql_headers(self.settings, department, f"{department}-user", roles, purpose)
        response = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers,
                              timeout=30)  # fmt: skip
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    def audit(self, department: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.post(department, query, variables, roles=("auditor",))

    def people(self, with_record: bool) -> list[str]:
        condition = "IS NOT NULL" if with_record else "IS NULL"
        with sqlite3.connect(f"file:{self.world / 'police.db'}?mode=ro", uri=True) as conn:
            rows = conn.execute(f"SELECT id_number FROM person WHERE criminal_record {condition} ORDER BY id_number")
            return [row[0] for row in rows]

    def criminal_record(self, person: str) -> str | None:
        with sqlite3.connect(f"file:{self.world / 'police.db'}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT criminal_record FROM person WHERE id_number = ?", (person,)).fetchone()
        return None if row[0] is None else str(row[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    world = tmp_path_factory.mktemp("demo-world")
    generate_world(world, 300, progress=False)
    # No query here reads the credit records (served over HTTP by the demo); their source stays unused.
    catalog = load_catalog(world / "catalog.yaml", env={"CREDIT_API_URL": "http://127.0.0.1:9"})
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("demo-platform"), secret="auditor-tests-signing-key-0123456789"
    )
    with serve_gateway(catalog, settings) as url:
        yield Demo(url, settings, world)


def _candidates() -> list[str | None]:
    """Every text the demo could hold as a criminal record, and "no record": what a guesser would try."""
    courts = [district_office(d, "人民法院") for d in DISTRICTS]
    texts = [f"{year}年因{crime}被{court}判处{sentence}"
             for year, crime, court, sentence in itertools.product(range(1990, AS_OF.year + 1), _CRIMES, courts, _SENTENCES)]  # fmt: skip
    return [None, *texts]


def _find(nodes: list[dict[str, Any]], person: str) -> dict[str, Any]:
    [node] = [n for n in nodes if n["operationName"] == "Record" and n["variables"] == {"id": person}]
    return node


def test_an_auditor_without_a_grant_learns_nothing_from_the_result_digest(demo: Demo) -> None:
    convicted, clean = demo.people(with_record=True)[0], demo.people(with_record=False)[0]
    for person in (convicted, clean):
        answer = demo.post("police", RECORD_QUERY, {"id": person})
        assert answer["data"]["person"]["criminalRecord"] == demo.criminal_record(person)
    # The platform authority's auditor reads every record, but holds no grant of the withheld item.
    assert demo.post("bigdata", RECORD_QUERY, {"id": convicted})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = demo.audit(
        "bigdata", f'{{ auditRecords(filter: {{department: "police"}}) {{ nodes {{ {RECORD_FIELDS} }} }} }}'
    )
    nodes = listed["data"]["auditRecords"]["nodes"]
    candidates = _candidates()
    assert demo.criminal_record(convicted) in candidates  # the guess list holds the true answer
    for person in (convicted, clean):
        record = _find(nodes, person)
        assert record["resultKeyId"] and len(record["resultSha256"]) == 64
        # The offline dictionary attack: hash each candidate answer as the record's digest would be.
        guesses = {hashlib.sha256(canonical_result({"person": {"criminalRecord": c}})).hexdigest() for c in candidates}
        assert record["resultSha256"] not in guesses
        # The replay still compares: the platform recomputes the digest under the record's key.
        report = demo.audit("bigdata", REPLAY, {"seq": record["seq"]})["data"]["auditReplay"]
        assert report["resultReproduced"] is True
        assert report["recordedResultKeyId"] == report["resultKeyId"] == record["resultKeyId"]
        assert report["resultSha256Then"] == record["resultSha256"]
    # The same answer for another person digests alike: equal digests say only "equal answers".
    assert _find(nodes, clean)["resultSha256"] != _find(nodes, convicted)["resultSha256"]


LOOKUP = "query PoliceLookup($id: ID!) { person(idNumber: $id) { name phone } }"
ENTITIES = "query MarketEntities { legalEntities(first: 3) { nodes { creditCode name } } }"
LIST = f"query L($f: AuditRecordFilter) {{ auditRecords(filter: $f, first: 1000) {{ nodes {{ {RECORD_FIELDS} }} }} }}"
SHOW = f"query S($seq: Int!) {{ auditRecord(seq: $seq) {{ {RECORD_FIELDS} }} }}"


def test_an_auditor_of_market_never_sees_a_police_record(demo: Demo) -> None:
    person = demo.people(with_record=False)[1]
    demo.post("police", LOOKUP, {"id": person})
    demo.post("market", ENTITIES)
    everything = demo.audit("bigdata", LIST, {"f": None})["data"]["auditRecords"]["nodes"]
    police = next(n for n in everything if n["operationName"] == "PoliceLookup")
    market = next(n for n in everything if n["operationName"] == "MarketEntities")
    assert police["variables"] == {"id": person}  # the authority's auditors see every department's records

    for where in (None, {"department": "police"}, {"resource": "Person"}, {"user": "police-user"}):
        nodes = demo.audit("market", LIST, {"f": where})["data"]["auditRecords"]["nodes"]
        assert all(n["department"] == "market" for n in nodes)
        assert person not in str(nodes)
    assert market["seq"] in [n["seq"] for n in demo.audit("market", LIST, {"f": None})["data"]["auditRecords"]["nodes"]]
    assert demo.audit("market", SHOW, {"seq": police["seq"]})["data"]["auditRecord"] is None
    assert (
        demo.audit("market", SHOW, {"seq": market["seq"]})["data"]["auditRecord"]["operationName"] == "MarketEntities"
    )
    # A police record cannot be replayed by market's auditor, and looks like no record at all.
    refused = demo.audit("market", REPLAY, {"seq": police["seq"]})
    missing = demo.audit("market", REPLAY, {"seq": 10**6})
    assert refused["errors"][0]["message"].replace(str(police["seq"]), "N") == missing["errors"][0]["message"].replace(
        str(10**6), "N"
    )
    assert "data" not in refused or refused["data"] is None
    replayed = demo.audit("market", REPLAY, {"seq": market["seq"]})["data"]["auditReplay"]
    assert replayed["resultReproduced"] is True
    # Checking the chain covers every record and names none of police's content.
    verified = demo.audit("market", "{ auditVerify { ok records problem } }")["data"]["auditVerify"]
    assert verified["ok"] is True and verified["records"] >= len(everything)
