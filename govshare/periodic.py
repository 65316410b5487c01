"""Work a process does at intervals beside its requests (following the store's policy, revocations,
catalog versions and statistics)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn


async def every(seconds: float, step: Callable[[], Awaitable[object]], log: logging.Logger, failure: str) -> NoReturn:
    """Run ``step`` every ``seconds`` until cancelled. A step that fails is logged as ``failure``
    and run again at the next turn: what it reads (the platform store) may be briefly unreachable,
    and the process keeps what it had until then."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except Exception:
            log.warning(failure, exc_info=True)
