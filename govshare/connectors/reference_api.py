"""A reference department JSON API (the shape :class:`HttpConnector` speaks), serving
tables of a SQLite file read-only. The demo's credit department and the connector
tests run it; see docs/connectors.md for the API.

Dates are stored as SQLAlchemy writes them to SQLite ('YYYY-MM-DD' and
'YYYY-MM-DD HH:MM:SS.ffffff'); the API speaks ISO 8601.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_BODY_KEYS = frozenset({"fields", "where", "after", "limit", "count"})
_MAX_VALUES = 30_000  # stays under SQLite's 32,766 bound parameters


class BadRequest(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Collection:
    table: str
    key: str
    kinds: dict[str, str]  # column → "date" | "datetime" | "bool" | "plain"


def make_source_app(db_path: str | Path, collections: Mapping[str, str]) -> Starlette:
    """An app serving ``collections`` (table name → key column) from the SQLite file."""
    path = Path(db_path)
    schema = {name: _collection(path, name, key) for name, key in collections.items()}
    uri = path.resolve().as_uri() + "?mode=ro"

    async def health(request: Request) -> Response:
        try:
            await run_in_threadpool(_run, uri, "SELECT 1", [])
        except sqlite3.Error:
            return _json({"error": "database unavailable"}, 503)
        return _json({"status": "ok"})

    async def search(request: Request) -> Response:
        name = request.path_params["collection"]
        if name not in schema:
            return _json({"error": f"unknown collection '{name}'"}, 404)
        try:
            body = orjson.loads(await request.body())
            plan = _plan(schema[name], body)
        except orjson.JSONDecodeError:
            return _json({"error": "the body is not valid JSON"}, 400)
        except BadRequest as e:
            return _json({"error": str(e)}, 400)
        try:
            return _json(await run_in_threadpool(_answer, uri, schema[name], plan))
        except sqlite3.Error:
            return _json({"error": "database unavailable"}, 503)

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/{collection}/search", search, methods=["POST"]),
        ]
    )


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _collection(path: Path, table: str, key: str) -> Collection:
    if not path.is_file():
        raise ValueError(f"no SQLite database at {path}")
    info = _run(path.resolve().as_uri() + "?mode=ro", f"PRAGMA table_info({_quote(table)})", [])
    kinds = {str(row[1]): _kind(str(row[2])) for row in info}
    if not kinds:
        raise ValueError(f"no table '{table}' in {path.name}")
    if key not in kinds:
        raise ValueError(f"table '{table}' has no key column '{key}'")
    return Collection(table, key, kinds)


def _kind(declared: str) -> str:
    declared = declared.upper()
    if "BOOL" in declared:
        return "bool"
    if "DATETIME" in declared or "TIMESTAMP" in declared:
        return "datetime"
    return "date" if declared.startswith("DATE") else "plain"


@dataclass(frozen=True, slots=True)
class Plan:
    fields: list[str]
    where: str  # SQL condition over quoted columns with ? parameters
    params: list[Any]
    after: Any
    limit: int | None
    count: bool


def _plan(coll: Collection, body: Any) -> Plan:
    """Validate a search body and turn it into SQL pieces."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    unknown = sorted(set(body) - _BODY_KEYS)
    if unknown:
        raise BadRequest(f"unknown key '{unknown[0]}' (allowed: {', '.join(sorted(_BODY_KEYS))})")
    fields = body.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise BadRequest("'fields' must be a list of field names")
    for f in fields:
        _field(coll, f)
    where = body.get("where") or {}
    if not isinstance(where, dict):
        raise BadRequest("'where' must be an object of field → {operator: value}")
    clauses: list[str] = []
    params: list[Any] = []
    for col, cond in where.items():
        _field(coll, col)
        if not isinstance(cond, dict) or not cond:
            raise BadRequest(f"the condition on '{col}' must be an object such as {{\"eq\": value}}")
        for op, value in cond.items():
            clauses.append(_condition(coll, col, op, value, params))
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise BadRequest("'limit' must be a non-negative integer or null")
    count = body.get("count", False)
    if not isinstance(count, bool):
        raise BadRequest("'count' must be true or false")
    after = body.get("after")
    after = None if after is None else _to_db(coll, coll.key, after)
    return Plan(fields, " AND ".join(clauses) or "1", params, after, limit, count)


