"""A year of simulated use of the demo platform, for its statistics and its yearly report.

Every operation is a real one: a GraphQL request with a signed token, sent over HTTP (in-process)
to the platform's own app, run against the demo world's databases, decided by the policy and
written to the audit log at the boundary as any request is. Only the clock is simulated: each
day's operations run at that day's office hours (``GOVSHARE_NOW``), and the audit log of the
simulation takes its times from that clock, so the statistics fall on the simulated days.
That is why a simulation runs only on a platform whose audit log is empty.

Each department has habits (the resources it reads, its purposes); on working days it reads
them, now and then applies for a conditional item it was refused and reports a suspected error,
and providers answer — mostly within the 10 working days, sometimes late, sometimes refusing
with a reason. Weekends and holidays see little traffic. The same seed gives the same year.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from govshare import clock
from govshare.app import create_app
from govshare.audit.platform import platform_log
from govshare.auth import issue_token
from govshare.catalog.model import Catalog, Resource, Sharing
from govshare.connectors.base import Select
from govshare.runtime import Runtime
from govshare.settings import Settings
from govshare.store.tables import audit_records
from govshare.workflows.calendar import add_working_days, is_working_day

Progress = Callable[[int, int, datetime.date], None]  # (days done, days in all, the day)
Who = tuple[str, str]  # (department, role)

SUBMIT = "mutation($input: ApplicationInput!) { applicationSubmit(input: $input) { id } }"
APPROVE = "mutation($id: ID!, $effect: GrantEffect!) { applicationApprove(id: $id, effect: $effect) { id } }"
REJECT = "mutation($id: ID!, $reason: String!) { applicationReject(id: $id, reason: $reason) { id } }"
REPORT = "mutation($input: DataIssueInput!) { dataIssueReport(input: $input) { id } }"
ANSWER = "mutation($id: ID!, $note: String!) { dataIssueAnswer(id: $id, verdict: CORRECTED, note: $note) { id } }"
REASONS = ("申请用途与所需数据项不符", "该数据项涉及个人隐私，现有依据不足", "请先补充业务依据后重新申请")


@dataclass(slots=True)
class Year:
    """What a simulation did."""

    days: int = 0
    operations: int = 0
    applications: int = 0
    answers: int = 0
    issues: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Habit:
    resources: list[Resource]
    purposes: list[str]


class SimulationError(Exception):
    """The platform cannot take a simulated year (its audit log already holds records, a future year)."""


async def simulate_year(
    catalog: Catalog, settings: Settings, year: int, *, per_day: int = 40, seed: int = 2026,
    progress: Progress | None = None,
) -> Year:  # fmt: skip
    """Simulate ``year`` up to yesterday (China time) on the platform of ``settings``."""
    days = _days(year)
    app = create_app(catalog, settings)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.gateway.runtime
        async with runtime.policies.engine.connect() as conn:
            if await conn.scalar(select(func.count()).select_from(audit_records)):
                raise SimulationError(
                    "the platform's audit log already holds records: a simulated year goes only into a new demo "
                    "platform (give another --dir)"
                )
        await runtime.audit.close()
        runtime.audit = platform_log(runtime.policies.engine, settings, now=clock.now)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://govshare.demo", timeout=60) as client:
            run = _Run(runtime, client, settings, random.Random(seed), per_day)
            await run.prepare()
            for n, day in enumerate(days, 1):
                await run.day(day)
                if progress is not None:
                    progress(n, len(days), day)
        run.done.days = len(days)
        return run.done


def check_year(year: int) -> None:
    """A year that can be simulated: this one (up to yesterday) or the last."""
    today = clock.today()
    if year > today.year or year < today.year - 1:
        raise SimulationError(f"a simulated year is this year or the last ({today.year - 1}, {today.year}), not {year}")
    if year == today.year and today.timetuple().tm_yday == 1:
        raise SimulationError(f"{year} has no day before today to simulate: simulate {year - 1}")


def _days(year: int) -> list[datetime.date]:
    check_year(year)
    first = datetime.date(year, 1, 1)
    last = min(datetime.date(year, 12, 31), clock.today() - datetime.timedelta(days=1))
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


@contextmanager
def _at(moment: datetime.datetime) -> Iterator[None]:
    """The platform's clock set to ``moment`` (restored after)."""
    before = os.environ.get("GOVSHARE_NOW")
    os.environ["GOVSHARE_NOW"] = moment.isoformat()
    try:
        yield
    finally:
        if before is None:
            del os.environ["GOVSHARE_NOW"]
        else:
            os.environ["GOVSHARE_NOW"] = before


