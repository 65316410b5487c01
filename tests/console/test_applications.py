"""An application's round trip through the console, in Chromium offline: transport applies for
Citizen.phone from the catalog (the deadline shown before submitting), civil's administrator finds
it in the inbox, tries to reject it without a reason (refused, as the API refuses it), approves it
masked, transport then reads the phone masked, civil revokes the grant, and an auditor replays that
read: masked then, denied now. A civil member replaying the approve form is
refused by the same rule as the API. An applicant withdraws its application from the inbox; the
provider replaying that form first is refused by the API, and the application stays submitted."""

from __future__ import annotations

import re
from typing import Any

import httpx

from govshare import clock
from govshare.settings import Settings
from govshare.workflows.deadlines import answer_deadline
from tests.browser.offline import Offline
from tests.console.conftest import bearer, shot, signed_in
from tests.policies.world import PHONE_MASKED, Api
from tests.worlds import read_audit


def test_apply_reject_without_reason_approve_masked_and_read(chromium: Any, served: tuple[str, Settings]) -> None:
    url, settings = served
    applicant, provider = Offline(chromium, url), Offline(chromium, url)
    try:
        page = signed_in(applicant, url, bearer(settings, "transport"))
        page.locator("section#Citizen a.apply").click()
        assert page.url.endswith("/console/apply?resource=Citizen&item=phone")
        assert page.locator("#deadline").inner_text() == str(answer_deadline(clock.now()).due)
        assert page.locator("input[name=items][value=phone]").is_checked()
        page.check("input[name=purposes][value=work_reference]")
        page.fill("#justification", "联系车主处理违章")
        shot(page, "apply")
        page.click("main form button[type=submit]")
        assert "/console/inbox?submitted=" in page.url
        number = page.url.rsplit("=", 1)[1]
        assert page.locator(f"#mine-{number} td.state").inner_text() == "待答复 SUBMITTED"

        desk = signed_in(provider, url, bearer(settings, "civil", "dept_admin"))
        desk.goto(f"{url}/console/inbox")
        card = desk.locator(f"#application-{number}")
        assert "transport 申请 Citizen.phone" in card.inner_text()
        shot(desk, "inbox-to-answer")
        card.locator("form.reject button").click()  # no reason given
        assert "a refusal must give its reason" in desk.locator(".error").inner_text()
        card = desk.locator(f"#application-{number}")
        card.locator("form.approve select[name=effect]").select_option("MASK")
        card.locator("form.approve button").click()
        assert f"申请 {number} 已答复" in desk.locator(".ok").inner_text()
        assert desk.locator(f"#application-{number}").count() == 0

        page.goto(f"{url}/console/inbox")
        assert page.locator(f"#mine-{number} td.state").inner_text() == "已同意 APPROVED"
        shot(page, "inbox-own-applications")
        assert applicant.attempted == [] == provider.attempted
        # The refused rejection is answered 400 (the browser logs it); nothing else may fail.
        refusal = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        assert applicant.errors == [] and [e for e in provider.errors if e != refusal] == []
    finally:
        applicant.context.close()
        provider.context.close()
    with httpx.Client(timeout=30) as http:
        assert Api(http, url, settings).phone("transport") == PHONE_MASKED
    masked_read = read_audit(settings)[-1].seq
    # The provider revokes the grant from its inbox: the next read is refused.
    revoker = Offline(chromium, url)
    try:
        desk = signed_in(revoker, url, bearer(settings, "civil", "dept_admin"))
        desk.goto(f"{url}/console/inbox")
        row = desk.locator("table.grants").nth(1).locator("tbody tr").first
        assert "Citizen.phone" in row.inner_text() and row.locator("td.state").inner_text() == "有效"
        shot(desk, "inbox-grants")
        row.locator("input[name=reason]").fill("车主已联系完毕")
        row.locator("button").click()
        assert "已撤销" in desk.locator(".ok").inner_text()
        assert desk.locator("table.grants").nth(1).locator("td.state").first.inner_text() == "已撤销"
    finally:
        revoker.context.close()
    with httpx.Client(timeout=30) as http:
        assert Api(http, url, settings).phone("transport") is None
    # An auditor replays that read: masked then, denied now that the grant is revoked.
    auditor = Offline(chromium, url)
    try:
        desk = signed_in(auditor, url, bearer(settings, "hub", "auditor"))
        desk.goto(f"{url}/console/audit/{masked_read}?replay=1")
        replayed = desk.locator("section.replayed")
        assert "一致 reproduced" in replayed.inner_text()
        assert "phone\tmask\tdeny" in replayed.locator("table.changes tbody").inner_text()
    finally:
        auditor.context.close()


