"""The filter language (DESIGN §4): one language for GraphQL arguments, grant row scopes and connectors.

A filter arrives as GraphQL arguments (plain dicts keyed by item names, as graphql-core
coerced them) or as JSON (a grant's row scope), and leaves as terms in source columns
(:class:`Cmp`, :class:`And`, :class:`Or`, :class:`Not`) that every connector understands.
Every item a filter or ordering touches is reported, because reading through a filter is
reading: the policy decides those items like fields.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from govshare.catalog.model import FILTER_WORDS, ItemType, Resource
from govshare.errors import bad_input

# Comparison operators of the filter language (DESIGN §4).
Op = Literal["eq", "ne", "in", "nin", "lt", "lte", "gt", "gte", "contains", "startsWith", "isNull"]
ALL_OPS: frozenset[str] = frozenset(
    {"eq", "ne", "in", "nin", "lt", "lte", "gt", "gte", "contains", "startsWith", "isNull"}
)


@dataclass(frozen=True, slots=True)
class Cmp:
    """``column <op> value``; for ``in``/``nin`` the value is a tuple, for ``isNull`` a bool."""

    column: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


Filter = Cmp | And | Or | Not


def conjoin(*filters: Filter | None) -> Filter | None:
    """AND of the given filters, skipping ``None``; ``None`` when nothing is left."""
    parts = tuple(f for f in filters if f is not None)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


@dataclass(frozen=True, slots=True)
class OrderKey:
    column: str
    descending: bool = False


# Operators per item type; ordering and text operators only where they make sense.
_COMPARE = ("eq", "ne", "in", "nin", "lt", "lte", "gt", "gte")
OPS: dict[ItemType, tuple[str, ...]] = {
    ItemType.ID: (*_COMPARE, "contains", "startsWith", "isNull"),
    ItemType.STRING: (*_COMPARE, "contains", "startsWith", "isNull"),
    ItemType.INT: (*_COMPARE, "isNull"),
    ItemType.FLOAT: (*_COMPARE, "isNull"),
    ItemType.BOOLEAN: ("eq", "ne", "isNull"),
    ItemType.DATE: (*_COMPARE, "isNull"),
    ItemType.DATETIME: (*_COMPARE, "isNull"),
}


def to_filter(resource: Resource, spec: Mapping[str, Any] | None, touched: set[str]) -> Filter | None:
    if not spec:
        return None
    parts: list[Filter] = []
    for name, value in spec.items():
        if value is None:
            continue  # an explicit null for an optional condition means "no condition"
        if name == "and":
            parts.extend(p for p in (to_filter(resource, s, touched) for s in value) if p is not None)
        elif name == "or":
            branches = [to_filter(resource, s, touched) for s in value]
            if any(b is None for b in branches):
                continue  # an empty branch matches everything: the OR is true
            parts.append(Or(tuple(b for b in branches if b is not None)))
        elif name == "not":
            inner = to_filter(resource, value, touched)
            if inner is not None:
                parts.append(Not(inner))
        else:
            parts.extend(_item_conditions(resource, name, value, touched))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _item_conditions(resource: Resource, name: str, ops: Mapping[str, Any], touched: set[str]) -> list[Filter]:
    column = resource.items[name].column
    touched.add(name)
    conditions: list[Filter] = []
    for op, value in ops.items():
        if value is None:
            if op in ("eq", "ne"):
                raise bad_input(
                    f"{resource.name}Filter.{name}.{op} is null; to match missing values use "
                    f"{{{name}: {{isNull: {'true' if op == 'eq' else 'false'}}}}}",
                    resource=resource.name,
                    item=name,
                )
            continue
        if op in ("in", "nin"):
            value = tuple(value)
        conditions.append(Cmp(column, op, value))
    return conditions


def to_order(resource: Resource, spec: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Item names with a '-' prefix for descending, ending with the key (a total order)."""
    order: list[str] = []
    for position, entry in enumerate(spec or ()):
        given = [(name, d) for name, d in entry.items() if d is not None]
        if len(given) != 1:
            raise bad_input(
                f"orderBy[{position}] must name exactly one item (got {len(given)}); "
                "use one list entry per item, e.g. orderBy: [{a: ASC}, {b: DESC}]",
                resource=resource.name,
            )
        name, direction = given[0]
        descending = getattr(direction, "value", direction) == "DESC"
        order.append(("-" if descending else "") + name)
    if not any(o.lstrip("-") == resource.key for o in order):
        order.append(resource.key)
    return order


