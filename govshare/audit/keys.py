"""The keys of the result digests in audit records.

A record keeps HMAC-SHA256 of its result's canonical JSON, not a plain hash:
a plain hash of an answer lets anyone who reads the log test guesses of the
values they were not shown (a withheld criminal record has a few thousand
plausible texts, "no record" is one guess). The keys live in a keyring file
beside the platform secret in the data directory, never in the audit tables.
Each record names the id of the key it was digested under, so a rotation
(``govshare audit rotate-key``) leaves older records comparable in a replay.

The first key is derived from the platform secret, so that gateways sharing
``GOVSHARE_SECRET`` agree on it without copying anything; keys made by a
rotation are random and must be copied with the keyring to every gateway.
Records written before digests were keyed have no key id: their digest is a
plain SHA-256 ("legacy").
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from govshare import clock

KEYRING = "audit-keys.json"


class KeyringError(Exception):
    """The keyring cannot be read, or lacks the key a record names."""


@dataclass(frozen=True, slots=True)
class ResultKey:
    id: str
    secret: bytes = field(repr=False)
    created_at: str


def key_id(secret: bytes) -> str:
    """A key's id: a fingerprint that names the key without revealing anything of it."""
    return hmac.new(secret, b"govshare audit result key id", hashlib.sha256).hexdigest()[:16]


def _make_key(secret: bytes) -> ResultKey:
    return ResultKey(key_id(secret), secret, clock.real_now().isoformat(timespec="seconds"))


def canonical_result(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


class ResultKeys:
    """The keyring of one data directory: the current key digests new results."""

    def __init__(self, path: Path, platform_secret: str) -> None:
        self.path = path
        self._platform_secret = platform_secret
        self.keys: dict[str, ResultKey] = {}
        self.current = ""
        # Each key's HMAC, keyed once: a copy per digest spares OpenSSL looking the algorithm up again.
        self._keyed: dict[str, hmac.HMAC] = {}
        self.reload()

    def digest(self, data: Any) -> tuple[str, str]:
        """(key id, HMAC-SHA256 hex) of a response's ``data`` under the current key."""
        return self.current, self.digest_under(self.current, data)

    def hasher(self) -> tuple[str, hmac.HMAC]:
        """(key id, HMAC-SHA256 being computed) of content streamed in parts (an export's bytes)."""
        return self.current, self._keyed_hmac(self.current)

    def _keyed_hmac(self, key: str) -> hmac.HMAC:
        keyed = self._keyed.get(key)
        if keyed is None:
            keyed = self._keyed[key] = hmac.new(self.key(key).secret, digestmod=hashlib.sha256)
        return keyed.copy()

    def digest_under(self, key: str | None, data: Any) -> str:
        """The digest of ``data`` under the key a record names (``None``: a legacy plain SHA-256)."""
        content = canonical_result(data)
        if key is None:
            return hashlib.sha256(content).hexdigest()
        keyed = self._keyed_hmac(key)
        keyed.update(content)
        return keyed.hexdigest()

    def key(self, key: str) -> ResultKey:
        if key not in self.keys:  # another process may have rotated since this one read the file
            self.reload()
        try:
            return self.keys[key]
        except KeyError:
            raise KeyringError(
                f"the result key {key!r} is not in {self.path}; copy the keyring of the platform that wrote the record"
            ) from None

    def rotate(self) -> ResultKey:
        """Make a new random key the current one; the older keys are kept for the records digested under them."""
        self.reload()
        new = _make_key(secrets.token_bytes(32))
        self._write([*self.keys.values(), new], new.id, replace=True)
        self.reload()
        return new

    def reload(self) -> None:
        if not self.path.exists():
            first = _make_key(hmac.new(self._platform_secret.encode(), b"govshare audit result digests",
                                       hashlib.sha256).digest())  # fmt: skip
            self._write([first], first.id, replace=False)
        try:
            content = orjson.loads(self.path.read_bytes())
            keys = [ResultKey(k["id"], base64.urlsafe_b64decode(k["key"]), k["created_at"]) for k in content["keys"]]
            current = str(content["current"])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise KeyringError(f"the audit keyring {self.path} cannot be read ({type(exc).__name__}: {exc})") from None
        for key in keys:
            if key_id(key.secret) != key.id:
                raise KeyringError(f"the audit keyring {self.path} is damaged: key {key.id!r} does not match its id")
        self.keys = {key.id: key for key in keys}
        if current not in self.keys:
            raise KeyringError(f"the audit keyring {self.path} names current key {current!r}, which it does not hold")
        self.current = current

    def _write(self, keys: list[ResultKey], current: str, *, replace: bool) -> None:
        content = {
            "current": current,
            "keys": [{"id": k.id, "key": base64.urlsafe_b64encode(k.secret).decode(), "created_at": k.created_at}
                     for k in keys],
        }  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        draft = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        # Owner-only from the start, like the platform secret.
        handle = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(orjson.dumps(content, option=orjson.OPT_INDENT_2))
                out.flush()
                os.fsync(out.fileno())
            if replace:
                os.replace(draft, self.path)
            else:
                # Two processes starting at once: the first link wins, the other reads the winner's file.
                with contextlib.suppress(FileExistsError):
                    os.link(draft, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(draft)


__all__ = ["KEYRING", "KeyringError", "ResultKey", "ResultKeys", "canonical_result", "key_id"]
