"""Catalog entries as platform records: a provider drafts its resource's entry, the authority publishes it.

A ``dept_admin`` of the providing department writes a draft (a new resource, a change to one of its
own, or its removal) and submits it once it passes every check: the catalog's rules on the catalog
in force with the draft in place, and the drafted table at its live source. The platform authority
then publishes it (a new catalog version, checked again against the catalog in force at that
moment) or returns it with its reasons. Publishing ends the grants of items the draft withholds or
removes, in the same policy change; a returned draft changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncConnection

from govshare import clock
from govshare.catalog import Catalog, CatalogError, Problem, parse_catalog
from govshare.catalog.changes import CatalogChanges, catalog_changes
from govshare.catalog.drafts import merged_catalog, merged_text
from govshare.connectors.base import Connector
from govshare.connectors.live_check import check_live
from govshare.errors import bad_input
from govshare.identity import Caller, require_role
from govshare.policies.live import PolicyStore
from govshare.store import draft_rows as rows
from govshare.store.catalogs import publish_catalog, published_catalog
from govshare.store.draft_rows import DRAFT, EDITABLE, PUBLISHED, RETURNED, SUBMITTED, WITHDRAWN, Draft
from govshare.workflows.catalog_impact import Impact, end_grants, impact, report_lines
from govshare.workflows.permissions import forbidden, require_authority
from govshare.workflows.requests import blank, refuse

MAX_TEXT = 200_000  # characters: far more than any one resource's entry
MAX_NAME = 128  # the store's column


@dataclass(frozen=True, slots=True)
class InForce:
    """The catalog in force (the one published last, else the one served) and its recorded version."""

    catalog: Catalog
    version: int | None


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """What publishing a draft would change, and whom it concerns; ``lines`` the report as read."""

    changes: CatalogChanges
    impact: Impact
    lines: list[str]


def draft_name(draft_id: int) -> str:
    """How problems name a draft: ``draft 12:4: …``."""
    return f"draft {draft_id}"


@functools.lru_cache(maxsize=8)
def _parsed(path: str, text: str) -> Catalog:
    # Several drafts are checked against the same version: parse it once.
    return parse_catalog(text, path)


async def in_force_on(conn: AsyncConnection, store: PolicyStore) -> InForce:
    published = await published_catalog(conn)
    if published is None:
        return InForce(store.catalog, await rows.catalog_version_of(conn, store.catalog.digest))
    if published.text == store.catalog.text:
        return InForce(store.catalog, published.version)
    return InForce(_parsed(published.path, published.text), published.version)


async def in_force(store: PolicyStore) -> InForce:
    async with store.engine.connect() as conn:
        return await in_force_on(conn, store)


def merged(catalog: Catalog, draft: Draft) -> Catalog:
    """``catalog`` with the draft in place; CatalogError with the draft's problems at its lines."""
    return merged_catalog(catalog, draft.resource, draft.text, draft_name(draft.id), department=draft.department)


async def problems(store: PolicyStore, draft: Draft, connectors: Mapping[str, Connector] | None) -> list[Problem]:
    """Everything wrong with ``draft`` against the catalog in force; with ``connectors``, at its live source too."""
    catalog = (await in_force(store)).catalog
    try:
        result = merged(catalog, draft)
    except CatalogError as exc:
        return exc.problems
    if connectors is None or draft.removes:
        return []
    return await _live(catalog, result, draft, connectors)


async def _live(current: Catalog, result: Catalog, draft: Draft, connectors: Mapping[str, Connector]) -> list[Problem]:
    """The drafted resource at its source, through the gateway's connector of that source."""
    resource = result.resources[draft.resource]
    connector = connectors.get(resource.source)
    if connector is None:
        message = (f"source '{resource.source}' is not connected to this gateway: a draft names an existing source "
                   "of the catalog (a new source is not supported)")  # fmt: skip
        return [Problem(draft_name(draft.id), 0, message, "ask the platform authority to add the source")]
    alone = replace(
        result, resources={resource.name: resource}, sources={resource.source: result.sources[resource.source]}
    )
    found = await check_live(alone, {resource.source: connector})
    located = merged_text(current, draft.resource, draft.text, draft_name(draft.id))
    return [located.locate(p, caused=False) for p in found.problems]


