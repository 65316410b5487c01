"""A data-issue report (R8) through the console, in Chromium offline: transport reports a suspected
error in a citizen's name, civil's administrator sees it to check, is refused an answer without a
note (as by the API), answers it corrected, and transport sees the answer."""

from __future__ import annotations

from typing import Any

from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import bearer, shot, signed_in
from tests.policies.world import CITIZEN_ID


def test_a_report_travels_to_the_provider_and_back(chromium: Any, served: tuple[str, Settings]) -> None:
    url, settings = served
    user, provider = Offline(chromium, url), Offline(chromium, url)
    try:
        page = signed_in(user, url, bearer(settings, "transport"))
        page.goto(f"{url}/console/inbox")
        form = page.locator("form.report")
        form.locator("select[name=resource]").select_option("Citizen")
        form.locator("input[name=recordKey]").fill(CITIZEN_ID)
        form.locator("input[name=item]").fill("fullName")
        form.locator("input[name=description]").fill("姓名应为张三峰")
        form.locator("button").click()
        number = page.url.rsplit("=", 1)[1]
        assert f"数据问题反馈 {number} 已提交" in page.locator(".ok").inner_text()
        assert page.locator(f"#reported-{number} td.state").inner_text() == "待核实"

        desk = signed_in(provider, url, bearer(settings, "civil", "dept_admin"))
        desk.goto(f"{url}/console/inbox")
        card = desk.locator(f"#issue-{number}")
        assert f"transport 认为 Citizen 记录 {CITIZEN_ID} 的 fullName 有误：姓名应为张三峰" in card.inner_text()
        shot(desk, "inbox-data-issue")
        card.locator("button[value=CORRECTED]").click()  # no note
        assert "add a note" in desk.locator(".error").inner_text()
        card = desk.locator(f"#issue-{number}")
        card.locator("input[name=note]").fill("已按户籍档案更正")
        card.locator("button[value=CORRECTED]").click()
        assert f"数据问题反馈 {number} 已答复" in desk.locator(".ok").inner_text()
        assert desk.locator(f"#issue-{number}").count() == 0

        page.goto(f"{url}/console/inbox")
        row = page.locator(f"#reported-{number}")
        assert row.locator("td.state").inner_text() == "已更正" and "已按户籍档案更正" in row.inner_text()
        assert user.attempted == [] == provider.attempted
    finally:
        user.context.close()
        provider.context.close()
