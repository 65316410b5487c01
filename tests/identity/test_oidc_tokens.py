"""Tokens of an OpenID Connect provider, over real HTTP: accepted with the caller their claims name,
or refused with a 401 that says why, and recorded as unauthenticated. The platform's own tokens
keep working beside them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from govshare.auth import issue_token
from govshare.settings import SettingsError, load_settings
from tests.identity.conftest import Keys, Platform, PlatformOf, serve_platform, serve_provider
from tests.identity.provider import AUDIENCE, IdentityProvider, claims, unsigned
from tests.testville import City


@dataclass
class Served:
    provider: IdentityProvider
    issuer: str
    platform: Platform


def now() -> int:
    """The time a token is made: taken when the test runs, as the suite may run longer than any margin."""
    return int(time.time())


@pytest.fixture(scope="module")
def served(city: City, keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A provider publishing an RSA key and an EC key (the latter without "alg"), and a platform trusting it."""
    provider = IdentityProvider(keys=[keys.rsa.jwk(), keys.ec.jwk(with_alg=False)])
    with serve_provider(provider) as issuer, serve_platform(city, tmp_path_factory.mktemp("oidc"), issuer) as platform:
        yield Served(provider, issuer, platform)


def test_rsa_and_ec_tokens_name_their_department_user_and_roles(served: Served, keys: Keys) -> None:
    for key in (keys.rsa, keys.ec):
        token = key.sign(claims(served.issuer, dept="transport", sub="bob", roles=["member", "dept_admin"]))
        me = served.platform.accepted(token)
        assert me == {"department": {"code": "transport"}, "user": "bob", "roles": ["dept_admin", "member"]}


def test_roles_of_other_applications_are_ignored_and_the_audience_may_be_one_of_several(
    served: Served, keys: Keys
) -> None:
    token = keys.rsa.sign(claims(served.issuer, aud=["mail", AUDIENCE], roles=["offline_access", "member"]))
    assert served.platform.accepted(token)["roles"] == ["member"]
    authority = keys.ec.sign(claims(served.issuer, dept="hub", roles=["authority", "auditor"]))
    assert served.platform.accepted(authority)["roles"] == ["auditor", "authority"]


def test_the_platforms_own_tokens_keep_working_beside_the_providers(served: Served) -> None:
    token = issue_token(served.platform.settings, "civil", "carol", ["dept_admin"])
    me = served.platform.accepted(token)
    assert me == {"department": {"code": "civil"}, "user": "carol", "roles": ["dept_admin"]}


def test_expiry_and_not_before_allow_the_configured_clock_difference(served: Served, keys: Keys) -> None:
    assert served.platform.settings.oidc_leeway == 30
    served.platform.accepted(keys.rsa.sign(claims(served.issuer, exp=now() - 10)))
    served.platform.accepted(keys.rsa.sign(claims(served.issuer, nbf=now() + 10)))


Maker = Callable[[Keys, str], str]


