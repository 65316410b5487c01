"""SQL sources through SQLAlchemy 2 async Core (SQLite, PostgreSQL, MySQL/MariaDB, others).

Statements are built from lightweight ``table()``/``column()`` constructs typed
from the catalog, so values come back as Python types (a SQLite date stored as
text is a ``datetime.date``) and no database reflection is needed. Rows are
handed out as plain tuples: SQLAlchemy ``Row`` objects are slow GraphQL parents.
"""

from __future__ import annotations

import asyncio
import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql import ColumnElement, FromClause, Subquery, TableClause
from sqlalchemy.sql import Select as SqlSelect
from sqlalchemy.sql.expression import BindParameter
from sqlalchemy.types import TypeEngine

from govshare.catalog.model import ItemType
from govshare.connectors.base import Aggregate, Capabilities, Connector, Count, Select, SourceUnavailable, TableRef
from govshare.filters import ALL_OPS, And, Cmp, Filter, Not, Or, OrderKey

_SA_TYPES: dict[ItemType, TypeEngine[Any]] = {
    ItemType.ID: sa.String(),
    ItemType.STRING: sa.String(),
    ItemType.INT: sa.BigInteger(),
    ItemType.FLOAT: sa.Float(),
    ItemType.BOOLEAN: sa.Boolean(),
    ItemType.DATE: sa.Date(),
    ItemType.DATETIME: sa.DateTime(),
}

