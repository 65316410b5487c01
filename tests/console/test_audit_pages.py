"""The auditor's pages in Chromium offline: transport read Citizen.phone masked under a grant the
authority then revoked; the auditor finds that read in the log by department, opens it (its
decisions), replays it — masked then, denied now, the recorded result reproduced — and verifies
the chain. A member is refused the log, by the API's own rule."""

from __future__ import annotations

from typing import Any

import httpx

from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import bearer, shot, signed_in
from tests.policies.world import GRANT_ADD, GRANT_REVOKE, PHONE_MASKED, Api
from tests.worlds import read_audit


def test_an_auditor_finds_replays_and_verifies(chromium: Any, served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(timeout=30) as http:
        api = Api(http, url, settings)
        grant = {"department": "transport", "resource": "Citizen", "items": ["phone"], "purposes": ["work_reference"],
                 "effect": "MASK", "reason": "联系车主"}  # fmt: skip
        grant_id = api.as_authority(GRANT_ADD, {"input": grant})["data"]["grantAdd"]["id"]
        assert api.phone("transport") == PHONE_MASKED
        read = read_audit(settings)[-1].seq
        api.as_authority(GRANT_REVOKE, {"id": grant_id, "reason": "已完成"})
    browser = Offline(chromium, url)
    try:
        page = signed_in(browser, url, bearer(settings, "hub", "auditor"))
        page.click("text=审计 Audit")
        page.fill("input[name=department]", "transport")
        page.click("form.filters button")
        rows = page.locator("table.log tbody tr")
        assert rows.count() >= 1 and all("transport" in rows.nth(n).inner_text() for n in range(rows.count()))
        shot(page, "audit-log")
        page.click(f"table.log a[href='/console/audit/{read}']")
        decisions = page.locator("table.decisions tbody").inner_text()
        assert "phone\tmask\tgrant:" in decisions
        page.click("a.replay")
        replayed = page.locator("section.replayed")
        assert "一致 reproduced" in replayed.inner_text()
        assert "phone\tmask\tdeny" in replayed.locator("table.changes tbody").inner_text()
        shot(page, "audit-replay")
        page.goto(f"{url}/console/audit/verify")
        assert "审计链完整" in page.locator(".ok").inner_text()
        assert browser.attempted == [] and browser.errors == []
    finally:
        browser.context.close()


def test_a_member_is_refused_the_log(served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        client.post("/console/sign-in", data={"token": bearer(settings, "transport")}, headers={"Origin": url})
        page = client.get("/console/audit")
        assert page.status_code == 403 and "auditor" in page.text
