"""The platform authority's page: overdue applications, coordination requests to decide, open
data-issue reports with their age, supervision signals to acknowledge, and the year's use by
month as a chart. What it shows and does are the API's operations, run as the signed-in caller."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from govshare import clock
from govshare.console import session
from govshare.console.pages import page, refused, signed
from govshare.console.statistics_pages import monthly_chart, year_span
from govshare.console.workflow_pages import EFFECTS, Action, act, run_as

QUEUE = """query($since: Date!, $until: Date!) { me { department { code name } user roles }
  inbox { overdueApplications { id department provider resource items deadline }
    coordinationRequests { id department provider resource items purposes justification application requestedAt }
    openDataIssues { id department provider resource recordKey item description reportedAt ageDays ageWorkingDays } }
  supervisionSignals { key kind department resource since what records note notedBy }
  sharingOperations(since: $since, until: $until, by: "month", group: ["outcome"]) {
    lines { period key operations } }
  sharingEvaluation(since: $since, until: $until) { department received answered meanAnswerDays overdue refused
    refusedWithReason issues issuesAnswered resources resourcesDescribed dated late provided operations denied
    score } }"""
DECIDE = ("mutation($id: ID!, $grant: Boolean!, $reasoning: String!, $effect: GrantEffect) { coordinationDecide("
          "id: $id, grant: $grant, reasoning: $reasoning, effect: $effect) { id state } }")  # fmt: skip
ACKNOWLEDGE = "mutation($key: String!, $note: String!) { supervisionAcknowledge(key: $key, note: $note) { key } }"


@signed
async def authority(request: Request, current: session.Session) -> Response:
    return await _page(request, current, [], 200)


async def _page(request: Request, current: session.Session, errors: list[str], status: int) -> Response:
    year = clock.today().year
    body = await run_as(request, current, QUEUE, year_span(year))
    data = body.get("data") or {}
    if body.get("errors") and not (data.get("supervisionSignals") is not None and data.get("inbox")):
        return refused(request, "；".join(e["message"] for e in body["errors"]))
    chart = monthly_chart(year, data["sharingOperations"]["lines"])
    return page(request, "authority.html", status, me=data["me"], csrf=current.csrf, inbox=data["inbox"],
                signals=data["supervisionSignals"], chart=chart, evaluation=data["sharingEvaluation"],
                errors=errors, effects=EFFECTS,
                done=request.query_params)  # fmt: skip


def _decide(form: FormData) -> Action:
    grant = form.get("decision") == "grant"
    variables: dict[str, Any] = {"id": str(form.get("id") or ""), "grant": grant,
                                 "reasoning": str(form.get("reasoning") or ""),
                                 "effect": str(form.get("effect") or "MASK") if grant else None}  # fmt: skip
    url = f"/console/authority?decided={quote(variables['id'])}"
    return DECIDE, variables, lambda _: url


def _acknowledge(form: FormData) -> Action:
    note = {"key": str(form.get("key") or ""), "note": str(form.get("note") or "")}
    return ACKNOWLEDGE, note, lambda _: "/console/authority?acknowledged=1"


async def decide(request: Request) -> Response:
    return await act(request, _decide, _page)


async def acknowledge(request: Request) -> Response:
    return await act(request, _acknowledge, _page)
