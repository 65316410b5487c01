"""The evaluation of departments over GraphQL (art. 19): the authority reads every department's,
a department administrator its own. The figures and the score are those of oversight.evaluation;
the volumes come from the statistics roll-up, as far as it has counted."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import strawberry
from strawberry.scalars import JSON

from govshare import clock
from govshare.errors import bad_input
from govshare.oversight.evaluation import evaluate
from govshare.oversight.signals import data_signals
from govshare.resolvers.context import RequestContext
from govshare.schema.statistics import seen_department


@strawberry.type(description="A department's figures over a span of days, as provider and as user (art. 19).")
class DepartmentEvaluation:
    department: str
    received: int = strawberry.field(description="Applications for its resources submitted in the span")
    answered: int
    meanAnswerDays: float | None = strawberry.field(description="Working days an answer took, on average")
    maxAnswerDays: int | None
    overdue: int = strawberry.field(
        description="Answered after the 10 working days, or unanswered past them by the span's last day"
    )
    refused: int
    refusedWithReason: int
    refusalRate: float | None = strawberry.field(description="Refused / answered")
    issues: int = strawberry.field(description="Data-issue reports on its resources made in the span")
    issuesAnswered: int
    meanIssueDays: float | None = strawberry.field(description="Working days to answer (open ones: so far)")
    resources: int
    resourcesDescribed: int
    items: int
    itemsDescribed: int
    dated: int = strawberry.field(description="Resources whose catalog entry names an updated_item")
    late: int | None = strawberry.field(description="Of those, how many are late now (supervision signals)")
    provided: int = strawberry.field(description="Item decisions on its resources that gave the item")
    refusedItems: int = strawberry.field(description="Item decisions on its resources that withheld it")
    operations: int = strawberry.field(description="Operations it made")
    rows: int = strawberry.field(description="Rows its operations read")
    denied: int = strawberry.field(description="Items it asked for and was refused")
    parts: JSON = strawberry.field(description="The score's parts, each a share in [0, 1] (docs/statistics.md)")
    score: float | None = strawberry.field(description="0–100, the weighted mean of the parts there are")


async def sharing_evaluation(
    info: strawberry.Info, since: datetime.date, until: datetime.date, department: str | None = None
) -> list[DepartmentEvaluation]:
    ctx: RequestContext = info.context
    seen = seen_department(ctx, department, "evaluation", since, until)
    catalog = ctx.runtime.catalog
    if seen is not None and seen not in catalog.departments:
        known = ", ".join(sorted(catalog.departments))
        raise bad_input(f"there is no department {seen!r} in the catalog: one of {known}")
    late = Counter(s.department for s in await data_signals(catalog, ctx.runtime.connectors, clock.today())
                   if s.kind == "late_data")  # fmt: skip
    found = await evaluate(
        ctx.runtime.audit.engine, catalog, since, until, departments=None if seen is None else (seen,), late=late
    )
    return [DepartmentEvaluation(**e.as_dict()) for e in found]


def evaluation_fields() -> dict[str, Any]:
    return {
        "sharingEvaluation": strawberry.field(
            resolver=sharing_evaluation,
            description="Each department's evaluation (art. 19): answer times, overdue answers, refusals and "
            "their reasons, data-issue answers, catalog completeness, volumes, and the score; the authority's "
            "of every department, a department administrator's own",
        )
    }
