"""The HTTP surface over a real uvicorn server: identity, GraphQL over HTTP, GraphiQL, health."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from govshare.app import create_app
from govshare.auth import issue_token
from govshare.catalog import parse_catalog
from govshare.settings import Settings
from tests import world
from tests.services import serve_app
from tests.testville import City
from tests.worlds import govshare_command, govshare_serve, graphql_headers, serve_gateway

QUERY = '{ resident(residentId: "r00003") { fullName vehicles { plate owner { residentId } } } }'


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("platform"), secret="a-test-signing-key-of-enough-length")


@pytest.fixture(scope="module")
def base_url(city: City, settings: Settings) -> Iterator[str]:
    with serve_gateway(city.catalog, settings) as url:
        yield url


def _headers(settings: Settings, department: str = "transport", **extra: str) -> dict[str, str]:
    return {**graphql_headers(settings, department, "alice", purpose="work_reference"), **extra}


def test_post_and_get_answer_the_same(base_url: str, settings: Settings) -> None:
    post = httpx.post(f"{base_url}/graphql", json={"query": QUERY}, headers=_headers(settings))
    get = httpx.get(f"{base_url}/graphql", params={"query": QUERY}, headers=_headers(settings))
    assert post.status_code == get.status_code == 200
    assert post.json() == get.json()
    resident = post.json()["data"]["resident"]
    assert resident["fullName"] and all(v["owner"] == {"residentId": "r00003"} for v in resident["vehicles"])


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        (None, "Authorization: Bearer"),
        ("Basic abc", "Authorization: Bearer"),
        ("Bearer not-a-jwt", "invalid"),
    ],
)
def test_requests_without_a_valid_token_get_401(base_url: str, authorization: str | None, fragment: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(f"{base_url}/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and fragment in error["message"]
    assert "data" not in response.json()


def test_expired_foreign_and_unknown_department_tokens_are_refused(base_url: str, settings: Settings) -> None:
    expired = issue_token(settings, "civil", "bob", ["member"], timedelta(seconds=1))
    foreign = issue_token(Settings(secret="another-platforms-key-of-enough-length"), "civil", "bob", ["member"])
    stranger = issue_token(settings, "nosuchdept", "bob", ["member"])
    time.sleep(1.1)
    for token, fragment in [(expired, "expired"), (foreign, "invalid"), (stranger, "not in the catalog")]:
        response = httpx.post(
            f"{base_url}/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, fragment
        assert fragment in response.json()["errors"][0]["message"]


def test_authority_role_belongs_to_the_authority_only(base_url: str, settings: Settings) -> None:
    token = issue_token(settings, "civil", "mallory", ["authority"])
    response = httpx.post(
        f"{base_url}/graphql", json={"query": "{ me { user } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert "not the platform authority" in response.json()["errors"][0]["message"]


def test_me_answers_from_the_token(base_url: str, settings: Settings) -> None:
    token = issue_token(settings, "hub", "carol", ["authority", "auditor"])
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": "{ me { department { code } user roles } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json() == {
        "data": {"me": {"department": {"code": "hub"}, "user": "carol", "roles": ["auditor", "authority"]}}
    }


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"query": 42}', 400, "'query' string"),
        (b'{"query": "{ me { user } }", "variables": [1]}', 400, "'variables' must be a JSON object"),
        (b'{"query": "{ me { user "}', 400, "Syntax Error"),
        (b'{"query": "' + b"x" * 70_000 + b'"}', 413, "exceeds 65536 bytes"),
    ],
)
def test_malformed_requests_are_explained(
    base_url: str, settings: Settings, body: bytes, status: int, fragment: str
) -> None:
    headers = {**_headers(settings), "Content-Type": "application/json"}
    response = httpx.post(f"{base_url}/graphql", content=body, headers=headers)
    assert response.status_code == status
    assert fragment in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


def test_graphiql_in_a_browser(base_url: str) -> None:
    response = httpx.get(f"{base_url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_health_and_readiness(base_url: str) -> None:
    assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "sources": dict.fromkeys(world.TABLES_BY_SOURCE, "ok")}


def test_readiness_names_the_source_that_is_down(city: City, settings: Settings) -> None:
    urls = {**city.urls, "vehicle_db": "postgresql+asyncpg://postgres@127.0.0.1:9/none"}
    app = create_app(parse_catalog(world.catalog_text(urls)), settings)
    with serve_app(app, lifespan="on") as url:
        ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 503
    sources = ready.json()["sources"]
    assert sources["civil_db"] == "ok" and sources["vehicle_db"].startswith("unavailable")
    assert "127.0.0.1" not in ready.text


def _govshare(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(govshare_command(*args), env=env, capture_output=True, text=True, timeout=60)


def test_govshare_serve_serves_a_catalog_written_elsewhere(city: City, tmp_path: Path) -> None:
    """`govshare serve --catalog FILE` and `govshare token issue`, as separate processes."""
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(tmp_path)}
    issued = _govshare("token", "issue", "--department", "transport", "--user", "dave", env=env)
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token
    with govshare_serve(city.directory / "catalog.yaml", env, tmp_path / "server.log") as server:
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {token}", "X-Purpose": "work_reference"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["resident"]["vehicles"]


def test_check_reports_problems_and_exit_codes(city: City, tmp_path: Path) -> None:
    good = _govshare("check", str(city.directory / "catalog.yaml"), env=dict(os.environ))
    assert good.returncode == 0 and good.stdout.startswith("OK: 3 resources")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (city.directory / "catalog.yaml")
        .read_text()
        .replace("sharing: conditional, condition: 仅限联系本人", "sharing: conditional")
    )
    failed = _govshare("check", str(bad), env=dict(os.environ))
    assert failed.returncode == 1
    assert "bad.yaml:" in failed.stderr and "condition" in failed.stderr
