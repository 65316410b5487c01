"""Plans of root fields kept across requests: planned and restricted once, then reused.

A root field's plan (the levels to fetch, with the caller's denials, masks
and scopes folded in) depends on its field nodes, the department, the
purpose, the policy version and the day, and on nothing a request carries
besides. The engine hands the same field node lists to every request of a
compiled operation, so a plan is kept under their identity and reused until
the policy version (or the day) changes. The decisions a plan rests on are
replayed into each request that reuses it, for its audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from govshare.resolvers.context import RequestContext

T = TypeVar("T")
MAX_PLANS = 4096


def planned(ctx: RequestContext, nodes: object, build: Callable[[], T], *extra: Hashable) -> T:
    """The plan ``build`` makes for ``nodes`` in this request's circumstances, made once."""
    access = ctx.access()
    key = (id(nodes), access.department, access.purpose, access.policy.version, access.today, *extra)
    plans = ctx.runtime.plans
    found = plans.get(key)
    if found is not None and found[0] is nodes:  # the same list, not one reusing a freed list's id
        for decision in found[2]:
            access.decision(*decision)
        return found[1]  # type: ignore[no-any-return]
    used: set[tuple[str, str]] = set()
    access.used = used
    try:
        plan = build()
    finally:
        access.used = None
    if len(plans) >= MAX_PLANS:
        plans.clear()
    resources = ctx.catalog.resources
    plans[key] = (nodes, plan, [(resources[r], i) for r, i in sorted(used)])
    return plan
