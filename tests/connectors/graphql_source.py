"""A small GraphQL source in the style of Hasura, serving the conformance table of a SQLite file.

Tests of the ``graphql`` connector serve it with tests.services.serve_app. Filters,
ordering and paging are SQL on the file (SQLAlchemy Core, bound parameters), so NULLs
follow SQL's three-valued logic and strings compare in byte order; ordering defaults
are PostgreSQL's (``asc`` puts NULLs last, ``desc`` first), as Hasura on PostgreSQL.
"""

from __future__ import annotations

import operator
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Generic, NewType, TypeVar

import sqlalchemy as sa
import strawberry
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import ScalarDefinition

UNSET: Any = strawberry.UNSET
# The conftest table's columns, typed as SQLAlchemy wrote them: the types turn stored text and 0/1
# back into dates and booleans, and bound values into the stored form.
_TYPES = {"id": sa.String, "name": sa.String, "n": sa.BigInteger, "x": sa.Double}
_TYPES |= {"flag": sa.Boolean, "day": sa.Date, "at": sa.DateTime}
COLUMNS = tuple(_TYPES)

# ---------------------------------------------------------------- scalars

Long = NewType("Long", int)


def _long(value: object) -> int:
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    raise ValueError(f"Long needs a 64-bit integer, got {value!r}")


def _iso(pattern: str, parse: Callable[[str], Any], example: str) -> Callable[[object], Any]:
    """A strict parser: fromisoformat alone also takes week dates, zones and other shapes."""
    shape = re.compile(pattern)

    def parse_value(value: object) -> Any:
        if isinstance(value, str) and shape.fullmatch(value):
            try:
                return parse(value)
            except ValueError:
                pass
        raise ValueError(f"expected an ISO 8601 value such as {example!r}, got {value!r}")

    return parse_value


_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long", description="A 64-bit integer, as a JSON number.", serialize=_long, parse_value=_long
    ),
    date: strawberry.scalar(
        name="Date",
        description='ISO 8601 date, "2024-03-05".',
        serialize=date.isoformat,
        parse_value=_iso(_DATE, date.fromisoformat, "2024-03-05"),
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description='ISO 8601 date and time without zone, "2024-03-01T08:30:00.125001".',
        serialize=datetime.isoformat,
        parse_value=_iso(
            _DATE + r"T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?", datetime.fromisoformat, "2024-03-01T08:30:00.125001"
        ),
    ),
}

# ---------------------------------------------------------------- schema

T = TypeVar("T")


@strawberry.input
class _Comparison(Generic[T]):
    # UNSET marks an absent operator; None is an explicit null, which is refused.
    _eq: T | None = UNSET
    _neq: T | None = UNSET
    _in: list[T] | None = UNSET
    _nin: list[T] | None = UNSET
    _lt: T | None = UNSET
    _lte: T | None = UNSET
    _gt: T | None = UNSET
    _gte: T | None = UNSET
    _is_null: bool | None = UNSET


@strawberry.input(name="ID_comparison_exp")
class IdComparison(_Comparison[strawberry.ID]): ...


@strawberry.input(name="String_comparison_exp")
class StringComparison(_Comparison[str]): ...


@strawberry.input(name="Long_comparison_exp")
class LongComparison(_Comparison[Long]): ...


@strawberry.input(name="Float_comparison_exp")
class FloatComparison(_Comparison[float]): ...


@strawberry.input(name="Date_comparison_exp")
class DateComparison(_Comparison[date]): ...


@strawberry.input(name="DateTime_comparison_exp")
class DateTimeComparison(_Comparison[datetime]): ...


@strawberry.input(name="Boolean_comparison_exp")
class BooleanComparison:
    _eq: bool | None = UNSET
    _neq: bool | None = UNSET
    _in: list[bool] | None = UNSET
    _nin: list[bool] | None = UNSET
    _is_null: bool | None = UNSET


@strawberry.input(name="items_bool_exp")
class BoolExp:
    _and: list[BoolExp] | None = UNSET
    _or: list[BoolExp] | None = UNSET
    _not: BoolExp | None = UNSET
    id: IdComparison | None = UNSET
    name: StringComparison | None = UNSET
    n: LongComparison | None = UNSET
    x: FloatComparison | None = UNSET
    flag: BooleanComparison | None = UNSET
    day: DateComparison | None = UNSET
    at: DateTimeComparison | None = UNSET


