"""The official Chinese working-day calendar, for sharing-application deadlines (R5).

A provider must answer an application within 10 working days. Working days follow the
State Council's yearly schedule: statutory holidays and the days off around them are rest
days, and some Saturdays and Sundays are adjusted working days (调休上班).

Conventions (see docs/workflows.md):

- Dates are China Standard Time: an aware submission time is converted to Asia/Shanghai
  before its date is taken; a naive one is refused.
- Counting starts the day after submission. The submission day never counts, whatever
  the hour; the n-th working day after it is the last day on which an answer is on time.
- Where ``chinese-calendar`` has the official schedule for a year it is used; for later
  years the statutory rule of :mod:`govshare.workflows.holidays_rule` stands in, and any
  result that depends on such a year is marked provisional. Years before the official data
  begin are refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type information

from govshare.workflows.holidays_rule import RULE_BASIS, is_working_day_by_rule

CHINA_TZ = ZoneInfo("Asia/Shanghai")
ANSWER_WORKING_DAYS = 10  # R5: the provider answers within 10 working days

# The years the installed chinese-calendar has official schedules for, found the way the
# package itself finds them, so that a newer release extends the official range by itself.
FIRST_OFFICIAL_YEAR: int = min(chinese_calendar.holidays).year
LAST_OFFICIAL_YEAR: int = max(chinese_calendar.holidays).year
OFFICIAL_BASIS = f"official schedule (chinese-calendar {chinese_calendar.__version__})"

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """The last day on which an answer is on time, and what that date rests on."""

    due: date
    """The last working day on which an answer is on time."""
    provisional: bool
    """True when a day examined lies beyond the official schedules (the rule-based fallback)."""
    basis: str
    """Human-readable source of the calendar data, with package versions."""


def is_working_day(day: date) -> tuple[bool, bool]:
    """Return ``(working, provisional)`` for ``day``.

    ``provisional`` is True when the day's year has no official schedule yet and the answer
    comes from the statutory rule. Raises ValueError for years before the official data.
    """
    return _classify(_plain_date(day))


def add_working_days(start: date, n: int) -> Deadline:
    """The ``n``-th working day strictly after ``start`` (``start`` itself when ``n`` is 0)."""
    start = _plain_date(start)
    if n < 0:
        raise ValueError(f"the number of working days must not be negative, got {n}")
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        counted += _classify(day)[0]
    provisional, basis = _span_basis(start + _ONE_DAY, day)
    return Deadline(due=day, provisional=provisional, basis=basis)


def deadline_for(submitted: datetime, working_days: int = ANSWER_WORKING_DAYS, tz: ZoneInfo = CHINA_TZ) -> Deadline:
    """The answer deadline of an application submitted at ``submitted``.

    ``submitted`` must be timezone-aware; its date in ``tz`` (China Standard Time by default)
    is the submission day, which never counts: the deadline is the ``working_days``-th
    working day after it, so a Friday-evening and a Saturday submission share one deadline.
    """
    if submitted.tzinfo is None or submitted.utcoffset() is None:
        raise ValueError(
            f"submission time {submitted.isoformat()} has no timezone: pass an aware datetime "
            "(e.g. UTC or +08:00) so that its date in China Standard Time is unambiguous"
        )
    return add_working_days(submitted.astimezone(tz).date(), working_days)


def working_days_between(start: date, end: date) -> tuple[int, bool]:
    """Count the working days in ``(start, end]`` and say whether the count is provisional.

    ``working_days_between(due, answered)`` is how many working days late an answer was;
    ``working_days_between(submitted, answered)`` how many it took. It is the inverse of
    :func:`add_working_days`: ``working_days_between(s, add_working_days(s, n).due) == (n, …)``.
    """
    start, end = _plain_date(start), _plain_date(end)
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        count += _classify(day)[0]
    return count, _span_basis(start + _ONE_DAY, end)[0]


@lru_cache(maxsize=4096)
def _classify(day: date) -> tuple[bool, bool]:
    # Cached: deadlines walk the same few hundred days over and over, and
    # chinese_calendar.is_workday rescans its whole table to validate each call.
    if day.year < FIRST_OFFICIAL_YEAR:
        raise ValueError(
            f"no working-day calendar for {day.isoformat()}: official schedules begin in {FIRST_OFFICIAL_YEAR}"
        )
    if day.year <= LAST_OFFICIAL_YEAR:
        return bool(chinese_calendar.is_workday(day)), False
    return is_working_day_by_rule(day), True


def _span_basis(first: date, last: date) -> tuple[bool, str]:
    """Provisional flag and basis of the days ``first``..``last`` (none when ``first > last``)."""
    if first > last or last.year <= LAST_OFFICIAL_YEAR:
        return False, OFFICIAL_BASIS
    if first.year > LAST_OFFICIAL_YEAR:
        return True, RULE_BASIS
    return True, f"{OFFICIAL_BASIS} through {LAST_OFFICIAL_YEAR}, then {RULE_BASIS}"


def _plain_date(day: date) -> date:
    # A datetime is a date too: refuse it, or a UTC submission time would be counted
    # from its UTC date and skip the conversion deadline_for makes.
    if isinstance(day, datetime):
        raise TypeError(f"expected a date, got the datetime {day.isoformat()}: use deadline_for() for submission times")
    return day
