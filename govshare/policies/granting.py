"""Granting and revoking: the checks every path shares (GraphQL, CLI, workflows)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog.model import Catalog, Item, Resource, Sharing
from govshare.errors import FORBIDDEN, GovshareError, bad_input
from govshare.filters import coerce_filter, tested_items
from govshare.identity import Caller
from govshare.policies.combined import Held, combination_problem, scope_problem, small_domain
from govshare.policies.engine import Policy
from govshare.policies.live import PolicyStore
from govshare.store import grant_rows as rows
from govshare.store.grant_rows import EFFECTS, Grant, NewGrant
from govshare.store.shares import Share

ItemProblem = Callable[[Resource, Item], str | None]


def share_problems(
    catalog: Catalog, share: Share, today: datetime.date, policy: Policy, item_problem: ItemProblem
) -> list[str]:
    """Everything wrong with ``share`` as a grant, an application or a coordination request names it.

    ``item_problem`` judges each named item's sharing type (which differs per path); a row
    scope may test only items the department may read in full already (``policy``).
    """
    problems: list[str] = []
    resource = catalog.resources.get(share.resource)
    if share.department not in catalog.departments:
        problems.append(f"department '{share.department}' is not in the catalog")
    if resource is None:
        problems.append(f"resource '{share.resource}' is not in the catalog; resources: {', '.join(catalog.resources)}")
    elif share.department == resource.provider:
        problems.append(f"{share.department} provides {resource.name} and reads all of it already")
    if not share.items:
        problems.append("name at least one item")
    items = resource.items if resource is not None else {}
    for name in share.items if resource is not None else ():
        item = items.get(name)
        if item is None:
            problems.append(f"{share.resource} has no item '{name}'; items: {', '.join(items)}")
        elif resource is not None and (problem := item_problem(resource, item)) is not None:
            problems.append(problem)
    purposes = catalog.platform.purposes
    if not share.purposes:
        problems.append(f"name at least one purpose: {', '.join(purposes)}")
    problems += [f"purpose '{p}' is not in the catalog; purposes: {', '.join(purposes)}"
                 for p in share.purposes if p not in purposes]  # fmt: skip
    if share.valid_until is not None and share.valid_until < today:
        problems.append(f"the end date {share.valid_until} is in the past")
    if share.scope is not None and resource is not None:
        try:
            coerce_filter(resource, share.scope)
        except ValueError as exc:
            problems.append(f"the row scope is not a valid {resource.name} filter: {exc}")
        else:
            problems += scope_problems(policy, resource, share.department, share.scope, share.purposes, today)
    return problems


def grant_item_problem(origin: str) -> ItemProblem:
    """What a grant of this origin may not open: what everyone reads already; a withheld item
    only by the authority (directly or by its coordination decision)."""

    def problem(resource: Resource, item: Item) -> str | None:
        if item.sharing is Sharing.UNCONDITIONAL:
            return f"{resource.name}.{item.name} is shared unconditionally already; it needs no grant"
        if item.sharing is Sharing.WITHHELD and origin == "application":
            return (
                f"{resource.name}.{item.name} is withheld ({item.legal_basis}); "
                "only the authority's coordination can open it"
            )
        return None

    return problem


def check_grant(catalog: Catalog, new: NewGrant, today: datetime.date, policy: Policy) -> None:
    """Raise BAD_USER_INPUT listing everything wrong with ``new``, judged with what ``policy`` grants already."""
    problems = share_problems(catalog, new.share, today, policy, grant_item_problem(new.origin))
    if new.effect not in EFFECTS:
        problems.append(f"effect '{new.effect}' is not one of {', '.join(EFFECTS)}")
    resource = catalog.resources.get(new.share.resource)
    if resource is not None and not problems:
        problems += effect_problems(policy, resource, new, today)
    if problems:
        raise bad_input("The grant cannot be made: " + "; ".join(problems), problems=problems)


def effect_problems(policy: Policy, resource: Resource, new: NewGrant, today: datetime.date) -> list[str]:
    """What the grant's effect would reveal beyond itself, given everything the department holds."""
    problems: list[str] = []
    share = new.share
    for name in share.items:
        owner = f"{resource.name}.{name}"
        small = small_domain(resource.items[name]) if new.effect == "verify" else None
        if small is not None:
            problems.append(f"{owner} cannot be granted verify-only: {small}; grant 'allow' or 'mask' instead")
            continue
        held = policy.holdings(share.department, resource.name, name, today)
        made = [Held(new.effect, "the grant being made", p, share.scope is not None) for p in share.purposes]
        problem = combination_problem(owner, share.department, [*held, *made])
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

    reason = f"grant to {new.share.department} on {new.share.resource} ({new.origin})"
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
