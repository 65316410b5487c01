"""Rest days by rule, for years whose official holiday schedule is not published yet.

The State Council publishes each year's schedule (放假安排) late in the year before, and
the official calendar data lags behind it. Until then a deadline must still be computable:
this module derives the year from the law alone, through ``holidays.China``:

- Saturdays and Sundays are rest days;
- the statutory holidays of 《全国年节及纪念日放假办法》 are rest days, and so is the
  weekday given in their place (补假) when one falls on a weekend;
- no adjusted working days (调休上班): those exist only in the yearly notice, so a date
  from this module is provisional.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from holidays.constants import PUBLIC
from holidays.countries.china import China
from holidays.holiday_base import HolidayBase
from holidays.utils import country_holidays
from holidays.version import __version__ as holidays_version

RULE_BASIS = f"statutory holidays by rule (holidays {holidays_version}), adjusted working days not yet published"

# Beyond this year the package knows no Chinese holidays at all; guessing would be worse.
LAST_RULE_YEAR: int = China.end_year


@lru_cache(maxsize=16)
def _statutory_rest_days(year: int) -> HolidayBase:
    # observed=True adds the 补假 weekdays; only public holidays, not the half days of
    # 妇女节/青年节/儿童节/建军节 that apply to some citizens only.
    return country_holidays("CN", years=year, observed=True, categories=(PUBLIC,))


def is_working_day_by_rule(day: date) -> bool:
    """Whether ``day`` is a working day by the statutory rule alone (see the module docstring)."""
    if day.year > LAST_RULE_YEAR:
        raise ValueError(f"no holiday rule is known for {day.year}: the working-day calendar ends in {LAST_RULE_YEAR}")
    return day.weekday() < 5 and day not in _statutory_rest_days(day.year)
