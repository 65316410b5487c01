"""The identity provider's signing keys: fetched from its JWKS, kept for a while, fetched again on rotation.

Fetching is asynchronous (httpx) and happens before a token is checked (:meth:`ProviderKeys.ensure`);
checking (:meth:`ProviderKeys.key`) only reads what was fetched, so it never waits on the network.
Keys are fetched when there are none yet, when they are older than their time to live, and when a
token names a key id that is not among them (the provider has rotated its keys) — but never twice
within ``refresh_interval`` seconds, so a flood of tokens with made-up key ids costs the provider
at most one request per interval. Concurrent requests share one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from govshare.identity import ProviderUnavailable, TokenError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("govshare.oidc")

# The curve each elliptic-curve algorithm signs with (RFC 7518 §3.4); EdDSA here is Ed25519.
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "EdDSA": "Ed25519"}


class FetchFailed(Exception):
    """Why the provider's documents could not be had; the message names the URL, never a body."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One successful fetch: the usable keys by key id ("" for a key without one) and algorithm."""

    keys: dict[str, dict[str, jwt.PyJWK]]
    uri: str
    at: float  # time.monotonic()


def _fits(jwk: dict[str, Any], algorithm: str) -> bool:
    """Whether the JWK can verify tokens of ``algorithm``: its type and curve, and its own "alg" if it names one."""
    if jwk.get("alg") not in (None, algorithm):
        return False
    if algorithm[:2] in ("RS", "PS"):
        return bool(jwk.get("kty") == "RSA")
    kty = "OKP" if algorithm == "EdDSA" else "EC"
    return bool(jwk.get("kty") == kty and jwk.get("crv") == _CURVES[algorithm])


def usable_keys(document: Any, algorithms: tuple[str, ...]) -> dict[str, dict[str, jwt.PyJWK]]:
    """The signing keys of a JWKS document for the allowed algorithms; others (encryption keys,
    other types, keys that do not parse) are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FetchFailed("the JWKS document has no 'keys' list")
    found: dict[str, dict[str, jwt.PyJWK]] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("kid", ""), str):
            continue
        for algorithm in algorithms:
            if not _fits(jwk, algorithm):
                continue
            try:
                key = jwt.PyJWK(jwk, algorithm)
            except Exception as exc:  # a published key we cannot read is skipped, whatever is wrong with it
                log.warning("the identity provider's key %r is skipped: %s", jwk.get("kid"), exc)
                continue
            found.setdefault(jwk.get("kid", ""), {})[algorithm] = key
    return found


class ProviderKeys:
    def __init__(
        self,
        issuer: str,
        jwks_uri: str,
        algorithms: tuple[str, ...],
        *,
        ttl: float,
        refresh_interval: float,
        timeout: float,
    ) -> None:
        self.issuer = issuer
        self.jwks_uri = jwks_uri  # "" → discovered on every fetch, so a moved JWKS is followed
        self.algorithms = algorithms
        self.ttl = ttl
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self._fetched: Fetched | None = None
        self._tried: float | None = None  # when the last fetch was attempted
        self._failure: str | None = None  # why the last attempt failed; None when it did not
        self._lock = asyncio.Lock()
        self.generation = 0  # counts successful fetches: a token checked under an older one is checked again

    def fresh(self) -> bool:
        return self._fetched is not None and time.monotonic() - self._fetched.at < self.ttl

    def _has(self, kid: str | None) -> bool:
        fetched = self._fetched
        return fetched is not None and self.fresh() and (kid is None or kid in fetched.keys)

    def _too_soon(self) -> bool:
        return self._tried is not None and time.monotonic() - self._tried < self.refresh_interval

    async def ensure(self, kid: str | None) -> None:
        """Fetch the keys if a token naming ``kid`` needs them and the interval allows; never raises."""
        if self._has(kid):
            return
        async with self._lock:
            # Another request may have fetched them while this one waited.
            if self._has(kid) or self._too_soon():
                return
            self._tried = time.monotonic()
            try:
                self._fetched = await self._fetch()
            except FetchFailed as exc:
                self._failure = str(exc)
                log.warning("the identity provider's keys could not be fetched: %s", exc)
                return
            except Exception:  # whatever else: the request is still answered and audited (gateway.http)
                self._failure = "an unexpected error, in the server log (logger govshare.oidc)"
                log.exception("the identity provider's keys could not be fetched")
                return
            self._failure = None
            self.generation += 1
            kids = sorted(self._fetched.keys)
            log.info("fetched the identity provider's keys from %s: %s", self._fetched.uri, ", ".join(kids) or "none")

    def key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        """The key that must have signed a token of ``kid`` and ``algorithm``; TokenError when there is none,
        ProviderUnavailable when the provider could not be asked."""
        fetched = self._fetched
        if fetched is None or not self.fresh():
            why = f"fetching them failed: {self._failure}" if self._failure else "they are being fetched"
            raise ProviderUnavailable(f"the identity provider's keys are not at hand ({why}); retry shortly")
        if kid is None:
            # A provider with a single key may leave the key id out of its tokens (RFC 7515 §4.1.4).
            candidates = [by_alg[algorithm] for by_alg in fetched.keys.values() if algorithm in by_alg]
            if len(candidates) == 1:
                return candidates[0]
            raise TokenError(f"the token names no key ('kid') and the identity provider has {len(candidates)} "
                             f"{algorithm} keys")  # fmt: skip
        by_alg = fetched.keys.get(kid)
        if by_alg is None:
            if self._failure:  # the fetch that might have found it did not succeed
                raise ProviderUnavailable(f"the token's key {kid!r} is not among the identity provider's keys "
                                          f"fetched before, and fetching them again failed: {self._failure}; "
                                          "retry shortly")  # fmt: skip
            age = time.monotonic() - fetched.at
            raise TokenError(f"the token's key {kid!r} is not among the keys the identity provider publishes "
                             f"at {fetched.uri} (fetched {age:.1f} s ago)")  # fmt: skip
        if algorithm not in by_alg:
            raise TokenError(f"the identity provider's key {kid!r} is not a {algorithm} key")
        return by_alg[algorithm]

    async def _fetch(self) -> Fetched:
        import httpx  # here: the commands that import the token code never fetch keys

        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                uri = self.jwks_uri or await self._discover(client)
                return Fetched(usable_keys(await _json(client, uri), self.algorithms), uri, time.monotonic())
        except httpx.TimeoutException as exc:
            raise FetchFailed(f"{exc.request.url} did not answer within {self.timeout:g} s") from None
        except httpx.RequestError as exc:
            raise FetchFailed(f"{exc.request.url} could not be reached ({type(exc).__name__}: {exc})") from None
        except httpx.InvalidURL as exc:
            raise FetchFailed(f"the provider's URL is not usable: {exc}") from None

    async def _discover(self, client: httpx.AsyncClient) -> str:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _json(client, url)
        if not isinstance(document, dict) or not isinstance(document.get("jwks_uri"), str):
            raise FetchFailed(f"{url} names no 'jwks_uri'")
        # OpenID Connect Discovery §4.3: the document must be the issuer's own.
        if document.get("issuer") != self.issuer:
            raise FetchFailed(f"{url} is the document of issuer {document.get('issuer')!r}, not {self.issuer!r}")
        return str(document["jwks_uri"])


async def _json(client: httpx.AsyncClient, url: str) -> Any:
    response = await client.get(url, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise FetchFailed(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise FetchFailed(f"{url} did not answer JSON") from None
