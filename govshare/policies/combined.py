"""What a department can learn of an item from everything it holds, whatever purpose it declares.

Purpose is declared by the caller, so a department's knowledge of an item is the union of the
effects it holds under all its purposes (DESIGN §5). Two combinations reveal more than their
strongest part, and are refused when granted and when decided:

- a masked value (138****5678) and the right to verify guesses (``verify``) under another
  purpose: the hidden digits are found by checking the ~10⁴ candidates;
- a row scope that tests an item the department may not read: the rows it lets through say
  the item's value (a scope ``criminalRecord isNull: false`` lists exactly those with a record).

Verification is refused as well on items whose domain is too small to hide (Boolean items and
items with a catalog code set): checking every value reveals it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govshare.catalog.model import Item, ItemType


@dataclass(frozen=True, slots=True)
class Held:
    """One effect a department holds on an item, under one purpose (or all, for ``*`` rules)."""

    effect: str  # allow | mask | verify
    basis: str  # provider | unconditional | grant:<id> | the grant being made
    purpose: str
    scoped: bool  # only some rows

    def describe(self) -> str:
        where = " on some rows" if self.scoped else ""
        return f"{self.effect}{where} ({self.basis.replace(':', ' ')}, purpose {self.purpose})"


def reveals_more(held: Iterable[Held]) -> tuple[Held, Held] | None:
    """The masked and the verify holding that together give the whole value, if both are held.

    An unscoped ``allow`` gives the whole value already: then no combination exceeds it.
    """
    holdings = list(held)
    if any(h.effect == "allow" and not h.scoped for h in holdings):
        return None
    masked = next((h for h in holdings if h.effect == "mask"), None)
    verified = next((h for h in holdings if h.effect == "verify"), None)
    return (masked, verified) if masked is not None and verified is not None else None


def combination_problem(owner: str, department: str, held: Iterable[Held]) -> str | None:
    """Why these holdings of ``owner`` (Resource.item) may not stand together, or None."""
    pair = reveals_more(held)
    if pair is None:
        return None
    masked, verified = pair
    return (
        f"{department} would hold {owner} masked — {masked.describe()} — and verify-only — {verified.describe()}: "
        "the masked part narrows the value to a few thousand candidates and verification checks them, so together "
        "they give the whole value; grant 'allow' if the whole value is meant to be shared, or end the other grant"
    )


def small_domain(item: Item) -> str | None:
    """Why ``item`` cannot be verify-only, when its domain is too small to hide a value."""
    if item.type is ItemType.BOOLEAN:
        return "it is a Boolean, so two checks reveal it"
    if item.values is not None:
        return f"its catalog code set has {len(item.values)} values, so checking each reveals it"
    return None


def scope_problem(owner: str, department: str, item: str, effect: str, purpose: str) -> str:
    """Why a row scope may not test ``item``, which ``department`` itself may only ``effect``."""
    held = {"deny": "may not read", "allow-some-rows": "may read on some rows only"}.get(effect, f"may only {effect}")
    return (
        f"the row scope tests {owner.split('.')[0]}.{item}, which {department} {held} (purpose {purpose}): "
        "the rows a scope lets through would reveal that item, so a scope may only test items the department "
        "may read in full ('allow'); scope by another item"
    )