def test_a_member_replaying_the_approve_form_is_refused(served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        client.post("/console/sign-in", data={"token": bearer(settings, "transport")}, headers={"Origin": url})
        applied = client.post("/console/apply", headers={"Origin": url}, data={
            "csrf": _csrf(client.get("/console/apply").text), "resource": "Citizen", "items": "phone",
            "purposes": "work_reference", "justification": "联系车主"})  # fmt: skip
        number = applied.headers["location"].rsplit("=", 1)[1]
    with httpx.Client(base_url=url, follow_redirects=False) as member:
        member.post("/console/sign-in", data={"token": bearer(settings, "civil")}, headers={"Origin": url})
        form = {
            "csrf": _csrf(member.get("/console/inbox").text),
            "id": number,
            "decision": "approve",
            "effect": "ALLOW",
        }
        replayed = member.post("/console/inbox/answer", data=form, headers={"Origin": url})
        assert replayed.status_code == 400 and "dept_admin" in replayed.text
        cross_site = member.post("/console/inbox/answer", data=form, headers={"Origin": "http://evil.example"})
        assert cross_site.status_code == 403
        odd = member.post("/console/inbox/answer", data={**form, "id": "{x}"}, headers={"Origin": url})
        assert odd.status_code == 400 and "is not an application id" in odd.text
    with httpx.Client(timeout=30) as http:
        assert Api(http, url, settings).phone("transport") is None  # still not granted


def test_the_applicant_withdraws_and_no_other_department_may(chromium: Any, served: tuple[str, Settings]) -> None:
    url, settings = served
    browser = Offline(chromium, url)
    try:
        page = signed_in(browser, url, bearer(settings, "transport"))
        page.goto(f"{url}/console/apply?resource=Citizen&item=phone")
        page.check("input[name=purposes][value=work_reference]")
        page.fill("#justification", "联系车主处理违章")
        page.click("main form button[type=submit]")
        number = page.url.rsplit("=", 1)[1]
        row = page.locator(f"#mine-{number}")
        assert row.locator("td.state").inner_text() == "待答复 SUBMITTED"
        # civil, which provides Citizen but did not apply, replays the withdraw form with its own session.
        with httpx.Client(base_url=url, follow_redirects=False) as other:
            token = bearer(settings, "civil", "dept_admin")
            other.post("/console/sign-in", data={"token": token}, headers={"Origin": url})
            form = {"csrf": _csrf(other.get("/console/inbox").text), "id": number, "reason": "代为撤回"}
            replayed = other.post("/console/applications/withdraw", data=form, headers={"Origin": url})
            refusal = f"only transport, which applied, may withdraw application {number}"
            shown = re.search(f'class="error" role="alert">[^<]*{refusal}', replayed.text)
            assert replayed.status_code == 400 and shown
            assert f'id="application-{number}"' in replayed.text  # still there to answer
        page.reload()
        assert row.locator("td.state").inner_text() == "待答复 SUBMITTED"
        row.locator("input[name=reason]").fill("已另行联系车主")
        shot(page, "inbox-withdraw")
        row.locator("form.withdraw button").click()
        assert page.url == f"{url}/console/inbox?withdrawn={number}"
        assert f"申请 {number} 已撤回" in page.locator(".ok").inner_text()
        assert row.locator("td.state").inner_text() == "已撤回 WITHDRAWN"
        assert "transport/transport-user 撤回：已另行联系车主" in row.inner_text()
        assert row.locator("form.withdraw").count() == 0  # nothing left to withdraw
        assert browser.attempted == [] and browser.errors == []
    finally:
        browser.context.close()
    with httpx.Client(timeout=30) as http:
        mine = Api(http, url, settings).post("{ applications { id state withdrawReason } }", department="transport")
    assert {"id": number, "state": "WITHDRAWN", "withdrawReason": "已另行联系车主"} in mine["data"]["applications"]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found is not None
    return found.group(1)