class _Run:
    def __init__(
        self, runtime: Runtime, client: httpx.AsyncClient, settings: Settings, rng: random.Random, per_day: int
    ) -> None:
        self.runtime, self.client, self.settings, self.rng, self.per_day = runtime, client, settings, rng, per_day
        self.tokens: dict[tuple[str, str], str] = {}  # (department, role) → today's token
        self.catalog = runtime.catalog
        self.keys: dict[str, list[Any]] = {}
        self.habits: dict[str, _Habit] = {}
        self.asked: set[tuple[str, str, str]] = set()  # (department, resource, item) applied for
        self.due: list[tuple[datetime.date, str, dict[str, Any], Who]] = []  # answers to give
        self.done = Year()

    async def prepare(self) -> None:
        """Keys to look records up by, read from the sources; each department's habits."""
        for resource in self.catalog.resources.values():
            connector = self.runtime.connectors[resource.source]
            table = self.runtime.tables[resource.name]
            rows = await connector.select(Select(table, (table.key,), limit=300))
            self.keys[resource.name] = [r[0] for r in rows]
        purposes = sorted(self.catalog.platform.purposes)
        for department in sorted(self.catalog.departments):
            if department == self.catalog.platform.authority:
                continue
            others = [r for r in self.catalog.resources.values() if r.provider != department]
            self.habits[department] = _Habit(self.rng.sample(others, min(3, len(others))), self.rng.sample(purposes, 2))

    async def day(self, day: datetime.date) -> None:
        with _at(datetime.datetime.combine(day, datetime.time(8, 30), clock.CHINA)):
            # A working day's token, from before the first request to after the last one.
            self.tokens = {(d, role): issue_token(self.settings, d, f"{d}-{role}", [role], datetime.timedelta(hours=12))
                           for d in self.habits for role in ("member", "dept_admin")}  # fmt: skip
        working = is_working_day(day)[0]
        count = self.per_day if working else self.per_day // 10
        start = datetime.datetime.combine(day, datetime.time(9), clock.CHINA)
        # An office hour's operations run together (the audit log writes them in one commit).
        for hour in range(8):
            with _at(start + datetime.timedelta(hours=hour)):
                await asyncio.gather(*(self._read() for _ in range(count * (hour + 1) // 8 - count * hour // 8)))
        if not working:
            return
        with _at(start + datetime.timedelta(hours=8, minutes=30)):
            await self._workflows(day)

    async def _read(self) -> None:
        department = self.rng.choice(sorted(self.habits))
        habit = self.habits[department]
        resource = self.rng.choice(habit.resources)
        shown = [i for i in resource.items.values() if i.sharing is not Sharing.WITHHELD]
        items = self.rng.sample(shown, min(len(shown), self.rng.randint(2, 5)))
        fields = " ".join(dict.fromkeys([resource.key, *(i.name for i in items)]))
        if "interface" in resource.share_methods and self.keys[resource.name] and self.rng.random() < 0.6:
            key = self.rng.choice(self.keys[resource.name])
            query = f"query($k: ID!) {{ {resource.single}({resource.key}: $k) {{ {fields} }} }}"
            variables: dict[str, Any] | None = {"k": key}
        elif "query" in resource.share_methods:
            query, variables = (
                f"{{ {resource.plural}(first: {self.rng.randint(1, 20)}) {{ nodes {{ {fields} }} }} }}",
                None,
            )
        else:
            return
        await self._send(query, variables, (department, "member"), self.rng.choice(habit.purposes))

    async def _send(self, query: str, variables: dict[str, Any] | None, who: Who, purpose: str | None) -> Any:
        """The request as a department's client sends it; the value of its one root field (None if refused)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **({"X-Purpose": purpose} if purpose else {})}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = response.json()
        data = body.get("data") or {}
        outcome = "rejected" if "data" not in body else "partial" if body.get("errors") else "answered"
        self.done.operations += 1
        self.done.outcomes[outcome] = self.done.outcomes.get(outcome, 0) + 1
        return next(iter(data.values()), None)

    async def _workflows(self, day: datetime.date) -> None:
        for due in [d for d in self.due if d[0] <= day]:
            self.due.remove(due)
            _, query, variables, caller = due
            if await self._send(query, variables, caller, None) is not None:
                self.done.answers += 1
        if self.rng.random() < 0.25:
            await self._apply(day)
        if self.rng.random() < 0.08:
            await self._report(day)

    async def _apply(self, day: datetime.date) -> None:
        department = self.rng.choice(sorted(self.habits))
        habit = self.habits[department]
        resource = self.rng.choice(habit.resources)
        wanted = [i.name for i in resource.items.values() if i.sharing is Sharing.CONDITIONAL
                  and (department, resource.name, i.name) not in self.asked]  # fmt: skip
        if not wanted:
            return
        item = self.rng.choice(wanted)
        self.asked.add((department, resource.name, item))
        need = f"{self.catalog.departments[department].name}履职需要使用{resource.title}"
        asked = {"resource": resource.name, "items": [item], "purposes": habit.purposes[:1], "justification": need}
        made = await self._send(SUBMIT, {"input": asked}, (department, "member"), None)
        if made is None:
            return
        self.done.applications += 1
        provider = (resource.provider, "dept_admin")
        # Most answers within the 10 working days; one in seven late, up to 14.
        after = self.rng.randint(11, 14) if self.rng.random() < 1 / 7 else self.rng.randint(1, 10)
        if self.rng.random() < 0.75:
            answer = (APPROVE, {"id": made["id"], "effect": self.rng.choice(("MASK", "ALLOW"))})
        else:
            answer = (REJECT, {"id": made["id"], "reason": self.rng.choice(REASONS)})
        self.due.append((add_working_days(day, after).due, *answer, provider))

    async def _report(self, day: datetime.date) -> None:
        department = self.rng.choice(sorted(self.habits))
        resource = self.rng.choice(self.habits[department].resources)
        unconditional = [i.name for i in resource.items.values() if i.sharing is Sharing.UNCONDITIONAL]
        if not self.keys[resource.name] or not unconditional:
            return
        issue = {"resource": resource.name, "recordKey": str(self.rng.choice(self.keys[resource.name])),
                 "item": self.rng.choice(unconditional), "description": "与本部门掌握的情况不一致，请核实"}  # fmt: skip
        made = await self._send(REPORT, {"input": issue}, (department, "member"), None)
        if made is None:
            return
        self.done.issues += 1
        if self.rng.random() < 0.9:  # one in ten is never answered
            provider = (resource.provider, "dept_admin")
            answer = {"id": made["id"], "note": "已核实并更正"}
            self.due.append((add_working_days(day, self.rng.randint(1, 8)).due, ANSWER, answer, provider))
