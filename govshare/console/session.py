"""The console's session: the signed-in department's bearer token in a cookie, and the CSRF token
of its forms.

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it) and
lives at most an hour or until the token expires. Every form carries a CSRF token derived from
the session (an HMAC under the platform's signing key), and a form post whose Origin is another
site is refused before anything else happens.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from govshare import clock
from govshare.auth import TokenCache, TokenError, signing_key
from govshare.identity import Caller
from govshare.settings import Settings

COOKIE = "govshare_console"
LONGEST = 3600  # seconds a session lasts at most


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    caller: Caller
    csrf: str


def csrf_for(settings: Settings, token: str) -> str:
    return hmac.new(signing_key(settings).encode(), b"console-csrf:" + token.encode(), hashlib.sha256).hexdigest()


async def current(request: Request) -> Session | None:
    """The session of the request's cookie, if it holds a token valid now."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    tokens: TokenCache = request.app.state.tokens
    await tokens.prepare(token)  # an identity provider's token may need its keys fetched
    try:
        caller = tokens.verify(token)
    except TokenError:
        return None
    return Session(token, caller, csrf_for(request.app.state.settings, token))


async def begin(request: Request, response: Response, token: str) -> Caller:
    """Sign in with ``token`` (TokenError when it is not valid): the cookie set on ``response``."""
    tokens: TokenCache = request.app.state.tokens
    await tokens.prepare(token)
    caller, expires = tokens.verified(token)
    lasts = max(1, min(LONGEST, int(expires - clock.now().timestamp())))
    response.set_cookie(COOKIE, token, max_age=lasts, path="/console", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return caller


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")


def same_site(request: Request) -> bool:
    """Whether a form post comes from the console's own pages: its Origin (or, without one, its
    Referer) is this server; a browser always sends one of them with a form post."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    own = f"{request.url.scheme}://{request.url.netloc}"
    return source == own or source.startswith(own + "/")
