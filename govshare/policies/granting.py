"""Granting and revoking: the checks every path shares (GraphQL, CLI, workflows)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog.model import Catalog, Resource, Sharing
from govshare.errors import FORBIDDEN, GovshareError, bad_input
from govshare.filters import coerce_filter, tested_items
from govshare.identity import Caller
from govshare.policies.combined import Held, combination_problem, scope_problem, small_domain
from govshare.policies.engine import Policy
from govshare.policies.live import PolicyStore
from govshare.store import grant_rows as rows
from govshare.store.grant_rows import EFFECTS, Grant, NewGrant


def check_grant(catalog: Catalog, new: NewGrant, today: datetime.date, policy: Policy) -> None:
    """Raise BAD_USER_INPUT listing everything wrong with ``new``, judged with what ``policy`` grants already."""
    problems: list[str] = []
    resource = catalog.resources.get(new.resource)
    if new.department not in catalog.departments:
        problems.append(f"department '{new.department}' is not in the catalog")
    if resource is None:
        problems.append(f"resource '{new.resource}' is not in the catalog; resources: {', '.join(catalog.resources)}")
    elif new.department == resource.provider:
        problems.append(f"{new.department} provides {resource.name} and reads all of it already")
    if not new.items:
        problems.append("name at least one item")
    for name in new.items if resource else ():
        item = resource.items.get(name) if resource else None
        if item is None:
            problems.append(f"{new.resource} has no item '{name}'")
        elif item.sharing is Sharing.UNCONDITIONAL:
            problems.append(f"{new.resource}.{name} is shared unconditionally already; it needs no grant")
        elif item.sharing is Sharing.WITHHELD and new.origin == "application":
            problems.append(
                f"{new.resource}.{name} is withheld ({item.legal_basis}); only the authority's coordination can open it"
            )
    if not new.purposes:
        problems.append("name at least one purpose")
    problems += [f"purpose '{p}' is not in the catalog" for p in new.purposes if p not in catalog.platform.purposes]
    if new.effect not in EFFECTS:
        problems.append(f"effect '{new.effect}' is not one of {', '.join(EFFECTS)}")
    if new.valid_until is not None and new.valid_until < today:
        problems.append(f"the end date {new.valid_until} is in the past")
    if new.scope is not None and resource is not None:
        try:
            coerce_filter(resource, new.scope)
        except ValueError as exc:
            problems.append(f"the row scope is not a valid {resource.name} filter: {exc}")
    if resource is not None and not problems:
        problems += effect_problems(policy, resource, new, today)
        problems += scope_problems(policy, resource, new.department, new.scope, new.purposes, today)
    if problems:
        raise bad_input("The grant cannot be made: " + "; ".join(problems), problems=problems)


def effect_problems(policy: Policy, resource: Resource, new: NewGrant, today: datetime.date) -> list[str]:
    """What the grant's effect would reveal beyond itself, given everything the department holds."""
    problems: list[str] = []
    for name in new.items:
        owner = f"{resource.name}.{name}"
        small = small_domain(resource.items[name]) if new.effect == "verify" else None
        if small is not None:
            problems.append(f"{owner} cannot be granted verify-only: {small}; grant 'allow' or 'mask' instead")
            continue
        held = policy.holdings(new.department, resource.name, name, today)
        made = [Held(new.effect, "the grant being made", p, new.scope is not None) for p in new.purposes]
        problem = combination_problem(owner, new.department, [*held, *made])
        if problem is not None:
            problems.append(problem)
    return problems


def scope_problems(
    policy: Policy,
    resource: Resource,
    department: str,
    scope: Mapping[str, Any] | None,
    purposes: Iterable[str],
    today: datetime.date,
) -> list[str]:
    """A row scope may test only items ``department`` may read in full, under every purpose it serves."""
    problems: list[str] = []
    for tested in tested_items(scope):
        if tested not in resource.items:
            continue  # reported by the filter check
        for purpose in purposes:
            effect = policy.readable(policy.decide(department, resource.name, tested, purpose, today))
            if effect != "allow":
                problems.append(scope_problem(f"{resource.name}.{tested}", department, tested, effect, purpose))
                break
    return problems


async def add_grant(store: PolicyStore, new: NewGrant, caller: Caller) -> Grant:
    """Record ``new`` and the policy version it creates; the next request sees it."""
    today, now = clock.today(), clock.now()
    check_grant(store.catalog, new, today, store.current)

    async def write(conn: AsyncConnection) -> int:
        # Judged again under the policy lock: a grant made meanwhile elsewhere may combine with this one.
        check_grant(store.catalog, new, today, await store.policy_in(conn))
        return await rows.insert_grant(conn, new, by=caller.actor, now=now)

    reason = f"grant to {new.department} on {new.resource} ({new.origin})"
    grant_id, version = await store.change(caller.department, caller.user, reason, write)
    assert grant_id is not None
    async with store.engine.begin() as conn:
        await rows.set_policy_version(conn, grant_id, version)
    return await _get(store, grant_id)


async def revoke_grant(store: PolicyStore, grant_id: int, caller: Caller, reason: str | None) -> Grant:
    """Revoke as the authority or as an administrator of the resource's provider."""
    async with store.engine.connect() as conn:
        grant = await rows.get_grant(conn, grant_id)
    if grant is None:
        raise bad_input(f"there is no grant {grant_id}")
    resource = store.catalog.resources.get(grant.resource)
    provider = resource.provider if resource else None
    if not caller.has("authority") and not (caller.has("dept_admin") and caller.department == provider):
        raise GovshareError(
            FORBIDDEN,
            f"only the platform authority or an administrator of {provider} may revoke grant {grant_id}",
        )
    if grant.revoked_at is not None:
        raise bad_input(f"grant {grant_id} was revoked already, on {grant.revoked_at:%Y-%m-%d %H:%M} UTC")
    now = clock.now()

    async def write(conn: AsyncConnection) -> bool:
        return await rows.revoke_grant(conn, grant_id, by=caller.actor, reason=reason, now=now)

    await store.change(caller.department, caller.user, f"grant {grant_id} revoked", write)
    return await _get(store, grant_id)


async def _get(store: PolicyStore, grant_id: int) -> Grant:
    async with store.engine.connect() as conn:
        grant = await rows.get_grant(conn, grant_id)
    assert grant is not None
    return grant
