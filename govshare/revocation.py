"""Revoked bearer tokens, as one serving process holds them: read from the platform database at
start, then every ``poll_interval`` seconds (as the policy version is), so that a `govshare token
revoke` on any machine holds on every gateway within that time. Checking a token reads memory only."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from govshare import clock
from govshare.identity import TokenError
from govshare.oidc.claims import moment
from govshare.periodic import every
from govshare.store.revocations import revoked_now

log = logging.getLogger("govshare.revocation")


class RevokedTokens:
    def __init__(self, poll_interval: float = 0.5) -> None:
        self.poll_interval = poll_interval
        self._until: dict[str, float] = {}  # jti → seconds since 1970
        self._engine: AsyncEngine | None = None
        self._poller: asyncio.Task[None] | None = None

    def check(self, jti: str | None) -> None:
        """TokenError if the token ``jti`` is revoked now."""
        until = self._until.get(jti) if jti is not None else None
        if until is not None and until > clock.now().timestamp():
            raise TokenError(f"the bearer token (jti {jti!r}) has been revoked until {moment(until)}; "
                             "use another token")  # fmt: skip

    async def start(self, engine: AsyncEngine, *, poll: bool = True) -> None:
        self._engine = engine
        await self.refresh()
        if poll:
            self._poller = asyncio.create_task(self._poll(), name="govshare-revocation-poll")

    async def refresh(self) -> None:
        if self._engine is None:
            raise RuntimeError("the revoked tokens are not started")
        async with self._engine.connect() as conn:
            found = await revoked_now(conn, clock.now())
        self._until = {jti: until.timestamp() for jti, until in found.items()}  # swapped whole: checks never wait

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def _poll(self) -> None:
        await every(self.poll_interval, self.refresh, log, "cannot read the revoked tokens")
