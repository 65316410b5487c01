"""Decisions for (department, resource, item, purpose) under one policy version.

Casbin evaluates the version's rules; each decision is cached for the
version, so a request costs at most a few enforcer calls per item it touches
the first time and a dictionary lookup afterwards — never one per row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import casbin
from casbin.persist.adapter import Adapter, load_policy_line

from govshare.policies.rules import CATALOG, PROVIDER

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

    @property
    def grant_id(self) -> int | None:
        return int(self.basis.removeprefix("grant:")) if self.basis.startswith("grant:") else None

    @property
    def readable(self) -> bool:
        return self.effect in ("allow", "mask")


DENY = Decision("deny", "none")


@dataclass(slots=True)
class Policy:
    version: int
    text: str
    # Row scopes of the grants this version names, as stored (GraphQL filter JSON).
    scopes: dict[int, dict[str, Any] | None]
    _enforcer: casbin.Enforcer = field(init=False, repr=False)
    _cache: dict[tuple[str, str, str, str], Decision] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._enforcer = casbin.Enforcer(str(MODEL), VersionAdapter(self.text))

    def decide(self, department: str, resource: str, item: str, purpose: str, today: datetime.date) -> Decision:
        day = today.isoformat()
        key = (department, f"{resource}.{item}", purpose, day)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._decide(department, key[1], purpose, day)
        return found

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


__all__ = ["CATALOG", "DENY", "PROVIDER", "Decision", "Policy"]