REFUSED: dict[str, tuple[Maker, str]] = {
    "wrong issuer": (lambda k, iss: k.rsa.sign(claims("https://idp.elsewhere.example")),
                     "issuer 'https://idp.elsewhere.example' is neither the identity provider"),
    "wrong audience": (lambda k, iss: k.rsa.sign(claims(iss, aud="mail")), "is for audience 'mail', not"),
    "no audience": (lambda k, iss: k.rsa.sign(claims(iss, aud=None)), "is for audience None"),
    "alg none": (lambda k, iss: unsigned({"alg": "none", "kid": "rsa-1"}, claims(iss)), "algorithm 'none'"),
    "HS256 keyed with the public key": (
        lambda k, iss: unsigned({"alg": "HS256", "kid": "rsa-1"}, claims(iss), k.rsa.public_pem()),
        "algorithm 'HS256', which is not allowed"),
    "alg not configured": (lambda k, iss: k.rsa.sign(claims(iss), alg="RS384"), "algorithm 'RS384'"),
    "expired": (lambda k, iss: k.rsa.sign(claims(iss, exp=now() - 120)), "has expired"),
    "not yet valid": (lambda k, iss: k.rsa.sign(claims(iss, nbf=now() + 600, exp=now() + 900)), "is not valid yet"),
    "signed by another key with the same kid": (lambda k, iss: k.impostor.sign(claims(iss)),
                                                "signature does not verify with the provider's key 'rsa-1'"),
    "unknown key": (lambda k, iss: k.rsa.sign(claims(iss), kid="nobody"),
                    "key 'nobody' is not among the keys the identity provider publishes"),
    "department not in the catalog": (lambda k, iss: k.rsa.sign(claims(iss, dept="tax")),
                                      "department 'tax' is not in the catalog"),
    "no department claim": (lambda k, iss: k.rsa.sign(claims(iss, dept=None)), "has no claim 'dept'"),
    "no govshare role": (lambda k, iss: k.rsa.sign(claims(iss, roles=["viewer"])),
                         "roles ['viewer'] (claim 'roles') include none of govshare's"),
    "authority outside the authority": (lambda k, iss: k.rsa.sign(claims(iss, roles=["authority"])),
                                        "not the platform authority"),
    "no expiry": (lambda k, iss: k.rsa.sign(claims(iss, exp=None)), "has no expiry"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_token_is_a_recorded_401_saying_why(served: Served, keys: Keys, case: str) -> None:
    make, fragment = REFUSED[case]
    served.platform.refused(make(keys, served.issuer), fragment)


def test_every_route_fetches_the_keys_a_token_needs(served: Served, keys: Keys) -> None:
    """Export jobs (gateway.export_jobs) and the console verify tokens as /graphql does."""
    token = keys.ec.sign(claims(served.issuer, dept="transport"))
    url = served.platform.url
    job = httpx.get(f"{url}/export-jobs/nosuchjob", headers={"Authorization": f"Bearer {token}"})
    assert job.status_code == 404 and "no export job 'nosuchjob' of transport" in job.text
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        signed = client.post("/console/sign-in", data={"token": token}, headers={"Origin": url})
        assert signed.status_code == 303 and signed.headers["location"] == "/console/catalog"
        page = client.get("/console/catalog")
        assert page.status_code == 200 and "transport" in page.text


def test_claims_are_read_where_the_settings_say(keys: Keys, platform_of: PlatformOf) -> None:
    """A provider like Keycloak: the user in preferred_username, roles nested, a namespaced department claim."""
    provider = IdentityProvider(keys=[keys.ec.jwk()])
    named = {"oidc_user_claim": "preferred_username", "oidc_roles_claim": "realm_access.roles",
             "oidc_department_claim": "https://gov.example/dept"}  # fmt: skip
    with serve_provider(provider) as issuer, platform_of(issuer, oidc_jwks_uri=f"{issuer}/jwks", **named) as platform:
        token: dict[str, Any] = claims(issuer, dept=None, roles=None, preferred_username="zhang.san")
        token.update({"https://gov.example/dept": "transport", "realm_access": {"roles": ["dept_admin", "uma"]}})
        me = platform.accepted(keys.ec.sign(token))
        assert me == {"department": {"code": "transport"}, "user": "zhang.san", "roles": ["dept_admin"]}
        del token["realm_access"]
        platform.refused(keys.ec.sign(token), "has no claim 'realm_access.roles' (GOVSHARE_OIDC_ROLES_CLAIM)")
    # The JWKS address was given: no discovery.
    assert (provider.discovery_fetches, provider.jwks_fetches) == (0, 1)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({}, "GOVSHARE_OIDC_AUDIENCE must be set"),
        ({"GOVSHARE_OIDC_AUDIENCE": "a", "GOVSHARE_OIDC_ALGORITHMS": "RS256,HS256"}, "choose among RS256"),
        ({"GOVSHARE_OIDC_AUDIENCE": "a", "GOVSHARE_OIDC_ALGORITHMS": "none"}, "choose among RS256"),
        ({"GOVSHARE_OIDC_AUDIENCE": "a", "GOVSHARE_OIDC_LEEWAY": "-1"}, "cannot be negative"),
    ],
)
def test_settings_that_would_weaken_the_checks_are_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings({"GOVSHARE_OIDC_ISSUER": "https://idp.example.gov.cn/realms/gov", **env})


def test_the_settings_come_from_the_environment() -> None:
    settings = load_settings({"GOVSHARE_OIDC_ISSUER": "https://idp.example.gov.cn/realms/gov",
                              "GOVSHARE_OIDC_AUDIENCE": "govshare", "GOVSHARE_OIDC_ALGORITHMS": "ES256, RS256",
                              "GOVSHARE_OIDC_LEEWAY": "5", "GOVSHARE_OIDC_ROLES_CLAIM": "realm_access.roles"})  # fmt: skip
    assert settings.oidc_algorithm_list == ("ES256", "RS256") and settings.oidc_leeway == 5.0
    assert settings.oidc_roles_claim == "realm_access.roles" and settings.oidc_user_claim == "sub"
