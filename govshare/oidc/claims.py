"""Reading a token's claims: numbers of seconds, claims named by configuration (nested ones by dots)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import jwt

from govshare.identity import TokenError


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def claim(claims: dict[str, Any], name: str) -> Any:
    """The claim ``name``, or None. A name that is not a claim of its own and has dots reads a nested
    claim (``realm_access.roles``); the whole name is tried first, as providers namespace claims
    with URLs (``https://example.gov.cn/dept``)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def moment(seconds: float) -> str:
    """A time of a claim as people read it (UTC, to the second)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token, not yet checked: to tell whose token it is and which key signed it."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"the bearer token is invalid ({exc})") from None
