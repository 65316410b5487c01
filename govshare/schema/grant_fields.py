"""Grant management in GraphQL: the authority grants and revokes; departments see their grants."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from govshare import clock
from govshare.identity import require_role
from govshare.policies import granting as service
from govshare.resolvers.context import RequestContext
from govshare.store import grant_rows as rows
from govshare.store.grant_rows import Grant, NewGrant
from govshare.workflows.applications import revoke_granted
from govshare.workflows.requests import parse_id


@strawberry.enum(description="What a grant lets the department do with the items.")
class GrantEffect(Enum):
    ALLOW = "allow"
    MASK = "mask"
    VERIFY = "verify"


@strawberry.type(name="Grant", description="A department's right to conditional (or coordinated) items.")
class GrantInfo:
    id: strawberry.ID
    department: str
    resource: str
    items: list[str]
    purposes: list[str]
    effect: str
    scope: JSON | None = strawberry.field(description="Row scope, in the filter language")
    until: datetime.date | None
    origin: str = strawberry.field(description="authority | application | coordination")
    active: bool
    createdAt: datetime.datetime
    createdBy: str
    reason: str | None
    revokedAt: datetime.datetime | None
    revokedBy: str | None
    revokeReason: str | None
    policyVersion: int | None = strawberry.field(description="The policy version the grant created")


@strawberry.input(description="A direct grant by the platform authority.")
class GrantInput:
    department: str
    resource: str
    items: list[str]
    purposes: list[str]
    effect: GrantEffect
    scope: JSON | None = None
    until: datetime.date | None = None
    reason: str | None = None


def grant_info(grant: Grant) -> GrantInfo:
    return GrantInfo(
        id=strawberry.ID(str(grant.id)),
        department=grant.department,
        resource=grant.resource,
        items=list(grant.items),
        purposes=list(grant.purposes),
        effect=grant.effect,
        scope=grant.scope,  # type: ignore[arg-type]
        until=grant.valid_until,
        origin=grant.origin,
        active=grant.active_on(clock.today()),
        createdAt=grant.created_at,
        createdBy=grant.created_by,
        reason=grant.reason,
        revokedAt=grant.revoked_at,
        revokedBy=grant.revoked_by,
        revokeReason=grant.revoke_reason,
        policyVersion=grant.policy_version,
    )


async def resolve_grants(
    info: strawberry.Info, department: str | None = None, resource: str | None = None
) -> list[GrantInfo]:
    """Grants the caller may see: all for the authority and auditors, else those it holds or gives."""
    ctx: RequestContext = info.context
    store = ctx.runtime.policies
    async with store.engine.connect() as conn:
        found = await rows.list_grants(conn, department=department, resource=resource)
    caller = ctx.caller
    if not caller.oversees:
        catalog = ctx.catalog
        found = [
            g
            for g in found
            if g.department == caller.department
            or (g.resource in catalog.resources and catalog.resources[g.resource].provider == caller.department)
        ]
    return [grant_info(g) for g in found]


async def grant_add(info: strawberry.Info, input: GrantInput) -> GrantInfo:
    ctx: RequestContext = info.context
    require_role(ctx.caller, "granting directly", "authority")
    new = NewGrant(
        department=input.department,
        resource=input.resource,
        items=tuple(input.items),
        purposes=tuple(input.purposes),
        effect=input.effect.value,
        scope=input.scope,  # type: ignore[arg-type]
        valid_until=input.until,
        origin="authority",
        reason=input.reason,
    )
    grant = await service.add_grant(ctx.runtime.policies, new, ctx.caller)
    return grant_info(grant)


async def grant_revoke(info: strawberry.Info, id: strawberry.ID, reason: str | None = None) -> GrantInfo:
    ctx: RequestContext = info.context
    return grant_info(await revoke_granted(ctx.runtime.policies, ctx.caller, parse_id(id, "a grant"), reason))


@strawberry.type(description="Platform operations.")
class Mutation:
    grantAdd: GrantInfo = strawberry.field(
        resolver=grant_add, description="The authority grants items to a department directly (a new policy version)."
    )
    grantRevoke: GrantInfo = strawberry.field(
        resolver=grant_revoke, description="Revoke a grant: the authority, or an administrator of the provider."
    )
