"""How much of the join the sharing policy costs: the same query with every decision timed."""

from __future__ import annotations

import datetime
import statistics
import time

from bench.join import TWO_LEVELS, _run
from govshare.gateway.executor import Gateway
from govshare.policies.engine import Decision, Policy


async def policy_cost(gateway: Gateway, reps: int) -> list[str]:
    """Time spent in Policy.decide per request (decisions are cached per version, so warm)."""
    spent: list[float] = []
    original = Policy.decide

    def timed_decide(
        self: Policy, department: str, resource: str, item: str, purpose: str, today: datetime.date
    ) -> Decision:
        started = time.perf_counter()
        try:
            return original(self, department, resource, item, purpose, today)
        finally:
            spent[-1] += time.perf_counter() - started

    totals: list[float] = []
    Policy.decide = timed_decide  # type: ignore[method-assign]
    try:
        for _ in range(reps + 1):
            spent.append(0.0)
            started = time.perf_counter()
            await _run(gateway, TWO_LEVELS)
            totals.append(time.perf_counter() - started)
    finally:
        Policy.decide = original  # type: ignore[method-assign]
    decisions, total = statistics.median(spent[1:]) * 1000, statistics.median(totals[1:]) * 1000
    return [
        "| policy decisions in the 2-level join | decisions (ms) | request (ms) | share |",
        "|---|---|---|---|",
        f"| warm (cached per policy version) | {decisions:.3f} | {total:.1f} | {decisions / total:.2%} |",
    ]