def order_keys(resource: Resource, order: Sequence[str]) -> tuple[OrderKey, ...]:
    return tuple(OrderKey(resource.items[o.lstrip("-")].column, descending=o.startswith("-")) for o in order)


def tested_items(raw: Mapping[str, Any] | None) -> list[str]:
    """Every item a filter written as JSON (a row scope) tests, in order, once each."""
    found: dict[str, None] = {}
    pending: list[Any] = [raw] if raw else []
    while pending:
        part = pending.pop(0)
        if isinstance(part, list):
            pending.extend(part)
        elif isinstance(part, Mapping):
            for name, value in part.items():
                if name in FILTER_WORDS:
                    pending.append(value)
                else:
                    found[str(name)] = None
    return list(found)


def scope_filter(resource: Resource, raw: Mapping[str, Any]) -> Filter | None:
    """A stored row scope (the GraphQL filter language as JSON) as a connector filter."""
    return to_filter(resource, coerce_filter(resource, raw), set())


def coerce_filter(resource: Resource, raw: Any, path: str = "scope") -> dict[str, Any]:
    """Check a filter written as JSON and convert its values to the items' types.

    Raises ValueError naming the offending place, e.g. ``scope.birthDate.gte``.
    """
    if not isinstance(raw, Mapping):
        raise ValueError(f'{path} must be an object such as {{"district": {{"eq": "龙亭区"}}}}')
    coerced: dict[str, Any] = {}
    for name, value in raw.items():
        where = f"{path}.{name}"
        if name in ("and", "or"):
            if not isinstance(value, list):
                raise ValueError(f"{where} must be a list of filters")
            coerced[name] = [coerce_filter(resource, v, f"{where}[{n}]") for n, v in enumerate(value)]
        elif name == "not":
            coerced[name] = coerce_filter(resource, value, where)
        elif name in resource.items:
            coerced[name] = _coerce_ops(resource.items[name].type, value, where)
        else:
            raise ValueError(f"{where}: {resource.name} has no item '{name}'; items: {', '.join(resource.items)}")
    return coerced


def _coerce_ops(item_type: ItemType, ops: Any, path: str) -> dict[str, Any]:
    if not isinstance(ops, Mapping):
        raise ValueError(f'{path} must be an object of operators, e.g. {{"eq": ...}}')
    allowed = OPS[item_type]
    coerced: dict[str, Any] = {}
    for op, value in ops.items():
        if op not in allowed:
            raise ValueError(
                f"{path}: '{op}' is not an operator for {item_type.value}; use one of {', '.join(allowed)}"
            )
        if op == "isNull":
            if not isinstance(value, bool):
                raise ValueError(f"{path}.isNull must be true or false")
            coerced[op] = value
        elif op in ("in", "nin"):
            if not isinstance(value, list):
                raise ValueError(f"{path}.{op} must be a list")
            coerced[op] = [coerce_value(item_type, v, f"{path}.{op}") for v in value]
        else:
            coerced[op] = coerce_value(item_type, value, f"{path}.{op}")
    return coerced


def coerce_value(item_type: ItemType, value: Any, path: str) -> Any:
    try:
        if item_type in (ItemType.ID, ItemType.STRING) and isinstance(value, str):
            return value
        if item_type is ItemType.INT and isinstance(value, int) and not isinstance(value, bool):
            return value
        if item_type is ItemType.FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if item_type is ItemType.BOOLEAN and isinstance(value, bool):
            return value
        if item_type is ItemType.DATE and isinstance(value, str):
            return datetime.date.fromisoformat(value)
        if item_type is ItemType.DATETIME and isinstance(value, str):
            return datetime.datetime.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"{path}: {value!r} is not a {item_type.value}")
