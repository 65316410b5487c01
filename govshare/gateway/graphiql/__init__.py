"""GraphiQL served from the package: the page at /graphql and its vendored assets under /graphiql.

Nothing the page needs comes from another origin, so the IDE works on a network
without the Internet. The assets are pinned builds copied unchanged from their
npm packages (see README.md here); their directory names carry the version, so
they are cached for a year. The Content-Security-Policy of the page lets the
browser load and connect to this origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
PREFIX = "/graphiql"
PAGE = (HERE / "page.html").read_text(encoding="utf-8")


def _inline_script_hash(page: str) -> str:
    match = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    if match is None:
        raise RuntimeError("page.html lost its inline script")
    digest = hashlib.sha256(match.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# Styles: GraphiQL and React set style attributes, which CSP counts as inline style.
# Fonts and icons are data: URLs inside graphiql.min.css.
POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {_inline_script_hash(PAGE)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


def page() -> Response:
    """The IDE, pointed at /graphql with the headers editor open for a token and a purpose."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"})


class Assets(StaticFiles):
    """The vendored files; a versioned path never changes, so browsers may keep it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def assets() -> Assets:
    return Assets(directory=ASSETS)
