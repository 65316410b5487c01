"""The live sharing policy of one gateway process, kept in step with the platform database.

Every change (a grant added or revoked, a new catalog) writes a new policy
version in one transaction, serialised across processes. Each process
notices a newer version by polling the version number, so a change made on
one instance holds on all of them within ``poll_interval`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govshare import clock
from govshare.catalog.model import Catalog
from govshare.periodic import every
from govshare.policies.engine import GrantEnd, Policy
from govshare.policies.ruleset import digest, granted_ids, policy_lines, policy_text
from govshare.store import grant_rows as grant_rows
from govshare.store import policy_versions as versions
from govshare.store.catalogs import record_catalog, record_file_catalog
from govshare.store.database import migrate
from govshare.store.tables import grants as grants_table

log = logging.getLogger("govshare.policy")
T = TypeVar("T")


class PolicyStore:
    def __init__(self, engine: AsyncEngine, catalog: Catalog, poll_interval: float = 0.5) -> None:
        self.engine = engine
        self.catalog = catalog
        self.poll_interval = poll_interval
        self._current: Policy | None = None
        self.catalog_version = 0  # the catalog's id in the store, once started
        self._poller: asyncio.Task[None] | None = None

    @property
    def current(self) -> Policy:
        if self._current is None:
            raise RuntimeError("the policy store is not started")
        return self._current

    async def start(self, *, poll: bool = True, from_file: bool = False) -> None:
        """Load the policy in force; ``from_file``: the catalog is the file the process started with,
        published unless the one in force came from a draft since (store.catalogs)."""
        await migrate(self.engine)

        async def record(conn: AsyncConnection) -> None:
            keep = record_file_catalog if from_file else record_catalog
            self.catalog_version = await keep(conn, self.catalog, clock.now())

        await self.change("system", "govshare", f"catalog {self.catalog.digest[:12]} loaded", record)
        if poll:
            self._poller = asyncio.create_task(self._poll(), name="govshare-policy-poll")

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def change(
        self,
        department: str,
        user: str,
        reason: str,
        write: Callable[[AsyncConnection], Awaitable[T]] | None,
    ) -> tuple[T | None, int]:
        """Run ``write`` and record the resulting policy as a new version, atomically.

        A version is written only when the policy text differs from the newest one.
        Returns what ``write`` returned and the version now in force.
        """
        async with self.engine.begin() as conn:
            await versions.lock_policy(conn)
            result = await write(conn) if write is not None else None
            text = policy_text(policy_lines(self.catalog, await grant_rows.unrevoked_grants(conn)))
            latest = await versions.latest_version_id(conn)
            current = await versions.get_version(conn, latest) if latest is not None else None
            if current is not None and current.policy_digest == digest(text):
                version = current.id
            else:
                version = await versions.insert_version(
                    conn,
                    now=clock.now(),
                    department=department,
                    user=user,
                    reason=reason,
                    catalog_digest=self.catalog.digest,
                    policy_digest=digest(text),
                    policy_text=text,
                )
            self._advance(await self._policy(conn, version, text))
        return result, version

    async def policy_in(self, conn: AsyncConnection) -> Policy:
        """The policy as ``conn`` sees the grants now: inside :meth:`change`, decided under its lock."""
        text = policy_text(policy_lines(self.catalog, await grant_rows.unrevoked_grants(conn)))
        return await self._policy(conn, await versions.latest_version_id(conn) or 0, text)

    def _advance(self, policy: Policy) -> None:
        # A poll that read an older version may finish after a change: never go back.
        if self._current is None or policy.version >= self._current.version:
            self._current = policy

    async def load(self, version_id: int) -> Policy | None:
        """A stored version, e.g. the one a recorded operation ran under."""
        if self._current is not None and self._current.version == version_id:
            return self._current
        async with self.engine.connect() as conn:
            stored = await versions.get_version(conn, version_id)
            return await self._policy(conn, stored.id, stored.policy_text) if stored else None

    async def refresh(self) -> None:
        async with self.engine.connect() as conn:
            latest = await versions.latest_version_id(conn)
            if latest is None or (self._current is not None and latest == self._current.version):
                return
            stored = await versions.get_version(conn, latest)
            assert stored is not None
            self._advance(await self._policy(conn, stored.id, stored.policy_text))
        log.info("policy version %s is now in force", latest)

    async def _poll(self) -> None:
        await every(self.poll_interval, self.refresh, log, "cannot read the policy version")

    async def _policy(self, conn: AsyncConnection, version: int, text: str) -> Policy:
        named = granted_ids(text)
        scopes: dict[int, dict[str, Any] | None] = {}
        if named:
            rows = await conn.execute(
                select(grants_table.c.id, grants_table.c.scope).where(grants_table.c.id.in_(named))
            )
            scopes = {row.id: row.scope for row in rows}
        ends = tuple(
            GrantEnd(
                g.id,
                g.department,
                g.resource,
                tuple(g.items),
                tuple(g.purposes),
                g.valid_until,
                clock.as_utc(g.revoked_at).astimezone(clock.CHINA).date() if g.revoked_at is not None else None,
                g.revoked_by,
            )
            for g in await grant_rows.ending_grants(conn)
        )
        return Policy(version, text, scopes, self.catalog, ends)
