"""The working-day calendar behind application deadlines (R5), on the real calendar data.

Expected dates are counted by hand from the State Council's holiday notices:
2026 (国办发明电〔2025〕7号): 元旦 1.1–1.3 off, 1.4 (Sun) works; 春节 2.15–2.23 off,
2.14 (Sat) and 2.28 (Sat) work; 清明 4.4–4.6; 劳动节 5.1–5.5 off, 5.9 (Sat) works;
端午 6.19–6.21; 中秋 9.25–9.27; 国庆 10.1–10.7 off, 9.20 (Sun) and 10.10 (Sat) work.
2027 has no notice yet: by the statutory rule 元旦 1.1 (Fri) and 除夕–初三 2.5–2.8 are rest
days, 初一 2.6 and 初二 2.7 fall on the weekend and are made up on 2.9 and 2.10 (补假).
Weekdays: 2026-01-01 and 2026-10-01 are Thursdays, 2027-01-01 is a Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from govshare.workflows.calendar import (
    LAST_OFFICIAL_YEAR,
    OFFICIAL_BASIS,
    add_working_days,
    deadline_for,
    is_working_day,
    working_days_between,
)
from govshare.workflows.holidays_rule import RULE_BASIS

CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A submission time written in China Standard Time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


# (submitted, due) for 10 working days, all within the official 2026 schedule.
OFFICIAL_CASES = {
    # Fri 2.13: 2.14 Sat (adjusted) 1; 2.15–2.23 off; 2.24–2.27 Tue–Fri 2–5; 2.28 Sat (adjusted) 6;
    # 3.1 Sun off; 3.2–3.5 Mon–Thu 7–10. Weekdays alone would give 2.27.
    "spring festival": ("2026-02-13T16:00", date(2026, 3, 5)),
    # Fri 9.18: 9.19 Sat off; 9.20 Sun (adjusted) 1; 9.21–9.24 2–5; 9.25–9.27 中秋 off;
    # 9.28–9.30 6–8; 10.1–10.7 off; 10.8 Thu 9, 10.9 Fri 10.
    "mid-autumn and national day": ("2026-09-18T10:00", date(2026, 10, 9)),
    # Wed 9.30: 10.1–10.7 off; 10.8 Thu 1, 10.9 Fri 2, 10.10 Sat (adjusted) 3; 10.11 Sun off;
    # 10.12–10.16 4–8; 10.19 Mon 9, 10.20 Tue 10.
    "national day": ("2026-09-30T09:00", date(2026, 10, 20)),
    # Fri 5.8: 5.9 Sat (adjusted) 1; 5.10 Sun off; 5.11–5.15 2–6; 5.18–5.21 Mon–Thu 7–10.
    # Without the adjusted Saturday the deadline would be 5.22.
    "adjusted saturday": ("2026-05-08T11:00", date(2026, 5, 21)),
    # Wed 2025-12-31: 1.1–1.3 off; 1.4 Sun (adjusted) 1; 1.5–1.9 2–6; 1.12–1.15 Mon–Thu 7–10.
    "new year, adjusted sunday": ("2025-12-31T15:00", date(2026, 1, 15)),
    # Fri 6.5: 6.8–6.12 1–5; 6.15–6.18 Mon–Thu 6–9; 6.19–6.21 端午 off; 6.22 Mon 10.
    "dragon boat": ("2026-06-05T09:00", date(2026, 6, 22)),
    # Fri 12.4: 12.7–12.11 1–5; 12.14–12.18 6–10: still all official.
    "december, inside 2026": ("2026-12-04T09:00", date(2026, 12, 18)),
}


@pytest.mark.parametrize(("submitted", "due"), OFFICIAL_CASES.values(), ids=OFFICIAL_CASES.keys())
def test_deadline_on_the_official_schedule(submitted: str, due: date) -> None:
    deadline = deadline_for(at(submitted))
    assert deadline.due == due
    assert not deadline.provisional
    assert deadline.basis == OFFICIAL_BASIS


def test_adjusted_weekend_days_are_working_days() -> None:
    for adjusted in (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert adjusted.weekday() >= 5
        assert is_working_day(adjusted) == (True, False)
    for rest in (date(2026, 2, 23), date(2026, 10, 7), date(2026, 5, 10)):
        assert is_working_day(rest) == (False, False)


def test_deadline_in_2027_is_provisional() -> None:
    # Fri 2026-12-18: 12.21–12.25 1–5; 12.28–12.31 Mon–Thu 6–9; 2027-01-01 Fri 元旦 off;
    # 1.2–1.3 weekend; 1.4 Mon 10.
    deadline = deadline_for(at("2026-12-18T10:00"))
    assert deadline.due == date(2027, 1, 4)
    assert deadline.provisional
    assert deadline.basis == f"{OFFICIAL_BASIS} through {LAST_OFFICIAL_YEAR}, then {RULE_BASIS}"
    assert is_working_day(date(2027, 1, 1)) == (False, True)


def test_spring_festival_2027_by_rule() -> None:
    # Fri 2027-01-29: 2.1–2.4 Mon–Thu 1–4; 2.5 除夕 off; 2.6–2.7 weekend (初一、初二);
    # 2.8 初三 off; 2.9, 2.10 补假 off; 2.11 Thu 5, 2.12 Fri 6; 2.15–2.18 Mon–Thu 7–10.
    deadline = deadline_for(at("2027-01-29T10:00"))
    assert deadline == add_working_days(date(2027, 1, 29), 10)
    assert deadline.due == date(2027, 2, 18)
    assert deadline.provisional
    assert deadline.basis == RULE_BASIS


def test_friday_evening_and_the_weekend_share_a_deadline() -> None:
    # Counting starts the next day: 6.6–6.7 are rest days either way (see "dragon boat").
    deadlines = {deadline_for(at(t)).due for t in ("2026-06-05T20:00", "2026-06-06T10:00", "2026-06-07T23:59")}
    assert deadlines == {date(2026, 6, 22)}


def test_submission_day_never_counts() -> None:
    # Mon 6.8 at 08:00 is a working morning, yet counting starts on Tue 6.9: 6.9–6.12 1–4;
    # 6.15–6.18 5–8; 6.19–6.21 端午 off; 6.22 9, 6.23 Tue 10.
    assert deadline_for(at("2026-06-08T08:00")).due == date(2026, 6, 23)
    assert add_working_days(date(2026, 6, 8), 1).due == date(2026, 6, 9)


def test_submission_time_is_taken_in_china_standard_time() -> None:
    # 2026-06-30T20:00Z is Wed 7.1 04:00 in China: 7.2–7.3 1–2; 7.6–7.10 3–7; 7.13–7.15 8–10.
    submitted = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    assert deadline_for(submitted).due == date(2026, 7, 15)
    # Taken as 6.30, one working day earlier: 7.1–7.3 1–3; 7.6–7.10 4–8; 7.13–7.14 9–10.
    assert deadline_for(submitted, tz=ZoneInfo("UTC")).due == date(2026, 7, 14)
    assert deadline_for(submitted.astimezone(ZoneInfo("America/New_York"))).due == date(2026, 7, 15)


def test_naive_submission_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        deadline_for(datetime(2026, 6, 30, 20, 0))


def test_datetime_where_a_date_is_expected_is_refused() -> None:
    with pytest.raises(TypeError, match="deadline_for"):
        add_working_days(datetime(2026, 6, 30, 20, 0, tzinfo=UTC), 10)


def test_years_without_data_are_refused() -> None:
    with pytest.raises(ValueError, match="official schedules begin in 2004"):
        is_working_day(date(2003, 12, 31))
    with pytest.raises(ValueError, match="official schedules begin in 2004"):
        working_days_between(date(2003, 12, 1), date(2004, 1, 5))
    with pytest.raises(ValueError, match="calendar ends in 2100"):
        is_working_day(date(2101, 1, 3))
    # Nothing before 2004 is looked at here: 2004-01-01 元旦 is off, 1.2 Fri is the first working day.
    assert add_working_days(date(2003, 12, 31), 1).due == date(2004, 1, 2)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 6, 1), -1)
    with pytest.raises(ValueError, match="before start"):
        working_days_between(date(2026, 6, 2), date(2026, 6, 1))


def test_working_days_late() -> None:
    # Due Thu 3.5 (see "spring festival"); answered Mon 3.9: 3.6 Fri and 3.9 Mon are late.
    assert working_days_between(date(2026, 3, 5), date(2026, 3, 9)) == (2, False)
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == (2, True)


def test_working_days_between_inverts_add_working_days() -> None:
    start = date(2025, 12, 1)
    while start <= date(2027, 12, 31):
        for n in range(31):
            deadline = add_working_days(start, n)
            assert working_days_between(start, deadline.due) == (n, deadline.provisional), (start, n)
            if n:
                # The n-th working day: a working day itself, with n - 1 before it.
                assert is_working_day(deadline.due)[0]
                assert working_days_between(start, deadline.due - timedelta(days=1))[0] == n - 1
        start += timedelta(days=1)
