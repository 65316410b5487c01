"""Errors that reach the client, each with its ``extensions.code`` (DESIGN §4)."""

from __future__ import annotations

from typing import Any

UNAUTHENTICATED = "UNAUTHENTICATED"
PURPOSE_REQUIRED = "PURPOSE_REQUIRED"
UNKNOWN_PURPOSE = "UNKNOWN_PURPOSE"
FORBIDDEN = "FORBIDDEN"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
BAD_USER_INPUT = "BAD_USER_INPUT"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
INTERNAL = "INTERNAL"
AUDIT_UNAVAILABLE = "AUDIT_UNAVAILABLE"


class GovshareError(Exception):
    """An expected error: its message and extensions are safe to show the caller."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": code, **extensions}

    @property
    def code(self) -> str:
        return str(self.extensions["code"])


def bad_input(message: str, **extensions: Any) -> GovshareError:
    return GovshareError(BAD_USER_INPUT, message, **extensions)


class FieldError:
    """Stands in a row's value to make that one field fail when it is read.

    The resolvers fetch whole levels eagerly; a value that must surface as an
    error at its own path (a source that failed, a denied item) is stored as
    this marker and raised by the field getter, so the rest still answers.
    """

    __slots__ = ("code", "extensions", "message")

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        self.code = code
        self.message = message
        self.extensions = extensions

    @classmethod
    def of(cls, exc: GovshareError) -> FieldError:
        return cls(exc.code, exc.message, **{k: v for k, v in exc.extensions.items() if k != "code"})

    def error(self) -> GovshareError:
        return GovshareError(self.code, self.message, **self.extensions)
