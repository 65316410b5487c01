"""The platform's audit log as the server and the commands open it: keys from the data directory."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.audit.keys import KEYRING, ResultKeys
from govshare.audit.log import AuditLog, checkpoint_key
from govshare.auth import signing_key
from govshare.settings import Settings


def result_keys(settings: Settings) -> ResultKeys:
    """The keyring of the result digests, beside the platform secret (and never in the audit tables)."""
    return ResultKeys(Path(settings.data_dir) / KEYRING, signing_key(settings))


def platform_log(
    engine: AsyncEngine, settings: Settings, *, now: Callable[[], datetime.datetime] = clock.real_now
) -> AuditLog:
    """The audit log on ``engine``; a request waits for its record at most the request timeout.
    Its times are the real clock's; only the demo's simulated year gives it another."""
    return AuditLog(
        engine,
        checkpoint_key(signing_key(settings)),
        result_keys(settings),
        checkpoint_every=settings.audit_checkpoint_every,
        wait=settings.request_timeout,
        now=now,
    )
