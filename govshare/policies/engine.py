"""Decisions for (department, resource, item, purpose) under one policy version.

Casbin evaluates the version's rules; each decision is cached for the
version, so a request costs at most a few enforcer calls per item it touches
the first time and a dictionary lookup afterwards — never one per row.

A grant's effect is then checked against what else it relies on and what else
the department holds (policies.combined): a grant whose row scope tests an item
the department may not read, or a verify grant that completes a masked one or
whose item has too small a domain, decides ``deny`` with the reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import casbin
from casbin.persist.adapter import Adapter, load_policy_line

from govshare.catalog.model import Catalog
from govshare.filters import tested_items
from govshare.policies.combined import Held, combination_problem, scope_problem, small_domain
from govshare.policies.ruleset import CATALOG, PROVIDER

MODEL = Path(__file__).with_name("model.conf")
OUTCOMES = ("allow", "mask", "verify")  # most permissive first


class VersionAdapter(Adapter):  # type: ignore[misc]
    """Loads the rules of one stored policy version into the enforcer (read-only)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def load_policy(self, model: Any) -> None:
        for line in self.text.splitlines():
            load_policy_line(line.strip(), model)


@dataclass(frozen=True, slots=True)
class Decision:
    effect: str  # allow | mask | verify | deny
    basis: str  # provider | unconditional | grant:<id> | none
    until: datetime.date | None = None  # the grant's end date, when a grant decided
    refusal: str | None = None  # why a grant that matched does not apply (a ``deny``)

    @property
    def grant_id(self) -> int | None:
        return int(self.basis.removeprefix("grant:")) if self.basis.startswith("grant:") else None

    @property
    def readable(self) -> bool:
        return self.effect in ("allow", "mask")


DENY = Decision("deny", "none")


@dataclass(frozen=True, slots=True)
class GrantEnd:
    """A grant as far as telling a department that it ended: revoked, or with an end date.

    The policy text holds unrevoked grants only; these let a refusal say which grant
    ended, when and how, instead of the message for a department that never had one.
    """

    id: int
    department: str
    resource: str
    items: tuple[str, ...]
    purposes: tuple[str, ...]
    valid_until: datetime.date | None
    revoked_on: datetime.date | None
    revoked_by: str | None

    def ended_by(self, today: datetime.date) -> datetime.date | None:
        """The day the grant ended, if it has ended by ``today`` (a grant holds through ``valid_until``)."""
        revoked = self.revoked_on if self.revoked_on is not None and self.revoked_on <= today else None
        expired = self.valid_until if self.valid_until is not None and self.valid_until < today else None
        return min((d for d in (revoked, expired) if d is not None), default=None)


@dataclass(slots=True)
class Policy:
    version: int
    text: str
    # Row scopes of the grants this version names, as stored (GraphQL filter JSON).
    scopes: dict[int, dict[str, Any] | None]
    catalog: Catalog
    # Grants that are revoked or have an end date (see GrantEnd), for refusal messages only.
    ends: tuple[GrantEnd, ...] = ()
    _enforcer: casbin.Enforcer = field(init=False, repr=False)
    _cache: dict[tuple[str, str, str, str], Decision] = field(default_factory=dict, init=False, repr=False)
    _held: dict[tuple[str, str, str], list[Held]] = field(default_factory=dict, init=False, repr=False)
    _ended: dict[tuple[str, str, str, str], GrantEnd | None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._enforcer = casbin.Enforcer(str(MODEL), VersionAdapter(self.text))

    def decide(self, department: str, resource: str, item: str, purpose: str, today: datetime.date) -> Decision:
        key = (department, f"{resource}.{item}", purpose, today.isoformat())
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._effective(department, resource, item, purpose, today, frozenset())
        return found

    def ended(self, department: str, resource: str, item: str, purpose: str, today: datetime.date) -> GrantEnd | None:
        """The grant of (department, resource, item, purpose) that ended most recently by ``today``."""
        key = (department, f"{resource}.{item}", purpose, today.isoformat())
        if key not in self._ended:
            found = [
                (ended, end.id, end)
                for end in self.ends
                if end.department == department
                and end.resource == resource
                and item in end.items
                and purpose in end.purposes
                and (ended := end.ended_by(today)) is not None
            ]
            self._ended[key] = max(found)[2] if found else None
        return self._ended[key]

    def holdings(self, department: str, resource: str, item: str, today: datetime.date) -> list[Held]:
        """Every effect ``department`` holds on the item today, under every purpose."""
        day = today.isoformat()
        key = (department, f"{resource}.{item}", day)
        found = self._held.get(key)
        if found is None:
            found = self._held[key] = []
            for purpose in self.catalog.platform.purposes:
                for effect in OUTCOMES:
                    allowed, rule = self._enforcer.enforce_ex(department, key[1], purpose, effect, day)
                    if allowed:
                        found.append(Held(effect, rule[5], purpose, self._scoped(rule[5])))
        return found

    def _effective(
        self,
        department: str,
        resource: str,
        item: str,
        purpose: str,
        today: datetime.date,
        visiting: frozenset[str],
    ) -> Decision:
        owner = f"{resource}.{item}"
        decision = self._decide(department, owner, purpose, today.isoformat())
        grant = decision.grant_id
        if grant is None:
            return decision
        problem = None
        for tested in tested_items(self.scopes.get(grant)):
            # A scope that tests the item it opens (or a cycle of grants doing so) relies on itself.
            seen = f"{resource}.{tested}"
            effect = (
                "deny"
                if seen in visiting or seen == owner
                else self.readable(self._effective(department, resource, tested, purpose, today, visiting | {owner}))
            )
            if effect != "allow":
                problem = scope_problem(owner, department, tested, effect, purpose)
                break
        if problem is None and decision.effect == "verify":
            spec = self.catalog.resources[resource].items[item]
            small = small_domain(spec)
            problem = (
                f"cannot be verify-only: {small}"
                if small
                else combination_problem(owner, department, self.holdings(department, resource, item, today))
            )
        if problem is None:
            return decision
        return Decision(
            "deny",
            f"refused:{decision.basis}",
            decision.until,
            f"is not open through {decision.basis.replace(':', ' ')}: {problem}",
        )

    def readable(self, decision: Decision) -> str:
        """``allow`` when the decision reads the item on every row; else what it does (``allow-some-rows``…).

        A row scope may test only such items: one readable on some rows would be revealed on the others.
        """
        if decision.effect == "allow" and self._scoped(decision.basis):
            return "allow-some-rows"
        return decision.effect

    def _scoped(self, basis: str) -> bool:
        return basis.startswith("grant:") and bool(self.scopes.get(int(basis.removeprefix("grant:"))))

    def _decide(self, department: str, obj: str, purpose: str, day: str) -> Decision:
        for effect in OUTCOMES:
            allowed, rule = self._enforcer.enforce_ex(department, obj, purpose, effect, day)
            if allowed:
                until, basis = rule[4], rule[5]
                return Decision(effect, basis, None if until == "-" else datetime.date.fromisoformat(until))
        return DENY

    def scope(self, decision: Decision) -> dict[str, Any] | None:
        grant = decision.grant_id
        return self.scopes.get(grant) if grant is not None else None


__all__ = ["CATALOG", "DENY", "PROVIDER", "Decision", "GrantEnd", "Policy"]
