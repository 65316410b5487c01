"""What a department's GraphQL API offers for one table, read from its introspected schema.

A table of a ``graphql`` source is a root field of the remote schema (docs/connectors.md):

- a **list field** returning ``[T]`` (Hasura's style: ``where``, ``order_by``, ``limit``,
  ``offset``) or a **connection** returning an object with ``nodes`` or ``edges { node }``
  (Relay's and govshare's own style: ``filter``, ``orderBy``, ``first``, ``after``, and
  ``pageInfo``/``totalCount``);
- or a **lookup field** returning ``T`` for one required key argument (``items_by_pk(id:)``,
  ``person(idNumber:)``), read with one alias per key.

Filters, ordering and counts are mapped where the remote input types offer them, in
govshare's spelling (``eq``, ``in``, ``isNull``, ``and``…) or Hasura's (``_eq``, ``_in``,
``_is_null``, ``_and``…); what is not offered is declined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Nested deep enough for [[T!]!]! and the like.
_TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECTION = f"""query govshareIntrospection {{ __schema {{
  queryType {{ name }}
  types {{
    kind name
    fields {{ name args {{ name type {{ {_TYPE_REF} }} }} type {{ {_TYPE_REF} }} }}
    inputFields {{ name type {{ {_TYPE_REF} }} }}
    enumValues {{ name }}
  }}
}} }}"""

# govshare's operator → how remote input types may spell it.
_OP_SPELLINGS: Mapping[str, tuple[str, ...]] = {
    "eq": ("eq", "_eq"),
    "ne": ("ne", "_neq", "neq"),
    "in": ("in", "_in"),
    "nin": ("nin", "_nin"),
    "lt": ("lt", "_lt"),
    "lte": ("lte", "_lte"),
    "gt": ("gt", "_gt"),
    "gte": ("gte", "_gte"),
    "contains": ("contains",),
    "startsWith": ("startsWith",),
    "isNull": ("isNull", "_is_null"),
}
_COMBINATORS: Mapping[str, tuple[str, ...]] = {"and": ("and", "_and"), "or": ("or", "_or"), "not": ("not", "_not")}
_FILTER_ARGS = ("filter", "where")
_ORDER_ARGS = ("orderBy", "order_by")
_LIMIT_ARGS = ("first", "limit")
# Directions whose NULL placement is govshare's (first in ascending, last in descending order).
_EXPLICIT = (("asc_nulls_first", "desc_nulls_last"), ("ASC_NULLS_FIRST", "DESC_NULLS_LAST"))
_PLAIN = (("ASC", "DESC"), ("asc", "desc"))


class RemoteSchemaError(Exception):
    """The remote schema does not offer what a table needs; the message says what and how to fix."""


@dataclass(frozen=True, slots=True)
class TypeRef:
    kind: str
    name: str | None
    of: TypeRef | None

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> TypeRef:
        inner = raw.get("ofType")
        return TypeRef(raw["kind"], raw.get("name"), TypeRef.parse(inner) if inner else None)

    @property
    def named(self) -> str:
        ref: TypeRef = self
        while ref.of is not None:
            ref = ref.of
        return ref.name or ""

    @property
    def is_list(self) -> bool:
        ref: TypeRef | None = self
        while ref is not None and ref.kind == "NON_NULL":
            ref = ref.of
        return ref is not None and ref.kind == "LIST"

    def __str__(self) -> str:  # as a variable's type in a document
        if self.kind == "NON_NULL":
            return f"{self.of}!"
        if self.kind == "LIST":
            return f"[{self.of}]"
        return self.name or ""


@dataclass(frozen=True, slots=True)
class RemoteType:
    kind: str
    name: str
    fields: Mapping[str, TypeRef] = field(default_factory=dict)  # output fields and input fields alike
    args: Mapping[str, Mapping[str, TypeRef]] = field(default_factory=dict)  # per output field
    values: tuple[str, ...] = ()  # an enum's


@dataclass(frozen=True, slots=True)
class RemoteSchema:
    query: str
    types: Mapping[str, RemoteType]
    # A govshare platform orders NULLs as govshare does, whatever its enum says (DESIGN §4).
    is_govshare: bool

    @staticmethod
    def parse(data: Mapping[str, Any]) -> RemoteSchema:
        schema = data["__schema"]
        types: dict[str, RemoteType] = {}
        for raw in schema["types"]:
            members = raw.get("fields") or raw.get("inputFields") or []
            types[raw["name"]] = RemoteType(
                raw["kind"],
                raw["name"],
                {f["name"]: TypeRef.parse(f["type"]) for f in members},
                {f["name"]: {a["name"]: TypeRef.parse(a["type"]) for a in f.get("args") or []} for f in members},
                tuple(v["name"] for v in raw.get("enumValues") or []),
            )
        query = schema["queryType"]["name"]
        roots = types[query].fields
        return RemoteSchema(query, types, "catalog" in roots and "me" in roots)

    def type(self, name: str) -> RemoteType:
        return self.types.get(name) or RemoteType("SCALAR", name)


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    type: TypeRef


@dataclass(frozen=True, slots=True)
class RemoteTable:
    """How one table is read from the remote schema."""

    root: str  # the root field ("" when rows are only looked up by key)
    object_type: str
    columns: frozenset[str]
    nodes: tuple[str, ...] = ()  # () a list field; ("nodes",) or ("edges", "node") a connection
    filter: Argument | None = None
    ops: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column → govshare op → remote op
    combinators: Mapping[str, str] = field(default_factory=dict)  # and/or/not → remote name
    order: Argument | None = None
    directions: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # column → (asc, desc) values
    limit: Argument | None = None
    offset: Argument | None = None
    cursor: Argument | None = None  # with a connection's pageInfo
    total_count: bool = False  # a connection's totalCount
    aggregate_count: str | None = None  # Hasura's <field>_aggregate { aggregate { count } }
    lookup: tuple[str, Argument] | None = None  # a root field by key, and its argument

    @property
    def listed(self) -> bool:
        """Whether rows can be listed (else only looked up by key)."""
        return self.root != ""


def read_table(schema: RemoteSchema, table: str, key: str, columns: Iterable[str]) -> RemoteTable:
    """The remote access to ``table`` (whose key column is ``key``), or :class:`RemoteSchemaError`."""
    roots = schema.type(schema.query)
    if table not in roots.fields:
        raise RemoteSchemaError(f"the remote schema has no root field '{table}'")
    ref = roots.fields[table]
    target = schema.type(ref.named)
    args = roots.args[table]
    nodes: tuple[str, ...] = ()
    if not ref.is_list:
        if "nodes" in target.fields:
            nodes = ("nodes",)
        elif "edges" in target.fields and "node" in schema.type(target.fields["edges"].named).fields:
            nodes = ("edges", "node")
        else:  # a lookup field alone
            return _lookup_only(schema, table, target, args, key, columns)
    object_type = schema.type(_node_type(schema, ref, nodes))
    missing = sorted(set(columns) - set(object_type.fields))
    if missing:
        raise RemoteSchemaError(f"type '{object_type.name}' of field '{table}' has no field {', '.join(missing)}")
    filter_arg = _argument(args, _FILTER_ARGS, input_only=True, schema=schema)
    ops, combinators = _filters(schema, filter_arg, columns) if filter_arg else ({}, {})
    order_arg = _argument(args, _ORDER_ARGS, input_only=True, schema=schema)
    directions = _directions(schema, order_arg, columns, key) if order_arg else {}
    if key not in directions:
        raise RemoteSchemaError(
            f"field '{table}' offers no ordering by its key '{key}' (an '{'/'.join(_ORDER_ARGS)}' argument "
            "with a direction per field): govshare reads pages in key order"
        )
    limit = _argument(args, _LIMIT_ARGS)
    if limit is None:
        raise RemoteSchemaError(f"field '{table}' takes no '{'/'.join(_LIMIT_ARGS)}' argument to limit its rows")
    connection = target if nodes else None
    page_info = connection is not None and "pageInfo" in connection.fields
    aggregate = f"{table}_aggregate"
    return RemoteTable(
        table,
        object_type.name,
        frozenset(object_type.fields),
        nodes,
        filter_arg,
        ops,
        combinators,
        order_arg,
        directions,
        limit,
        _argument(args, ("offset",)),
        _argument(args, ("after",)) if page_info else None,
        connection is not None and "totalCount" in connection.fields,
        aggregate if aggregate in roots.fields and _hasura_count(schema, roots, aggregate, filter_arg) else None,
        _lookup(schema, object_type.name, key),
    )


def _node_type(schema: RemoteSchema, ref: TypeRef, nodes: tuple[str, ...]) -> str:
    name = ref.named
    for step in nodes:
        name = schema.type(name).fields[step].named
    return name


def _lookup_only(
    schema: RemoteSchema, table: str, target: RemoteType, args: Mapping[str, TypeRef], key: str, columns: Iterable[str]
) -> RemoteTable:
    if target.kind != "OBJECT" or list(args) != [key]:
        raise RemoteSchemaError(
            f"field '{table}' is neither a list, a connection (nodes or edges) nor a lookup by '{key}' alone"
        )
    missing = sorted(set(columns) - set(target.fields))
    if missing:
        raise RemoteSchemaError(f"type '{target.name}' of field '{table}' has no field {', '.join(missing)}")
    return RemoteTable("", target.name, frozenset(target.fields), lookup=(table, Argument(key, args[key])))


def _lookup(schema: RemoteSchema, object_type: str, key: str) -> tuple[str, Argument] | None:
    """A root field that returns one ``object_type`` by its key argument alone."""
    roots = schema.type(schema.query)
    for name, ref in roots.fields.items():
        args = roots.args[name]
        if not ref.is_list and ref.named == object_type and list(args) == [key]:
            return name, Argument(key, args[key])
    return None


def _argument(
    args: Mapping[str, TypeRef], names: Iterable[str], *, input_only: bool = False, schema: RemoteSchema | None = None
) -> Argument | None:
    for name in names:
        if name in args:
            ref = args[name]
            if input_only and schema is not None and schema.type(ref.named).kind != "INPUT_OBJECT":
                continue
            return Argument(name, ref)
    return None


def _spelled(offered: Iterable[str], spellings: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    offered = set(offered)
    return {ours: next(s for s in names if s in offered) for ours, names in spellings.items() if offered & set(names)}


def _filters(
    schema: RemoteSchema, arg: Argument, columns: Iterable[str]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    where = schema.type(arg.type.named)
    ops = {c: _spelled(schema.type(where.fields[c].named).fields, _OP_SPELLINGS) for c in columns if c in where.fields}
    combinators = {
        ours: theirs
        for ours, theirs in _spelled(where.fields, _COMBINATORS).items()
        if where.fields[theirs].named == where.name  # nests the same input type
    }
    return ops, combinators


def _directions(schema: RemoteSchema, arg: Argument, columns: Iterable[str], key: str) -> dict[str, tuple[str, str]]:
    order = schema.type(arg.type.named)
    found: dict[str, tuple[str, str]] = {}
    for column in columns:
        if column not in order.fields:
            continue
        values = set(schema.type(order.fields[column].named).values)
        # Where NULLs go under a plain ASC is the remote's choice; the key is never NULL.
        pairs = _EXPLICIT + (_PLAIN if schema.is_govshare or column == key else ())
        for asc, desc in pairs:
            if asc in values and desc in values:
                found[column] = (asc, desc)
                break
    return found


def _hasura_count(schema: RemoteSchema, roots: RemoteType, name: str, filter_arg: Argument | None) -> bool:
    aggregate = schema.type(roots.fields[name].named).fields.get("aggregate")
    if aggregate is None or "count" not in schema.type(aggregate.named).fields:
        return False
    args = roots.args[name]
    return filter_arg is None or (filter_arg.name in args and args[filter_arg.name].named == filter_arg.type.named)
