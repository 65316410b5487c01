"""A source's credential: a bearer token or an API key sent with every request, and/or a client
certificate for mutual TLS (docs/connectors.md, "Credentials").

Secrets never leave this module except in the request header they are meant for: not in a
``repr``, an exception message or a log record. A secret kept in a file is read again when
the file changes, so a rotated token is used without a restart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import ssl
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import httpx

from govshare.connectors.base import SourceUnavailable

log = logging.getLogger(__name__)

DEFAULT_API_KEY_HEADER = "X-Api-Key"
# What an HTTP header value may hold here: visible ASCII (a line break would end the header).
_TOKEN = re.compile(r"[\x21-\x7e]+")
_KEY = re.compile(r"[\x21-\x7e]+(?: +[\x21-\x7e]+)*")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class SecretUnreadable(Exception):
    """A secret cannot be had. ``reason`` names neither the secret nor its file (it reaches callers);
    ``detail`` names the file, for the operator, and ``hint`` says how to fix it."""

    def __init__(self, reason: str, detail: str, hint: str) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.hint = reason, detail, hint


class Secret:
    """A token or key (``what``), written in the credentials file or kept in a file of its own."""

    __slots__ = ("_lock", "_seen", "_value", "file", "what")

    def __init__(self, what: str, *, value: str | None = None, file: Path | None = None) -> None:
        if (value is None) == (file is None):
            raise ValueError("a secret is either a value or a file")
        self.what, self.file = what, file
        self._value = value
        self._seen: tuple[int, int, int] | None = None  # inode, mtime, size of the file last read
        self._lock = threading.Lock()  # connectors of several event loops may share a credential

    def __repr__(self) -> str:
        return f"{self.what} from {self.file}" if self.file is not None else f"{self.what} (inline)"

    def read(self) -> str:
        """The secret as it is now: a file is read again when its inode, time or size changed."""
        if self.file is None:
            assert self._value is not None
            return self._check(self._value)
        with self._lock:
            try:
                info = os.stat(self.file)
                stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
                if stamp != self._seen or self._value is None:
                    value = self._check(self.file.read_text(encoding="utf-8"))
                    self._value, self._seen = value, stamp
            except OSError as e:
                raise SecretUnreadable(
                    f"the {self.what} file cannot be read ({type(e).__name__})",
                    f"cannot read the {self.what} file {self.file}: {e.strerror or type(e).__name__}",
                    "check the path (a relative one starts at the directory of the credentials file) "
                    "and that govshare's user may read the file",
                ) from None
            except UnicodeDecodeError:
                raise SecretUnreadable(
                    f"the {self.what} file is not UTF-8 text",
                    f"the {self.what} file {self.file} is not UTF-8 text",
                    f"write the {self.what} alone into the file, as text",
                ) from None
            return self._value

    def _check(self, text: str) -> str:
        where = f" file {self.file}" if self.file is not None else ""
        value = text.strip()
        alone = f"write the {self.what} alone, on one line (spaces around it and a final line break are ignored)"
        if not value:
            raise SecretUnreadable(f"the {self.what} is empty", f"the {self.what}{where} is empty", alone)
        if not (_TOKEN if self.what == "bearer token" else _KEY).fullmatch(value):
            raise SecretUnreadable(
                f"the {self.what} cannot be sent in an HTTP header",
                f"the {self.what}{where} holds a character that cannot be sent in an HTTP header "
                "(a line break, a space inside a token, a control or non-ASCII character)",
                alone,
            )
        return value


class _HeaderAuth(httpx.Auth):
    """Sets one header from a secret on every request, as the secret is at that moment."""

    def __init__(self, source: str, header: str, prefix: str, secret: Secret) -> None:
        self._source, self._header, self._prefix, self._secret = source, header, prefix, secret

    def __repr__(self) -> str:
        return f"<{self._header} auth of source '{self._source}'>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            value = self._secret.read()
        except SecretUnreadable as e:
            log.warning("source %s: %s", self._source, e.detail)
            raise SourceUnavailable(self._source, e.reason) from None
        request.headers[self._header] = self._prefix + value
        yield request


@dataclass(frozen=True, eq=False, repr=False)
class Credential:
    """How govshare proves who it is to one source (``source``: its catalog name).

    ``client_key`` may be None when the key is in the ``client_cert`` file; ``ca_file``
    (trusted instead of the system's authorities) may be given without a client certificate.
    """

    source: str
    bearer_token: Secret | None = None
    api_key: Secret | None = None
    api_key_header: str = DEFAULT_API_KEY_HEADER
    client_cert: Path | None = None
    client_key: Path | None = None
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        problem = None
        if self.bearer_token is not None and self.api_key is not None:
            problem = "a bearer token and an API key together"
        elif not HEADER_NAME.fullmatch(self.api_key_header):
            problem = "an API key header that is not a header name"
        elif self.client_key is not None and self.client_cert is None:
            problem = "a client key without a client certificate"
        elif not (self.bearer_token or self.api_key or self.client_cert or self.ca_file):
            problem = "nothing to send"
        if problem:
            raise ValueError(f"source '{self.source}': the credential has {problem}")

    def __repr__(self) -> str:
        parts = []
        if self.bearer_token is not None:
            parts.append(repr(self.bearer_token))
        if self.api_key is not None:
            parts.append(f"{self.api_key!r} in {self.api_key_header}")
        if self.client_cert is not None:
            key = f" (key {self.client_key})" if self.client_key is not None else ""
            parts.append(f"client certificate {self.client_cert}{key}")
        if self.ca_file is not None:
            parts.append(f"CA {self.ca_file}")
        return f"Credential({self.source}: {', '.join(parts)})"

    @property
    def tls(self) -> bool:
        """Whether the credential changes TLS (a client certificate or an own CA)."""
        return self.client_cert is not None or self.ca_file is not None

    def auth(self) -> httpx.Auth | None:
        """What sets the token or key header on each request; None when there is neither."""
        if self.bearer_token is not None:
            return _HeaderAuth(self.source, "Authorization", "Bearer ", self.bearer_token)
        if self.api_key is not None:
            return _HeaderAuth(self.source, self.api_key_header, "", self.api_key)
        return None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A certificate-verifying context with the client certificate and/or the CA; None without them.

        Raises ``OSError`` (``ssl.SSLError`` included) when a file does not load; the message
        is OpenSSL's reason, never the key material.
        """
        if not self.tls:
            return None
        if self.ca_file is not None:
            context = ssl.create_default_context(cafile=self.ca_file)
        else:
            context = httpx.create_ssl_context()
        if self.client_cert is not None:
            # An encrypted key fails here instead of OpenSSL asking for its passphrase on the terminal.
            context.load_cert_chain(self.client_cert, self.client_key, password=_no_passphrase)
        return context

    def redact(self, text: str) -> str:
        """``text`` without the secret (an answer that echoes what it was sent)."""
        for secret in (self.bearer_token, self.api_key):
            if secret is not None:
                with contextlib.suppress(SecretUnreadable):
                    text = text.replace(secret.read(), "[secret]")
        return text


def _no_passphrase() -> bytes:
    raise ssl.SSLError("the key is encrypted")
