"""Catalog drafts over GraphQL: a provider's dept_admin drafts and submits, the authority reviews.

The rules live in :mod:`govshare.workflows.catalog_drafts`; the resolvers here map arguments to
them and drafts to :class:`CatalogDraftInfo`. ``problems`` and ``report`` are worked out when
asked for, against the catalog in force at that moment.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from govshare.errors import GovshareError
from govshare.policies.live import PolicyStore
from govshare.resolvers.context import RequestContext
from govshare.store.draft_rows import PUBLISHED, WITHDRAWN, Draft
from govshare.workflows import catalog_drafts as drafts


def _store(info: strawberry.Info) -> tuple[PolicyStore, RequestContext]:
    ctx: RequestContext = info.context
    return ctx.runtime.policies, ctx


async def _problems(root: CatalogDraftInfo, info: strawberry.Info) -> list[str]:
    if root.state in (PUBLISHED, WITHDRAWN):
        return []
    store, ctx = _store(info)
    return [str(p) for p in await drafts.problems(store, root.record, ctx.runtime.connectors)]


async def _report(root: CatalogDraftInfo, info: strawberry.Info) -> list[str]:
    if root.state in (PUBLISHED, WITHDRAWN):
        return []
    store, _ = _store(info)
    try:
        return (await drafts.change_report(store, root.record)).lines
    except GovshareError:  # a draft with problems changes nothing yet; `problems` says why
        return []


@strawberry.type(name="CatalogDraft", description="A department's draft of one catalog entry, and its review.")
class CatalogDraftInfo:
    record: strawberry.Private[Draft]
    id: int
    resource: str = strawberry.field(description="The resource (GraphQL type name) the entry is for")
    department: str = strawberry.field(description="The providing department that drafts it")
    state: str = strawberry.field(description="draft, submitted, returned, published or withdrawn")
    text: str = strawberry.field(description="The resource's entry as YAML; empty: the resource is removed")
    reasons: str | None = strawberry.field(description="The authority's reasons, when it returned the draft")
    baseVersion: int | None = strawberry.field(description="The catalog version the draft was written against")
    publishedVersion: int | None = strawberry.field(description="The catalog version publishing it made")
    createdBy: str
    createdAt: datetime.datetime
    updatedAt: datetime.datetime
    reviewedBy: str | None
    reviewedAt: datetime.datetime | None
    problems: list[str] = strawberry.field(
        resolver=_problems,
        description="What blocks it, as file:line messages, against the catalog in force and the live source "
        "(none once published or withdrawn)",
    )
    report: list[str] = strawberry.field(
        resolver=_report,
        description="What publishing it now would change: grants that end first, then the catalog's changes "
        "and whom they concern (empty while the entry breaks the catalog's rules)",
    )


def draft_info(d: Draft) -> CatalogDraftInfo:
    return CatalogDraftInfo(
        record=d, id=d.id, resource=d.resource, department=d.department, state=d.state, text=d.text,
        reasons=d.reasons, baseVersion=d.base_version, publishedVersion=d.published_version, createdBy=d.created_by,
        createdAt=d.created_at, updatedAt=d.updated_at, reviewedBy=d.reviewed_by, reviewedAt=d.reviewed_at,
    )  # fmt: skip


async def _drafts(info: strawberry.Info, state: str | None = None) -> list[CatalogDraftInfo]:
    store, ctx = _store(info)
    return [draft_info(d) for d in await drafts.list_drafts(store, ctx.caller, state)]


async def _draft(info: strawberry.Info, id: int) -> CatalogDraftInfo | None:
    store, ctx = _store(info)
    found = await drafts.find(store, ctx.caller, id)
    return draft_info(found) if found is not None else None


async def _save(info: strawberry.Info, resource: str, text: str, id: int | None = None) -> CatalogDraftInfo:
    store, ctx = _store(info)
    return draft_info(await drafts.save_draft(store, ctx.caller, resource, text, id))


async def _submit(info: strawberry.Info, id: int) -> CatalogDraftInfo:
    store, ctx = _store(info)
    return draft_info(await drafts.submit(store, ctx.caller, id, ctx.runtime.connectors))


async def _withdraw(info: strawberry.Info, id: int) -> CatalogDraftInfo:
    store, ctx = _store(info)
    return draft_info(await drafts.withdraw(store, ctx.caller, id))


async def _review(info: strawberry.Info, id: int, approve: bool, reasons: str | None = None) -> CatalogDraftInfo:
    store, ctx = _store(info)
    reviewed = await drafts.review(
        store, ctx.caller, id, approve=approve, reasons=reasons, connectors=ctx.runtime.connectors
    )
    return draft_info(reviewed)


def catalog_draft_fields() -> dict[str, Any]:
    """The query fields, made anew for each schema (Strawberry binds a field to its type)."""
    return {
        "catalogDrafts": strawberry.field(
            resolver=_drafts,
            description="Catalog drafts, newest first: the department's own; all for the authority and auditors.",
        ),
        "catalogDraft": strawberry.field(resolver=_draft, description="One catalog draft, or null if none."),
    }


@strawberry.type(description="Catalog draft operations.")
class CatalogDraftMutation:
    catalogDraftSave: CatalogDraftInfo = strawberry.field(
        resolver=_save,
        description="A provider's dept_admin writes a draft of one resource's entry (YAML; empty: remove it): "
        "a new one, or (id) one still a draft or returned. Saved with its problems.",
    )
    catalogDraftSubmit: CatalogDraftInfo = strawberry.field(
        resolver=_submit,
        description="Submit a draft for the authority's review; refused with every problem "
        "(draft <id>:<line>: …) while it has any, at its live source too.",
    )
    catalogDraftWithdraw: CatalogDraftInfo = strawberry.field(
        resolver=_withdraw, description="The drafting department gives a draft up before it is published."
    )
    catalogDraftReview: CatalogDraftInfo = strawberry.field(
        resolver=_review,
        description="The authority publishes a submitted draft (a new catalog version; grants of items it withholds "
        "or removes end), or returns it with the reasons (mandatory).",
    )
