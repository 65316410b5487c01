"""A test identity provider served over HTTP, and Testville's gateway accepting its tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govshare.settings import Settings
from tests.identity.provider import AUDIENCE, ME, IdentityProvider, SigningKey
from tests.services import serve_app
from tests.testville import City
from tests.worlds import read_audit, serve_gateway

SECRET = "identity-tests-signing-key-0123456789"


@dataclass
class Platform:
    url: str
    settings: Settings

    def ask(self, token: str) -> httpx.Response:
        return httpx.post(f"{self.url}/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"},
                          timeout=30)  # fmt: skip

    def accepted(self, token: str) -> dict[str, Any]:
        """The caller the token names, as `me` answers; its request recorded as answered for that caller."""
        response = self.ask(token)
        assert response.status_code == 200, response.text
        me: dict[str, Any] = response.json()["data"]["me"]
        record = read_audit(self.settings)[-1]
        assert (record.outcome, record.department, record.user) == ("answered", me["department"]["code"], me["user"])
        assert record.roles == me["roles"]
        return me

    def refused(self, token: str, fragment: str, status: int = 401) -> str:
        """The reason given for refusing ``token`` (it holds ``fragment``); the refusal recorded as unauthenticated."""
        response = self.ask(token)
        assert response.status_code == status, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED" and "data" not in response.json()
        assert fragment in error["message"], error["message"]
        if status == 401:
            assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        else:
            assert int(response.headers["retry-after"]) >= 1
        record = read_audit(self.settings)[-1]
        assert (record.outcome, record.error_codes, record.query) == ("unauthenticated", ["UNAUTHENTICATED"], ME)
        assert record.department is None and record.user is None
        message: str = error["message"]
        return message


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey
    ec: SigningKey
    impostor: SigningKey  # another RSA key under the kid of ``rsa``


@pytest.fixture(scope="session")
def keys() -> Keys:
    first = SigningKey.rsa("rsa-1")
    return Keys(first, SigningKey.ec("ec-1"), SigningKey("rsa-1", "RS256", SigningKey.rsa("x").private))


@contextmanager
def serve_provider(provider: IdentityProvider) -> Iterator[str]:
    """The provider served on a local port; yields its issuer URL."""
    with serve_app(provider.app()) as url:
        yield url


@contextmanager
def serve_platform(city: City, directory: Path, issuer: str, **settings: Any) -> Iterator[Platform]:
    """Testville served accepting the tokens of ``issuer`` beside its own (settings overridden by keyword)."""
    options: dict[str, Any] = {"oidc_issuer": issuer, "oidc_audience": AUDIENCE, "policy_poll": 0.1, **settings}
    platform_settings = Settings(**{"data_dir": directory, "secret": SECRET, **options})
    with serve_gateway(city.catalog, platform_settings) as url:
        yield Platform(url, platform_settings)


PlatformOf = Callable[..., AbstractContextManager[Platform]]


@pytest.fixture
def platform_of(city: City, tmp_path: Path) -> PlatformOf:
    """:func:`serve_platform` in a directory of the test's own."""
    count = iter(range(100))

    def serve(issuer: str, **settings: Any) -> AbstractContextManager[Platform]:
        return serve_platform(city, tmp_path / f"platform-{next(count)}", issuer, **settings)

    return serve
