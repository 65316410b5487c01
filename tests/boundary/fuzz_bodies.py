"""Malformed HTTP requests for fuzzing /graphql, sent over a plain socket.

Random bytes, truncated bodies, deep nesting in the query and in variables, huge and chunked
bodies, lying Content-Lengths, odd content types and GETs with odd parameters. Each request
is sent piece by piece and the sending stops as soon as the server answers, as a real client
whose upload is refused would.
"""

from __future__ import annotations

import json
import random
import select
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from tests.boundary.fuzz_operations import Operation

PIECE = 64 * 1024


@dataclass
class Raw:
    label: str
    head: bytes
    body: Callable[[], Iterator[bytes]]  # made anew at sending: a 256 MiB body is never held
    half_close: bool = False  # end the upload early (a body shorter than its Content-Length)


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes
    sent: int


def request(
    label: str,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None = None,
    *,
    chunks: Callable[[], Iterator[bytes]] | None = None,
    content_length: int | None = None,
    half_close: bool = False,
) -> Raw:
    lines = [f"{method} {target} HTTP/1.1", "Host: fuzz", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if chunks is not None:
        lines.append("Transfer-Encoding: chunked")
        made = chunks

        def framed() -> Iterator[bytes]:
            for chunk in made():
                yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
            yield b"0\r\n\r\n"

        pieces = framed
    else:
        data = body or b""
        lines.append(f"Content-Length: {len(data) if content_length is None else content_length}")

        def pieces() -> Iterator[bytes]:
            for start in range(0, len(data), PIECE):
                yield data[start : start + PIECE]

    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return Raw(label, head, pieces, half_close)


def send(host: str, port: int, raw: Raw, timeout: float = 60) -> Reply:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sent = 0
        try:
            sock.sendall(raw.head)
            for piece in raw.body():
                if select.select([sock], [], [], 0)[0]:
                    break  # answered already: send no more
                sock.sendall(piece)
                sent += len(piece)
            if raw.half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while chunk := sock.recv(PIECE):
                data += chunk
        except ConnectionResetError:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    content_type = next(
        (line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("content-type")), ""
    )
    return Reply(status, content_type, body, sent)


def _repeat(piece: bytes, total: int) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        for _ in range(total // len(piece)):
            yield piece

    return chunks


def malformed(count: int, seed: int, valid: Callable[[], Operation], token: str, *, huge: int) -> list[Raw]:
    """``count`` malformed requests; ``valid`` makes well-formed operations to break; ``huge`` is the
    size in bytes of the largest uploads."""
    rng = random.Random(seed)
    auth = {"Authorization": f"Bearer {token}", "X-Purpose": "work_reference"}
    json_type = {"Content-Type": "application/json"}

    def post(label: str, body: bytes, headers: dict[str, str] | None = None, **kwargs: object) -> Raw:
        merged = {**json_type, **(auth if rng.random() < 0.7 else {}), **(headers or {})}
        return request(label, "POST", "/graphql", merged, body, **kwargs)  # type: ignore[arg-type]

    def get(label: str, params: str) -> Raw:
        return request(label, "GET", f"/graphql?{params}", auth if rng.random() < 0.7 else {})

    def deep_query() -> bytes:
        n = rng.choice([50, 199, 201, 1000, 5000])
        shape = rng.choice(["{a" * n + "}" * n, "{ residents(filter: " + "{not: " * n + "{}" + "}" * n + ") { totalCount } }",
                            "{ residents(orderBy: " + "[" * n + "]" * n + ") { totalCount } }"])  # fmt: skip
        return json.dumps({"query": shape}).encode()

    def deep_variables() -> bytes:
        n = rng.choice([33, 100, 253, 255, 1023, 1025, 5000])
        nested = '{"a": ' * n + "1" + "}" * n if rng.random() < 0.5 else "[" * n + "]" * n
        return (
            b'{"query": "query Q($f: ResidentFilter) { residents(filter: $f) { totalCount } }", "variables": {"f": '
            + nested.encode()
            + b"}}"
        )

    def truncated() -> bytes:
        body = json.dumps(valid().body()).encode()
        return body[: rng.randrange(max(1, len(body)))]

    def odd_params() -> str:
        return rng.choice([
            "", "query=", "query=%7B", "variables=%7B%7D", "query=%7Bme%7Buser%7D%7D&variables=not-json",
            "query=%7Bme%7Buser%7D%7D&variables=%5B1%5D", "query=%7Bme%7Buser%7D%7D&query=%7Bx%7D",
            "query=%7Bme%7Buser%7D%7D&operationName=%00", "query=" + quote("{ me { user } }") + "&variables=" + quote('{"a": ' * 40 + "1" + "}" * 40),
            "query=" + quote("mutation { grantRevoke(id: \"1\") { id } }"), "query=%ff%fe", "%%%=%%%", "query=" + "%7B" * 3000,
            urlencode({"query": valid().query}), urlencode({"query": "{ me { user } }", "extensions": "{}"}),
        ])  # fmt: skip

    makers: list[Callable[[], Raw]] = [
        lambda: post("random bytes", rng.randbytes(rng.randrange(0, 3000))),
        lambda: post("truncated", truncated()),
        lambda: post("deep query", deep_query()),
        lambda: post("deep variables", deep_variables()),
        lambda: post("invalid utf-8", b'{"query": "{ me { user \xff\xfe } }"}'),
        lambda: post(
            "wrong shape",
            rng.choice(
                [
                    b"[]",
                    b'[{"query": "{ me { user } }"}]',
                    b'{"query": null}',
                    b'{"query": ["x"]}',
                    b'{"query": "{ me { user } }", "variables": "x"}',
                    b'{"query": "{ me { user } }", "operationName": 5}',
                    b"null",
                    b"1e400",
                    b'"query"',
                    b'{"query": "' + b"a" * 60_000 + b'"}',
                ]
            ),
        ),
        lambda: post(
            "odd content type",
            json.dumps(valid().body()).encode(),
            {
                "Content-Type": rng.choice(
                    [
                        "text/plain",
                        "application/graphql",
                        "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x",
                        "application/json; charset=latin-1",
                        "",
                    ]
                )
            },
        ),
        lambda: post("graphql body", valid().query.encode(), {"Content-Type": "application/graphql"}),
        lambda: post(
            "form body",
            urlencode({"query": valid().query}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        lambda: get("odd GET", odd_params()),
        lambda: post("huge", b"x" * rng.choice([PIECE + 1, 4 * PIECE, huge // 16])),
        lambda: post(
            "chunked",
            b"",
            chunks=_repeat(
                b'{"query": "{ me { user } }"}' if rng.random() < 0.3 else b"y" * 4096,
                rng.choice([4096, 2 * PIECE, huge // 16]),
            ),
        ),
        lambda: post(
            "lying length",
            json.dumps(valid().body()).encode(),
            content_length=rng.choice([0, 5, 10**9, 70_000]),
            half_close=True,
        ),
        lambda: post(
            "odd authorization",
            json.dumps(valid().body()).encode(),
            {
                "Authorization": rng.choice(
                    [
                        "Bearer",
                        "Bearer  ",
                        "bearer x.y.z",
                        "Bearer " + "a" * 6000,
                        "Token abc",
                        "Bearer " + token + "x",
                        "Bearer e30.e30.e30",
                    ]
                ),
                "X-Purpose": rng.choice(["work_reference", "p" * 6000, "", "未知"]),
            },
        ),
    ]
    return [rng.choice(makers)() for _ in range(count)]
