"""The platform's clock: ``GOVSHARE_NOW`` replaces it for tests and demonstrations.

Deadlines, grant ends and token expiry follow ``now()``; the audit log's times
and its retention follow ``real_now()``, so that no setting can backdate or
age its records.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# Dates that rules speak of (grant end dates, deadlines) are dates in China Standard Time.
CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current UTC time, or the fixed instant named by ``GOVSHARE_NOW``."""
    fixed = os.environ.get("GOVSHARE_NOW")
    if not fixed:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError as exc:
        raise ValueError(f"GOVSHARE_NOW={fixed!r} is not an ISO datetime (e.g. 2026-12-01T09:00:00+08:00)") from exc
    return as_utc(value)


def real_now() -> datetime:
    """Current UTC time, always: ``GOVSHARE_NOW`` never moves the audit log's times or its retention."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one (as SQLite hands them back) is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def today() -> date:
    """Today's date in China Standard Time."""
    return now().astimezone(CHINA).date()


def day_start(day: date) -> datetime | None:
    """The UTC moment the China day ``day`` begins; None where no UTC moment can hold it
    (0001-01-01 begins in year 0 UTC): the span is then unbounded on that side."""
    try:
        return datetime.combine(day, time(), CHINA).astimezone(UTC)
    except OverflowError:
        return None
