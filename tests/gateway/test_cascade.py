"""Cascade (级联, art. 7): a provincial platform federates a city platform through the graphql
connector, with a service identity the city issued to the province.

Two real gateways over HTTP, four departments at each level: the city's police provide
persons; the province's market regulator provides enterprises whose legal representatives are
city persons, and its health commission reads the join. The province sees only what the city
grants the province; the caller's purpose passes through, and both audit logs name the
exchange by one request id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.auth import issue_token
from govshare.catalog import Catalog, parse_catalog
from govshare.connectors import SourceUnavailable, load_credentials, open_connector
from govshare.runtime import table_refs
from govshare.settings import Settings
from tests.worlds import graphql_headers, read_audit, serve_gateway

PURPOSES = "{business_collaboration: 业务协同, work_reference: 工作参考}"
PERSONS = [(f"41020019800101{i:04d}", f"居民{i}", f"1380000{i:04d}", f"CR-{i:04d}-sealed") for i in range(30)]
ENTERPRISES = [(f"91410200MA{i:08d}", f"企业{i}", PERSONS[i * 3 % len(PERSONS)][0]) for i in range(12)]

CITY = """\
version: 1
platform:
  name: 开封市政务数据共享平台
  authority: city_hub
  purposes: {purposes}
departments:
  city_hub: {{name: 市政务服务和大数据管理局}}
  police: {{name: 市公安局}}
  province: {{name: 河南省政务数据共享平台}}
  city_tax: {{name: 市税务局}}
sources:
  police_db: {{department: police, kind: sql, url: "sqlite+aiosqlite:///{db}"}}
resources:
  Person:
    code: "C001/000001"
    title: 人口基础信息
    provider: police
    category: base
    source: police_db
    table: person
    key: idNumber
    plural: people
    update_cycle: daily
    share_methods: [interface, query]
    items:
      idNumber: {{column: id_number, type: ID, title: 公民身份号码, sharing: unconditional}}
      name: {{type: String, title: 姓名, sharing: unconditional}}
      phone: {{type: String, title: 联系电话, sharing: conditional, business: true, condition: 仅限办理业务时联系本人}}
      criminalRecord: {{column: criminal_record, type: String, title: 违法犯罪记录, sharing: withheld,
                       business: true, legal_basis: 《中华人民共和国个人信息保护法》第三十四条}}
"""

# The province declares the city's withheld item as if it were shared: the city must still refuse it.
PROVINCE = """\
version: 1
platform:
  name: 河南省政务数据共享平台
  authority: prov_hub
  purposes: {purposes}
departments:
  prov_hub: {{name: 省政务服务和大数据管理局}}
  market: {{name: 省市场监督管理局}}
  health: {{name: 省卫生健康委员会}}
  kaifeng: {{name: 开封市政务数据共享平台}}
sources:
  market_db: {{department: market, kind: sql, url: "sqlite+aiosqlite:///{db}"}}
  kaifeng_platform: {{department: kaifeng, kind: graphql, url: "{city}/graphql"}}
resources:
  Enterprise:
    code: "P001/000001"
    title: 企业登记信息
    provider: market
    category: base
    source: market_db
    table: enterprise
    key: creditCode
    update_cycle: daily
    share_methods: [interface, query]
    items:
      creditCode: {{column: credit_code, type: ID, title: 统一社会信用代码, sharing: unconditional}}
      name: {{type: String, title: 企业名称, sharing: unconditional}}
      legalRepId: {{column: legal_rep_id, type: ID, title: 法定代表人身份号码, sharing: unconditional}}
    relations:
      legalRep: {{target: CityPerson, on: {{legalRepId: idNumber}}, title: 法定代表人}}
  CityPerson:
    code: "P002/000001"
    title: 开封市人口基础信息
    provider: kaifeng
    category: department
    source: kaifeng_platform
    table: people
    key: idNumber
    plural: cityPeople
    update_cycle: daily
    share_methods: [interface, query]
    items:
      idNumber: {{type: ID, title: 公民身份号码, sharing: unconditional}}
      name: {{type: String, title: 姓名, sharing: unconditional}}
      phone: {{type: String, title: 联系电话, sharing: conditional, condition: 仅限办理业务时联系本人}}
      criminalRecord: {{type: String, title: 违法犯罪记录, sharing: unconditional}}
