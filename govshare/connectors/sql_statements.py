"""SQL statements of the SQL connector, compiled once per request shape.

Building and compiling a SQLAlchemy statement costs far more than running a simple
lookup, so a request is first reduced to its *shape* — table, columns, the filter tree
with its values taken out, ordering, which of after/limit/per are present, and where a
value is NULL (``eq None`` is ``IS NULL``) — and its values, in a fixed order. A shape
seen before has its SQL text, the order in which its values become the driver's
parameters, and the bind and result processors of its columns' types ready
(:class:`Compiled`); only a new shape builds and compiles a statement (with bind
parameters named ``v0``, ``v1``… after the value positions).

Lists of values (``in``/``nin``) are one array parameter on PostgreSQL
(``col = ANY($1::VARCHAR[])``: one index condition, whatever the batch size); elsewhere
they become ``IN (?, ?, …)`` padded up to a bucket size by repeating the last value,
so a few SQL texts serve batches of every size. The same shape always sends the same
SQL text, which lets asyncpg reuse its prepared statements per connection.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement, FromClause, Subquery, TableClause
from sqlalchemy.sql import Select as SqlSelect
from sqlalchemy.sql.expression import BindParameter
from sqlalchemy.types import TypeEngine

from govshare.catalog.model import ItemType
from govshare.connectors.base import Aggregate, Count, Joined, Select, TableRef
from govshare.connectors.sql_aggregates import build_aggregate
from govshare.filters import And, Cmp, Filter, Not, Or, OrderKey

_SA_TYPES: dict[ItemType, TypeEngine[Any]] = {
    ItemType.ID: sa.String(),
    ItemType.STRING: sa.String(),
    ItemType.INT: sa.BigInteger(),
    ItemType.FLOAT: sa.Float(),
    ItemType.BOOLEAN: sa.Boolean(),
    ItemType.DATE: sa.Date(),
    ItemType.DATETIME: sa.DateTime(),
}
# Dialects whose NULLs already sort lowest (first ascending, last descending).
_NULLS_LOW = frozenset({"sqlite", "mysql", "mariadb", "mssql"})
# Dialects that sort NULLs highest (DuckDB: last either way) but accept NULLS FIRST / NULLS LAST.
_NULLS_SYNTAX = frozenset({"postgresql", "oracle", "trino", "duckdb"})
# Dialects binding a list as one array parameter.
_ARRAYS = frozenset({"postgresql"})
_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
_LIKE = frozenset({"contains", "startsWith"})
# The rank column of a per-group limit (in a subquery, next to the columns it returns).
_RANK = "govshare_rank_"
# The keys of a joined select's two tables, after each table's columns (connectors.sql splits on them).
_PARENT_KEY, _CHILD_KEY = "govshare_parent_key_", "govshare_child_key_"
# Tags of and/or/not in a filter shape (a comparison's shape starts with its column name).
_AND, _OR, _NOT = 1, 2, 3
# An `in`/`nin` list bound as one array parameter.
_ARRAY = -1

Shape = Hashable
Processor = Callable[[Any], Any]


class Compiled:
    """One shape's statement, ready to run with the values of any request of that shape.

    ``plan`` lists, per driver parameter in SQL order, its name, the position of its
    value and its bind processor; values past the request's own are ``constants`` of the
    statement. ``statement`` is set when the dialect renders some values into the SQL
    text itself (then SQLAlchemy executes it). The result processors of the columns'
    types depend on the types the driver reports, so they are settled on the first run.
    """

    __slots__ = ("_dialect", "_results", "_settled", "constants", "plan", "positional", "sql", "statement", "types")

    def __init__(
        self,
        dialect: Dialect,
        sql: str,
        plan: tuple[tuple[str, int, Processor | None], ...],
        constants: tuple[Any, ...],
        types: tuple[TypeEngine[Any], ...],
        statement: SqlSelect[Any] | None,
    ) -> None:
        self._dialect = dialect
        self.sql = sql
        self.plan = plan
        self.constants = constants
        self.positional = bool(dialect.positional)
        self.types = types  # of the result columns, adapted to the dialect
        self.statement = statement
        self._results: tuple[Processor | None, ...] | None = None
        self._settled = False

    def parameters(self, values: list[Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters; for ``statement``, the values by name (SQLAlchemy processes them)."""
        if self.statement is not None:
            return {f"v{i}": v for i, v in enumerate(values)}
        if self.constants:
            values = values + list(self.constants)
        if self.positional:
            return tuple(values[i] if p is None else p(values[i]) for _, i, p in self.plan)
        return {name: values[i] if p is None else p(values[i]) for name, i, p in self.plan}

    @property
    def settled(self) -> bool:
        """Whether the result processors are known (the statement ran once)."""
        return self._settled

    def rows(self, raw: Sequence[Sequence[Any]], description: Sequence[Sequence[Any]] | None) -> list[tuple[Any, ...]]:
        if not self._settled:
            self._results = self._processors(description)
            self._settled = True
        results = self._results
        if results is None:
            return [tuple(row) for row in raw]
        return [tuple(v if p is None or v is None else p(v) for v, p in zip(row, results, strict=True)) for row in raw]

    def _processors(self, description: Sequence[Sequence[Any]] | None) -> tuple[Processor | None, ...] | None:
        if description is None or self.statement is not None:  # SQLAlchemy processed the rows
            return None
        found = tuple(
            ty.result_processor(self._dialect, entry[1]) for ty, entry in zip(self.types, description, strict=True)
        )
        return None if all(p is None for p in found) else found


