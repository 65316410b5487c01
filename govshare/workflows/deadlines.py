"""Working-day arithmetic of the workflows: deadlines (R5) and answer times, in China Standard Time.

The calendar is imported when first needed: loading its holiday data takes most of a
second, which every `govshare` command would otherwise pay at start.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from govshare.clock import CHINA

if TYPE_CHECKING:
    from govshare.workflows.calendar import Deadline


def cst_day(moment: datetime.datetime) -> datetime.date:
    """The date of ``moment`` in China Standard Time, the time rules and deadlines speak of."""
    return moment.astimezone(CHINA).date()


def answer_deadline(submitted: datetime.datetime) -> Deadline:
    """10 working days after the day of ``submitted``, on the official calendar (R5)."""
    from govshare.workflows.calendar import deadline_for

    return deadline_for(submitted)


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    from govshare.workflows.calendar import working_days_between

    return working_days_between(start, end)[0]


def working_days_taken(start: datetime.datetime, end: datetime.datetime) -> int:
    """Working days from the day of ``start`` (not counted) to the day of ``end`` (counted)."""
    return working_days(cst_day(start), cst_day(end))
