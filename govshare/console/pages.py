"""The console's pages: sign-in and the catalog browser. Each page reads what it shows through
the GraphQL engine as the signed-in department (gateway.operate: decided and audited as the API
would), so the console has no permission rules of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from govshare.audit.record import AuditRecord
from govshare.auth import TokenError
from govshare.console import session
from govshare.console.rights import apply_link, item_rights
from govshare.errors import FORBIDDEN, UNAUTHENTICATED
from govshare.gateway.operate import operate
from govshare.identity import Caller

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
CATALOG = """{ me { department { code name } user roles }
  catalog { platform authority { code name } purposes { code label }
    resources { name code title provider { code name } category key updateCycle shareMethods
      items { name title type sharing condition legalBasis mask } relations { name title target on many } } }
  grants { id department resource items purposes effect until active } }"""


CROSS_SITE = "跨站提交的表单已被拒绝 (a form posted from another site is refused)"
STALE_FORM = "表单已过期或来源不明，请重新打开页面 (the form's CSRF token is missing or wrong)"


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def refused(request: Request, message: str, status: int = 403) -> Response:
    return page(request, "refused.html", status, message=message)


View = Callable[[Request, session.Session], Awaitable[Response]]


def signed(view: View) -> Callable[[Request], Awaitable[Response]]:
    """A page for a signed-in caller; without a session, the sign-in page."""

    async def handle(request: Request) -> Response:
        current = await session.current(request)
        if current is None:
            return RedirectResponse("/console/sign-in", 303)
        return await view(request, current)

    return handle


async def home(request: Request) -> Response:
    target = "/console/catalog" if await session.current(request) else "/console/sign-in"
    return RedirectResponse(target, 303)


async def sign_in(request: Request) -> Response:
    if request.method == "GET":
        return page(request, "sign_in.html", provider=provider_configured(request))
    if not session.same_site(request):
        return await _refused_post(request, None, "cross-site", CROSS_SITE)
    form = await request.form()
    token = str(form.get("token") or "").strip()
    response = RedirectResponse("/console/catalog", 303)
    try:
        caller = await session.begin(request, response, token)
    except TokenError as exc:
        await record_session(request, "sign-in", None, "unauthenticated")
        return page(request, "sign_in.html", 400, error=str(exc) if token else "请粘贴令牌 (paste a token)",
                    provider=provider_configured(request))  # fmt: skip
    await record_session(request, "sign-in", caller, "answered")
    return response


def provider_configured(request: Request) -> bool:
    """Whether the console signs in through the identity provider too (docs/identity.md)."""
    settings = request.app.state.settings
    return bool(settings.oidc_issuer and settings.oidc_client_id)


async def sign_out(request: Request) -> Response:
    found = await checked(request)
    if isinstance(found, Response):
        return found
    response = RedirectResponse("/console/sign-in", 303)
    session.end(response)
    await record_session(request, "sign-out", found.caller, "answered")
    return response


async def record_session(
    request: Request, action: str, caller: Caller | None, outcome: str, codes: list[str] | None = None
) -> None:
    """A sign-in, a sign-out or a refused form post, in the audit log (kind session) as a request to
    /graphql would be."""
    record = AuditRecord(
        kind="session", outcome=outcome, client=request.client.host if request.client else None,
        error_codes=codes if codes is not None else [UNAUTHENTICATED] if caller is None else [],
        detail={"channel": "console", "action": action},
    )  # fmt: skip
    if caller is not None:
        record.department, record.user, record.roles = caller.department, caller.user, list(caller.roles)
    await request.app.state.gateway.runtime.audit.append(record)


async def checked(request: Request) -> session.Session | Response:
    """The session of a form post that comes from the console and carries its CSRF token; else the refusal."""
    current = await session.current(request)
    if not session.same_site(request):
        return await _refused_post(request, current, "cross-site", CROSS_SITE)
    if current is None:
        return RedirectResponse("/console/sign-in", 303)
    form = await request.form()
    if form.get("csrf") != current.csrf:
        return await _refused_post(
            request, current, "csrf", "表单已过期或来源不明，请重新打开页面 (the form's CSRF token is missing or wrong)"
        )
    return current


async def _refused_post(request: Request, current: session.Session | None, why: str, message: str) -> Response:
    """A form post refused before anything happened (another site's, or without the form's CSRF token):
    recorded, then answered 403."""
    caller = current.caller if current is not None else None
    await record_session(request, f"{why} {request.url.path}", caller, "rejected", [FORBIDDEN])
    return refused(request, message)


@signed
async def catalog(request: Request, current: session.Session) -> Response:
    body = await operate(request.app.state.gateway, current.caller, None, CATALOG,
                         client=request.client.host if request.client else None)  # fmt: skip
    data = body.get("data") or {}
    if body.get("errors") or not data:
        return refused(request, "; ".join(e["message"] for e in body.get("errors", [])), 500)
    query = request.query_params.get("q", "").strip()
    resources = [r for r in data["catalog"]["resources"]
                 if not query or query.lower() in f"{r['title']} {r['code']} {r['name']}".lower()]  # fmt: skip
    me = data["me"]
    for resource in resources:
        for item in resource["items"]:
            item["rights"] = item_rights(me["department"]["code"], resource, item, data["grants"])
            item["apply"] = apply_link(resource, item) if item["rights"].startswith("有条件共享") else None
    return page(request, "catalog.html", me=me, catalog=data["catalog"], resources=resources, q=query,
                csrf=current.csrf)  # fmt: skip
