"""Whatever fails inside the server becomes INTERNAL with an error id that is in the log, and is
audited: a failure is injected at each stage of a request in a real running server."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

import pytest

from govshare.audit.log import AuditLog
from govshare.auth import TokenCache
from govshare.gateway import engine, executor, http
from govshare.resolvers import roots
from govshare.resolvers.context import RequestContext
from tests.audit.conftest import Served
from tests.boundary.conftest import LEAKS, audit_records

RESOURCES = '{ resident(residentId: "r00001") { fullName } vehicles(first: 1) { nodes { plate } } }'
WITH_TYPENAME = RESOURCES.replace("{ resident", "{ __typename resident", 1)
PLATFORM = "{ me { user } catalog { version } }"
MESSAGE = 'Traceback: File "/work/x.py", SELECT * FROM t at sqlite:///tmp/p.db via 127.0.0.1'


def _boom(*_args: Any, **_kwargs: Any) -> NoReturn:
    # What an unexpected failure might carry: none of it may reach the caller.
    raise RuntimeError(MESSAGE)


async def _aboom(*args: Any, **kwargs: Any) -> NoReturn:
    _boom(*args, **kwargs)


WHOLE_REQUEST: dict[str, tuple[Any, str]] = {
    "auth": (TokenCache, "verify"),
    "parse": (executor, "parse"),
    "serialise": (http, "serialise"),
}


def _internal(response_body: dict[str, Any], caplog: pytest.LogCaptureFixture) -> list[str]:
    """The error ids of the INTERNAL errors, each checked to be in the server log."""
    ids = [e["extensions"]["errorId"] for e in response_body["errors"] if e["extensions"]["code"] == "INTERNAL"]
    for error_id in ids:
        assert f"internal error {error_id}" in caplog.text
    return ids


@pytest.mark.parametrize(
    ("stage", "query"),
    [(s, q) for s in WHOLE_REQUEST for q in (RESOURCES, PLATFORM)],
)
def test_a_failure_outside_any_field_is_a_recorded_http_500(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stage: str, query: str
) -> None:
    caplog.set_level(logging.ERROR, logger="govshare.gateway")
    monkeypatch.setattr(*WHOLE_REQUEST[stage], _boom)
    response = served.post(query)
    monkeypatch.undo()
    assert response.status_code == 500 and "data" not in response.json()
    [error_id] = _internal(response.json(), caplog)
    assert response.json()["errors"][0]["message"] == (
        f"Internal error (id {error_id}); the operators can find it in the server log"
    )
    assert MESSAGE in caplog.text  # the operators see what happened
    assert not [leak for leak in LEAKS if leak in response.text]
    [record] = audit_records(served)
    assert (record.outcome, record.error_codes) == ("failed", ["INTERNAL"])
    assert record.detail is not None and record.detail["errorId"] == error_id
    assert record.detail["request"] == response.headers["X-Request-Id"]
    assert record.result_sha256 is None and record.query == query
    # The server goes on answering, and records that too.
    after = served.post(query)
    assert after.status_code == 200 and "errors" not in after.json(), after.text
    assert [r.outcome for r in audit_records(served)] == ["failed", "answered"]


def _fails_for_residents(original: Any) -> Any:
    def replacement(first: Any, second: Any, *args: Any) -> Any:
        # A resource (plan, fetch) or an object plan (shape) of residents.
        if (
            getattr(second, "name", None) == "Resident"
            or getattr(getattr(second, "type", None), "name", None) == "Resident"
        ):
            _boom()
        return original(first, second, *args)

    return replacement


FIELD: dict[str, tuple[Any, str]] = {
    "plan": (roots, "plan_level"),
    "fetch": (RequestContext, "select"),
    "shape": (engine.Run, "_rows"),
}


@pytest.mark.parametrize("query", [RESOURCES, WITH_TYPENAME], ids=["resources", "with-typename"])
@pytest.mark.parametrize("stage", list(FIELD))
def test_a_failure_inside_a_field_nulls_that_field_only_and_is_recorded(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, stage: str, query: str
) -> None:
    caplog.set_level(logging.ERROR, logger="govshare.gateway")
    target, name = FIELD[stage]
    monkeypatch.setattr(target, name, _fails_for_residents(getattr(target, name)))
    response = served.post(query)
    monkeypatch.undo()
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["resident"] is None and len(body["data"]["vehicles"]["nodes"]) == 1
    [error_id] = _internal(body, caplog)
    assert [e["path"] for e in body["errors"]] == [["resident"]]
    assert not [leak for leak in LEAKS if leak in response.text]
    [record] = audit_records(served)
    assert (record.outcome, record.error_codes) == ("partial", ["INTERNAL"])
    assert error_id in caplog.text


def test_an_audit_record_that_cannot_be_written_withholds_the_answer(
    served: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="govshare.gateway")
    monkeypatch.setattr(AuditLog, "append", _aboom)
    response = served.post(RESOURCES)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE" and "data" not in response.json()
    assert "could not be written" in caplog.text and not [leak for leak in LEAKS if leak in response.text]
    assert audit_records(served) == []
