"""GraphiQL in a real browser with the network off: it renders and answers from this server alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from govshare.auth import issue_token
from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.testville import City

QUERY = '{ resident(residentId: "r00003") { residentId fullName } }'


@pytest.fixture
def offline(chromium: Any, base_url: str) -> Iterator[Offline]:
    guard = Offline(chromium, base_url)
    try:
        yield guard
    finally:
        guard.context.close()


def _replace_editor_text(page: Any, editor: Any, text: str) -> None:
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # Inserted as typed text, without key-by-key auto-closing of brackets.
    page.keyboard.insert_text(text)


def test_graphiql_runs_a_query_with_a_token_offline(
    offline: Offline, base_url: str, settings: Settings, city: City
) -> None:
    page = offline.new_page()
    page.goto(f"{base_url}/graphql")  # returns once the page and everything it names have loaded
    assert offline.attempted == []
    query_editor = page.locator(".graphiql-query-editor .CodeMirror")
    assert "X-Purpose" in query_editor.inner_text()  # the welcome text says how to authenticate

    _replace_editor_text(page, query_editor, QUERY)
    page.get_by_role("button", name="Headers").click()
    token = issue_token(settings, "transport", "alice", ["member"])
    headers = orjson.dumps({"Authorization": f"Bearer {token}", "X-Purpose": "work_reference"}).decode()
    _replace_editor_text(page, page.locator(".graphiql-editor-tool .CodeMirror:visible"), headers)
    page.locator(".graphiql-execute-button").click()

    expected = next(r["full_name"] for r in city.data.residents if r["resident_id"] == "r00003")
    response = page.locator(".graphiql-response")
    response.get_by_text(expected).wait_for()
    assert '"residentId": "r00003"' in response.inner_text()

    # With the token in place the schema loads too: the documentation lists the catalog's resources.
    page.get_by_role("button", name="Re-fetch GraphQL schema").click()
    page.get_by_role("button", name="Show Documentation Explorer").click()
    page.locator(".graphiql-doc-explorer").get_by_text("Query", exact=True).click()
    page.locator(".graphiql-doc-explorer").get_by_text("resident", exact=True).first.wait_for()
    assert offline.attempted == []
    assert offline.errors == []


def test_without_a_token_the_answer_says_how_to_send_one(offline: Offline, base_url: str) -> None:
    page = offline.new_page()
    page.goto(f"{base_url}/graphql")
    _replace_editor_text(page, page.locator(".graphiql-query-editor .CodeMirror"), "{ me { user } }")
    page.locator(".graphiql-execute-button").click()
    page.locator(".graphiql-response").get_by_text("Authorization: Bearer").wait_for()
    assert offline.attempted == []


def test_the_guard_stops_a_request_to_another_host(offline: Offline, base_url: str) -> None:
    """The offline context really is offline: a page that asks the CDN gets nothing."""
    page = offline.new_page()
    page.goto(f"{base_url}/healthz")
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.goto("https://unpkg.com/graphiql@3.8.3/graphiql.min.js")
    assert offline.attempted == ["https://unpkg.com/graphiql@3.8.3/graphiql.min.js"]
