"""The console's workflow pages: applying for conditional items, and the inbox where a provider's
administrator answers applications and an applicant withdraws its own. Every action is the GraphQL
mutation the API offers, run as the signed-in department (gateway.operate); its refusals are shown
as the API words them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govshare import clock
from govshare.console import session
from govshare.console.pages import checked, page, signed
from govshare.gateway.operate import operate
from govshare.workflows.deadlines import answer_deadline

APPLICATION = ("id department provider resource items purposes justification state submittedAt deadline overdue "
               "answeredAt answeredBy reason answeredLate withdrawnAt withdrawnBy withdrawReason "
               "grant { id effect until active }")  # fmt: skip
ISSUE = "id department provider resource recordKey item description state reportedAt ageDays ageWorkingDays note"
FORM = """{ me { department { code name } user roles }
  catalog { purposes { code label }
    resources { name title provider { code name } items { name title sharing condition } } } }"""
SUBMIT = f"mutation($input: ApplicationInput!) {{ applicationSubmit(input: $input) {{ {APPLICATION} }} }}"
INBOX = f"""{{ me {{ department {{ code name }} user roles }}
  inbox {{ applicationsToAnswer {{ {APPLICATION} }}
    dataIssuesToCheck {{ {ISSUE} }}
    decisionsReceived {{ target id resource outcome note decidedAt decidedBy }} }}
  dataIssues {{ {ISSUE} }}
  applications {{ {APPLICATION} }}
  grants {{ id department resource items purposes effect until active origin revokedAt }}
  catalog {{ resources {{ name title provider {{ code }} items {{ name title }} }} }} }}"""
REPORT = "mutation($input: DataIssueInput!) { dataIssueReport(input: $input) { id } }"
CHECKED = ("mutation($id: ID!, $verdict: DataIssueVerdict!, $note: String!) { dataIssueAnswer(id: $id, "
           "verdict: $verdict, note: $note) { id } }")  # fmt: skip
REVOKE = "mutation($id: ID!, $reason: String) { grantRevoke(id: $id, reason: $reason) { id active revokedAt } }"
APPROVE = (f"mutation($id: ID!, $effect: GrantEffect!, $until: Date, $note: String) {{ applicationApprove(id: $id, "
           f"effect: $effect, until: $until, note: $note) {{ {APPLICATION} }} }}")  # fmt: skip
REJECT = f"mutation($id: ID!, $reason: String!) {{ applicationReject(id: $id, reason: $reason) {{ {APPLICATION} }} }}"
WITHDRAW = (f"mutation($id: ID!, $reason: String) {{ applicationWithdraw(id: $id, reason: $reason) {{ "
            f"{APPLICATION} }} }}")  # fmt: skip
EFFECTS = ("MASK", "ALLOW", "VERIFY")


async def run_as(
    request: Request, current: session.Session, query: str, variables: dict[str, Any] | None = None
) -> Any:
    """The operation as the signed-in caller, decided and audited as the API would."""
    client = request.client.host if request.client else None
    return await operate(request.app.state.gateway, current.caller, None, query, variables, client=client)


def _errors(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors", ())]


async def apply(request: Request) -> Response:
    if request.method == "POST":
        found = await checked(request)
        if isinstance(found, Response):
            return found
        return await _submit(request, found, await request.form())
    return await _new_application(request)


@signed
async def _new_application(request: Request, current: session.Session) -> Response:
    asked = request.query_params  # from the catalog's "apply" link: a resource and one of its items
    chosen = {"resource": asked.get("resource", ""), "items": [asked["item"]] if "item" in asked else []}
    return await _form(request, current, chosen, [])


async def _form(request: Request, current: session.Session, chosen: dict[str, Any], errors: list[str]) -> Response:
    data = (await run_as(request, current, FORM))["data"]
    resources = [r for r in data["catalog"]["resources"]
                 if any(i["sharing"] == "conditional" for i in r["items"])
                 and r["provider"]["code"] != data["me"]["department"]["code"]]  # fmt: skip
    deadline = answer_deadline(clock.now())
    return page(request, "apply.html", 400 if errors else 200, me=data["me"], csrf=current.csrf, resources=resources,
                purposes=data["catalog"]["purposes"], chosen=chosen, errors=errors, deadline=deadline)  # fmt: skip


async def _submit(request: Request, current: session.Session, form: FormData) -> Response:
    scope, until = str(form.get("scope") or "").strip(), str(form.get("until") or "").strip()
    justification = str(form.get("justification") or "")
    chosen: dict[str, Any] = {"resource": str(form.get("resource") or ""), "items": form.getlist("items"),
                              "purposes": form.getlist("purposes"), "justification": justification,
                              "scope": scope, "until": until}  # fmt: skip
    asked: dict[str, Any] = {k: chosen[k] for k in ("resource", "items", "purposes", "justification")}
    if scope:
        try:
            asked["scope"] = orjson.loads(scope)
        except orjson.JSONDecodeError as exc:
            problem = f"行范围须为 JSON 过滤条件 (the row scope is not JSON: {exc})"
            return await _form(request, current, chosen, [problem])
    if until:
        asked["until"] = until
    body = await run_as(request, current, SUBMIT, {"input": asked})
    if _errors(body):
        return await _form(request, current, chosen, _errors(body))
    made = body["data"]["applicationSubmit"]
    return RedirectResponse(f"/console/inbox?submitted={made['id']}", 303)


@signed
async def inbox(request: Request, current: session.Session) -> Response:
    return await _inbox(request, current, [], 200)


async def _inbox(request: Request, current: session.Session, errors: list[str], status: int) -> Response:
    data = (await run_as(request, current, INBOX))["data"]
    own = data["me"]["department"]["code"]
    mine = [a for a in data["applications"] if a["department"] == own]
    provided = {r["name"] for r in data["catalog"]["resources"] if r["provider"]["code"] == own}
    held = [g for g in data["grants"] if g["department"] == own]
    reported = [d for d in data["dataIssues"] if d["department"] == own]
    usable = [r for r in data["catalog"]["resources"] if r["provider"]["code"] != own]
    granted = [g for g in data["grants"] if g["resource"] in provided]
    return page(request, "inbox.html", status, me=data["me"], csrf=current.csrf, inbox=data["inbox"], mine=mine,
                held=held, granted=granted, reported=reported, usable=usable, errors=errors, effects=EFFECTS,
                done=request.query_params)  # fmt: skip


# The page an action returns to with the API's refusals: (request, session, errors, status).
Again = Callable[[Request, session.Session, list[str], int], Awaitable[Response]]
# What a form asks for: the operation, its variables, and the page to go to once it is done (of its data).
Action = tuple[str, dict[str, Any], Callable[[dict[str, Any]], str]]


async def act(request: Request, build: Callable[[FormData], Action], again: Again) -> Response:
    """One form action: the posting session checked (origin, CSRF), the operation ``build`` makes of
    the form run as that session, then its page again with the API's refusals, or the ``done`` page."""
    found = await checked(request)
    if isinstance(found, Response):
        return found
    query, variables, done = build(await request.form())
    body = await run_as(request, found, query, variables)
    if _errors(body):
        return await again(request, found, _errors(body), 400)
    return RedirectResponse(done(body.get("data") or {}), 303)


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")


