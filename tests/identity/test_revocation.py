"""`govshare token revoke`, run as a command: the running server refuses the token (the platform's or
the provider's) within its poll interval, until the moment given, and the revocation is recorded."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from govshare.auth import issue_token
from govshare.settings import Settings, settings_environment
from tests.identity.conftest import Keys, Platform, PlatformOf, serve_provider
from tests.identity.provider import IdentityProvider, claims
from tests.worlds import govshare_command, read_audit


def revoke(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GOVSHARE_")}
    return subprocess.run(govshare_command("token", "revoke", *args), env={**env, **settings_environment(settings)},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def refused_soon(platform: Platform, token: str, fragment: str) -> None:
    """The server refuses ``token`` once it has read the revocation (it polls every 0.1 s here)."""
    deadline = time.monotonic() + 10
    while platform.ask(token).status_code == 200:
        assert time.monotonic() < deadline, "the revocation was not read within 10 s"
        time.sleep(0.05)
    platform.refused(token, fragment)


def test_a_revoked_token_is_refused_until_its_moment(keys: Keys, platform_of: PlatformOf) -> None:
    provider = IdentityProvider()
    provider.publish(keys.rsa)
    with serve_provider(provider) as issuer, platform_of(issuer) as platform:
        theirs = keys.rsa.sign(claims(issuer, jti="provider-token-1"))
        ours = issue_token(platform.settings, "transport", "dave", ["member"])
        platform.accepted(theirs)
        platform.accepted(ours)
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
        done = revoke(platform.settings, "--jti", "provider-token-1", "--until", until.isoformat(), "--reason", "lost")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"revoked provider-token-1 until {until.isoformat()}")
        refused_soon(platform, theirs, f"(jti 'provider-token-1') has been revoked until {until.isoformat()}")
        # The platform's own token, by the token itself: its jti and expiry are read from it.
        assert revoke(platform.settings, "--token", ours, "--by", "hub/security").returncode == 0
        refused_soon(platform, ours, "has been revoked until")
        platform.accepted(keys.rsa.sign(claims(issuer)))  # another token of the same user is not revoked
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds() + 0.3))
        platform.accepted(theirs)  # its moment has passed
        platform.refused(ours, "has been revoked")
    first, second = [r for r in read_audit(platform.settings) if r.kind == "cli"]
    assert (first.outcome, first.detail) == ("answered", {"jti": "provider-token-1", "until": until.isoformat(),
                                                          "reason": "lost"})  # fmt: skip
    assert second.detail and second.detail["jti"] == jwt.decode(ours, options={"verify_signature": False})["jti"]
    assert second.user == "hub/security" and (second.query or "").startswith("govshare token revoke --token")


def test_a_revocation_is_read_when_a_server_starts(keys: Keys, platform_of: PlatformOf) -> None:
    provider = IdentityProvider()
    provider.publish(keys.ec)
    with serve_provider(provider) as issuer:
        with platform_of(issuer) as platform:
            token = keys.ec.sign(claims(issuer))
            assert revoke(platform.settings, "--token", token).returncode == 0
        # The same platform (data directory) served anew.
        with platform_of(issuer, data_dir=platform.settings.data_dir) as again:
            again.refused(token, "has been revoked")


def test_a_revocation_that_would_refuse_nothing_is_refused(platform_of: PlatformOf) -> None:
    with platform_of("https://idp.example.gov.cn") as platform:
        token = issue_token(platform.settings, "civil", "erin", ["member"])
        past = revoke(platform.settings, "--jti", "x", "--until", "2020-01-01T00:00:00+08:00")
        assert past.returncode == 1 and "is past: the token would be refused by nothing" in past.stderr
        nothing = revoke(platform.settings, "--until", "2099-01-01")
        assert nothing.returncode == 1 and "give --jti, or a --token" in nothing.stderr
        garbled = revoke(platform.settings, "--jti", "x", "--until", "next week")
        assert garbled.returncode == 1 and "is not a time like" in garbled.stderr
        assert httpx.post(f"{platform.url}/graphql", json={"query": "{ me { user } }"},
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200  # fmt: skip
