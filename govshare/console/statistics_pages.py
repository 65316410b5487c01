"""The sharing statistics page (R12): this year's operations per month as a chart, and the items
decided by resource, by item and by grant — the API's sharingOperations and sharingItems, read as
the signed-in caller. Whose figures a caller sees is the API's to decide (the authority every
department's, a department administrator its own, as user and as provider): the page shows what
it answers, or its refusal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from govshare import clock
from govshare.console import session
from govshare.console.pages import page, refused, signed
from govshare.console.workflow_pages import run_as
from govshare.oversight.charts import Series, bar_chart

_SPAN = "since: $since, until: $until, department: $department"
STATISTICS = f"""query($since: Date!, $until: Date!, $department: String) {{
  me {{ department {{ code name }} user roles }}
  catalog {{ departments {{ code name }} resources {{ name title }} }}
  months: sharingOperations({_SPAN}, by: "month", group: ["outcome"]) {{
    countedUpTo lines {{ period key operations rows }} }}
  byResource: sharingItems({_SPAN}, group: ["provider", "resource", "effect"]) {{ lines {{ key operations }} }}
  byItem: sharingItems({_SPAN}, group: ["resource", "item", "provider", "department", "effect"]) {{
    lines {{ key operations }} }}
  byGrant: sharingItems({_SPAN}, group: ["basis", "department", "resource", "effect"]) {{ lines {{ key operations }} }}
}}"""
EFFECTS = ("allow", "mask", "verify", "deny")


def year_span(year: int) -> dict[str, str]:
    return {"since": f"{year}-01-01", "until": f"{year}-12-31"}


def monthly_chart(year: int, lines: Sequence[dict[str, Any]]) -> Markup:
    """Operations per month by outcome, from sharingOperations lines read by month, grouped by outcome."""
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    outcomes: dict[str, list[float]] = {}
    for line in lines:
        outcomes.setdefault(line["key"]["outcome"], [0.0] * 12)[months.index(line["period"])] += line["operations"]
    chart = bar_chart(f"{year} 年每月操作次数（按结果）", [m[5:] + "月" for m in months],
                      [Series(o, v) for o, v in sorted(outcomes.items())], unit="次")  # fmt: skip
    return Markup(chart)  # the chart module escapes every label it draws


def _pivot(lines: Sequence[dict[str, Any]], dimensions: Sequence[str]) -> list[dict[str, Any]]:
    """Lines of one effect each, as one row per value of ``dimensions`` with a count per effect;
    the busiest first."""
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for line in lines:
        key = tuple(line["key"][d] for d in dimensions)
        row = rows.setdefault(key, {"key": dict(zip(dimensions, key, strict=True)), "total": 0})
        effect = line["key"]["effect"]
        row[effect] = row.get(effect, 0) + line["operations"]
        row["total"] += line["operations"]
    return sorted(rows.values(), key=lambda r: (-r["total"], tuple(r["key"].values())))


@signed
async def statistics(request: Request, current: session.Session) -> Response:
    year = clock.today().year
    asked = request.query_params.get("department", "").strip() or None
    body = await run_as(request, current, STATISTICS, {**year_span(year), "department": asked})
    if body.get("errors") or not body.get("data"):
        # Every table refuses for the same reason: said once.
        return refused(request, "；".join(dict.fromkeys(e["message"] for e in body.get("errors", []))))
    data = body["data"]
    months = data["months"]
    grants = [line for line in data["byGrant"]["lines"] if line["key"]["basis"].startswith("grant:")]
    return page(request, "statistics.html", me=data["me"], csrf=current.csrf, year=year, asked=asked,
                departments={d["code"]: d["name"] for d in data["catalog"]["departments"]},
                titles={r["name"]: r["title"] for r in data["catalog"]["resources"]},
                counted=months["countedUpTo"], chart=monthly_chart(year, months["lines"]),
                operations=sum(line["operations"] for line in months["lines"]),
                rows=sum(line["rows"] or 0 for line in months["lines"]), effects=EFFECTS,
                by_resource=_pivot(data["byResource"]["lines"], ("provider", "resource")),
                by_item=_pivot(data["byItem"]["lines"], ("resource", "item", "provider", "department")),
                by_grant=_pivot(grants, ("basis", "department", "resource")))  # fmt: skip
