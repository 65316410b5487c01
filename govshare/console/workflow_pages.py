"""The console's workflow pages: applying for conditional items, and the inbox where a provider's
administrator answers applications. Every action is the GraphQL mutation the API offers, run as
the signed-in department (gateway.operate); its refusals are shown as the API words them."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govshare import clock
from govshare.console import session
from govshare.console.pages import checked, page
from govshare.gateway.operate import operate
from govshare.workflows.deadlines import answer_deadline

APPLICATION = ("id department provider resource items purposes justification state submittedAt deadline overdue "
               "answeredAt answeredBy reason answeredLate grant { id effect until active }")  # fmt: skip
FORM = """{ me { department { code name } user roles }
  catalog { purposes { code label }
    resources { name title provider { code name } items { name title sharing condition } } } }"""
SUBMIT = f"mutation($input: ApplicationInput!) {{ applicationSubmit(input: $input) {{ {APPLICATION} }} }}"
INBOX = f"""{{ me {{ department {{ code name }} user roles }}
  inbox {{ applicationsToAnswer {{ {APPLICATION} }}
    decisionsReceived {{ target id resource outcome note decidedAt decidedBy }} }}
  applications {{ {APPLICATION} }} }}"""
APPROVE = (f"mutation($id: ID!, $effect: GrantEffect!, $until: Date, $note: String) {{ applicationApprove(id: $id, "
           f"effect: $effect, until: $until, note: $note) {{ {APPLICATION} }} }}")  # fmt: skip
REJECT = f"mutation($id: ID!, $reason: String!) {{ applicationReject(id: $id, reason: $reason) {{ {APPLICATION} }} }}"
EFFECTS = ("MASK", "ALLOW", "VERIFY")


async def _run(request: Request, current: session.Session, query: str, variables: dict[str, Any] | None = None) -> Any:
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
    current = session.current(request)
    if current is None:
        return RedirectResponse("/console/sign-in", 303)
    asked = request.query_params  # from the catalog's "apply" link: a resource and one of its items
    chosen = {"resource": asked.get("resource", ""), "items": [asked["item"]] if "item" in asked else []}
    return await _form(request, current, chosen, [])


async def _form(request: Request, current: session.Session, chosen: dict[str, Any], errors: list[str]) -> Response:
    data = (await _run(request, current, FORM))["data"]
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
    body = await _run(request, current, SUBMIT, {"input": asked})
    if _errors(body):
        return await _form(request, current, chosen, _errors(body))
    made = body["data"]["applicationSubmit"]
    return RedirectResponse(f"/console/inbox?submitted={made['id']}", 303)


async def inbox(request: Request) -> Response:
    current = session.current(request)
    if current is None:
        return RedirectResponse("/console/sign-in", 303)
    return await _inbox(request, current, [], 200)


async def _inbox(request: Request, current: session.Session, errors: list[str], status: int) -> Response:
    data = (await _run(request, current, INBOX))["data"]
    mine = [a for a in data["applications"] if a["department"] == data["me"]["department"]["code"]]
    return page(request, "inbox.html", status, me=data["me"], csrf=current.csrf, inbox=data["inbox"], mine=mine,
                errors=errors, effects=EFFECTS, done=request.query_params)  # fmt: skip


async def answer(request: Request) -> Response:
    found = await checked(request)
    if isinstance(found, Response):
        return found
    form = await request.form()
    application = str(form.get("id") or "")
    if form.get("decision") == "approve":
        variables: dict[str, Any] = {"id": application, "effect": str(form.get("effect") or "MASK"),
                                     "until": str(form.get("until") or "") or None,
                                     "note": str(form.get("note") or "") or None}  # fmt: skip
        body = await _run(request, found, APPROVE, variables)
    else:
        body = await _run(request, found, REJECT, {"id": application, "reason": str(form.get("reason") or "")})
    if _errors(body):
        return await _inbox(request, found, _errors(body), 400)
    return RedirectResponse(f"/console/inbox?answered={application}", 303)