@strawberry.enum(name="order_by")
class OrderBy(Enum):
    asc = "asc"
    asc_nulls_first = "asc_nulls_first"
    asc_nulls_last = "asc_nulls_last"
    desc = "desc"
    desc_nulls_first = "desc_nulls_first"
    desc_nulls_last = "desc_nulls_last"


@strawberry.input(name="items_order_by")
class ItemsOrderBy:
    id: OrderBy | None = UNSET
    name: OrderBy | None = UNSET
    n: OrderBy | None = UNSET
    x: OrderBy | None = UNSET
    flag: OrderBy | None = UNSET
    day: OrderBy | None = UNSET
    at: OrderBy | None = UNSET


@strawberry.type(name="items")
class Item:
    id: strawberry.ID
    name: str | None
    n: Long | None
    x: float | None
    flag: bool | None
    day: date | None
    at: datetime | None


@strawberry.type(name="items_aggregate_fields")
class AggregateFields:
    count: int


@strawberry.type(name="items_aggregate")
class Aggregate:
    aggregate: AggregateFields


@dataclass(frozen=True)
class _Source:
    engine: sa.Engine
    table: sa.Table
    key: str

    async def rows(self, statement: sa.Executable) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with self.engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(statement)]

        # In a thread, so that a locked file does not stall the server's event loop.
        return await run_in_threadpool(run)


@strawberry.type(name="Query")
class PkQuery:
    @strawberry.field
    async def items_by_pk(self, info: strawberry.Info, pk: strawberry.ID) -> Item | None:
        src: _Source = info.context
        rows = await src.rows(sa.select(*src.table.c).where(src.table.c[src.key] == pk))
        return Item(**rows[0]) if rows else None


@strawberry.type(name="Query")
class ListQuery(PkQuery):
    @strawberry.field
    async def items(
        self,
        info: strawberry.Info,
        where: BoolExp | None = UNSET,
        order_by: list[ItemsOrderBy] | None = UNSET,
        limit: int | None = UNSET,
        offset: int | None = UNSET,
    ) -> list[Item]:
        src: _Source = info.context
        keys = _order(src.table, order_by or []) or [sa.literal_column("rowid").desc()]
        statement = sa.select(*src.table.c).where(_where(src.table, where)).order_by(*keys)
        statement = statement.limit(_count(limit, "limit")).offset(_count(offset, "offset"))
        return [Item(**row) for row in await src.rows(statement)]

    @strawberry.field
    async def items_aggregate(self, info: strawberry.Info, where: BoolExp | None = UNSET) -> Aggregate:
        src: _Source = info.context
        rows = await src.rows(
            sa.select(sa.func.count().label("count")).select_from(src.table).where(_where(src.table, where))
        )
        return Aggregate(aggregate=AggregateFields(count=rows[0]["count"]))


class _Names(NameConverter):
    """Names the ``items`` types and root fields after the table, and by_pk's argument after the key."""

    def __init__(self, table: str, key: str) -> None:
        super().__init__(auto_camel_case=False)
        self.table, self.key = table, key

    def _table(self, name: str) -> str:
        return self.table + name[5:] if name == "items" or name.startswith("items_") else name

    def from_object(self, object_type: StrawberryObjectDefinition) -> str:
        return self._table(super().from_object(object_type))

    def from_field(self, field: StrawberryField) -> str:
        return self._table(super().from_field(field))

    def from_argument(self, argument: StrawberryArgument) -> str:
        name = super().from_argument(argument)
        return self.key if name == "pk" else name


# ---------------------------------------------------------------- SQL

_BINARY = {"_eq": operator.eq, "_neq": operator.ne, "_lt": operator.lt, "_lte": operator.le}
_BINARY |= {"_gt": operator.gt, "_gte": operator.ge}
_OPS = ("_eq", "_neq", "_in", "_nin", "_lt", "_lte", "_gt", "_gte", "_is_null")


def _present(value: Any, name: str) -> Any:
    """An input field's value, None if absent; an explicit null is refused, as Hasura refuses ``_eq: null``."""
    if value is None:
        hint = "; use _is_null" if name in _BINARY or name in ("_in", "_nin") else ""
        raise ValueError(f"{name}: null is not allowed{hint}")
    return None if value is UNSET else value


