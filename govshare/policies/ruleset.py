"""The policy text of a catalog and its grants: Casbin ``p`` lines, one rule per line.

The text is the whole policy of a version, so that a recorded operation can be
decided again exactly as it was. Unscoped grants come before scoped ones, so
that when several grants give a department the same effect the unscoped one
is the one that applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from govshare.catalog.model import Catalog, Sharing
from govshare.store.grant_rows import Grant

PROVIDER = "provider"
CATALOG = "unconditional"


def grant_basis(grant_id: int) -> str:
    return f"grant:{grant_id}"


def policy_lines(catalog: Catalog, grants: Iterable[Grant]) -> list[str]:
    """Rules for every unrevoked grant; an expired one stays and stops matching after its end date."""
    lines: list[str] = []
    for resource in catalog.resources.values():
        for item in resource.items.values():
            obj = f"{resource.name}.{item.name}"
            lines.append(f"p, {resource.provider}, {obj}, *, allow, -, {PROVIDER}")
            if item.sharing is Sharing.UNCONDITIONAL:
                lines.append(f"p, *, {obj}, *, allow, -, {CATALOG}")
    usable = [g for g in grants if g.revoked_at is None and g.resource in catalog.resources]
    for grant in sorted(usable, key=lambda g: (g.scope is not None, g.id)):
        resource = catalog.resources[grant.resource]
        until = grant.valid_until.isoformat() if grant.valid_until else "-"
        for name in grant.items:
            granted = resource.items.get(name)
            if granted is None:
                continue  # the catalog no longer has it: nothing to grant
            if granted.sharing is Sharing.WITHHELD and grant.origin == "application":
                continue  # withheld since: only the authority's decision opens it now
            for purpose in grant.purposes:
                lines.append(
                    f"p, {grant.department}, {resource.name}.{name}, {purpose}, {grant.effect}, {until}, "
                    f"{grant_basis(grant.id)}"
                )
    return lines


def policy_text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def granted_ids(text: str) -> set[int]:
    """Ids of the grants whose rules a policy text holds."""
    bases = (line.rsplit(",", 1)[-1].strip() for line in text.splitlines() if line.strip())
    return {int(b.removeprefix("grant:")) for b in bases if b.startswith("grant:")}