def _refuse_problems(draft: Draft, verb: str, found: list[Problem]) -> None:
    if found:
        refuse(f"Draft {draft.id} cannot be {verb}", [str(p) for p in found])


async def _load(store: PolicyStore, draft_id: int) -> Draft:
    async with store.engine.connect() as conn:
        found = await rows.get_draft(conn, draft_id)
    if found is None:
        refuse("Unknown catalog draft", [f"there is no catalog draft {draft_id}"])
    return found


def _require_drafter(caller: Caller, what: str, department: str) -> None:
    require_role(caller, what, "dept_admin")
    if caller.department != department:
        raise forbidden(f"{what} is for an administrator (dept_admin) of {department}, whose draft it is; "
                        f"the caller is {caller.department}")  # fmt: skip


def _require_state(draft: Draft, verb: str, states: tuple[str, ...]) -> None:
    if draft.state not in states:
        refuse(f"Draft {draft.id} cannot be {verb}",
               [f"it is {draft.state}; only a draft that is {' or '.join(states)} can be {verb}"])  # fmt: skip


def _came_first(draft_id: int) -> None:
    raise bad_input(f"catalog draft {draft_id} was changed by another step meanwhile; read it again")


async def save_draft(
    store: PolicyStore, caller: Caller, resource: str, text: str, draft_id: int | None = None
) -> Draft:
    """Write a draft of ``resource``'s entry (``text`` empty: remove it): a new one, or an editable one anew.

    It is stored whatever its problems (they show on the draft); submitting checks them.
    """
    require_role(caller, "drafting a catalog entry", "dept_admin")
    resource = resource.strip()
    if not resource or len(resource) > MAX_NAME:
        refuse("The draft cannot be saved", [f"name the resource the draft is for (at most {MAX_NAME} characters)"])
    if len(text) > MAX_TEXT:
        refuse("The draft cannot be saved", [f"the entry is longer than {MAX_TEXT} characters"])
    force = await in_force(store)
    existing = force.catalog.resources.get(resource)
    if existing is not None and existing.provider != caller.department:
        raise forbidden(f"resource {resource} is provided by {existing.provider}: only an administrator (dept_admin) "
                        f"of {existing.provider} drafts changes to it, not {caller.department}")  # fmt: skip
    now = clock.now()
    async with store.engine.begin() as conn:
        if draft_id is None:
            draft_id = await rows.insert_draft(conn, department=caller.department, resource=resource, text=text,
                                               by=caller.actor, now=now, base_version=force.version)  # fmt: skip
        else:
            draft = await rows.get_draft(conn, draft_id)
            if draft is None:
                refuse("Unknown catalog draft", [f"there is no catalog draft {draft_id}"])
            _require_drafter(caller, f"changing draft {draft_id}", draft.department)
            _require_state(draft, "changed", EDITABLE)
            if not await rows.update_text(conn, draft_id, resource=resource, text=text, now=now,
                                          base_version=force.version):  # fmt: skip
                _came_first(draft_id)
    return await _load(store, draft_id)


async def submit(
    store: PolicyStore, caller: Caller, draft_id: int, connectors: Mapping[str, Connector] | None
) -> Draft:
    """Submit a draft for the authority's review, once it has no problem (at its live source too)."""
    draft = await _load(store, draft_id)
    _require_drafter(caller, f"submitting draft {draft_id}", draft.department)
    _require_state(draft, "submitted", EDITABLE)
    _refuse_problems(draft, "submitted", await problems(store, draft, connectors))
    async with store.engine.begin() as conn:
        if not await rows.move(conn, draft_id, EDITABLE, SUBMITTED, clock.now()):
            _came_first(draft_id)
    return await _load(store, draft_id)


async def withdraw(store: PolicyStore, caller: Caller, draft_id: int) -> Draft:
    """The drafting department gives a draft up, before it is published."""
    draft = await _load(store, draft_id)
    _require_drafter(caller, f"withdrawing draft {draft_id}", draft.department)
    open_states = (DRAFT, SUBMITTED, RETURNED)
    _require_state(draft, "withdrawn", open_states)
    async with store.engine.begin() as conn:
        if not await rows.move(conn, draft_id, open_states, WITHDRAWN, clock.now()):
            _came_first(draft_id)
    return await _load(store, draft_id)


