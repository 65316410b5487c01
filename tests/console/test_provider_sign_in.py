"""Signing in to the console through an OpenID Connect provider (authorization code with PKCE):
the provider is a real local server with its own sign-in page and token endpoint, the browser is
offline but for the two servers, and the session is the one a pasted token gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import shot
from tests.identity.provider import AUDIENCE, AuthorizationServer, SigningKey
from tests.policies.world import SECRET, World
from tests.services import serve_app
from tests.worlds import read_audit, serve_gateway

CLIENT, CLIENT_SECRET = "govshare-console", "a-client-secret-of-the-console"
BAD_REQUEST = "the server responded with a status of 400 (Bad Request)"


@pytest.fixture
def provided(policyville: World, tmp_path: Path) -> Iterator[tuple[str, str, Settings, AuthorizationServer]]:
    server = AuthorizationServer(SigningKey.rsa("console-key"), CLIENT, CLIENT_SECRET,
                                 {"alice": {"dept": "transport", "roles": ["member"]}})  # fmt: skip
    with serve_app(server.app()) as issuer:
        settings = Settings(data_dir=tmp_path / "platform", secret=SECRET, oidc_issuer=issuer, oidc_audience=AUDIENCE,
                            oidc_client_id=CLIENT, oidc_client_secret=CLIENT_SECRET)  # fmt: skip
        with serve_gateway(policyville.catalog, settings) as url:
            yield url, issuer, settings, server


def _provider_page(browser: Offline, url: str, issuer: str) -> Any:
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/console")
    page.click("#provider")
    page.wait_for_url(f"{issuer}/authorize?*")
    return page


def test_a_department_signs_in_through_the_identity_provider(
    chromium: Any, provided: tuple[str, str, Settings, AuthorizationServer]
) -> None:
    url, issuer, settings, server = provided
    browser = Offline(chromium, url, issuer)
    try:
        page = browser.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{url}/console")
        assert "通过统一身份认证登录" in page.locator("#provider").inner_text()
        shot(page, "sign-in-provider")
        page = _provider_page(browser, url, issuer)
        page.click("button[value=alice]")
        page.wait_for_url(f"{url}/console/catalog")
        assert "交通运输局（transport）· alice · member" in page.locator("header").inner_text()
        assert server.exchanged == ["alice"]  # one code, exchanged with the client's secret and the verifier
        cookies = {c["name"]: c for c in browser.context.cookies()}
        assert cookies["govshare_console"]["httpOnly"] and cookies["govshare_console"]["sameSite"] == "Strict"
        assert "govshare_console_login" not in cookies  # the sign-in's state is gone once used
        page.goto(f"{url}/console/inbox")  # the session is the same as a pasted token's
        assert page.url == f"{url}/console/inbox"
        assert not browser.attempted and not browser.errors
    finally:
        browser.context.close()
    signed = [r for r in read_audit(settings) if r.kind == "session"]
    assert [(r.outcome, r.department, r.user, (r.detail or {}).get("action")) for r in signed] == [
        ("answered", "transport", "alice", "sign-in through the provider")
    ]


def test_a_declined_or_forged_sign_in_signs_no_one_in(
    chromium: Any, provided: tuple[str, str, Settings, AuthorizationServer]
) -> None:
    url, issuer, settings, server = provided
    browser = Offline(chromium, url, issuer)
    try:
        page = _provider_page(browser, url, issuer)
        page.click("button[value='']")  # the user declines at the provider
        page.wait_for_url(f"{url}/console/sign-in/callback?*")
        assert "the provider answered access_denied" in page.locator("[role=alert]").inner_text()
        shot(page, "sign-in-provider-declined")
        # An answer that does not belong to this browser's sign-in (another state) is refused.
        page = _provider_page(browser, url, issuer)
        page.goto(f"{url}/console/sign-in/callback?code=stolen&state=forged")
        assert "does not belong to this sign-in" in page.locator("[role=alert]").inner_text()
        # The browser reports each refusal's 400, and nothing else went wrong or elsewhere.
        assert not browser.attempted and browser.errors == [f"Failed to load resource: {BAD_REQUEST}"] * 2
    finally:
        browser.context.close()
    # Without the sign-in's cookie at all (another browser, a link sent by someone), nothing either.
    cold = httpx.get(f"{url}/console/sign-in/callback", params={"code": "x", "state": "y"})
    assert cold.status_code == 400 and "was not started here" in cold.text
    assert server.exchanged == []
    refused = [r for r in read_audit(settings) if r.kind == "session"]
    assert [(r.outcome, r.department) for r in refused] == [("unauthenticated", None)] * 3


def test_without_a_provider_the_console_offers_the_token_alone(tmp_path: Path, policyville: World) -> None:
    settings = Settings(data_dir=tmp_path / "platform", secret=SECRET)
    with serve_gateway(policyville.catalog, settings) as url:
        assert 'id="provider"' not in httpx.get(f"{url}/console/sign-in").text
        assert httpx.get(f"{url}/console/sign-in/provider").status_code == 404
