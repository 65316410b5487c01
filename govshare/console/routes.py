"""The console's routes, mounted at /console by the app."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govshare.console import pages, workflow_pages


def routes() -> list[Route | Mount]:
    return [
        Route("/console", pages.home),
        Route("/console/sign-in", pages.sign_in, methods=["GET", "POST"]),
        Route("/console/sign-out", pages.sign_out, methods=["POST"]),
        Route("/console/catalog", pages.catalog),
        Route("/console/apply", workflow_pages.apply, methods=["GET", "POST"]),
        Route("/console/inbox", workflow_pages.inbox),
        Route("/console/inbox/answer", workflow_pages.answer, methods=["POST"]),
        Mount("/console/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static"),
    ]
