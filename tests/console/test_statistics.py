"""The statistics page in Chromium offline: departments read Citizen and Vehicle over GraphQL (some
items denied, one read under a grant), the server counts the records, and the authority and
civil's administrator each find on the page the figures the audit log holds — the authority every
department's, civil its own use and the use of what it provides, nothing else. A member, and an
administrator asking for another department, get the API's refusal."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx

from govshare.audit.record import AuditRecord
from govshare.settings import Settings
from tests.browser.offline import Offline
from tests.console.conftest import all_counted, bearer, shot, signed_in
from tests.policies.world import GRANT_ADD, Api, World, phone_grant, read_query
from tests.worlds import read_audit

VEHICLE = '{ vehicle(plate: "豫B12345") { plate insurer } }'
EFFECTS = ("allow", "mask", "verify", "deny")
Table = dict[tuple[str, ...], list[int]]


def _operations(api: Api) -> str:
    """A few reads, as the departments would make them; the grant's basis."""
    for _ in range(2):
        api.post(read_query("fullName phone"), department="transport")  # phone denied: no grant yet
    grant = api.as_authority(GRANT_ADD, {"input": phone_grant("transport", ["work_reference"], effect="MASK")})
    api.post(read_query("phone"), department="transport")  # masked, under the grant
    api.post(read_query("fullName"), department="health")
    api.post(VEHICLE, department="civil")  # insurer denied
    api.post(VEHICLE, department="transport")  # its own resource: none of civil's business
    return f"grant:{grant['data']['grantAdd']['id']}"


def _expected(records: Sequence[AuditRecord], providers: dict[str, str], seen: str | None) -> dict[str, Table]:
    """The three tables as the audit log has them, for the authority (None) or one department."""
    counts: dict[str, Counter[tuple[tuple[str, ...], str]]] = {t: Counter() for t in ("resource", "item", "grant")}
    for r in records:
        for resource, item, effect, basis, *_ in r.decisions:
            user, provider = r.department or "", providers[resource]
            if seen not in (None, user, provider):
                continue
            counts["resource"][((provider, resource), effect)] += 1
            counts["item"][((resource, item, provider, user), effect)] += 1
            if basis.startswith("grant:"):
                counts["grant"][((basis, user, resource), effect)] += 1
    tables: dict[str, Table] = {}
    for name, counted in counts.items():
        keys = {key for key, _ in counted}
        rows = {key: [counted[(key, e)] for e in EFFECTS] for key in keys}
        tables[name] = {key: [*row, sum(row)] for key, row in rows.items()}
    return tables


def _shown(page: Any) -> dict[str, Table]:
    """Each table of the page: its codes (provider, resource, item, department, grant) → its counts."""
    tables: dict[str, Table] = {}
    for name in ("resource", "item", "grant"):
        rows = page.locator(f"table.by-{name} tbody tr:has(td.n)")
        tables[name] = {tuple(rows.nth(n).locator("code").all_inner_texts()):
                        [int(t) for t in rows.nth(n).locator("td.n").all_inner_texts()]
                        for n in range(rows.count())}  # fmt: skip
    return tables


def _chart(page: Any) -> dict[str, int]:
    """The chart's operations per outcome, added up over the months."""
    drawn: Counter[str] = Counter()
    bars = page.locator("figure.chart rect.bar")
    for n in range(bars.count()):
        drawn[bars.nth(n).get_attribute("data-series")] += round(float(bars.nth(n).get_attribute("data-value")))
    return {outcome: n for outcome, n in drawn.items() if n}


def _check(page: Any, settings: Settings, providers: dict[str, str], seen: str | None) -> dict[str, Table]:
    """The page's figures are the audit log's, up to the record it says it counted."""
    counted = int(page.locator("#counted").inner_text())
    records = [r for r in read_audit(settings) if r.seq <= counted]
    shown, expected = _shown(page), _expected(records, providers, seen)
    assert shown == expected
    made = Counter(r.outcome for r in records if seen in (None, r.department))
    assert _chart(page) == dict(made)
    assert page.locator("#totals").inner_text().startswith(f"共 {made.total()} 次操作")
    return shown


def test_the_authority_and_an_administrator_see_what_the_log_holds(
    chromium: Any, served: tuple[str, Settings], policyville: World
) -> None:
    url, settings = served
    providers = {name: r.provider for name, r in policyville.catalog.resources.items()}
    with httpx.Client(timeout=30) as http:
        grant = _operations(Api(http, url, settings))
    authority, admin = Offline(chromium, url), Offline(chromium, url)
    try:
        page = signed_in(authority, url, bearer(settings, "hub", "authority"))
        all_counted(settings)  # the operations above and this sign-in, before the page reads the counts
        page.click("text=统计 Statistics")
        shown = _check(page, settings, providers, None)
        assert shown["item"][("Citizen", "phone", "civil", "transport")] == [0, 1, 0, 2, 3]
        assert shown["grant"] == {(grant, "transport", "Citizen"): [0, 1, 0, 0, 1]}
        assert ("Vehicle", "insurer", "transport", "civil") in shown["item"]
        shot(page, "statistics")
        all_counted(settings)  # the page's own read
        page.select_option("select#department", "civil")
        page.click("form.pick button")
        assert "民政局 civil" in page.locator("h1").inner_text()
        _check(page, settings, providers, "civil")  # one department, as the authority chose it

        desk = signed_in(admin, url, bearer(settings, "civil", "dept_admin"))
        all_counted(settings)
        desk.click("text=统计 Statistics")
        shown = _check(desk, settings, providers, "civil")
        assert ("Citizen", "fullName", "civil", "health") in shown["item"]  # the use of what civil provides
        assert ("Vehicle", "insurer", "transport", "civil") in shown["item"]  # and its own use
        assert ("Vehicle", "insurer", "transport", "transport") not in shown["item"]
        assert desk.locator("select#department").count() == 0  # choosing a department is the authority's
        shot(desk, "statistics-department")
        assert authority.attempted == [] == admin.attempted
        assert authority.errors == [] == admin.errors
    finally:
        authority.context.close()
        admin.context.close()


def test_a_member_and_another_departments_figures_are_refused(served: tuple[str, Settings]) -> None:
    url, settings = served
    with httpx.Client(base_url=url, follow_redirects=False) as member:
        member.post("/console/sign-in", data={"token": bearer(settings, "transport")}, headers={"Origin": url})
        assert "/console/statistics" not in member.get("/console/catalog").text  # no link to it
        page = member.get("/console/statistics")
        assert page.status_code == 403 and 'role="alert">reading sharing statistics is for' in page.text
    with httpx.Client(base_url=url, follow_redirects=False) as admin:
        admin.post("/console/sign-in", data={"token": bearer(settings, "civil", "dept_admin")}, headers={"Origin": url})
        page = admin.get("/console/statistics", params={"department": "transport"})
        refusal = "a department administrator reads civil's statistics only"
        assert page.status_code == 403 and f'role="alert">{refusal}</p>' in html.unescape(page.text)
        assert admin.get("/console/statistics", params={"department": "civil"}).status_code == 200
