"""Signing in to the console through the identity provider: OpenID Connect's authorization code
flow with PKCE (docs/identity.md).

``start`` sends the browser to the provider's authorization endpoint with a fresh ``state`` and
code challenge, both kept in a short-lived cookie sealed with an HMAC under the platform's key;
``callback`` checks the state the provider sends back against that cookie, exchanges the code
(and the verifier) at the token endpoint, and signs in with the access token it gets, exactly as a
pasted token would be: the same verification as the API, the same session, the same audit record.
The login cookie is SameSite=Lax, because the provider's redirect back is a navigation from
another site; the session cookie stays Strict, so the callback's page moves on to the catalog by
itself (a redirect would carry the other site's navigation, and the browser would not send it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govshare.auth import signing_key
from govshare.console import session
from govshare.console.pages import page, provider_configured, record_session, refused
from govshare.identity import TokenError
from govshare.settings import Settings

LOGIN_COOKIE = "govshare_console_login"
LOGIN_SECONDS = 600  # the longest a sign-in may spend at the provider
_PATH = "/console/sign-in"


class ProviderProblem(Exception):
    """Why the provider's sign-in could not go on; safe to show (never a token or a secret)."""


async def start(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not provider_configured(request):
        return refused(request, "没有配置统一身份认证 (no identity provider is configured for the console)", 404)
    try:
        authorize, _ = await _endpoints(settings)
    except ProviderProblem as exc:
        await record_session(request, "sign-in through the provider", None, "unavailable")
        return _again(request, f"统一身份认证暂不可用 (the identity provider cannot be reached: {exc})", 503)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({"response_type": "code", "client_id": settings.oidc_client_id, "scope": "openid",
                       "redirect_uri": _redirect_uri(request, settings), "state": state,
                       "code_challenge": challenge, "code_challenge_method": "S256"})  # fmt: skip
    response = RedirectResponse(f"{authorize}?{query}", 303)
    sealed = _sealed(settings, f"{state}.{verifier}.{int(time.time())}")
    response.set_cookie(LOGIN_COOKIE, sealed, max_age=LOGIN_SECONDS, path=_PATH, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


async def callback(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not provider_configured(request):
        return refused(request, "没有配置统一身份认证 (no identity provider is configured for the console)", 404)
    try:
        verifier = _verifier(request, settings)
        token = await _exchange(request, settings, verifier)
        response = page(request, "signed_in.html")
        caller = await session.begin(request, response, token)
    except (ProviderProblem, TokenError) as exc:
        await record_session(request, "sign-in through the provider", None, "unauthenticated")
        failed = _again(request, f"未能通过统一身份认证登录 (signing in through the provider failed: {exc})", 400)
        failed.delete_cookie(LOGIN_COOKIE, path=_PATH, httponly=True, samesite="lax")
        return failed
    response.delete_cookie(LOGIN_COOKIE, path=_PATH, httponly=True, samesite="lax")
    await record_session(request, "sign-in through the provider", caller, "answered")
    return response


def _again(request: Request, error: str, status: int) -> Response:
    return page(request, "sign_in.html", status, error=error, provider=True)


def _verifier(request: Request, settings: Settings) -> str:
    """The code verifier of this sign-in, once the provider's answer is known to belong to it."""
    problem = request.query_params.get("error")
    if problem:
        described = request.query_params.get("error_description", "")
        raise ProviderProblem(f"the provider answered {problem}" + (f": {described}" if described else ""))
    sealed = request.cookies.get(LOGIN_COOKIE, "")
    opened = _opened(settings, sealed)
    state, verifier, begun = (opened or "..").split(".")
    if opened is None or not 0 <= time.time() - int(begun) <= LOGIN_SECONDS:
        raise ProviderProblem("this sign-in was not started here, or took longer than ten minutes; start again")
    if not hmac.compare_digest(state, request.query_params.get("state", "")):
        raise ProviderProblem("the provider's answer does not belong to this sign-in (state); start again")
    if not request.query_params.get("code"):
        raise ProviderProblem("the provider sent no authorization code")
    return verifier


async def _exchange(request: Request, settings: Settings, verifier: str) -> str:
    """The access token the provider gives for the authorization code."""
    _, token_endpoint = await _endpoints(settings)
    form = {"grant_type": "authorization_code", "code": request.query_params["code"], "code_verifier": verifier,
            "redirect_uri": _redirect_uri(request, settings), "client_id": settings.oidc_client_id}  # fmt: skip
    # A confidential client authenticates with HTTP Basic (client_secret_basic); a public one by PKCE alone.
    secret = settings.oidc_client_secret
    auth = httpx.BasicAuth(settings.oidc_client_id, secret) if secret else None
    try:
        async with httpx.AsyncClient(timeout=settings.oidc_timeout, auth=auth) as http:
            answer = await http.post(token_endpoint, data=form)
    except httpx.HTTPError as exc:
        raise ProviderProblem(f"its token endpoint did not answer ({type(exc).__name__})") from None
    if answer.status_code != 200:
        raise ProviderProblem(f"its token endpoint answered HTTP {answer.status_code} ({_error_of(answer)})")
    token = _json(answer).get("access_token")
    if not isinstance(token, str) or not token:
        raise ProviderProblem("its token endpoint gave no access token")
    return token


async def _endpoints(settings: Settings) -> tuple[str, str]:
    """The authorization and token endpoints, from the provider's discovery document."""
    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=settings.oidc_timeout) as http:
            answer = await http.get(url)
    except httpx.HTTPError as exc:
        raise ProviderProblem(f"{url}: {type(exc).__name__}") from None
    document = _json(answer) if answer.status_code == 200 else {}
    found = document.get("authorization_endpoint"), document.get("token_endpoint")
    if not all(isinstance(e, str) and e.startswith(("https://", "http://")) for e in found):
        raise ProviderProblem(f"{url} (HTTP {answer.status_code}) names no authorization and token endpoints")
    return str(found[0]), str(found[1])


def _json(answer: httpx.Response) -> dict[str, object]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _error_of(answer: httpx.Response) -> str:
    error = _json(answer).get("error")
    return str(error)[:100] if error else "no error named"


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.oidc_redirect_uri or f"{request.url.scheme}://{request.url.netloc}{_PATH}/callback"


def _mac(settings: Settings, value: str) -> str:
    return hmac.new(signing_key(settings).encode(), b"console-login:" + value.encode(), hashlib.sha256).hexdigest()


def _sealed(settings: Settings, value: str) -> str:
    return f"{value}~{_mac(settings, value)}"


def _opened(settings: Settings, sealed: str) -> str | None:
    value, _, mac = sealed.rpartition("~")
    return value if value and hmac.compare_digest(mac, _mac(settings, value)) else None
