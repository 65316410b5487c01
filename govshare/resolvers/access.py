"""The caller's rights in one request, applied to plans before anything is fetched.

Decisions come from the policy version in force when the request started,
once per (resource, item); a denied item is never selected from its source,
a masked one is masked before it leaves, and the row scopes of the grants an
operation relies on are pushed down with every fetch that reads those items.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govshare.catalog.model import Catalog, Item, Resource, Sharing
from govshare.errors import FORBIDDEN, FieldError, GovshareError
from govshare.filters import Filter, conjoin, scope_filter
from govshare.policies.engine import Decision, Policy
from govshare.policies.masks import mask_for
from govshare.resolvers.methods import INTERFACE, QUERY, require_method
from govshare.resolvers.plan import Level


@dataclass(slots=True)
class Access:
    catalog: Catalog
    policy: Policy
    department: str
    purpose: str
    today: datetime.date
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)
    used: set[tuple[str, str]] | None = None  # while a plan is built: the decisions it rests on
    _scopes: dict[int, Filter | None] = field(default_factory=dict)

    def decision(self, resource: Resource, item: str) -> Decision:
        key = (resource.name, item)
        if self.used is not None:
            self.used.add(key)
        found = self.decisions.get(key)
        if found is None:
            found = self.decisions[key] = self.policy.decide(
                self.department, resource.name, item, self.purpose, self.today
            )
        return found

    def require(self, resource: Resource, items: Iterable[str], use: str) -> None:
        """Filtering, ordering, grouping or joining by an item reveals it: it needs ``allow``."""
        for item in items:
            decision = self.decision(resource, item)
            if decision.effect != "allow":
                raise self.forbidden(resource, item, decision, use)

    def scope(self, resource: Resource, items: Iterable[str]) -> Filter | None:
        """The row scopes of the grants behind these items, combined."""
        scopes = []
        for item in items:
            grant = self.decision(resource, item).grant_id
            if grant is None:
                continue
            if grant not in self._scopes:
                raw = self.policy.scopes.get(grant)
                self._scopes[grant] = scope_filter(resource, raw) if raw else None
            scopes.append(self._scopes[grant])
        return conjoin(*scopes)

    def apply(self, level: Level) -> None:
        """Restrict ``level`` (and the levels below it) to what the caller may see."""
        resource = level.resource
        for item in level.fields:
            decision = self.decision(resource, item)
            if not decision.readable:
                level.denied[item] = FieldError.of(self.forbidden(resource, item, decision, "read"))
            elif decision.effect == "mask":
                level.masks[item] = mask_for(resource.items[item].mask)
        for merged, child in list(level.relations.items()):
            name = child.relation
            relation = resource.relations[name]
            target = child.resource
            try:
                if child.invalid is not None:
                    raise child.invalid
                require_method(self.catalog, target, f"the relation {resource.name}.{name}", INTERFACE, QUERY)
                self.require(resource, [relation.local], f"join through {name}")
                self.require(target, [relation.remote], f"join through {name}")
                self.require(target, sorted(child.tested), f"filter {name} by it")
                # The key only breaks ties: it orders without being revealed.
                self.require(target, [o.lstrip("-") for o in child.order if o.lstrip("-") != target.key],
                             f"order {name} by it")  # fmt: skip
            except GovshareError as exc:
                for key in child.keys:
                    level.denied[key] = FieldError.of(exc)
                del level.relations[merged]
                continue
            self.apply(child)
        level.items = {i for i in level.items if self.decision(resource, i).readable}
        level.scope = self.scope(resource, level.items | level.tested)

    def forbidden(self, resource: Resource, item: str, decision: Decision, use: str) -> GovshareError:
        spec: Item = resource.items[item]
        what = f"{resource.name}.{item} ({spec.title})"
        doing = "" if use == "read" else f" (needed to {use})"
        extensions: dict[str, Any] = {"resource": resource.name, "item": item, "sharing": spec.sharing.value}
        if decision.refusal is not None:
            extensions["refused"] = decision.basis.removeprefix("refused:")
            message = f"{what} {decision.refusal}"
        elif spec.sharing is Sharing.WITHHELD:
            extensions["legalBasis"] = spec.legal_basis
            message = (
                f"{what} is withheld from other departments{doing}: {spec.legal_basis}. "
                "Only an agreement with the provider or the platform authority's coordination decision can open it"
            )
        elif decision.effect == "verify":
            extensions["verifyWith"] = f"{resource.single}Verify"
            message = (
                f"{what} may only be verified by {self.department}, not read{doing}: "
                f"use {resource.single}Verify to check a claimed value"
            )
        elif decision.effect == "mask":
            message = f"{what} is shared with {self.department} masked only, so it cannot be used to {use}"
        else:
            extensions["condition"] = spec.condition
            extensions["apply"] = (
                f"apply to {resource.provider} for {resource.name}.{item} with purpose '{self.purpose}'; "
                "the provider answers within 10 working days"
            )
            shared = f"{what} is shared only on an approved application ({spec.condition}){doing}"
            ended = self.policy.ended(self.department, resource.name, item, self.purpose, self.today)
            day = ended.ended_by(self.today) if ended is not None else None
            if ended is None or day is None:
                message = f"{shared}; {self.department} has no active grant for it with purpose '{self.purpose}'"
            else:
                how = f"revoked by {ended.revoked_by}" if ended.revoked_on == day else "expired"
                extensions.update(endedGrant=ended.id, endedOn=day.isoformat())
                message = (
                    f"{shared}; grant {ended.id} for {self.department} with purpose '{self.purpose}' ended on "
                    f"{day.isoformat()} ({how}); to read it again, {extensions['apply']}"
                )
        return GovshareError(FORBIDDEN, message, **extensions)
