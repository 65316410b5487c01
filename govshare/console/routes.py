"""The console's routes, mounted at /console by the app."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govshare.console import audit_pages, authority_pages, pages, provider_sign_in, statistics_pages, workflow_pages


def routes() -> list[Route | Mount]:
    return [
        Route("/console", pages.home),
        Route("/console/sign-in", pages.sign_in, methods=["GET", "POST"]),
        Route("/console/sign-in/provider", provider_sign_in.start),
        Route("/console/sign-in/callback", provider_sign_in.callback),
        Route("/console/sign-out", pages.sign_out, methods=["POST"]),
        Route("/console/catalog", pages.catalog),
        Route("/console/apply", workflow_pages.apply, methods=["GET", "POST"]),
        Route("/console/inbox", workflow_pages.inbox),
        Route("/console/inbox/answer", workflow_pages.answer, methods=["POST"]),
        Route("/console/applications/withdraw", workflow_pages.withdraw, methods=["POST"]),
        Route("/console/grants/revoke", workflow_pages.revoke, methods=["POST"]),
        Route("/console/issues/report", workflow_pages.report_issue, methods=["POST"]),
        Route("/console/issues/answer", workflow_pages.answer_issue, methods=["POST"]),
        Route("/console/audit", audit_pages.log),
        Route("/console/audit/verify", audit_pages.verify),
        Route("/console/audit/{seq:int}", audit_pages.record),
        Route("/console/authority", authority_pages.authority),
        Route("/console/authority/decide", authority_pages.decide, methods=["POST"]),
        Route("/console/authority/acknowledge", authority_pages.acknowledge, methods=["POST"]),
        Route("/console/statistics", statistics_pages.statistics),
        Mount("/console/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static"),
    ]
