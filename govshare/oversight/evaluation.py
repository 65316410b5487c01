"""The evaluation of providing and using departments (art. 19), from the platform's own records.

Each figure is counted over one span of days (China time): applications by the day they were
submitted, data-issue reports by the day they were reported, use by the day of its audit
record (from the statistics roll-up). How the score is made is in docs/statistics.md; each
part is a share between 0 and 1, and a part with nothing to measure (no application received)
is left out of the score rather than counted as perfect or as failed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.audit import statistics
from govshare.catalog.model import Catalog
from govshare.store.tables import applications, data_issues
from govshare.workflows.deadlines import cst_day, working_days
from govshare.workflows.records import APPROVED, REJECTED, SUBMITTED

# The score's parts and their weights (docs/statistics.md, "Evaluation").
WEIGHTS = {"on_time": 40, "reasons": 10, "issues": 25, "catalog": 25, "fresh": 20}


@dataclass(slots=True)
class Evaluation:
    """One department's figures for the span, as provider and as user."""

    department: str
    # As provider: applications for its resources, and how they were answered.
    received: int = 0
    answered: int = 0
    answer_days: list[int] = field(default_factory=list)  # working days each answer took
    overdue: int = 0  # answered after the deadline, or still unanswered past it
    refused: int = 0
    refused_with_reason: int = 0
    # Data-issue reports on its resources (R8).
    issues: int = 0
    issues_answered: int = 0
    issue_days: list[int] = field(default_factory=list)  # working days to answer, or open so far
    # Its catalog entries: resources and items with a description.
    resources: int = 0
    resources_described: int = 0
    items: int = 0
    items_described: int = 0
    # Freshness against update_cycle: resources whose catalog entry names an updated_item, and of
    # those how many are late now (None: not measured, e.g. the sources were not asked).
    dated: int = 0
    late: int | None = None
    # Volume: item decisions on its resources that gave the item (allow, mask, verify) or withheld it
    # (mostly callers without a grant: a figure, not part of the score), and what it asked of others.
    provided: int = 0
    refused_items: int = 0
    operations: int = 0
    rows: int = 0
    denied: int = 0  # items it asked for and was refused

    @property
    def mean_answer_days(self) -> float | None:
        return sum(self.answer_days) / len(self.answer_days) if self.answer_days else None

    @property
    def refusal_rate(self) -> float | None:
        return self.refused / self.answered if self.answered else None

    @property
    def mean_issue_days(self) -> float | None:
        return sum(self.issue_days) / len(self.issue_days) if self.issue_days else None

    @property
    def parts(self) -> dict[str, float]:
        """The parts of the score that have something to measure, each a share in [0, 1]."""
        found: dict[str, float] = {}
        if self.received:
            found["on_time"] = 1 - self.overdue / self.received
        if self.refused:
            found["reasons"] = self.refused_with_reason / self.refused
        if self.issues:
            found["issues"] = self.issues_answered / self.issues
        if self.resources:
            found["catalog"] = (self.resources_described + self.items_described) / (self.resources + self.items)
        if self.dated and self.late is not None:
            found["fresh"] = 1 - self.late / self.dated
        return found

    @property
    def score(self) -> float | None:
        """0–100: the weighted mean of the parts there are (None when there are none)."""
        parts = self.parts
        if not parts:
            return None
        weight = sum(WEIGHTS[p] for p in parts)
        return round(100 * sum(WEIGHTS[p] * share for p, share in parts.items()) / weight, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "received": self.received,
            "answered": self.answered,
            "meanAnswerDays": _rounded(self.mean_answer_days),
            "maxAnswerDays": max(self.answer_days, default=None),
            "overdue": self.overdue,
            "refused": self.refused,
            "refusedWithReason": self.refused_with_reason,
            "refusalRate": _rounded(self.refusal_rate),
            "issues": self.issues,
            "issuesAnswered": self.issues_answered,
            "meanIssueDays": _rounded(self.mean_issue_days),
            "resources": self.resources,
            "resourcesDescribed": self.resources_described,
            "items": self.items,
            "itemsDescribed": self.items_described,
            "dated": self.dated,
            "late": self.late,
            "provided": self.provided,
            "refusedItems": self.refused_items,
            "operations": self.operations,
            "rows": self.rows,
            "denied": self.denied,
            "parts": {p: round(s, 3) for p, s in self.parts.items()},
            "score": self.score,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def evaluate(
    engine: AsyncEngine,
    catalog: Catalog,
    since: datetime.date,
    until: datetime.date,
    *,
    today: datetime.date | None = None,
    departments: Iterable[str] | None = None,
    late: Mapping[str, int] | None = None,
) -> list[Evaluation]:
    """Every department's evaluation over ``since``–``until`` (inclusive), as of ``today``
    (an application still open on the report's last day counts as overdue if its deadline
    had passed by then). ``late``: each provider's resources late now (supervision signals)."""
    as_of = min(today or clock.today(), until)
    wanted = sorted(departments) if departments is not None else sorted(catalog.departments)
    found = {d: Evaluation(d) for d in wanted}
    providers = {name: r.provider for name, r in catalog.resources.items()}
    _catalog(found, catalog)
    for evaluation in found.values():
        if late is not None and evaluation.dated:
            evaluation.late = late.get(evaluation.department, 0)
    async with engine.connect() as conn:
        for row in await conn.execute(select(applications).where(*_within(applications.c.submitted_at, since, until))):
            _application(found.get(providers.get(row.resource, "")), row._mapping, as_of)
        for row in await conn.execute(select(data_issues).where(*_within(data_issues.c.reported_at, since, until))):
            _issue(found.get(providers.get(row.resource, "")), row._mapping, as_of)
    await _use(engine, found, since, until)
    return list(found.values())


def _within(column: Any, since: datetime.date, until: datetime.date) -> list[Any]:
    """The moments of ``column`` on the China days ``since``–``until``."""
    start = clock.day_start(since)
    end = clock.day_start(until + datetime.timedelta(days=1)) if until < datetime.date.max else None
    return [*([column >= start] if start else []), *([column < end] if end else [])]


def _catalog(found: Mapping[str, Evaluation], catalog: Catalog) -> None:
    for resource in catalog.resources.values():
        evaluation = found.get(resource.provider)
        if evaluation is None:
            continue
        evaluation.resources += 1
        evaluation.resources_described += _described(resource.description)
        evaluation.items += len(resource.items)
        evaluation.items_described += sum(_described(i.description) for i in resource.items.values())
        evaluation.dated += resource.updated_item is not None


def _described(text: str | None) -> bool:
    return bool(text and text.strip())


def _application(evaluation: Evaluation | None, row: Mapping[Any, Any], as_of: datetime.date) -> None:
    if evaluation is None:
        return
    evaluation.received += 1
    if row["state"] in (APPROVED, REJECTED):
        evaluation.answered += 1
        evaluation.answer_days.append(int(row["working_days_taken"]))
        evaluation.overdue += bool(row["late"])
    elif row["state"] == SUBMITTED and as_of > row["deadline"]:
        evaluation.overdue += 1
    if row["state"] == REJECTED:
        evaluation.refused += 1
        evaluation.refused_with_reason += _described(row["reason"])


def _issue(evaluation: Evaluation | None, row: Mapping[Any, Any], as_of: datetime.date) -> None:
    if evaluation is None:
        return
    evaluation.issues += 1
    if row["answered_at"] is not None:
        evaluation.issues_answered += 1
        evaluation.issue_days.append(int(row["working_days_taken"]))
    else:  # still open: how long it has waited counts too
        evaluation.issue_days.append(working_days(cst_day(clock.as_utc(row["reported_at"])), as_of))


async def _use(
    engine: AsyncEngine, found: Mapping[str, Evaluation], since: datetime.date, until: datetime.date
) -> None:
    """Volumes from the statistics roll-up (as far as it has counted)."""
    used = await statistics.operations(engine, statistics.Query(since, until, group=("department", "outcome")))
    for line in used:
        evaluation = found.get(line["department"])
        if evaluation is not None:
            evaluation.operations += line["operations"]
            evaluation.rows += line["rows"]
    decided = await statistics.items(engine, statistics.Query(since, until, group=("department", "provider", "effect")))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for line in decided:
        totals[(line["provider"], "denied" if line["effect"] == "deny" else "given")] += line["operations"]
        if line["effect"] == "deny" and line["department"] in found:
            found[line["department"]].denied += line["operations"]
    for department, evaluation in found.items():
        evaluation.provided = totals[(department, "given")]
        evaluation.refused_items = totals[(department, "denied")]
