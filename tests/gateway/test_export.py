"""Bulk export over real HTTP (GET /export/{Resource}): formats, order, filters, resumption, audit."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Message, Scope

from govshare import clock
from govshare.app import create_app
from govshare.audit.platform import result_keys
from govshare.audit.read import EVERY_RECORD, AuditFilter, all_records
from govshare.audit.record import AuditRecord
from govshare.catalog import Catalog, parse_catalog
from govshare.settings import Settings
from govshare.store import grant_rows
from govshare.store.grant_rows import NewGrant
from tests import world
from tests.testville import City, export_platform
from tests.worlds import graphql_headers, read_audit, serve_gateway


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return export_platform(tmp_path_factory, "export-platform")


@pytest.fixture(scope="module")
def base_url(city: City, settings: Settings) -> Iterator[str]:
    # Inspection is offered online only: no bulk download.
    text = world.catalog_text(city.urls).replace(
        "update_cycle: monthly\n    share_methods: [interface, query, download]",
        "update_cycle: monthly\n    share_methods: [interface, query]",
    )
    assert text != world.catalog_text(city.urls)
    with serve_gateway(parse_catalog(text, "catalog.yaml"), settings) as url:
        yield url


def _get(
    base_url: str, settings: Settings, resource: str, department: str = "transport", **params: Any
) -> httpx.Response:
    headers = graphql_headers(settings, department, "alice", purpose="work_reference")
    return httpx.get(f"{base_url}/export/{resource}", params=params, headers=headers, timeout=60)


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def _records_since(settings: Settings, seq: int) -> list[AuditRecord]:
    return [r for r in read_audit(settings) if r.seq > seq]


def _last_seq(settings: Settings) -> int:
    records = read_audit(settings)
    return records[-1].seq if records else 0


def test_a_csv_export_holds_every_row_in_key_order_with_a_header_of_names(
    base_url: str, settings: Settings, city: City
) -> None:
    got = _get(base_url, settings, "Vehicle")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["x-export-order"] == "plate"
    lines = got.content.split(b"\r\n")
    assert lines[0] == b"plate,ownerId,brand,registeredOn"
    rows = _rows(got.content)
    expected = sorted(city.data.vehicles, key=lambda v: v["plate"])
    assert [r["plate"] for r in rows] == [v["plate"] for v in expected]
    assert rows[0] == {
        "plate": expected[0]["plate"],
        "ownerId": expected[0]["owner_id"],
        "brand": expected[0]["brand"],
        "registeredOn": expected[0]["registered_on"].isoformat(),
    }


def test_jsonl_keeps_types_and_titles_head_a_csv(base_url: str, settings: Settings, city: City) -> None:
    got = _get(base_url, settings, "Resident", items="residentId,birthDate,score,income,married", format="jsonl")
    assert got.status_code == 200, got.text
    rows = [orjson.loads(line) for line in got.content.splitlines()]
    by_id = {r["resident_id"]: r for r in city.data.residents}
    assert len(rows) == len(by_id)
    for row in rows[:50]:
        raw = by_id[row["residentId"]]
        assert row == {"residentId": raw["resident_id"], "birthDate": raw["birth_date"].isoformat(),
                       "score": raw["score"], "income": raw["income"], "married": raw["married"]}  # fmt: skip
    titled = _get(base_url, settings, "Resident", items="residentId,married", header="titles")
    first, second = titled.content.split(b"\r\n")[:2]
    assert first.decode() == "居民编号,已婚"
    assert second.split(b",")[1] in (b"true", b"false", b"")


def test_filter_and_order_are_those_of_graphql(base_url: str, settings: Settings, city: City) -> None:
    got = _get(
        base_url, settings, "Resident", items="residentId,score", filter=json.dumps({"district": {"eq": "east"}}),
        order="-score", format="jsonl",
    )  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.headers["x-export-order"] == "-score,residentId"
    rows = [orjson.loads(line) for line in got.content.splitlines()]
    east = [r for r in city.data.residents if r["district"] == "east"]
    # NULLs sort last in descending order; ties by the key.
    expected = sorted(east, key=lambda r: r["resident_id"])
    expected.sort(key=lambda r: (r["score"] is not None, r["score"] or 0), reverse=True)
    assert [r["residentId"] for r in rows] == [r["resident_id"] for r in expected]


def test_a_cut_export_resumes_from_the_last_row_received_with_no_row_twice_or_missed(
    base_url: str, settings: Settings, city: City
) -> None:
    before = _last_seq(settings)
    headers = graphql_headers(settings, "transport", "alice", purpose="work_reference")
    received = b""
    with httpx.Client(timeout=60) as http, http.stream("GET", f"{base_url}/export/Vehicle?format=jsonl",
                                                        headers=headers) as response:  # fmt: skip
        assert response.status_code == 200
        opened = int(response.headers["x-export-id"])
        for chunk in response.iter_raw(4096):
            received += chunk
            if len(received) > 20_000:
                break  # the client goes away
    complete = received[: received.rfind(b"\n") + 1]
    kept = [orjson.loads(line) for line in complete.splitlines()]
    resumed = _get(base_url, settings, "Vehicle", format="jsonl", after=json.dumps(kept[-1]))
    assert resumed.status_code == 200, resumed.text
    rest = [orjson.loads(line) for line in resumed.content.splitlines()]
    assert [v["plate"] for v in kept + rest] == sorted(v["plate"] for v in city.data.vehicles)
    records = _records_since(settings, before)
    cut = next(r for r in records if r.detail and r.detail.get("opening") == opened)
    assert cut.outcome == "partial" and cut.detail is not None and cut.detail["complete"] is False
    # What the server handed out covers at least what the client kept, and never more than all rows.
    assert len(kept) <= cut.detail["rows"] < len(city.data.vehicles)


def test_a_csv_continuation_has_no_header_and_takes_csv_text(base_url: str, settings: Settings, city: City) -> None:
    full = _get(base_url, settings, "Inspection", department="civil", items="inspectionId,passed")
    assert full.status_code == 403  # Inspection offers no download (the catalog of this module)
    whole = _rows(_get(base_url, settings, "Resident", items="residentId,score", order="score").content)
    middle = whole[len(whole) // 2]
    rest = _get(base_url, settings, "Resident", items="residentId,score", order="score", after=json.dumps(middle))
    lines = rest.content.decode().splitlines()
    assert lines[0] != "residentId,score"
    assert [line.split(",")[0] for line in lines] == [r["residentId"] for r in whole[len(whole) // 2 + 1 :]]


def test_the_audit_records_the_opening_and_the_end_with_a_digest_of_the_bytes(
    base_url: str, settings: Settings
) -> None:
    before = _last_seq(settings)
    got = _get(base_url, settings, "Vehicle", "civil", items="plate,brand", filter=json.dumps({"brand": {"eq": "nio"}}))
    assert got.status_code == 200
    opening, closing = _records_since(settings, before)
    assert (opening.kind, opening.outcome, closing.kind, closing.outcome) == ("export", "started", "export", "answered")
    assert opening.seq == int(got.headers["x-export-id"])
    assert opening.variables is not None and opening.variables["filter"] == {"brand": {"eq": "nio"}}
    assert opening.variables["items"] == ["plate", "brand"]
    assert ["Vehicle", "brand", "allow", "unconditional"] in opening.decisions
    assert closing.detail is not None
    assert closing.detail["rows"] == len(_rows(got.content)) and closing.detail["bytes"] == len(got.content)
    assert closing.detail["opening"] == opening.seq and closing.detail["complete"] is True
    keys = result_keys(settings)
    assert closing.result_key_id == keys.current
    expected = hmac.new(keys.key(keys.current).secret, got.content, hashlib.sha256).hexdigest()
    assert closing.result_sha256 == expected
    assert closing.sources["vehicle_db"]["rows"] == closing.detail["rows"]


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"format": "xlsx"}, 400, "format must be one of csv, jsonl"),
        ({"items": "plate,colour"}, 400, "has no item 'colour'"),
        ({"order": "speed"}, 400, "has no item 'speed'"),
        ({"filter": "{brand"}, 400, "filter is not valid JSON"),
        ({"filter": '{"brand": {"near": "x"}}'}, 400, "filter.brand: 'near' is not an operator"),
        ({"after": '["x"]'}, 400, "after must be a JSON object"),
        ({"after": '{"plate": 7}'}, 400, "after.plate: 7 is not a ID"),
        ({"limit": "5"}, 400, "Unknown parameter 'limit'"),
    ],
)
def test_bad_parameters_are_refused_saying_what_and_how_and_recorded(
    base_url: str, settings: Settings, params: dict[str, str], status: int, fragment: str
) -> None:
    before = _last_seq(settings)
    got = _get(base_url, settings, "Vehicle", **params)
    assert got.status_code == status
    [error] = got.json()["errors"]
    assert fragment in error["message"] and error["extensions"]["code"] == "BAD_USER_INPUT"
    [record] = _records_since(settings, before)
    assert record.kind == "export" and record.error_codes == ["BAD_USER_INPUT"]


def test_a_resource_not_offered_for_download_is_forbidden_naming_the_method(base_url: str, settings: Settings) -> None:
    got = _get(base_url, settings, "Inspection")
    assert got.status_code == 403
    [error] = got.json()["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "resource": "Inspection", "method": "download",
                                   "offered": ["interface", "query"]}  # fmt: skip
    assert "ask transport to add it to share_methods" in error["message"]
    missing = _get(base_url, settings, "Nothing")
    assert missing.status_code == 404 and "resources offered for download: Resident, Vehicle" in missing.text


def test_without_a_token_or_purpose_nothing_is_exported(base_url: str, settings: Settings) -> None:
    assert httpx.get(f"{base_url}/export/Vehicle").status_code == 401
    headers = graphql_headers(settings, "transport", "alice")
    got = httpx.get(f"{base_url}/export/Vehicle", headers=headers)
    assert got.status_code == 400 and got.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"


def test_an_export_of_nothing_is_a_header_alone(base_url: str, settings: Settings) -> None:
    got = _get(base_url, settings, "Vehicle", filter=json.dumps({"brand": {"eq": "none-such"}}))
    assert got.status_code == 200 and got.content == b"plate,ownerId,brand,registeredOn\r\n"
    day = clock.today().isoformat()  # the platform's day (China), not the machine's
    assert got.headers["content-disposition"] == f'attachment; filename="Vehicle-{day}.csv"'


async def test_an_export_stops_when_a_decision_it_rests_on_changes_and_is_recorded_as_cut(
    city: City, tmp_path: Path
) -> None:
    """The grant behind an exported item is revoked after the first batch has left."""
    settings = Settings(data_dir=tmp_path, secret="an-export-test-key-of-enough-length", export_batch=100)
    await export_cut_by_revocation(city.catalog, settings, city, 100)


async def export_cut_by_revocation(catalog: Catalog, settings: Settings, city: City, batch: int) -> None:
    """An export of Resident.phone under a grant revoked once the header and a first batch of
    ``batch`` rows have left: nothing more leaves, and the closing record says where it stopped."""
    app = create_app(catalog, settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.gateway.runtime

        async def grant(conn: AsyncConnection) -> int:
            new = NewGrant("transport", "Resident", ("phone",), ("work_reference",), "allow")
            return await grant_rows.insert_grant(conn, new, by="hub/tests", now=clock.now())

        async def revoke(conn: AsyncConnection) -> None:
            await grant_rows.revoke_grant(conn, granted, by="hub/tests", reason="mid-export", now=clock.now())

        granted, _ = await runtime.policies.change("hub", "tests", "grant phone", grant)
        assert granted is not None
        messages: list[Message] = []

        async def send(message: Message) -> None:
            messages.append(message)
            if sum(m["type"] == "http.response.body" for m in messages) == 2:  # the header and a batch left
                await runtime.policies.change("hub", "tests", "revoke phone", revoke)

        requested = asyncio.Event()

        async def receive() -> Message:
            if requested.is_set():
                await asyncio.Event().wait()  # the client stays: it never disconnects
            requested.set()
            return {"type": "http.request", "body": b"", "more_body": False}

        headers = graphql_headers(settings, "transport", "alice", purpose="work_reference")
        scope: Scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/export/Resident", "raw_path": b"/export/Resident", "root_path": "",
            "query_string": b"items=residentId,phone", "client": ("127.0.0.1", 50000), "server": ("govshare", 80),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }  # fmt: skip
        await app(scope, receive, send)
        start, *bodies = messages
        assert start["status"] == 200
        # The header and the first batch, then nothing: the response never ends, so the client sees the cut.
        assert len(bodies) == 2 and all(b["more_body"] for b in bodies)
        rows = _rows(b"".join(b["body"] for b in bodies))
        assert len(rows) == batch < len(city.data.residents)
        records = [r async for r in all_records(runtime.audit.engine, AuditFilter(), EVERY_RECORD)]
        closing = records[-1]
        assert closing.outcome == "partial" and closing.error_codes == ["FORBIDDEN"]
        assert closing.detail is not None and closing.detail["rows"] == batch and closing.detail["complete"] is False
        assert "Resident.phone was allow" in closing.detail["cut"] and closing.detail["last"] == {
            "residentId": rows[-1]["residentId"]
        }
