"""The request a source is read for, as the connectors that call other platforms pass it on.

The gateway sets :data:`CURRENT` for each operation; a connector to another govshare platform
(cascade, art. 7) sends its purpose and request id along, so that the provider decides under
the same purpose and both audit logs name the same exchange.
"""

from __future__ import annotations

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


def current_headers() -> dict[str, str]:
    exchange = CURRENT.get()
    return exchange.headers() if exchange is not None else {}
