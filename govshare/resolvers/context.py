"""Per-catalog runtime and per-request state handed to every resolver."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from govshare import clock
from govshare.audit.read import Visibility
from govshare.audit.report import ReplayReport
from govshare.catalog.model import Catalog, Resource
from govshare.connectors import completion
from govshare.connectors.base import (
    Aggregate,
    Connector,
    Count,
    CsvBatch,
    CsvChunk,
    Group,
    Joined,
    Select,
    SourceUnavailable,
)
from govshare.errors import (
    PURPOSE_REQUIRED,
    QUERY_TOO_COMPLEX,
    SOURCE_UNAVAILABLE,
    UNKNOWN_PURPOSE,
    GovshareError,
)
from govshare.identity import Caller
from govshare.policies.engine import Policy
from govshare.resolvers.access import Access
from govshare.runtime import Runtime

T = TypeVar("T")
Replayer = Callable[[int, Visibility], Awaitable[ReplayReport]]


@dataclass(slots=True)
class SourceStats:
    statements: int = 0
    rows: int = 0


@dataclass(slots=True)
class RequestContext:
    runtime: Runtime
    caller: Caller
    purpose: str | None = None
    # The policy version in force when the request started decides all of it (a replay
    # passes the recorded version and day instead).
    policy: Policy | None = None
    today: datetime.date | None = None
    # Replays a recorded operation through the executor running this request (auditors' replay).
    replay: Replayer | None = None
    metered: bool = True  # verification checks count against quotas (not when an auditor replays them)
    verify_checks: int | None = None  # verification checks the operation asks for, counted at the first
    # The operation has one root field: nothing else can join its loads, which skip the batching.
    lone_root: bool = False
    stats: dict[str, SourceStats] = field(default_factory=dict)
    loaders: dict[Hashable, Any] = field(default_factory=dict)  # never shared across requests
    _access: Access | None = None

    def __post_init__(self) -> None:
        if self.policy is None:
            self.policy = self.runtime.policies.current

    def access(self) -> Access:
        """The caller's rights for this request's purpose (which must be valid, R7)."""
        if self._access is None:
            assert self.policy is not None
            today = self.today or clock.today()
            self._access = Access(self.catalog, self.policy, self.caller.department, self.require_purpose(), today)
        return self._access

    def decisions(self) -> list[list[str]]:
        """[resource, item, effect, basis] for every item this request decided."""
        if self._access is None:
            return []
        return [[r, i, d.effect, d.basis] for (r, i), d in sorted(self._access.decisions.items())]

    @property
    def catalog(self) -> Catalog:
        return self.runtime.catalog

    def require_purpose(self) -> str:
        """Every read of resource data states a purpose from the catalog (R7)."""
        purposes = self.catalog.platform.purposes
        if not self.purpose:
            raise GovshareError(
                PURPOSE_REQUIRED,
                "Reading resource data needs the X-Purpose header naming one of: " + ", ".join(purposes),
            )
        if self.purpose not in purposes:
            # Echo a short prefix only: the header is the caller's, of any length.
            shown = self.purpose if len(self.purpose) <= 40 else self.purpose[:40] + f"… ({len(self.purpose)} chars)"
            raise GovshareError(
                UNKNOWN_PURPOSE,
                f"X-Purpose '{shown}' is not a purpose of this platform; use one of: " + ", ".join(purposes),
                purposes=list(purposes),
            )
        return self.purpose

    async def select(self, resource: Resource, request: Select) -> list[tuple[Any, ...]]:
        if self._connector(resource).capabilities.decline(request):
            fetched, rows = await self._complete(resource, request)
            return completion.selected(request, fetched, rows)
        return await self._fetch(resource, request)

    async def _fetch(self, resource: Resource, request: Select) -> list[tuple[Any, ...]]:
        rows = await self._run(resource, self._connector(resource).select(request))
        self.stats[resource.source].rows += len(rows)
        return rows

    def joins_declined(self, resource: Resource, request: Joined) -> bool:
        """Whether the source of ``resource`` cannot run ``request`` as one statement."""
        return self._connector(resource).capabilities.decline(request) is not None

    async def select_joined(
        self, resource: Resource, request: Joined
    ) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
        """Rows of two levels of one source (see ``joins_declined``): one statement, counted once."""
        found = await self._run(resource, self._connector(resource).select_joined(request))
        self.stats[resource.source].rows += len(found) + sum(len(rows) for _, rows in found)
        return found

    async def export_csv(self, resource: Resource, request: CsvBatch) -> CsvChunk | None:
        """A batch written as CSV by the source (its ``csv_export``), its statements counted; None
        when the source cannot write these columns so."""
        try:
            written = await self._connector(resource).export_csv(request)
        except SourceUnavailable as exc:
            raise source_unavailable(resource, exc.reason) from None
        if written is not None:
            stats = self.stats.setdefault(resource.source, SourceStats())
            stats.statements += written.statements
            stats.rows += written.rows
        return written

    async def count(self, resource: Resource, request: Count) -> int:
        connector = self._connector(resource)
        if connector.capabilities.decline(request):
            return completion.counted(request, *await self._complete(resource, request))
        return await self._run(resource, connector.count(request))

    async def aggregate(self, resource: Resource, request: Aggregate) -> list[Group]:
        connector = self._connector(resource)
        if connector.capabilities.decline(request):
            return completion.grouped(request, *await self._complete(resource, request))
        return await self._run(resource, connector.aggregate(request))

    def _connector(self, resource: Resource) -> Connector:
        return self.runtime.connectors[resource.source]

    async def _complete(
        self, resource: Resource, request: Select | Count | Aggregate
    ) -> tuple[Select, list[tuple[Any, ...]]]:
        """The rows the gateway evaluates what the source declines over: one statement, bounded."""
        capabilities = self._connector(resource).capabilities
        bound = self.runtime.settings.max_evaluated_rows
        fetch = completion.source_request(capabilities, request, bound)
        rows = await self._fetch(resource, fetch)  # what the source accepts, by construction
        if len(rows) > bound:
            reason = capabilities.decline(request)
            raise GovshareError(
                QUERY_TOO_COMPLEX,
                f"{resource.name} comes from source '{resource.source}', which does not support {reason}; "
                f"the gateway evaluates that itself over at most {bound} rows (max_evaluated_rows), and more "
                "rows match the part of the request the source evaluates; narrow the filter with eq/in "
                "conditions (on the key, for instance) so that fewer rows remain",
                resource=resource.name,
                bound=bound,
            )
        return fetch, rows

    async def _run(self, resource: Resource, call: Awaitable[T]) -> T:
        """One statement at the source, counted; a source failure becomes SOURCE_UNAVAILABLE."""
        source = resource.source
        self.stats.setdefault(source, SourceStats()).statements += 1
        # Connectors keep their own statement timeouts (and report them as SourceUnavailable);
        # the request as a whole has the gateway's timeout.
        try:
            return await call
        except SourceUnavailable as exc:
            raise source_unavailable(resource, exc.reason) from None


def source_unavailable(resource: Resource, reason: str) -> GovshareError:
    return GovshareError(
        SOURCE_UNAVAILABLE,
        f"The data source of {resource.name} (provider '{resource.provider}') is unavailable: {reason}",
        resource=resource.name,
        source=resource.source,
    )