def _where(table: sa.Table, exp: BoolExp | None) -> sa.ColumnElement[bool]:
    if exp is None or exp is UNSET:
        return sa.true()
    parts: list[sa.ColumnElement[bool]] = []
    if (all_of := _present(exp._and, "_and")) is not None:
        parts.append(sa.and_(sa.true(), *(_where(table, e) for e in all_of)))
    if (any_of := _present(exp._or, "_or")) is not None:
        parts.append(sa.or_(sa.false(), *(_where(table, e) for e in any_of)))
    if (negated := _present(exp._not, "_not")) is not None:
        parts.append(sa.not_(_where(table, negated)))
    for name in COLUMNS:
        if (comparison := _present(getattr(exp, name), name)) is not None:
            parts.extend(_compare(table.c[name], comparison))
    return sa.and_(sa.true(), *parts)


def _compare(column: sa.Column[Any], comparison: Any) -> list[sa.ColumnElement[bool]]:
    parts: list[sa.ColumnElement[bool]] = []
    for op in _OPS:
        value = _present(getattr(comparison, op, UNSET), op)
        if value is None:
            continue
        if op == "_in":
            parts.append(column.in_(value))
        elif op == "_nin":
            parts.append(column.not_in(value))
        elif op == "_is_null":
            parts.append(column.is_(None) if value else column.is_not(None))
        else:
            parts.append(_BINARY[op](column, value))
    return parts


def _order(table: sa.Table, order_by: list[ItemsOrderBy]) -> list[Any]:
    """Columns of one object apply in the input type's field order: GraphQL coercion drops the written order."""
    keys: list[Any] = []
    for entry in order_by:
        for name in COLUMNS:
            if (direction := _present(getattr(entry, name), name)) is not None:
                # Bare asc and desc take PostgreSQL's defaults: NULLs are larger than any value.
                key = table.c[name].desc() if direction.name.startswith("desc") else table.c[name].asc()
                nulls_first = direction.name.endswith("nulls_first") or direction is OrderBy.desc
                keys.append(key.nulls_first() if nulls_first else key.nulls_last())
    return keys


def _count(value: int | None, name: str) -> int | None:
    if value is None or value is UNSET:
        return None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return value


def _table(name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *(sa.Column(column, kind) for column, kind in _TYPES.items()))


# ---------------------------------------------------------------- app


def make_graphql_app(
    file: Path,
    *,
    table: str = "items",
    key: str = "id",
    list_field: bool = True,
    require_header: tuple[str, str] | None = None,
) -> Starlette:
    """A GraphQL app over ``table`` of the SQLite ``file``: POST /graphql and GET /health.

    ``list_field=False`` leaves only ``{table}_by_pk``. With ``require_header`` (name, value),
    GraphQL requests without that header value get 401. ``app.state.received`` lists the
    JSON body of every request to /graphql, in order.
    """
    if not file.is_file():
        raise ValueError(f"no SQLite database at {file}")
    uri = file.resolve().as_uri() + "?mode=ro"
    engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)
    source = _Source(engine, _table(table), key)
    config = StrawberryConfig(name_converter=_Names(table, key), scalar_map=_SCALARS)
    schema = strawberry.Schema(query=ListQuery if list_field else PkQuery, config=config)
    received: list[dict[str, Any]] = []

    async def graphql(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error("the body is not valid JSON", 400)
        if isinstance(body, dict):
            received.append(body)
        if require_header is not None and request.headers.get(require_header[0]) != require_header[1]:
            return _error(f"missing or wrong {require_header[0]} header", 401)
        if not (
            isinstance(body, dict)
            and isinstance(body.get("query"), str)
            and isinstance(body.get("variables"), dict | None)
            and isinstance(body.get("operationName"), str | None)
        ):
            return _error('the body must be {"query": string, "variables"?: object, "operationName"?: string}', 400)
        result = await schema.execute(
            body["query"], body.get("variables"), context_value=source, operation_name=body.get("operationName")
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(payload)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/health", health, methods=["GET"])])
    app.state.received = received
    return app


def _error(message: str, status: int) -> Response:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)
