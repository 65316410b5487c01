"""Catalog drafts as Policyville's departments send them, and the catalog the platform has published.

The new resource ``Resident`` is civil's second view of its ``citizen`` table (several resources may
read one table), so drafting it needs no table of its own; ``citizen_entry`` is Citizen's entry as
the catalog writes it, to be changed by a draft.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from govshare.catalog import Catalog, parse_catalog
from govshare.settings import Settings
from govshare.store.catalogs import Published, published_catalog
from govshare.store.database import store_engine
from tests.policies.world import catalog_text
from tests.services import run_async
from tests.workflows.desk import Desk, Who

DRAFT = (
    "id resource department state text reasons baseVersion publishedVersion createdBy createdAt updatedAt "
    "reviewedBy reviewedAt problems report"
)
SAVE = (
    "mutation($resource: String!, $text: String!, $id: Int) { catalogDraftSave(resource: $resource, text: $text, "
    f"id: $id) {{ {DRAFT} }} }}"
)
SUBMIT = f"mutation($id: Int!) {{ catalogDraftSubmit(id: $id) {{ {DRAFT} }} }}"
WITHDRAW = f"mutation($id: Int!) {{ catalogDraftWithdraw(id: $id) {{ {DRAFT} }} }}"
REVIEW = (
    "mutation($id: Int!, $approve: Boolean!, $reasons: String) { catalogDraftReview(id: $id, approve: $approve, "
    f"reasons: $reasons) {{ {DRAFT} }} }}"
)
DRAFTS = f"query($state: String) {{ catalogDrafts(state: $state) {{ {DRAFT} }} }}"
ONE_DRAFT = f"query($id: Int!) {{ catalogDraft(id: $id) {{ {DRAFT} }} }}"
GRANT_STATE = "query($id: ID!) { application(id: $id) { grant { id active revokedBy } } }"

RESIDENT = textwrap.dedent(
    """\
    code: "P001/000002"
    title: 居民姓名
    provider: civil
    category: department
    source: civil_db
    table: citizen
    key: citizenId
    update_cycle: daily
    share_methods: [interface, query]
    items:
      citizenId: {column: citizen_id, type: ID, title: 居民编号, sharing: unconditional}
      fullName: {column: full_name, type: String, title: 姓名, sharing: unconditional}
      phone: {type: String, title: 电话, sharing: conditional, condition: 仅限联系本人}
    relations:
      vehicles: {target: Vehicle, on: {citizenId: ownerId}, many: true, title: 名下车辆}
    """
)


def entry(catalog: str, resource: str) -> str:
    """The entry of ``resource`` in a catalog's text, without its name: what a draft holds."""
    lines = catalog.splitlines()
    start = lines.index(f"  {resource}:") + 1
    block: list[str] = []
    for line in lines[start:]:
        if not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block) + "\n"


def citizen_entry(directory: Path, *, phone: str = "conditional") -> str:
    return entry(catalog_text(directory, phone=phone), "Citizen")


def line_of(text: str, start: str) -> int:
    """The 1-based line of ``text`` that starts with ``start``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def save(desk: Desk, who: Who, text: str, resource: str = "Resident", **extra: Any) -> dict[str, Any]:
    saved: dict[str, Any] = desk.ok(SAVE, {"resource": resource, "text": text, **extra}, who)
    return saved


def published(settings: Settings) -> tuple[Published, Catalog] | None:
    """The catalog in force as the platform database says: the one published last, parsed."""

    async def read() -> Published | None:
        engine = store_engine(settings.effective_store_url)
        try:
            async with engine.connect() as conn:
                return await published_catalog(conn)
        finally:
            await engine.dispose()

    found = run_async(read)
    return (found, parse_catalog(found.text, found.path)) if found is not None else None