# Plain URLs are rewritten to the asyncio driver of their database.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
    "mariadb": "mariadb+asyncmy",
}
# Dialects whose NULLs already sort lowest (first ascending, last descending).
_NULLS_LOW = frozenset({"sqlite", "mysql", "mariadb", "mssql"})
# Dialects that sort NULLs highest but accept NULLS FIRST / NULLS LAST.
_NULLS_SYNTAX = frozenset({"postgresql", "oracle", "trino"})
# The rank column of a per-group limit (in a subquery, next to the columns it returns).
_RANK = "govshare_rank_"
_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def async_url(url: str) -> URL:
    """The SQLAlchemy URL with an asyncio driver; raises ValueError (without echoing the URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("not a valid SQLAlchemy URL") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


class SqlConnector(Connector):
    capabilities = Capabilities(
        filter_ops=ALL_OPS, boolean_filters=True, order_by=True, count=True, aggregate=True, limit_per=True
    )

    def __init__(
        self,
        name: str,
        url: str,
        *,
        statement_timeout: float = 10.0,
        pool_size: int | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        if statement_timeout <= 0 or connect_timeout <= 0 or (pool_size is not None and pool_size < 1):
            raise ValueError(f"source '{name}': timeouts must be positive and pool_size at least 1")
        self.name = name
        self.statement_timeout = statement_timeout
        try:
            self._engine = _open_engine(async_url(url), statement_timeout, pool_size, connect_timeout)
        except (ValueError, SQLAlchemyError, ImportError) as e:
            # The message may quote the URL (and its password): name the cause only.
            raise ValueError(f"source '{name}': cannot use this URL ({type(e).__name__})") from None
        dialect = self._engine.dialect.name
        self._nulls = "low" if dialect in _NULLS_LOW else "syntax" if dialect in _NULLS_SYNTAX else "case"
        self._tables: dict[tuple[str, tuple[tuple[str, ItemType], ...]], TableClause] = {}

    # -- requests -------------------------------------------------------------

    async def select(self, request: Select) -> list[tuple[Any, ...]]:
        t = self._table(request.table)
        where = [self._where(t, request.table, request.where)] if request.where is not None else []
        if request.after is not None:
            if len(request.after) != len(request.order):
                raise ValueError("'after' needs one value per order column")
            where.append(self._after(t, request.table, request.order, request.after))
        source: FromClause = t
        if request.per is not None and request.limit is not None:
            source = self._ranked(t, request, where)
            where = [source.c[_RANK] <= request.limit]
        cols = [self._col(source, request.table, c) for c in request.columns]
        stmt: SqlSelect[Any] = sa.select(*cols) if cols else sa.select(sa.literal_column("1"))
        stmt = stmt.select_from(source)
        if where:
            stmt = stmt.where(*where)
        for key in request.order:
            stmt = stmt.order_by(*self._sort(source, request.table, key))
        if request.limit is not None and source is t:
            stmt = stmt.limit(request.limit)
        rows = await self._fetch(stmt)
        return rows if cols else [() for _ in rows]

    def _ranked(self, t: TableClause, request: Select, where: list[ColumnElement[bool]]) -> Subquery:
        """The matching rows with their rank in ``order`` within their group of ``per`` values
        (a window function: SQLite >= 3.25, PostgreSQL, MariaDB >= 10.2, MySQL >= 8)."""
        assert request.per is not None
        ref = request.table
        terms = [term for key in request.order for term in self._sort(t, ref, key)]
        rank = sa.func.row_number().over(partition_by=self._col(t, ref, request.per), order_by=terms)
        needed = dict.fromkeys([*request.columns, *(k.column for k in request.order)])
        inner = sa.select(*(self._col(t, ref, c) for c in needed), rank.label(_RANK)).select_from(t)
        return (inner.where(*where) if where else inner).subquery("ranked")

    async def count(self, request: Count) -> int:
        t = self._table(request.table)
        stmt = sa.select(sa.func.count()).select_from(t)
        if request.where is not None:
            stmt = stmt.where(self._where(t, request.table, request.where))
        rows = await self._fetch(stmt)
        return int(rows[0][0])

    async def aggregate(self, request: Aggregate) -> list[tuple[tuple[Any, ...], int]]:
        t = self._table(request.table)
        cols = [self._col(t, request.table, c) for c in request.group_by]
        stmt = sa.select(*cols, sa.func.count()).select_from(t)
        if request.where is not None:
            stmt = stmt.where(self._where(t, request.table, request.where))
        if cols:
            stmt = stmt.group_by(*cols)
            for name in request.group_by:
                stmt = stmt.order_by(*self._sort(t, request.table, OrderKey(name)))
        return [(row[:-1], int(row[-1])) for row in await self._fetch(stmt)]

    async def ping(self) -> None:
        await self._fetch(sa.select(sa.literal_column("1")))

    async def close(self) -> None:
        await self._engine.dispose()

    # -- execution ------------------------------------------------------------

    async def _fetch(self, stmt: SqlSelect[Any]) -> list[tuple[Any, ...]]:
        connected = False

        async def attempt() -> list[tuple[Any, ...]]:
            nonlocal connected
            async with self._engine.connect() as conn:
                connected = True
                result = await conn.execute(stmt)
                return [tuple(row) for row in result]

        deadline = asyncio.timeout(self.statement_timeout)
        try:
            async with deadline:
                try:
                    return await attempt()
                except DBAPIError as e:
                    if not e.connection_invalidated:
                        raise
                    # A pooled connection went stale (the source restarted): one fresh try.
                    connected = False
                    return await attempt()
        except (SQLAlchemyError, OSError) as e:  # OSError covers TimeoutError
            if deadline.expired():
                reason = f"no answer within {self.statement_timeout:g} s"
            else:
                reason = f"{'query failed' if connected else 'cannot connect'} ({_cause(e)})"
            raise SourceUnavailable(self.name, reason) from e

    # -- statement building ---------------------------------------------------

    def _table(self, ref: TableRef) -> TableClause:
        cache_key = (ref.name, tuple(ref.columns.items()))
        t = self._tables.get(cache_key)
        if t is None:
            schema, _, name = ref.name.rpartition(".")
            cols = [sa.column(c, _SA_TYPES[ItemType(ty)]) for c, ty in ref.columns.items()]
            t = self._tables[cache_key] = sa.table(name, *cols, schema=schema or None)
        return t

    @staticmethod
    def _col(t: FromClause, ref: TableRef, name: str) -> ColumnElement[Any]:
        try:
            return t.c[name]
        except KeyError:
            raise ValueError(f"column '{name}' is not declared for table '{ref.name}'") from None

    def _where(self, t: TableClause, ref: TableRef, f: Filter) -> ColumnElement[bool]:
        if isinstance(f, Cmp):
            return _compare(self._col(t, ref, f.column), f.op, f.value)
        if isinstance(f, And):
            return sa.and_(sa.true(), *(self._where(t, ref, p) for p in f.parts))
        if isinstance(f, Or):
            return sa.or_(sa.false(), *(self._where(t, ref, p) for p in f.parts))
        if isinstance(f, Not):
            return sa.not_(self._where(t, ref, f.part))
        raise TypeError(f"not a filter: {f!r}")

    def _sort(self, t: FromClause, ref: TableRef, key: OrderKey) -> list[ColumnElement[Any]]:
        """ORDER BY terms putting NULLs first ascending and last descending."""
        col = self._col(t, ref, key.column)
        plain = col.desc() if key.descending else col.asc()
        # The key holds no NULLs: order it plainly so its index can serve the ordering.
        if self._nulls == "low" or key.column == ref.key:
            return [plain]
        if self._nulls == "syntax":
            return [plain.nulls_last() if key.descending else plain.nulls_first()]
        is_null = sa.case((col.is_(None), 0), else_=1)
        return [is_null.desc() if key.descending else is_null.asc(), plain]

    def _after(
        self, t: TableClause, ref: TableRef, order: Sequence[OrderKey], values: Sequence[Any]
    ) -> ColumnElement[bool]:
        """Rows strictly after ``values`` in ``order``, NULL being the lowest value:
        ``a > x OR (a = x AND (b > y OR (b = y AND ...)))``, built from the last key."""
        cond: ColumnElement[bool] | None = None
        for key, value in reversed(list(zip(order, values, strict=True))):
            col = self._col(t, ref, key.column)
            beyond = _beyond(col, key.descending, value, nullable=key.column != ref.key)
            if cond is not None:
                same = col.is_(None) if value is None else col == value
                beyond = sa.or_(beyond, sa.and_(same, cond))
            cond = beyond
        return cond if cond is not None else sa.true()


def _beyond(col: ColumnElement[Any], descending: bool, value: Any, *, nullable: bool) -> ColumnElement[bool]:
    if not descending:
        return col.is_not(None) if value is None else col > _bound(col, value)
    if value is None:
        return sa.false()
    below = col < _bound(col, value)
    return sa.or_(below, col.is_(None)) if nullable else below


def _bound(col: ColumnElement[Any], value: Any) -> BindParameter[Any]:
    # A typed parameter: SQLAlchemy refuses `col > True` with a plain Python bool.
    return sa.literal(value, col.type)


def _compare(col: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    """One comparison. ``eq``/``ne`` with None mean IS (NOT) NULL; ``in`` is an OR of
    ``eq`` and ``nin`` an AND of ``ne``; otherwise SQL semantics (NULL never compares)."""
    if op == "isNull":
        return col.is_(None) if value else col.is_not(None)
    if op == "eq":
        return col.is_(None) if value is None else col == value
    if op == "ne":
        return col.is_not(None) if value is None else col != value
    if op in ("in", "nin"):
        values = tuple(value)
        present = [v for v in values if v is not None]
        with_null = len(present) < len(values)
        if op == "in":
            parts = [col.is_(None)] if with_null else []
            return sa.or_(sa.false(), *parts, *([col.in_(present)] if present else []))
        parts = [col.is_not(None)] if with_null else []
        return sa.and_(sa.true(), *parts, *([col.not_in(present)] if present else []))
    if value is None:
        raise ValueError(f"the '{op}' filter needs a value")
    if op == "contains":
        return col.contains(value, autoescape=True)  # escapes %, _ and the escape char '/'
    if op == "startsWith":
        return col.startswith(value, autoescape=True)
    if op in _COMPARISONS:
        return _COMPARISONS[op](col, _bound(col, value))
    raise ValueError(f"unknown filter operator '{op}'")


def _open_engine(url: URL, statement_timeout: float, pool_size: int | None, connect_timeout: float) -> AsyncEngine:
    backend = url.get_backend_name()
    options: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    in_memory = backend == "sqlite" and url.database in (None, "", ":memory:")
    if not in_memory:  # in-memory SQLite uses a single static connection
        # A SQLite connection is a thread and an open file: keep enough for a burst of
        # concurrent requests, or they are opened and thrown away again and again.
        size = pool_size or (32 if backend == "sqlite" else 10)
        options.update(pool_size=size, max_overflow=size, pool_recycle=1800)
    if backend in ("sqlite", "postgresql", "mysql", "mariadb"):
        # Every request is one read statement: no BEGIN/ROLLBACK round trips, and so
        # nothing to roll back when a connection goes back to the pool.
        options["isolation_level"] = "AUTOCOMMIT"
        options["pool_reset_on_return"] = None
    if backend == "sqlite":
        # A locked database waits no longer than a statement may take.
        connect_args["timeout"] = statement_timeout
    elif backend == "postgresql":
        connect_args["timeout"] = connect_timeout
        # Server-side limit too, so an abandoned statement stops working at the source.
        connect_args["server_settings"] = {"statement_timeout": str(int(statement_timeout * 1000))}
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = connect_timeout
    engine = create_async_engine(url, connect_args=connect_args, **options)
    if backend in ("mysql", "mariadb"):
        sa.event.listen(engine.sync_engine, "connect", _mysql_session_limit(statement_timeout))
    elif backend == "sqlite" and not in_memory and not url.query.get("uri"):
        sa.event.listen(engine.sync_engine, "do_connect", _require_file(str(url.database)))
    return engine


def _require_file(path: str) -> Callable[..., None]:
    """A 'do_connect' hook: SQLite would create a missing file, and a wrong path must
    not look like a source without data."""

    def check(*_args: Any) -> None:
        if not os.path.exists(path):
            raise FileNotFoundError("no SQLite database file")

    return check


def _mysql_session_limit(statement_timeout: float) -> Callable[[Any, Any], None]:
    """A 'connect' hook setting the server-side statement limit (MariaDB and MySQL differ)."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT VERSION()")
            if "mariadb" in str(cursor.fetchone()[0]).lower():
                cursor.execute(f"SET SESSION max_statement_time = {statement_timeout:.3f}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {int(statement_timeout * 1000)}")
        finally:
            cursor.close()

    return limit


def _cause(e: BaseException) -> str:
    """A safe description of a driver error: its class, never its message (which may
    quote the SQL, the host or credentials)."""
    orig = e.orig if isinstance(e, DBAPIError) and e.orig is not None else e
    code = orig.args[0] if orig.args else None
    if getattr(orig, "sqlstate", None) == "57014" or code in (1969, 3024):
        return "statement timeout at the source"
    return type(orig).__name__
