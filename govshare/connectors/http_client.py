"""One JSON-over-HTTP exchange with a department service, for the connectors that speak HTTP.

What a failure looks like to callers is decided here once: a :class:`SourceUnavailable`
whose reason never holds the URL, a header or a credential (the response body, which may
explain a refusal, goes to the log only, without the secret).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from govshare.connectors.base import SourceUnavailable
from govshare.connectors.credentials import Credential

log = logging.getLogger(__name__)

_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
# What a pooled connection closed by the other side at the moment of sending looks like.
_STALE = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
# OpenSSL's verification codes worth a reason of their own (the others: not trusted).
_VERIFY_REASONS = {10: "has expired", 62: "is for another host name"}


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One certificate-verifying TLS context for all connectors: loading the CA bundle
    costs tens of milliseconds per client otherwise."""
    return httpx.create_ssl_context()


class JsonClient:
    """A pooled HTTP client of one source, with its credential; every call is bounded by
    ``timeout`` as a whole."""

    def __init__(self, source: str, base_url: str, *, timeout: float, credential: Credential | None = None) -> None:
        if timeout <= 0:
            raise ValueError(f"source '{source}': the timeout must be positive")
        self.source = source
        self.timeout = timeout
        self.credential = credential
        auth, verify = None, shared_tls()
        url = urlsplit(base_url)
        if credential is not None:
            if credential.tls and url.scheme != "https":
                raise ValueError(f"source '{source}': a client certificate or ca_file needs an https:// URL")
            auth = credential.auth()
            if auth is not None and url.scheme != "https" and url.hostname not in _LOOPBACK:
                log.warning("source %s: its credential is sent over plain HTTP, readable on the network", source)
            try:
                verify = credential.ssl_context() or verify
            except (OSError, ValueError) as e:  # OpenSSL's message holds no key material, but says little
                raise ValueError(f"source '{source}': the TLS files of its credential do not load ({e})") from None
        self._https = url.scheme == "https"
        # One client for the connector's life: its connection pool is reused across requests.
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", timeout=timeout, follow_redirects=False, verify=verify, auth=auth
        )

    async def post_json(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The JSON object the source answers to ``body`` with a 2xx status; anything else is unavailable."""
        response = await self.send("POST", path, orjson.dumps(body), headers)
        if not 200 <= response.status_code < 300:
            # The body may explain (a renamed field…); it goes to the log, not to callers, and
            # without the secret should it echo what it was sent.
            text = self.credential.redact(response.text) if self.credential is not None else response.text
            log.warning("source %s answered HTTP %s: %.300s", self.source, response.status_code, text)
            raise SourceUnavailable(self.source, self.refusal(response.status_code) or f"HTTP {response.status_code}")
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SourceUnavailable(self.source, "invalid JSON in the response") from None
        if not isinstance(data, dict):
            raise SourceUnavailable(self.source, "malformed response: not a JSON object")
        return data

    async def send(
        self, method: str, path: str, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        # httpx timeouts are per phase; this bounds the whole exchange.
        deadline = asyncio.timeout(self.timeout)
        sent = {**_JSON_HEADERS, **(headers or {})} if content else headers
        try:
            async with deadline:
                try:
                    return await self._client.request(method, path, content=content, headers=sent)
                except _STALE as e:
                    if _tls_failure(e) is not None:
                        raise  # the source ended the handshake (TLS 1.3 tells the client late): no retry
                    # A kept-alive connection the source closed as the request went out: one fresh
                    # try (every request of a connector only reads).
                    return await self._client.request(method, path, content=content, headers=sent)
        except (httpx.HTTPError, OSError) as e:  # OSError covers TimeoutError
            raise SourceUnavailable(self.source, self._reason(e, deadline.expired())) from e

    def _reason(self, e: Exception, expired: bool) -> str:
        if expired or isinstance(e, httpx.TimeoutException):
            return f"no answer within {self.timeout:g} s"
        if (tls := _tls_failure(e)) is not None:
            return f"TLS handshake failed ({tls})"
        if isinstance(e, _STALE) and self._https:
            # Even after the retry: a server that drops the connection instead of sending TLS 1.3's
            # alert (asyncio-based ones do) refuses a client certificate only once the handshake is done.
            return (
                f"the source closed the connection ({type(e).__name__}); over TLS, that is how some "
                "refuse a client certificate that is missing or not trusted"
            )
        if isinstance(e, httpx.ConnectError):
            return "cannot connect"
        return f"request failed ({type(e).__name__})"  # never the message: it holds the URL

    def refusal(self, status: int) -> str | None:
        """The reason for an answer that refuses who we are, None for any other."""
        if status not in (401, 403):
            return None
        if self.credential is None:
            return f"HTTP {status}: the source asks for credentials and none are configured for it"
        return f"HTTP {status}: the source refused the credentials"

    async def aclose(self) -> None:
        await self._client.aclose()


def _tls_failure(e: BaseException) -> str | None:
    """What went wrong in the TLS handshake behind ``e``, None when it is no TLS failure.

    OpenSSL's reason codes name no host, URL or secret; its messages may (a host name).
    """
    seen: BaseException | None = e
    for _ in range(8):  # httpx wraps httpcore's error, which wraps the ssl one
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"the source's certificate {_VERIFY_REASONS.get(seen.verify_code, 'is not trusted')}"
        if isinstance(seen, ssl.SSLError):
            code = seen.reason or type(seen).__name__
            if "ALERT" in code and ("CERTIFICATE" in code or "UNKNOWN_CA" in code):
                return f"the source did not accept our client certificate: {code}"
            return code
        seen = seen.__cause__ or seen.__context__
    return None
