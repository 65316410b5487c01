"""An API that closes a kept-alive connection just as the next request arrives on it (as a server
whose keep-alive timeout ends at that moment does): the HTTP connector tries once afresh."""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from govshare.catalog.model import ItemType
from govshare.connectors.base import Select, TableRef
from govshare.connectors.http import HttpConnector

TABLE = TableRef("people", "id", {"id": ItemType.ID, "name": ItemType.STRING})


HANDLERS: set[asyncio.Task[None]] = set()


async def _answer_once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    task = asyncio.current_task()
    assert task is not None
    HANDLERS.add(task)
    try:
        await _serve(reader, writer)
    except asyncio.IncompleteReadError:
        pass  # the client closed the connection first
    finally:  # every connection closed here, so none is left for the garbage collector to warn about
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for served in range(2):
        head = await reader.readuntil(b"\r\n\r\n")
        if served:  # the second request on this connection: closed unanswered
            return
        lines = head.split(b"\r\n")
        length = next((int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length")), 0)
        await reader.readexactly(length)
        body = orjson.dumps({"items": [{"id": "p1", "name": "张三"}]})
        # HTTP/1.1 without "Connection: close": the client keeps the connection for its next request.
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()


async def test_a_connection_the_api_closed_is_replaced_not_reported_unavailable() -> None:
    server = await asyncio.start_server(_answer_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connector = HttpConnector("people_api", f"http://127.0.0.1:{port}", timeout=5)
    try:
        for _ in range(3):
            assert await connector.select(Select(TABLE, ("id", "name"), limit=10)) == [("p1", "张三")]
    finally:
        await connector.close()
        server.close()
        await server.wait_closed()
        # The connections' handlers end once the client has closed them; wait for them here.
        await asyncio.wait_for(asyncio.gather(*HANDLERS), timeout=5)
        HANDLERS.clear()