"""

GRANT_ADD = "mutation($input: GrantInput!) { grantAdd(input: $input) { id } }"
JOIN = "{ enterprises(first: 50) { nodes { creditCode name legalRep { idNumber name %s } } } }"


@dataclass
class Platform:
    url: str
    settings: Settings
    catalog: Catalog

    def post(self, query: str, department: str, purpose: str, roles: tuple[str, ...] = ("member",),
             variables: dict[str, Any] | None = None) -> httpx.Response:  # fmt: skip
        headers = graphql_headers(self.settings, department, f"{department}-user", roles, purpose)
        return httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, headers=headers)

    def grant(self, department: str, resource: str, items: list[str], purposes: list[str]) -> None:
        grant = {"department": department, "resource": resource, "items": items, "purposes": purposes,
                 "effect": "ALLOW"}  # fmt: skip
        authority = self.catalog.platform.authority
        body = self.post(GRANT_ADD, authority, "work_reference", ("authority",), {"input": grant}).json()
        assert "errors" not in body, body


def _database(path: Path, ddl: str, rows: Sequence[tuple[str, ...]]) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.execute(ddl)
        db.executemany(f"INSERT INTO {ddl.split()[2]} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        db.commit()
    return path


@dataclass
class Cascade:
    city: Platform
    province: Platform


@pytest.fixture(scope="module")
def cascade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cascade]:
    root = tmp_path_factory.mktemp("cascade")
    police = _database(root / "police.db", "CREATE TABLE person (id_number TEXT PRIMARY KEY, name TEXT, phone TEXT, "
                       "criminal_record TEXT)", PERSONS)  # fmt: skip
    market = _database(root / "market.db", "CREATE TABLE enterprise (credit_code TEXT PRIMARY KEY, name TEXT, "
                       "legal_rep_id TEXT)", ENTERPRISES)  # fmt: skip
    city_catalog = parse_catalog(CITY.format(purposes=PURPOSES, db=police), str(root / "city.yaml"))
    city_settings = Settings(data_dir=root / "city", secret="the-city-platform-signing-key-0001", policy_poll=0.1)
    with serve_gateway(city_catalog, city_settings) as city_url:
        # The city's service identity for the province, kept in a file beside the province's settings.
        token = root / "kaifeng.token"
        token.write_text(issue_token(city_settings, "province", "henan-platform", ["member"]) + "\n")
        credentials = root / "credentials.yaml"
        credentials.write_text(f"kaifeng_platform:\n  bearer_token_file: {token}\n")
        text = PROVINCE.format(purposes=PURPOSES, db=market, city=city_url)
        province_catalog = parse_catalog(text, str(root / "province.yaml"))
        province_settings = Settings(data_dir=root / "province", secret="the-province-platform-signing-key-0001",
                                     policy_poll=0.1, source_credentials=str(credentials))  # fmt: skip
        with serve_gateway(province_catalog, province_settings) as province_url:
            city = Platform(city_url, city_settings, city_catalog)
            province = Platform(province_url, province_settings, province_catalog)
            # The city shares phones with the province for business collaboration only; the province
            # passes them on to its health commission for either purpose.
            city.grant("province", "Person", ["phone"], ["business_collaboration"])
            province.grant("health", "CityPerson", ["phone"], ["business_collaboration", "work_reference"])
            yield Cascade(city, province)


def _expected(with_phone: bool) -> list[dict[str, Any]]:
    people = {p[0]: p for p in PERSONS}
    nodes = []
    for code, name, rep in ENTERPRISES:
        person: dict[str, Any] = {"idNumber": rep, "name": people[rep][1]}
        if with_phone:
            person["phone"] = people[rep][2]
        nodes.append({"creditCode": code, "name": name, "legalRep": person})
    return nodes


def test_the_province_joins_its_own_resource_with_the_citys(cascade: Cascade) -> None:
    before = len(read_audit(cascade.city.settings))
    answer = cascade.province.post(JOIN % "phone", "health", "business_collaboration")
    body = answer.json()
    assert "errors" not in body, body
    assert body["data"]["enterprises"]["nodes"] == _expected(with_phone=True)
    # The legal representatives were looked up at the city in one request.
    city_records = read_audit(cascade.city.settings)[before:]
    assert len(city_records) == 1
    exchange = city_records[0]
    assert (exchange.department, exchange.user, exchange.purpose) == ("province", "henan-platform",
                                                                      "business_collaboration")  # fmt: skip
    province_record = read_audit(cascade.province.settings)[-1]
    assert province_record.detail is not None and exchange.detail is not None
    request_id = province_record.detail["request"]
    assert answer.headers["X-Request-Id"] == request_id
    assert exchange.detail["upstream"] == request_id
    assert province_record.sources["kaifeng_platform"]["statements"] == 1


def test_the_purpose_passes_through_to_the_city(cascade: Cascade) -> None:
    # The province allows the phone for work reference, the city does not: the city decides.
    body = cascade.province.post(JOIN % "phone", "health", "work_reference").json()
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}  # at each legalRep
    assert all("FORBIDDEN" in e["message"] for e in body["errors"]), body["errors"]
    assert "13800" not in str(body)
    city_record = read_audit(cascade.city.settings)[-1]
    assert city_record.purpose == "work_reference"
    assert any(d[:3] == ["Person", "phone", "deny"] for d in city_record.decisions), city_record.decisions
    # Without the phone the same purpose is answered.
    body = cascade.province.post(JOIN % "", "health", "work_reference").json()
    assert body == {"data": {"enterprises": {"nodes": _expected(with_phone=False)}}}


def test_withheld_city_items_never_reach_the_province(cascade: Cascade) -> None:
    # The province's catalog calls criminalRecord unconditional; the city withholds it.
    for query in (JOIN % "criminalRecord", "{ cityPeople(first: 5) { nodes { idNumber criminalRecord } } }"):
        body = cascade.province.post(query, "health", "business_collaboration").json()
        assert "-sealed" not in str(body), body
        assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}
        city_record = read_audit(cascade.city.settings)[-1]
        assert city_record.department == "province"
        assert "FORBIDDEN" in city_record.error_codes


def test_the_province_reads_city_rows_with_filters_order_and_pages(cascade: Cascade) -> None:
    query = """query($after: String) { cityPeople(filter: {name: {startsWith: "居民1"}}, orderBy: [{name: DESC}],
               first: 4, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }"""
    names: list[str] = []
    after = None
    while True:
        body = cascade.province.post(query, "health", "work_reference", variables={"after": after}).json()
        assert "errors" not in body, body
        page = body["data"]["cityPeople"]
        assert page["totalCount"] == 11
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == sorted((p[1] for p in PERSONS if p[1].startswith("居民1")), reverse=True)


async def test_a_service_identity_the_city_did_not_issue_is_refused(cascade: Cascade, tmp_path: Path) -> None:
    # A token signed with the province's own key: the city answers 401, the province says so without it.
    token = issue_token(cascade.province.settings, "province", "impostor", ["member"])
    (tmp_path / "token").write_text(token)
    (tmp_path / "credentials.yaml").write_text("kaifeng_platform:\n  bearer_token_file: token\n")
    credential = load_credentials(tmp_path / "credentials.yaml")["kaifeng_platform"]
    source = cascade.province.catalog.sources["kaifeng_platform"]
    connector = open_connector(
        source, credential=credential, tables=[table_refs(cascade.province.catalog)["CityPerson"]]
    )
    try:
        with pytest.raises(SourceUnavailable) as info:
            await connector.prepare()
    finally:
        await connector.close()
    assert info.value.reason == "HTTP 401: the source refused the credentials"
    assert token not in repr(connector) and token not in str(info.value)
    assert read_audit(cascade.city.settings)[-1].outcome == "unauthenticated"
