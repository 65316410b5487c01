"""What the yearly sharing report (R12, art. 19) shows, gathered from the statistics roll-up and
the evaluation: for the platform authority every department compared, for one department what
it used and what it provided.

Figures are read from the counts the roll-up keeps, so the report costs a few small queries
whatever the size of the log; the caller rolls up first.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.audit import statistics
from govshare.audit.statistics import Query
from govshare.catalog.model import Catalog
from govshare.oversight.evaluation import Evaluation, evaluate
from govshare.store.tables import grants as grants_table

MONTHS = tuple(f"{m:02d}" for m in range(1, 13))
TOP = 10  # rows of each "top" list


@dataclass(slots=True)
class ReportData:
    year: int
    platform: str
    department: str | None  # None: the authority's report of every department
    names: dict[str, str]  # department code → name
    counted_up_to: int  # the last audit record the figures include
    made_at: datetime.datetime
    # Per month (01–12): operations by outcome, and rows read.
    operations_by_month: dict[str, list[int]] = field(default_factory=dict)
    rows_by_month: list[int] = field(default_factory=lambda: [0] * 12)
    given: int = 0  # item values its resources gave (for the authority: all resources)
    denied: int = 0  # items it asked for and was refused (for the authority: everyone)
    # (label, count), largest first.
    top_resources: list[tuple[str, int]] = field(default_factory=list)  # item values given, by resource
    top_denials: list[tuple[str, int]] = field(default_factory=list)  # denied items, by department and item
    top_grants: list[tuple[str, int]] = field(default_factory=list)  # item values given under each grant
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def title(self) -> str:
        who = self.names.get(self.department, self.department) if self.department else "全部门"
        return f"{self.platform} {self.year} 年度政务信息资源共享报告 — {who}"

    @property
    def total_operations(self) -> int:
        return sum(sum(v) for v in self.operations_by_month.values())


async def gather(
    engine: AsyncEngine,
    catalog: Catalog,
    year: int,
    department: str | None,
    made_at: datetime.datetime,
    late: Mapping[str, int] | None = None,
) -> ReportData:
    """The report of ``year`` for ``department`` (None: every department, as the authority sees it);
    ``late``: each provider's resources late when the report is made (None: not measured)."""
    if department is not None and department not in catalog.departments:
        known = ", ".join(sorted(catalog.departments))
        raise ValueError(f"there is no department {department!r} in the catalog: one of {known}")
    since, until = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    names = {code: d.name for code, d in catalog.departments.items()}
    data = ReportData(year, catalog.platform.name, department, names, await statistics.counted_up_to(engine), made_at)
    used = await statistics.operations(engine, Query(since, until, "month", ("outcome",), department))
    for line in used:
        month = MONTHS.index(line["period"][5:7])
        data.operations_by_month.setdefault(line["outcome"], [0] * 12)[month] += line["operations"]
        data.rows_by_month[month] += line["rows"]
    await _items(engine, catalog, data, Query(since, until, None, ("department", "provider", "resource", "item",
                                                                    "effect", "basis"), department))  # fmt: skip
    data.evaluations = await evaluate(
        engine, catalog, since, until, departments=None if department is None else (department,), late=late
    )
    return data


async def _items(engine: AsyncEngine, catalog: Catalog, data: ReportData, query: Query) -> None:
    resources: Counter[str] = Counter()
    denials: Counter[str] = Counter()
    grants: Counter[tuple[str, str]] = Counter()
    for line in await statistics.items(engine, query):
        n, user, provider = line["operations"], line["department"], line["provider"]
        resource = catalog.resources.get(line["resource"])
        title = f"{resource.title} ({resource.name})" if resource else line["resource"]
        if line["effect"] == "deny":
            if data.department in (None, user):  # a department's own denied attempts, not its callers'
                denials[f"{data.names.get(user, user)} · {title}.{line['item']}"] += n
                data.denied += n
            continue
        if data.department in (None, provider):  # what it provided
            resources[title] += n
            data.given += n
        if line["basis"].startswith("grant:") and data.department in (None, user, provider):
            grants[(line["basis"], f"{data.names.get(user, user)} · {title}")] += n
    data.top_resources = resources.most_common(TOP)
    data.top_denials = denials.most_common(TOP)
    origins = await _origins(engine, [int(basis.removeprefix("grant:")) for (basis, _), _ in grants.most_common(TOP)])
    data.top_grants = [
        (f"{basis} ({origins.get(basis, '直接授权')}) · {who}", n) for (basis, who), n in grants.most_common(TOP)
    ]


async def _origins(engine: AsyncEngine, ids: list[int]) -> dict[str, str]:
    """What each grant came from: the application approved, the coordination decided, or the authority."""
    names = {"application": "申请", "coordination": "协调"}
    async with engine.connect() as conn:
        rows = await conn.execute(select(grants_table.c.id, grants_table.c.origin, grants_table.c.origin_id)
                                  .where(grants_table.c.id.in_(ids)))  # fmt: skip
        return {f"grant:{r.id}": f"{names[r.origin]} {r.origin_id}" if r.origin in names else "直接授权"
                for r in rows}  # fmt: skip
