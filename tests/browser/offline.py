"""A browser context for pages that must work offline: only the server's own origin is reached."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


class Offline:
    """A browser context that reaches the server's origin and nothing else.

    Every other request is aborted and remembered, so a test can assert that none
    was even attempted; the context's proxy is a closed port, so a request that
    slipped past the route would fail too; only the loopback address bypasses it.
    """

    def __init__(self, browser: Any, origin: str, *others: str) -> None:
        self.origin = origin
        self.origins = {origin, *others}  # another local server the pages go to (an identity provider)
        self.attempted: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"})
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" in self.origins or parts.scheme == "data":
            route.continue_()
        else:
            self.attempted.append(url)
            route.abort("internetdisconnected")

    def _console(self, kind: str, text: str) -> None:
        # Before a token is in the headers editor, GraphiQL's schema request is refused (401, as it should be).
        if kind == "error" and "status of 401" not in text:
            self.errors.append(text)

    def _failed(self, request: Any) -> None:
        # A page left while it still loads cancels its requests (ERR_ABORTED): not a failure of the
        # page. Requests to anywhere else are aborted as disconnected, and so still reported.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"{request.url}: {request.failure}")

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: self._console(m.type, m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", self._failed)
        return page
