"""Option values as the commands read them: lists, row scopes, dates; a bad one names its option."""

from __future__ import annotations

import datetime
import getpass
import json
from typing import Any

from govshare.commands.errors import CommandError


def items(text: str | None) -> tuple[str, ...]:
    """A comma-separated list (``--items a,b``), without blanks."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def scope_option(text: str | None) -> dict[str, Any] | None:
    """``--scope``: a filter in the GraphQL filter language, as JSON (the workflows check the filter)."""
    if not text:
        return None
    try:
        scope = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--scope is not valid JSON: {exc}") from None
    if not isinstance(scope, dict):
        raise CommandError(f'--scope must be a JSON object like {{"district": {{"eq": "龙亭区"}}}}, not {text!r}')
    return scope


def until_option(text: str | None) -> datetime.date | None:
    """``--until``: the last day of a grant."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until {text!r} is not a date like 2027-06-30") from None


def actor(user: str | None) -> str:
    """Who acts when ``--user``/``--by`` is not given: the login running the command."""
    return user or f"cli:{getpass.getuser()}"
