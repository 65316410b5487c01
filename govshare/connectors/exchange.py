"""The request a source is read for, as the connectors that call other platforms pass it on.

The gateway sets :data:`CURRENT` for each operation; a connector to another govshare platform
(cascade, art. 7) sends its purpose and request id along, so that the provider decides under
the same purpose and both audit logs name the same exchange.
"""

from __future__ import annotations

import itertools
import os
from contextvars import ContextVar
from dataclasses import dataclass

PURPOSE_HEADER = "X-Purpose"
REQUEST_HEADER = "X-Request-Id"


@dataclass(frozen=True, slots=True)
class Exchange:
    request_id: str
    purpose: str | None = None

    def headers(self) -> dict[str, str]:
        sent = {REQUEST_HEADER: self.request_id}
        if self.purpose is not None:
            sent[PURPOSE_HEADER] = self.purpose
        return sent


CURRENT: ContextVar[Exchange | None] = ContextVar("govshare_exchange", default=None)


def new_request_id() -> str:
    """32 hex digits no other request has: a random half drawn once per process, and a count.
    (A UUID per request costs a system call and an object, on every request.)"""
    return _process + format(next(_count), "016x")


def _draw() -> None:
    global _process, _count
    _process, _count = os.urandom(8).hex(), itertools.count(1)


_process, _count = "", itertools.count(1)
_draw()
os.register_at_fork(after_in_child=_draw)  # a forked worker must not repeat its parent's ids


def current_headers() -> dict[str, str]:
    exchange = CURRENT.get()
    return exchange.headers() if exchange is not None else {}
