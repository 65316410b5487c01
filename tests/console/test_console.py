"""The console in Debian's Chromium, offline (only the server's own origin is reached): signing in
with a token, the catalog browser saying what the department may do with each item, and the
session's protections — an HttpOnly, SameSite=Strict cookie of at most an hour, CSRF tokens, and
form posts from other sites refused. Screenshots go to .artifacts/console/ for a person to look at."""

from __future__ import annotations

import re
from typing import Any

import httpx

from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import bearer, shot, shown_rights, signed_in
from tests.policies.world import GRANT_ADD, LEGAL_BASIS
from tests.worlds import graphql_headers, read_audit


def test_a_department_signs_in_and_sees_what_it_may_do_with_each_item(
    chromium: Any, served: tuple[str, Settings]
) -> None:
    url, settings = served
    browser = Offline(chromium, url)
    try:
        page = signed_in(browser, url, bearer(settings, "transport"))
        assert page.url == f"{url}/console/catalog"
        assert "交通运输局（transport）· transport-user · member" in page.locator("header").inner_text()
        rights = shown_rights(page, "Citizen")
        assert rights["fullName"].startswith("无条件共享")
        assert rights["phone"].startswith("有条件共享（仅限联系本人）：向民政局申请")
        assert LEGAL_BASIS in rights["record"]
        assert shown_rights(page, "Vehicle")["insurer"].startswith("本部门提供")
        shot(page, "catalog")
        # A grant shows at the next look.
        headers = graphql_headers(settings, "hub", "hub-user", ("authority",))
        grant = {"department": "transport", "resource": "Citizen", "items": ["phone"], "purposes": ["work_reference"],
                 "effect": "MASK", "reason": "联系车主"}  # fmt: skip
        added = httpx.post(f"{url}/graphql", json={"query": GRANT_ADD, "variables": {"input": grant}}, headers=headers)
        grant_id = added.json()["data"]["grantAdd"]["id"]
        page.reload()
        assert shown_rights(page, "Citizen")["phone"] == f"已获授权 {grant_id}：可读（掩码），用途 work_reference"
        # Search by title or code.
        page.fill("#q", "P002")
        page.click("form.search button")
        assert page.locator("section.resource").count() == 1 and page.locator("section#Vehicle").count() == 1
        page.fill("#q", "居民")
        page.click("form.search button")
        assert [page.locator("section.resource h2").nth(0).inner_text()][0].startswith("居民信息")
        page.fill("#q", "没有这种资源")
        page.click("form.search button")
        assert "没有找到名称或代码含“没有这种资源”的资源" in page.locator("main").inner_text()
        shot(page, "catalog-search-empty")
        page.click("text=退出 Sign out")
        assert page.url == f"{url}/console/sign-in"
        page.goto(f"{url}/console/catalog")
        assert page.url == f"{url}/console/sign-in"  # signed out: the cookie is gone
        assert browser.attempted == [] and browser.errors == []
    finally:
        browser.context.close()
    # Each page the console showed was read through the engine, and audited as the department.
    records = [r for r in read_audit(settings) if (r.detail or {}).get("channel") == "console"]
    reads = [r for r in records if r.kind == "query"]
    assert len(reads) >= 4 and {(r.department, r.outcome) for r in reads} == {("transport", "answered")}
    sessions = [(r.department, r.detail["action"]) for r in records if r.kind == "session" and r.detail]
    assert sessions == [("transport", "sign-in"), ("transport", "sign-out")]


def test_a_bad_token_is_named_on_the_sign_in_page(chromium: Any, served: tuple[str, Settings]) -> None:
    url, _ = served
    browser = Offline(chromium, url)
    try:
        page = signed_in(browser, url, "not-a-token")
        assert page.url == f"{url}/console/sign-in"
        assert "token" in page.locator(".error").inner_text().lower()
        shot(page, "sign-in-refused")
        assert browser.context.cookies() == []
    finally:
        browser.context.close()
    [refused] = [r for r in read_audit(served[1]) if r.kind == "session"]
    assert (refused.outcome, refused.error_codes, refused.department) == ("unauthenticated", ["UNAUTHENTICATED"], None)


def test_the_session_cookie_csrf_and_cross_site_posts(served: tuple[str, Settings]) -> None:
    url, settings = served
    token = bearer(settings, "civil", "dept_admin")
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        signed = client.post("/console/sign-in", data={"token": token}, headers={"Origin": url})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        max_age = re.search(r"Max-Age=(\d+)", cookie)
        assert max_age is not None and 0 < int(max_age.group(1)) <= 3600
        page = client.get("/console/catalog")
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
        assert page.status_code == 200 and csrf is not None
        # Another site's page posting the console's form: refused, and the session stays.
        evil = client.post("/console/sign-out", data={"csrf": csrf.group(1)}, headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403 and "跨站提交的表单已被拒绝" in evil.text
        no_origin = client.post("/console/sign-out", data={"csrf": csrf.group(1)})
        assert no_origin.status_code == 403
        forged = client.post("/console/sign-out", data={"csrf": "0" * 64}, headers={"Origin": url})
        assert forged.status_code == 403 and "CSRF" in forged.text
        assert client.get("/console/catalog").status_code == 200  # still signed in
        signing_in = client.post("/console/sign-in", data={"token": token}, headers={"Origin": "http://evil.example"})
        assert signing_in.status_code == 403
        out = client.post("/console/sign-out", data={"csrf": csrf.group(1)}, headers={"Origin": url})
        assert out.status_code == 303 and client.get("/console/catalog").headers["location"] == "/console/sign-in"
    # Each refused post is in the audit log, under the session it came with (if any).
    refusals = [(r.department, r.outcome, r.error_codes, (r.detail or {}).get("action"))
                for r in read_audit(settings) if r.kind == "session" and r.outcome == "rejected"]  # fmt: skip
    assert refusals == [
        ("civil", "rejected", ["FORBIDDEN"], "cross-site /console/sign-out"),
        ("civil", "rejected", ["FORBIDDEN"], "cross-site /console/sign-out"),
        ("civil", "rejected", ["FORBIDDEN"], "csrf /console/sign-out"),
        (None, "rejected", ["FORBIDDEN"], "cross-site /console/sign-in"),  # a sign-in has no session yet
    ]
