"""An audit record and its place in the hash chain.

The hash of a record covers its canonical content (sorted-key JSON of every
field but the hash itself) and the previous record's hash, so changing,
removing, inserting or reordering any record breaks the chain after it.
"""

from __future__ import annotations

import datetime
import hashlib
import operator
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

import orjson

from govshare.clock import as_utc

GENESIS = "0" * 64
OUTCOMES = ("answered", "partial", "failed", "rejected", "malformed", "unauthenticated", "unavailable", "started")


@dataclass(slots=True)
class AuditRecord:
    """What one operation was, as it is kept. ``seq``, times and hashes are set by the log."""

    kind: str  # query | mutation | replay | cli
    outcome: str
    department: str | None = None
    user: str | None = None
    roles: list[str] = field(default_factory=list)
    purpose: str | None = None
    client: str | None = None
    operation_name: str | None = None
    query: str | None = None
    variables: dict[str, Any] | None = None
    policy_version: int | None = None
    # [resource, item, effect, basis] for every item the operation touched
    decisions: list[list[str]] = field(default_factory=list)
    # source → {"statements": n, "rows": n}
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    error_codes: list[str] = field(default_factory=list)
    # HMAC-SHA256 of the canonical result under the platform key ``result_key_id``
    # (no key id: a record written before digests were keyed, a plain SHA-256)
    result_sha256: str | None = None
    result_key_id: str | None = None
    duration_ms: float = 0.0
    detail: dict[str, Any] | None = None
    seq: int = 0
    recorded_at: datetime.datetime | None = None
    prev_hash: str = ""
    hash: str = ""

    @property
    def touched(self) -> str:
        # Indexing, not ``resource, item, effect, *_ = d``: the starred name makes a list per decision.
        return "".join([f" {d[0]}.{d[1]}={d[2]}" for d in self.decisions]) + " "

    def canonical(self) -> bytes:
        content = self.fields()
        del content["hash"]
        if self.result_key_id is None:
            del content["result_key_id"]  # records from before the key id hash as they were written
        if self.recorded_at is not None:
            content["recorded_at"] = _utc_iso(self.recorded_at)
        content["duration_ms"] = round(self.duration_ms, 3)
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)

    def chained_hash(self) -> str:
        return _chained(self.prev_hash, self.canonical())

    def seal(self) -> bytes:
        """Set ``hash`` (after ``prev_hash``); returns the canonical content it covers."""
        content = self.canonical()
        self.hash = _chained(self.prev_hash, content)
        return content

    def fields(self) -> dict[str, Any]:
        """Every field as it is (the record's row, less what the log derives from it)."""
        return dict(zip(_NAMES, _VALUES(self), strict=True))

    def as_dict(self) -> dict[str, Any]:
        # Shallow on purpose: this runs for every request, and nothing mutates the parts.
        data = self.fields()
        data["recorded_at"] = _utc_iso(self.recorded_at) if self.recorded_at else None
        return data


def _chained(prev_hash: str, content: bytes) -> str:
    hasher = _SHA256.copy()  # a copy, not a new hash: OpenSSL then looks SHA-256 up once per process
    hasher.update(prev_hash.encode() + b"\n")
    hasher.update(content)
    return hasher.hexdigest()


_SHA256 = hashlib.sha256()


_NAMES = tuple(f.name for f in dataclass_fields(AuditRecord))
_VALUES = operator.attrgetter(*_NAMES)  # every field's value in one call: this runs twice per record


def _utc_iso(moment: datetime.datetime) -> str:
    # Databases hand back naive or aware datetimes; the chain hashes one spelling.
    # isoformat, not strftime: the same spelling for four-digit years, at a fraction of the cost.
    # The records of a batch share one moment: it is spelled once.
    global _spelled
    if _spelled[0] is not moment:
        _spelled = (moment, as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z")
    return _spelled[1]


_spelled: tuple[datetime.datetime | None, str] = (None, "")
