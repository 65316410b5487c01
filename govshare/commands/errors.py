"""Why a command stops: shown by `govshare` as one line on stderr, exit status 1."""

from __future__ import annotations


class CommandError(Exception):
    """A reason to stop, shown as one line on stderr."""