class StatementCache:
    """Compiled statements by shape, the least recently used dropped beyond ``size``
    (a client can make any number of shapes).

    Each entry keeps when it was last used, rather than moving to the end of an ordered dict
    on every hit: a shape is a nested tuple, hashed anew at every lookup, and a move would hash
    it twice. Only a put beyond ``size`` (after a compilation) looks for the oldest.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: dict[Shape, list[Any]] = {}  # shape → [compiled, when last used]
        self._uses = 0

    def get(self, shape: Shape) -> Compiled | None:
        found = self._entries.get(shape)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._uses += 1
        found[1] = self._uses
        compiled: Compiled = found[0]
        return compiled

    def put(self, shape: Shape, compiled: Compiled) -> None:
        self._uses += 1
        self._entries[shape] = [compiled, self._uses]
        if len(self._entries) > self.size:
            oldest = min(self._entries.items(), key=lambda entry: entry[1][1])[0]
            del self._entries[oldest]

    def statements(self) -> list[Compiled]:
        return [entry[0] for entry in self._entries.values()]

    def __len__(self) -> int:
        return len(self._entries)


class Statements:
    """Shapes, values and compiled statements of one connector's dialect."""

    def __init__(self, dialect: Dialect, cache_size: int = 1024) -> None:
        self.dialect = dialect
        self.cache = StatementCache(cache_size)
        self._arrays = dialect.name in _ARRAYS
        name = dialect.name
        self._nulls = "low" if name in _NULLS_LOW else "syntax" if name in _NULLS_SYNTAX else "case"
        self._tables: dict[tuple[str, tuple[tuple[str, ItemType], ...]], TableClause] = {}

    # -- the hot path: shape and values -----------------------------------------

    def select(self, request: Select) -> tuple[Compiled, list[Any]]:
        shape, values = self._select_shape(request)
        return self._compiled(shape, values, lambda binds: self._build_select(request, shape, binds)), values

    def derived(
        self,
        request: Select,
        tag: Hashable,
        finish: Callable[[SqlSelect[Any], Binds], SqlSelect[Any]],
        extra: Sequence[Any] = (),
    ) -> tuple[Compiled, list[Any]]:
        """``request``'s statement as ``finish`` changes it (its binds take ``extra``, after the
        select's own values); ``tag`` names the change in the shape."""
        shape, values = self._select_shape(request)
        values += extra
        build = lambda binds: finish(self._build_select(request, shape, binds), binds)  # noqa: E731
        return self._compiled((tag, shape), values, build), values

    def _select_shape(self, request: Select) -> tuple[tuple[Any, ...], list[Any]]:
        values: list[Any] = []
        where = None if request.where is None else self._filter_shape(request.where, values)
        after = None
        if request.after is not None:
            if len(request.after) != len(request.order):
                raise ValueError("'after' needs one value per order column")
            after = tuple(v is None for v in request.after)
            values += request.after
        if request.limit is not None:
            values.append(request.limit)
        per = request.per if request.limit is not None else None
        return (Select, request.table, request.columns, where, request.order, after, request.limit is None, per), values

    def joined(self, request: Joined) -> tuple[Compiled, list[Any]]:
        """A parent select and its child rows per parent: one statement (a LATERAL join)."""
        parent, child = request.parent, request.child
        values: list[Any] = []
        where = None if parent.where is None else self._filter_shape(parent.where, values)
        child_where = None if child.where is None else self._filter_shape(child.where, values)
        if child.limit is not None:
            values.append(child.limit)
        shape = (Joined, parent.table, parent.columns, where, parent.order, request.local,
                 child.table, child.columns, child_where, child.order, child.limit is None, request.remote)  # fmt: skip
        build = lambda binds: self._build_joined(request, where, child_where, binds)  # noqa: E731
        return self._compiled(shape, values, build), values

    def count(self, request: Count) -> tuple[Compiled, list[Any]]:
        values: list[Any] = []
        where = None if request.where is None else self._filter_shape(request.where, values)
        shape = (Count, request.table, where)
        return self._compiled(shape, values, lambda binds: self._build_count(request.table, where, binds)), values

    def aggregate(self, request: Aggregate) -> tuple[Compiled, list[Any]]:
        values: list[Any] = []
        where = None if request.where is None else self._filter_shape(request.where, values)
        shape = (Aggregate, request.table, request.group_by, where, request.buckets, request.measures)
        build = lambda binds: self._build_aggregate(request, where, binds)  # noqa: E731
        return self._compiled(shape, values, build), values

    def ping(self) -> tuple[Compiled, list[Any]]:
        return self._compiled(("ping",), [], lambda _: sa.select(sa.literal_column("1"))), []

    def _compiled(self, shape: Shape, values: list[Any], build: Callable[[Binds], SqlSelect[Any]]) -> Compiled:
        found = self.cache.get(shape)
        if found is None:
            binds = Binds()
            found = self._compile(build(binds), len(values))
            assert binds.count == len(values), "shape and statement disagree on the values"
            self.cache.put(shape, found)
        return found

    def _filter_shape(self, f: Filter, values: list[Any]) -> Shape:
        """The shape of ``f``; its values are appended to ``values`` in shape order."""
        if isinstance(f, Cmp):
            op, value = f.op, f.value
            if op in ("eq", "ne"):
                if value is None:
                    return (f.column, op, None)
                values.append(value)
                return (f.column, op, True)
            if op in ("in", "nin"):
                return self._list_shape(f.column, op, value, values)
            if op == "isNull":
                return (f.column, op, bool(value))
            if op not in _LIKE and op not in _COMPARISONS:
                raise ValueError(f"unknown filter operator '{op}'")
            if value is None:
                raise ValueError(f"the '{op}' filter needs a value")
            if op in _LIKE:
                if not isinstance(value, str):
                    raise ValueError(f"the '{op}' filter needs a string, got {type(value).__name__}")
                # Taken literally: the escape character, % and _ are escaped (LIKE … ESCAPE '/').
                value = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
            values.append(value)
            return (f.column, op, True)
        if isinstance(f, And | Or):
            parts = tuple(self._filter_shape(p, values) for p in f.parts)
            return (_AND if isinstance(f, And) else _OR, parts)
        if isinstance(f, Not):
            return (_NOT, self._filter_shape(f.part, values))
        raise TypeError(f"not a filter: {f!r}")

    def _list_shape(self, column: str, op: str, value: Any, values: list[Any]) -> Shape:
        listed = value if isinstance(value, tuple | list) else tuple(value)
        present = [v for v in listed if v is not None]
        with_null = len(present) < len(listed)
        if not present:
            return (column, op, with_null, 0)
        if self._arrays:
            values.append(present)
            return (column, op, with_null, _ARRAY)
        size = _bucket(len(present))
        values += present
        values += [present[-1]] * (size - len(present))  # a repeated value changes nothing
        return (column, op, with_null, size)

    # -- a new shape: build and compile ------------------------------------------

    def _compile(self, stmt: SqlSelect[Any], own: int) -> Compiled:
        compiled = stmt.compile(dialect=self.dialect)
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        constants: list[Any] = []
        plan: list[tuple[str, int, Processor | None]] = []
        for name in names:
            bind = compiled.binds[name]
            if name.startswith("v") and name[1:].isdigit():
                index = int(name[1:])
            else:  # a value SQLAlchemy put in the statement (e.g. SQLite's OFFSET -1)
                index = own + len(constants)
                constants.append(compiled.params[name])
            plan.append((name, index, self._bind_processor(bind.type)))
        rendered = bool(compiled.literal_execute_params or compiled.post_compile_params)
        return Compiled(
            self.dialect,
            compiled.string,
            tuple(plan),
            tuple(constants),
            tuple(c.type.dialect_impl(self.dialect) for c in stmt.selected_columns),
            stmt if rendered else None,
        )

    def _bind_processor(self, type_: TypeEngine[Any]) -> Processor | None:
        impl = type_.dialect_impl(self.dialect)
        if isinstance(impl, sa.ARRAY):
            item = impl.item_type.dialect_impl(self.dialect)
            if item.bind_processor(self.dialect) is None:
                return list  # the driver takes the values as they are; SQLAlchemy would visit each
        return impl.bind_processor(self.dialect)

    def _build_select(self, request: Select, shape: tuple[Any, ...], binds: Binds) -> SqlSelect[Any]:
        ref = request.table
        t = self._table(ref)
        where_shape, after = shape[3], shape[5]
        where = [] if where_shape is None else [self._where(t, ref, where_shape, binds)]
        if after is not None:
            params = [binds(self._col(t, ref, k.column).type) for k in request.order]
            where.append(self._after(t, ref, request.order, after, params))
        limit = None if request.limit is None else binds(sa.Integer())
        source: FromClause = t
        if request.per is not None and limit is not None:
            source = self._ranked(t, request, where)
            where = [source.c[_RANK] <= limit]
        cols = [self._col(source, ref, c) for c in request.columns]
        stmt: SqlSelect[Any] = sa.select(*cols) if cols else sa.select(sa.literal_column("1"))
        stmt = stmt.select_from(source)
        if where:
            stmt = stmt.where(*where)
        for key in request.order:
            stmt = stmt.order_by(*self._sort(source, ref, key))
        if limit is not None and source is t:
            stmt = stmt.limit(limit)
        return stmt

    def _build_joined(
        self, request: Joined, where: Shape | None, child_where: Shape | None, binds: Binds
    ) -> SqlSelect[Any]:
        """``parent cols, parent key, child cols, child key`` per parent and child row; a parent
        without child rows once, its child key NULL. Binds in value order: parent filter,
        child filter, limit."""
        parent, child = request.parent, request.child
        pref, cref = parent.table, child.table
        p = self._table(pref).alias("parent_")
        c = self._table(cref).alias("child_")
        outer_where = [] if where is None else [self._where(p, pref, where, binds)]
        joining = [self._col(c, cref, request.remote) == self._col(p, pref, request.local)]
        if child_where is not None:
            joining.append(self._where(c, cref, child_where, binds))
        needed = dict.fromkeys([*child.columns, *(k.column for k in child.order)])
        inner = sa.select(*(self._col(c, cref, n) for n in needed), self._col(c, cref, cref.key).label(_CHILD_KEY))
        inner = inner.select_from(c).where(*joining)
        for key in child.order:
            inner = inner.order_by(*self._sort(c, cref, key))
        if child.limit is not None:
            inner = inner.limit(binds(sa.Integer()))
        side = inner.lateral("joined_")
        stmt = sa.select(
            *(self._col(p, pref, n) for n in parent.columns),
            self._col(p, pref, pref.key).label(_PARENT_KEY),
            *(side.c[n] for n in child.columns),
            side.c[_CHILD_KEY],
        ).select_from(p.outerjoin(side, sa.true()))
        if outer_where:
            stmt = stmt.where(*outer_where)
        for key in parent.order:
            stmt = stmt.order_by(*self._sort(p, pref, key))
        for key in child.order:
            stmt = stmt.order_by(*self._sort(side, cref, key))
        return stmt

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

    def _build_count(self, ref: TableRef, where: Shape | None, binds: Binds) -> SqlSelect[Any]:
        t = self._table(ref)
        stmt = sa.select(sa.func.count()).select_from(t)
        return stmt if where is None else stmt.where(self._where(t, ref, where, binds))

    def _build_aggregate(self, request: Aggregate, where: Shape | None, binds: Binds) -> SqlSelect[Any]:
        ref = request.table
        t = self._table(ref)
        for name in (*request.group_by, *(b.column for b in request.buckets), *(m.column for m in request.measures)):
            self._col(t, ref, name)  # an undeclared column is the caller's error
        condition = None if where is None else self._where(t, ref, where, binds)
        return build_aggregate(self.dialect.name, t, request, condition, lambda term: self._sort_term(term, False))

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

    def _where(self, t: FromClause, ref: TableRef, shape: Any, binds: Binds) -> ColumnElement[bool]:
        tag = shape[0]
        if tag == _AND:
            return sa.and_(sa.true(), *(self._where(t, ref, p, binds) for p in shape[1]))
        if tag == _OR:
            return sa.or_(sa.false(), *(self._where(t, ref, p, binds) for p in shape[1]))
        if tag == _NOT:
            return sa.not_(self._where(t, ref, shape[1], binds))
        return self._compare(self._col(t, ref, tag), shape[1:], binds)

    def _compare(self, col: ColumnElement[Any], shape: tuple[Any, ...], binds: Binds) -> ColumnElement[bool]:
        """One comparison. ``eq``/``ne`` with None mean IS (NOT) NULL; ``in`` is an OR of
        ``eq`` and ``nin`` an AND of ``ne``; otherwise SQL semantics (NULL never compares)."""
        op = shape[0]
        if op == "isNull":
            return col.is_(None) if shape[1] else col.is_not(None)
        if op in ("eq", "ne") and shape[1] is None:
            return col.is_(None) if op == "eq" else col.is_not(None)
        if op in ("in", "nin"):
            return self._listed(col, op, shape[1], shape[2], binds)
        value = binds(col.type)
        if op == "eq":
            return col == value
        if op == "ne":
            return col != value
        if op == "contains":
            return col.contains(value, escape="/")
        if op == "startsWith":
            return col.startswith(value, escape="/")
        return _COMPARISONS[op](col, value)

    @staticmethod
    def _listed(col: ColumnElement[Any], op: str, with_null: bool, size: int, binds: Binds) -> ColumnElement[bool]:
        if size == _ARRAY:
            array = binds(ARRAY(col.type))
            listed = [col == sa.any_(array)] if op == "in" else [col != sa.all_(array)]
        elif size:
            params = [binds(col.type) for _ in range(size)]
            listed = [col.in_(params)] if op == "in" else [col.not_in(params)]
        else:
            listed = []
        if op == "in":
            return sa.or_(sa.false(), *([col.is_(None)] if with_null else []), *listed)
        return sa.and_(sa.true(), *([col.is_not(None)] if with_null else []), *listed)

    def _sort(self, t: FromClause, ref: TableRef, key: OrderKey) -> list[ColumnElement[Any]]:
        """ORDER BY terms putting NULLs first ascending and last descending."""
        col = self._col(t, ref, key.column)
        # The key holds no NULLs: order it plainly so its index can serve the ordering.
        return self._sort_term(col, key.descending, nullable=key.column != ref.key)

    def _sort_term(self, col: ColumnElement[Any], descending: bool, nullable: bool = True) -> list[ColumnElement[Any]]:
        plain = col.desc() if descending else col.asc()
        if self._nulls == "low" or not nullable:
            return [plain]
        if self._nulls == "syntax":
            return [plain.nulls_last() if descending else plain.nulls_first()]
        is_null = sa.case((col.is_(None), 0), else_=1)
        return [is_null.desc() if descending else is_null.asc(), plain]

    def _after(
        self,
        t: TableClause,
        ref: TableRef,
        order: Sequence[OrderKey],
        nulls: Sequence[bool],
        params: Sequence[BindParameter[Any]],
    ) -> ColumnElement[bool]:
        """Rows strictly after the ``after`` values in ``order``, NULL being the lowest value:
        ``a > x OR (a = x AND (b > y OR (b = y AND ...)))``, built from the last key."""
        cond: ColumnElement[bool] | None = None
        for key, null, param in reversed(list(zip(order, nulls, params, strict=True))):
            col = self._col(t, ref, key.column)
            beyond = _beyond(col, key.descending, None if null else param, nullable=key.column != ref.key)
            if cond is not None:
                same = col.is_(None) if null else col == param
                beyond = sa.or_(beyond, sa.and_(same, cond))
            cond = beyond
        return cond if cond is not None else sa.true()


class Binds:
    """Bind parameters named after the positions of the values they take: v0, v1, …"""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, type_: TypeEngine[Any]) -> BindParameter[Any]:
        name = f"v{self.count}"
        self.count += 1
        return sa.bindparam(name, type_=type_)


def _beyond(
    col: ColumnElement[Any], descending: bool, value: BindParameter[Any] | None, *, nullable: bool
) -> ColumnElement[bool]:
    if not descending:
        return col.is_not(None) if value is None else col > value
    if value is None:
        return sa.false()
    below = col < value
    return sa.or_(below, col.is_(None)) if nullable else below


def _bucket(n: int) -> int:
    """The number of placeholders for ``n`` listed values: powers of two, then multiples of 1,024."""
    return 1 << (n - 1).bit_length() if n <= 4096 else -(-n // 1024) * 1024