async def review(
    store: PolicyStore,
    caller: Caller,
    draft_id: int,
    *,
    approve: bool,
    reasons: str | None = None,
    connectors: Mapping[str, Connector] | None = None,
) -> Draft:
    """The authority publishes a submitted draft, or returns it to its department with the reasons."""
    require_authority(caller, "reviewing a catalog draft")
    draft = await _load(store, draft_id)
    _require_state(draft, "reviewed", (SUBMITTED,))
    now = clock.now()
    if not approve:
        if blank(reasons):
            refuse(f"Draft {draft_id} cannot be returned", ["give the reasons: what the department should change"])
        async with store.engine.begin() as conn:
            if not await rows.move(conn, draft_id, (SUBMITTED,), RETURNED, now, reasons=(reasons or "").strip(),
                                   reviewed_by=caller.actor, reviewed_at=now):  # fmt: skip
                _came_first(draft_id)
        return await _load(store, draft_id)
    if connectors is not None:  # the source may have changed since the submission
        _refuse_problems(draft, "published", await problems(store, draft, connectors))

    async def publish(conn: AsyncConnection) -> int:
        # Under the policy lock: no other publication can come between the check and the new version.
        current = (await in_force_on(conn, store)).catalog
        try:
            result = merged(current, draft)
        except CatalogError as exc:
            _refuse_problems(draft, "published", exc.problems)
            raise
        found = await impact(conn, catalog_changes(current, result), now=now)
        reason = f"catalog draft {draft_id} ({draft.resource}) published"
        await end_grants(conn, found, by=caller.actor, reason=reason, now=now)
        version = await publish_catalog(conn, result, caller.actor, now)
        if not await rows.move(conn, draft_id, (SUBMITTED,), PUBLISHED, now, published_version=version,
                               reviewed_by=caller.actor, reviewed_at=now, reasons=None):  # fmt: skip
            _came_first(draft_id)
        return version

    await store.change(caller.department, caller.user, f"catalog draft {draft_id} of {draft.resource}", publish)
    return await _load(store, draft_id)


async def change_report(store: PolicyStore, draft: Draft) -> ChangeReport:
    """What publishing ``draft`` now would change; BAD_USER_INPUT with its problems when it cannot be."""
    now = clock.now()
    async with store.engine.connect() as conn:
        current = (await in_force_on(conn, store)).catalog
        try:
            result = merged(current, draft)
        except CatalogError as exc:
            _refuse_problems(draft, "compared with the catalog in force", exc.problems)
            raise
        changes = catalog_changes(current, result)
        found = await impact(conn, changes, now=now)
    return ChangeReport(changes, found, report_lines(changes, found))


async def diff(store: PolicyStore, caller: Caller, draft_id: int) -> ChangeReport:
    """The change report of a draft, for its department and for those who oversee the platform."""
    return await change_report(store, await get(store, caller, draft_id))


def _require_visible(caller: Caller, draft: Draft) -> None:
    if not caller.oversees and caller.department != draft.department:
        raise forbidden(f"catalog draft {draft.id} is seen by {draft.department}, the authority and auditors only")


async def get(store: PolicyStore, caller: Caller, draft_id: int) -> Draft:
    draft = await _load(store, draft_id)
    _require_visible(caller, draft)
    return draft


async def find(store: PolicyStore, caller: Caller, draft_id: int) -> Draft | None:
    """Like :func:`get`, None for a draft that does not exist."""
    async with store.engine.connect() as conn:
        draft = await rows.get_draft(conn, draft_id)
    if draft is not None:
        _require_visible(caller, draft)
    return draft


async def list_drafts(store: PolicyStore, caller: Caller, state: str | None = None) -> list[Draft]:
    """Newest first: a department's own; every department's for the authority and auditors."""
    if state is not None and state not in rows.STATES:
        refuse("Unknown draft state", [f"'{state}' is not a draft state; states are {', '.join(rows.STATES)}"])
    department = None if caller.oversees else caller.department
    async with store.engine.connect() as conn:
        return await rows.list_drafts(conn, department=department, state=state)
