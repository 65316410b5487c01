"""Answer deadlines on the official calendar, overdue applications and late answers (R5).

Dates are counted by hand from the State Council's 2026 notice (see test_calendar.py):
the Spring Festival holiday runs 15–23 February, Saturdays 14 and 28 February are
working days. March 2026 has no holiday; 2 March is a Monday.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.workflows.desk import APPLICATIONS, AUTHORITY_ROLE, PROVIDER_ADMIN, Desk


@pytest.mark.parametrize(
    ("submitted", "due", "provisional"),
    [
        # Fri 13 Feb: Sat 14 (adjusted) 1, 24–27 Feb 2–5, Sat 28 (adjusted) 6, 2–5 Mar 7–10.
        ("2026-02-13T18:30:00+08:00", "2026-03-05", False),
        # 20:00 UTC on 30 June is 1 July in China: counted from Wednesday 1 July.
        ("2026-06-30T20:00:00+00:00", "2026-07-15", False),
        ("2026-06-30T10:00:00+00:00", "2026-07-14", False),
        # No official 2027 schedule yet: 1 January 2027 is a rest day by rule, and the date is provisional.
        ("2026-12-18T16:00:00+08:00", "2027-01-04", True),
    ],
    ids=["spring-festival", "utc-evening-is-next-day", "utc-morning", "into-2027"],
)
def test_the_deadline_is_ten_working_days_after_submission(
    desk: Desk, set_now: Callable[[str], None], submitted: str, due: str, provisional: bool
) -> None:
    set_now(submitted)
    application = desk.apply()
    assert (application["deadline"], application["deadlineProvisional"]) == (due, provisional)
    assert ("by rule" in application["deadlineBasis"]) is provisional
    assert "official schedule (chinese-calendar" in application["deadlineBasis"]


def test_an_unanswered_application_is_overdue_the_day_after_its_deadline(
    desk: Desk, set_now: Callable[[str], None]
) -> None:
    application = desk.apply()  # Monday 2 March: due Monday 16 March
    assert application["submittedAt"] == "2026-03-02T02:00:00+00:00"
    set_now("2026-03-16T23:59:00+08:00")
    assert desk.inbox(AUTHORITY_ROLE)["overdueApplications"] == []
    assert desk.ok(APPLICATIONS, {"overdue": True}, AUTHORITY_ROLE) == []

    set_now("2026-03-17T00:01:00+08:00")
    [overdue] = desk.inbox(AUTHORITY_ROLE)["overdueApplications"]
    assert (overdue["id"], overdue["overdue"], overdue["workingDaysOverdue"]) == (application["id"], True, 1)
    assert [a["id"] for a in desk.ok(APPLICATIONS, {"overdue": True}, AUTHORITY_ROLE)] == [application["id"]]
    assert desk.ok(APPLICATIONS, {"overdue": False}, AUTHORITY_ROLE) == []
    [waiting] = desk.inbox(PROVIDER_ADMIN)["applicationsToAnswer"]
    assert waiting["overdue"] is True
    assert desk.inbox(PROVIDER_ADMIN)["overdueApplications"] is None  # the authority's queue only

    set_now("2026-03-23T09:00:00+08:00")  # a week later: 17–20 and 23 March
    assert desk.inbox(AUTHORITY_ROLE)["overdueApplications"][0]["workingDaysOverdue"] == 5


def test_a_late_answer_is_recorded_as_late_and_leaves_the_queue(desk: Desk, set_now: Callable[[str], None]) -> None:
    application = desk.apply()
    set_now("2026-03-18T15:00:00+08:00")
    answered = desk.reject(application["id"])
    assert (answered["answeredLate"], answered["workingDaysTaken"], answered["overdue"]) == (True, 12, False)
    assert answered["workingDaysOverdue"] is None
    assert desk.inbox(AUTHORITY_ROLE)["overdueApplications"] == []


def test_an_answer_on_the_deadline_is_on_time(desk: Desk, set_now: Callable[[str], None]) -> None:
    application = desk.apply()
    set_now("2026-03-16T17:30:00+08:00")
    answered = desk.approve(application["id"], "VERIFY")
    assert (answered["answeredLate"], answered["workingDaysTaken"]) == (False, 10)


def test_a_weekend_submission_shares_the_friday_deadline(desk: Desk, set_now: Callable[[str], None]) -> None:
    set_now("2026-03-06T19:00:00+08:00")  # Friday evening
    friday = desk.apply()
    set_now("2026-03-08T11:00:00+08:00")  # Sunday
    sunday = desk.apply(purposes=["data_verification"])
    assert friday["deadline"] == sunday["deadline"] == "2026-03-20"
