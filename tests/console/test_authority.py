"""The authority's page in Chromium offline: a coordination request (an application civil refused,
escalated by transport) decided in the console — without reasoning refused, as by the API; with
it, granted masked, and transport reads the phone masked — beside the queues, the supervision
signals and the year's use drawn as a chart. A member opening the page gets the API's refusal."""

from __future__ import annotations

from typing import Any

import httpx

from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import all_counted, bearer, shot, signed_in
from tests.policies.world import PHONE_MASKED, Api
from tests.workflows.desk import REJECT, REQUEST, SUBMIT, phone_application


def _escalated(api: Api) -> str:
    """transport applies for Citizen.phone, civil refuses, transport asks the authority to coordinate."""
    submitted = api.post(SUBMIT, {"input": phone_application()}, department="transport")
    number = submitted["data"]["applicationSubmit"]["id"]
    api.post(REJECT, {"id": number, "reason": "不符合共享条件"}, department="civil", roles=("dept_admin",))
    asked = {"input": {"application": number, "justification": "处理交通违法须联系车主"}}
    return str(api.post(REQUEST, asked, department="transport")["data"]["coordinationRequest"]["id"])


def test_the_authority_decides_a_coordination_request(chromium: Any, served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(timeout=30) as http:
        api = Api(http, url, settings)
        coordination = _escalated(api)
        assert api.phone("transport") is None
        all_counted(settings)
    browser = Offline(chromium, url)
    try:
        page = signed_in(browser, url, bearer(settings, "hub", "authority"))
        page.click("text=平台管理 Authority")
        card = page.locator(f"#coordination-{coordination}")
        assert "transport 请求 civil 的 Citizen.phone" in card.inner_text()
        chart = page.locator("figure.chart svg")
        assert chart.locator("rect.bar").count() > 0 and (chart.bounding_box() or {"height": 0})["height"] > 100
        evaluation = page.locator("table.evaluation tbody tr")
        civil = [
            evaluation.nth(n).inner_text()
            for n in range(evaluation.count())
            if "civil" in evaluation.nth(n).inner_text()
        ]
        assert civil and civil[0].split("\t")[1:3] == ["1", "1"]  # civil received and answered the application
        shot(page, "authority")
        card.locator("button[value=grant]").click()  # no reasoning
        assert "reasoning" in page.locator(".error").first.inner_text().lower()
        card = page.locator(f"#coordination-{coordination}")
        card.locator("textarea[name=reasoning]").fill("依据共享条例第十二条，限联系本人")
        card.locator("select[name=effect]").select_option("MASK")
        card.locator("button[value=grant]").click()
        assert f"协调申请 {coordination} 已决定" in page.locator(".ok").inner_text()
        assert page.locator(f"#coordination-{coordination}").count() == 0
        assert browser.attempted == []
    finally:
        browser.context.close()
    with httpx.Client(timeout=30) as http:
        assert Api(http, url, settings).phone("transport") == PHONE_MASKED


def test_a_member_is_refused_the_authoritys_page(served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        client.post("/console/sign-in", data={"token": bearer(settings, "transport")}, headers={"Origin": url})
        page = client.get("/console/authority")
        assert page.status_code == 403 and "reading supervision signals is for" in page.text