def _field(coll: Collection, name: str) -> None:
    if name not in coll.kinds:
        raise BadRequest(f"unknown field '{name}' (fields: {', '.join(coll.kinds)})")


def _condition(coll: Collection, col: str, op: str, value: Any, params: list[Any]) -> str:
    """``eq`` null means IS NULL; ``in`` matches any listed value (null included)."""
    column = _quote(col)
    if op == "eq":
        if value is None:
            return f"{column} IS NULL"
        params.append(_to_db(coll, col, value))
        return f"{column} = ?"
    if op == "in":
        if not isinstance(value, list):
            raise BadRequest(f"'in' on '{col}' needs a list")
        present = [_to_db(coll, col, v) for v in value if v is not None]
        if len(params) + len(present) > _MAX_VALUES:
            raise BadRequest(f"at most {_MAX_VALUES} values may be given in one request")
        params.extend(present)
        parts = [f"{column} IS NULL"] if len(present) < len(value) else []
        if present:
            parts.append(f"{column} IN ({', '.join('?' * len(present))})")
        return f"({' OR '.join(parts)})" if parts else "0"
    raise BadRequest(f"unknown operator '{op}' on '{col}' (operators: eq, in)")


def _to_db(coll: Collection, col: str, value: Any) -> Any:
    """A JSON value as stored in the column."""
    kind = coll.kinds[col]
    try:
        if kind == "date":
            return date.fromisoformat(value).isoformat()
        if kind == "datetime":
            return datetime.fromisoformat(value).strftime(_SQLITE_DATETIME)
    except (TypeError, ValueError):
        raise BadRequest(f"'{col}' needs an ISO 8601 {kind} string, got {value!r}") from None
    if kind == "bool" and not isinstance(value, bool):
        raise BadRequest(f"'{col}' needs true or false, got {value!r}")
    if isinstance(value, list | dict):
        raise BadRequest(f"'{col}' needs a single value, got {value!r}")
    return int(value) if kind == "bool" else value


def _from_db(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    return datetime.fromisoformat(value) if kind == "datetime" else value


def _answer(uri: str, coll: Collection, plan: Plan) -> dict[str, Any]:
    table = _quote(coll.table)
    with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as db:
        db.execute("BEGIN")  # items and total from one snapshot
        answer: dict[str, Any] = {"items": []}
        if plan.limit != 0:
            where, params = plan.where, list(plan.params)
            if plan.after is not None:
                where += f" AND {_quote(coll.key)} > ?"
                params.append(plan.after)
            cols = ", ".join(_quote(f) for f in plan.fields) or "1"
            sql = f"SELECT {cols} FROM {table} WHERE {where} ORDER BY {_quote(coll.key)}"
            if plan.limit is not None:
                sql += f" LIMIT {plan.limit}"
            kinds = [coll.kinds[f] for f in plan.fields]
            answer["items"] = [
                {f: _from_db(k, v) for f, k, v in zip(plan.fields, kinds, row, strict=False)}
                for row in db.execute(sql, params)
            ]
        if plan.count:
            sql = f"SELECT COUNT(*) FROM {table} WHERE {plan.where}"
            answer["total"] = db.execute(sql, plan.params).fetchone()[0]
        db.execute("ROLLBACK")
        return answer


def _run(uri: str, sql: str, params: list[Any]) -> list[Any]:
    with closing(sqlite3.connect(uri, uri=True)) as db:
        return db.execute(sql, params).fetchall()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
