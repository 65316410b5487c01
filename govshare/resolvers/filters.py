"""GraphQL filter and orderBy arguments → the connector filter language.

Arguments arrive as graphql-core coerced them: plain dicts keyed by GraphQL
names, so item names here are translated to source columns. Every item a
filter or ordering touches is reported, because reading through a filter is
reading (the policy decides those items like fields).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govshare.catalog.model import Resource
from govshare.connectors.base import And, Cmp, Filter, Not, Or, OrderKey
from govshare.errors import bad_input


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


def to_order(resource: Resource, spec: Sequence[Mapping[str, Any]] | None, touched: set[str]) -> list[str]:
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
        touched.add(name)
        descending = getattr(direction, "value", direction) == "DESC"
        order.append(("-" if descending else "") + name)
    if not any(o.lstrip("-") == resource.key for o in order):
        order.append(resource.key)
    return order


def order_keys(resource: Resource, order: Sequence[str]) -> tuple[OrderKey, ...]:
    return tuple(OrderKey(resource.items[o.lstrip("-")].column, descending=o.startswith("-")) for o in order)
