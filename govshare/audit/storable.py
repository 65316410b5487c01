"""Making a record storable, whatever its request carried.

Records are committed in batches, and one record must never fail the others in
its batch. So before a record joins a batch its content is made something every
store accepts, and what had to be left out is said in the record itself:

- JSON nested too deep to serialise (about 250 levels) is kept down to
  ``MAX_DEPTH`` levels; each part below is replaced by a marker;
- a part larger than ``MAX_BYTES`` of JSON is replaced by a marker naming its size;
- text is cut to its column's length (marked by a final "…"), and NUL characters,
  which PostgreSQL refuses in text, are written as the six characters ``\\u0000``.

A record the store still refuses is written without its request's content
(``without_content``) rather than lost.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import String

from govshare.audit.record import AuditRecord
from govshare.store.tables import audit_records

MAX_DEPTH = 64
MAX_BYTES = 1 << 20
NOT_RECORDED = "$notRecorded"  # no GraphQL variable can have this name
# Fields whose content comes from the request (the others are made by the platform).
_FREE_JSON = ("variables", "detail")
# Text fields and the length of their column (Text: MAX_BYTES characters).
_TEXT = {
    c.name: c.type.length or MAX_BYTES
    for c in audit_records.c
    if isinstance(c.type, String) and c.name in AuditRecord.__dataclass_fields__ and c.name not in ("prev_hash", "hash")
}


def make_storable(record: AuditRecord) -> None:
    """Bound ``record`` in place so that serialising and storing it cannot fail on its content."""
    for name, limit in _TEXT.items():
        value = getattr(record, name)
        # Most text is short ASCII without NUL: it is left as it is without a call.
        if isinstance(value, str) and (len(value) > limit or not value.isascii() or "\x00" in value):
            setattr(record, name, _text(value, limit))
    for name in _FREE_JSON:
        value = getattr(record, name)
        if value is None:
            continue
        try:
            # Inside a list, as the record's content object holds it when the record is hashed.
            size = len(orjson.dumps([value]))
        except TypeError:  # too deep, text that is not UTF-8, a number JSON cannot carry
            bounded = _bounded(value, 1)
            note = {NOT_RECORDED: "parts that could not be serialised were left out"}
            value = {**note, **bounded} if isinstance(bounded, dict) else {**note, "value": bounded}
            size = len(orjson.dumps([value]))
        if size > MAX_BYTES:
            value = {NOT_RECORDED: f"{size:,} bytes of JSON, more than the {MAX_BYTES:,} an audit record keeps"}
        setattr(record, name, value)


def without_content(record: AuditRecord, problem: BaseException) -> AuditRecord:
    """The record with its request's own content left out, for when the store refused it as it was."""
    why = f"the store refused this record as sent ({type(problem).__name__}): its query, operation name, variables and detail are left out"  # noqa: E501
    return AuditRecord(
        kind=record.kind, outcome=record.outcome, department=record.department, user=record.user,
        roles=record.roles, purpose=record.purpose, client=record.client, query=None, variables=None,
        operation_name=None, policy_version=record.policy_version, decisions=record.decisions,
        sources=record.sources, error_codes=record.error_codes, result_sha256=record.result_sha256,
        result_key_id=record.result_key_id, duration_ms=record.duration_ms, detail={NOT_RECORDED: why},
    )  # fmt: skip


def _text(value: str, limit: int) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "\\u0000")
    if not value.isascii():
        value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _bounded(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return f"{NOT_RECORDED}: nested deeper than {MAX_DEPTH} levels"
        return {_text(str(k), MAX_BYTES): _bounded(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return f"{NOT_RECORDED}: nested deeper than {MAX_DEPTH} levels"
        return [_bounded(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _text(value, MAX_BYTES)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return f"{NOT_RECORDED}: an integer of {value.bit_length()} bits"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return f"{NOT_RECORDED}: a {type(value).__name__}, not JSON"
