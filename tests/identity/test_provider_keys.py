"""The provider's keys over real HTTP: rotation (one fetch for a new key id, an old key trusted while
it is published and its fetch is fresh), fetches limited however many unknown key ids arrive, and a
provider that is down, slow or wrong: a clear 503 that says to retry, never a traceback, and the
platform's own tokens answered meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from govshare.auth import issue_token
from tests.identity.conftest import Keys, PlatformOf, serve_provider
from tests.identity.provider import ME, IdentityProvider, SigningKey, claims
from tests.services import free_port


def test_rotated_keys_are_fetched_once_and_a_removed_key_is_refused_when_its_fetch_is_old(
    keys: Keys, platform_of: PlatformOf
) -> None:
    new = SigningKey.rsa("rsa-2")
    provider = IdentityProvider()
    provider.publish(keys.rsa)
    with (
        serve_provider(provider) as issuer,
        platform_of(issuer, oidc_refresh_interval=0.3, oidc_keys_ttl=3) as platform,
    ):
        old_token, new_token = keys.rsa.sign(claims(issuer)), new.sign(claims(issuer, sub="bob"))
        platform.accepted(old_token)
        assert provider.jwks_fetches == 1
        provider.publish(keys.rsa, new)  # the provider rotates: the new key beside the old one
        time.sleep(0.35)
        assert platform.accepted(new_token)["user"] == "bob"
        fetched = time.monotonic()
        assert provider.jwks_fetches == 2  # one fetch for the new key id
        platform.accepted(old_token)  # still published
        provider.publish(new)  # the old key is withdrawn
        platform.accepted(old_token)  # the keys fetched are still fresh
        assert provider.jwks_fetches == 2
        time.sleep(max(0.0, fetched + 3.1 - time.monotonic()))
        platform.refused(old_token, "key 'rsa-1' is not among the keys the identity provider publishes")
        assert provider.jwks_fetches == 3
        platform.accepted(new_token)
        assert provider.jwks_fetches == 3


async def _all_at_once(url: str, tokens: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30) as client:
        return await asyncio.gather(
            *(client.post(f"{url}/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {t}"})
              for t in tokens)
        )  # fmt: skip


def test_a_flood_of_unknown_key_ids_costs_the_provider_one_fetch(keys: Keys, platform_of: PlatformOf) -> None:
    provider = IdentityProvider()
    provider.publish(keys.rsa)
    with serve_provider(provider) as issuer, platform_of(issuer, oidc_refresh_interval=2.0) as platform:
        platform.accepted(keys.rsa.sign(claims(issuer)))
        time.sleep(2.05)
        forged = [keys.rsa.sign(claims(issuer), kid=f"forged-{n}") for n in range(30)]
        answers = asyncio.run(_all_at_once(platform.url, forged))
        assert {a.status_code for a in answers} == {401}
        assert all("is not among the keys" in a.json()["errors"][0]["message"] for a in answers)
        assert provider.jwks_fetches == 2  # the first unknown key id fetched; the others waited for it, or its interval
        # A key published within the interval is fetched once the interval has passed.
        new = SigningKey.ec("ec-2")
        provider.publish(keys.rsa, new)
        token = new.sign(claims(issuer))
        platform.refused(token, "key 'ec-2' is not among the keys")
        time.sleep(2.05)
        platform.accepted(token)
        assert provider.jwks_fetches == 3


def test_a_provider_that_cannot_be_reached_is_a_recorded_503(keys: Keys, platform_of: PlatformOf) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with platform_of(issuer) as platform:
        token = keys.rsa.sign(claims(issuer))
        reason = platform.refused(token, "the identity provider's keys are not at hand (fetching them failed", 503)
        assert f"{issuer}/.well-known/openid-configuration could not be reached (ConnectError" in reason
        assert reason.endswith("retry shortly")
        platform.refused(token, "could not be reached", 503)  # within the interval: not asked again
        platform.accepted(issue_token(platform.settings, "civil", "carol", ["member"]))  # the platform's own


def test_a_provider_that_goes_down_is_trusted_until_its_keys_are_old_then_again_once_back(
    keys: Keys, platform_of: PlatformOf
) -> None:
    provider = IdentityProvider()
    provider.publish(keys.ec)
    with (
        serve_provider(provider) as issuer,
        platform_of(issuer, oidc_refresh_interval=0.2, oidc_keys_ttl=1) as platform,
    ):
        token = keys.ec.sign(claims(issuer))
        platform.accepted(token)
        provider.down = True
        platform.accepted(token)  # its keys are fresh
        time.sleep(1.05)
        platform.refused(token, f"{issuer}/.well-known/openid-configuration answered HTTP 503", 503)
        provider.down = False
        time.sleep(0.25)
        platform.accepted(token)


def test_a_slow_provider_times_out_without_holding_up_other_requests(keys: Keys, platform_of: PlatformOf) -> None:
    provider = IdentityProvider(delay=2.0)
    provider.publish(keys.rsa)
    with serve_provider(provider) as issuer, platform_of(issuer, oidc_timeout=1.0) as platform:
        slow: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: slow.append(platform.ask(keys.rsa.sign(claims(issuer)))))
        waiting.start()
        time.sleep(0.2)
        started = time.monotonic()
        platform.accepted(issue_token(platform.settings, "civil", "carol", ["member"]))
        assert time.monotonic() - started < 0.8  # answered while the fetch waits
        waiting.join(10)
        [answer] = slow
        assert answer.status_code == 503
        assert "openid-configuration did not answer within 1 s" in answer.json()["errors"][0]["message"]