def _answer(form: FormData) -> Action:
    url = f"/console/inbox?answered={quote(_text(form, 'id'))}"
    if form.get("decision") == "approve":
        return APPROVE, {"id": _text(form, "id"), "effect": _text(form, "effect") or "MASK",
                         "until": _text(form, "until") or None, "note": _text(form, "note") or None}, \
            lambda _: url  # fmt: skip
    return REJECT, {"id": _text(form, "id"), "reason": _text(form, "reason")}, lambda _: url


def _reasoned(query: str, done: str) -> Callable[[FormData], Action]:
    """An action on one id with an optional reason (revoking a grant, withdrawing an application),
    back to the inbox saying ``done``."""

    def build(form: FormData) -> Action:
        url = f"/console/inbox?{done}={quote(_text(form, 'id'))}"
        return query, {"id": _text(form, "id"), "reason": _text(form, "reason") or None}, lambda _: url

    return build


def _report(form: FormData) -> Action:
    asked = {name: _text(form, name) for name in ("resource", "recordKey", "description")}
    return REPORT, {"input": {**asked, "item": _text(form, "item") or None}}, \
        lambda data: f"/console/inbox?reported={data['dataIssueReport']['id']}"  # fmt: skip


def _check(form: FormData) -> Action:
    url = f"/console/inbox?checked={quote(_text(form, 'id'))}"
    return CHECKED, {"id": _text(form, "id"), "verdict": _text(form, "verdict"), "note": _text(form, "note")}, \
        lambda _: url  # fmt: skip


async def answer(request: Request) -> Response:
    return await act(request, _answer, _inbox)


async def revoke(request: Request) -> Response:
    return await act(request, _reasoned(REVOKE, "revoked"), _inbox)


async def withdraw(request: Request) -> Response:
    return await act(request, _reasoned(WITHDRAW, "withdrawn"), _inbox)


async def report_issue(request: Request) -> Response:
    return await act(request, _report, _inbox)


async def answer_issue(request: Request) -> Response:
    return await act(request, _check, _inbox)
