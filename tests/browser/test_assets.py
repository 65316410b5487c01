"""The GraphiQL page over plain HTTP: every asset it names is served here, unchanged, and nothing is external."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from govshare.gateway import graphiql

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


class References(HTMLParser):
    """The URLs a page loads (script src, link href), with their integrity attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = values.get("src") if tag == "script" else values.get("href") if tag == "link" else None
        if url is not None:
            self.found.append((url, values.get("integrity")))


def _page(base_url: str) -> httpx.Response:
    response = httpx.get(f"{base_url}/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response


def _references(html: str) -> list[tuple[str, str | None]]:
    parser = References()
    parser.feed(html)
    return parser.found


def test_every_asset_the_page_names_is_served_unchanged(base_url: str) -> None:
    assets = [(url, integrity) for url, integrity in _references(_page(base_url).text) if url.startswith("/graphiql/")]
    assert {Path(url).suffix for url, _ in assets} == {".js", ".css"}
    for url, integrity in assets:
        response = httpx.get(f"{base_url}{url}")
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] == CONTENT_TYPES[Path(url).suffix], url
        assert "immutable" in response.headers["cache-control"], url
        # The pinned upstream digest: a vendored file edited or swapped no longer matches.
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url


def test_the_page_loads_nothing_from_another_origin(base_url: str) -> None:
    response = _page(base_url)
    references = _references(response.text)
    assert references, "the page names its assets"
    # Only our own absolute paths and the empty data: favicon; no scheme, no host, no protocol-relative //.
    assert all(url == "data:," or re.fullmatch(r"/graphiql/[\w.@/-]+", url) for url, _ in references), references
    assert re.findall(r"(?:https?:)?//[\w.-]+\.\w", response.text) == []
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_each_vendored_package_carries_its_licence() -> None:
    for package in sorted(graphiql.ASSETS.iterdir()):
        assert "MIT License" in (package / "LICENSE").read_text(encoding="utf-8"), package.name


@pytest.mark.parametrize("path", ["/graphiql/react-18.2.0/missing.js", "/graphiql/", "/graphiql/react-18.2.0/"])
def test_nothing_else_is_served_under_the_assets_path(base_url: str, path: str) -> None:
    assert httpx.get(f"{base_url}{path}").status_code == 404
