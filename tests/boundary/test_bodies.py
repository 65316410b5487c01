"""Bodies are limited while they are read (chunked ones and lying Content-Lengths too), and
variables by depth and size before anything else; every refusal is a recorded 4xx."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from tests.audit.conftest import Served
from tests.boundary.conftest import audit_records

LIMIT = 64 * 1024


def _connect(served: Served) -> socket.socket:
    url = urlsplit(served.url)
    return socket.create_connection((url.hostname or "", url.port or 80), timeout=30)


def _response(sock: socket.socket) -> tuple[int, dict[str, object]]:
    """Status and JSON body of the HTTP/1.1 response on ``sock`` (the server closes or sends its length)."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = int(next(line.split(":")[1] for line in lines if line.lower().startswith("content-length")))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), orjson.loads(rest[:length])


def test_a_chunked_upload_is_cut_off_at_the_limit(served: Served) -> None:
    """256 MiB in chunks, without a token: answered 413 after the first 64 KiB, not read whole."""
    chunk = b"x" * 65536
    sent = 0
    with _connect(served) as sock:
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        while sent < 256 * 2**20:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status, body = _response(sock)
    assert status == 413
    assert body["errors"][0]["message"].startswith(f"The request body exceeds {LIMIT} bytes")  # type: ignore[index]
    assert sent < 64 * 2**20  # what the kernel buffers took; the server stopped reading long before
    [record] = audit_records(served)
    assert (record.outcome, record.error_codes, record.query) == ("malformed", ["BAD_USER_INPUT"], None)


@pytest.mark.parametrize(
    ("declared", "body", "status"),
    [
        (10**12, b'{"query": "{ me { user } }"}', 413),  # claims a terabyte: refused before reading
        (20, b'{"query": "{ me { user } }"}', 400),  # claims less: only that much is read (not JSON)
    ],
    ids=["too-large", "too-small"],
)
def test_a_lying_content_length_is_answered_without_reading_more(
    served: Served, declared: int, body: bytes, status: int
) -> None:
    with _connect(served) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (declared, body)
        )
        got, answer = _response(sock)
    assert got == status
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    assert [r.outcome for r in audit_records(served)] == ["malformed"]


def _nested(levels: int) -> str:
    """JSON text of a value ``levels`` deep, objects and lists in turn (written out: too deep for json.dumps)."""
    opening = "".join("[" if n % 2 else '{"a": ' for n in range(levels - 1))
    closing = "".join("]" if n % 2 else "}" for n in reversed(range(levels - 1)))
    return opening + "1" + closing


QUERY = "query Q($v: JSON) { me { user } }"


CASES = {
    "just-too-deep": ('{"v": ' + _nested(33) + "}", "nest more than 32 levels deep"),
    "very-deep": ('{"v": ' + _nested(1000) + "}", "nest more than 32 levels deep"),
    "too-many": ('{"v": [' + ",".join(["0"] * 10_000) + "]}", "more than 10000 values"),
}


@pytest.mark.parametrize(
    ("method", "case"),
    # A GET's query string is short (uvicorn's limit); one that long goes by POST.
    [(m, c) for m in ("POST", "GET") for c in CASES if (m, c) != ("GET", "too-many")],
)
def test_variables_too_deep_or_too_many_are_refused_first_and_recorded_bounded(
    served: Served, method: str, case: str
) -> None:
    text, fragment = CASES[case]
    if method == "POST":
        # No token either: variables are checked before anything else.
        response = httpx.post(
            f"{served.url}/graphql", content=text.join(['{"query": "' + QUERY + '", "variables": ', "}"])
        )
    else:
        response = httpx.get(f"{served.url}/graphql", params={"query": QUERY, "variables": text})
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and fragment in error["message"]
    [record] = audit_records(served)
    assert record.outcome == "malformed" and record.query == QUERY
    assert record.variables == {"$refused": error["message"]}


def test_variables_at_the_limits_go_on_to_be_run(served: Served) -> None:
    # 32 levels: the variables, $f, 28 × not, residentId, eq; 9,999 values in all.
    deep_filter: dict[str, object] = {"residentId": {"eq": "r00001"}}
    for _ in range(28):
        deep_filter = {"not": deep_filter}
    query = "query Q($f: ResidentFilter, $g: ResidentFilter) { a: residents(filter: $f) { totalCount } b: residents(filter: $g) { totalCount } }"
    g = {"score": {"in": [n % 100 for n in range(9_963)]}}
    response = served.post(query, variables={"f": deep_filter, "g": g})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["a"] == {"totalCount": 1}  # an even number of nots
    assert response.json()["data"]["b"]["totalCount"] > 900
    [record] = audit_records(served)
    assert record.outcome == "answered" and record.variables is not None
    assert len(record.variables["g"]["score"]["in"]) == 9_963
