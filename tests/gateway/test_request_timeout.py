"""A request has the gateway's own time limit, whatever its sources' statement limits are."""

from __future__ import annotations

import time
from pathlib import Path

from govshare.catalog import parse_catalog
from govshare.runtime import close_runtime
from tests import world
from tests.connectors.conftest import silent_port
from tests.testville import City, Client, open_client


async def test_a_request_past_its_time_limit_answers_timeout_at_once(city: City, tmp_path: Path) -> None:
    with silent_port() as port:  # a PostgreSQL source that accepts connections and never answers
        urls = {**city.urls, "civil_db": f"postgresql://postgres@127.0.0.1:{port}/test"}
        gateway = await open_client(parse_catalog(world.catalog_text(urls)), tmp_path,
                                    statement_timeout=20.0, request_timeout=0.5)  # fmt: skip
        try:
            started = time.monotonic()
            outcome = await Client(gateway).run('{ resident(residentId: "r00001") { fullName } }')
            took = time.monotonic() - started
        finally:
            await close_runtime(gateway.runtime)
    assert outcome.codes == ["TIMEOUT"]
    assert outcome.body["data"] is None
    assert outcome.body["errors"][0]["message"] == "The request took longer than 0.5 s"
    assert took < 5  # the request's limit, not the source's 20 s
