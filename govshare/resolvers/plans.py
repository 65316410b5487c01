"""Plans of root fields kept across requests: planned and restricted once, then reused.

A root field's plan (the levels to fetch, with the caller's denials, masks
and scopes folded in) depends on its field nodes, the department, the
purpose, the policy version and the day, and on nothing a request carries
besides. The engine hands the same field node lists to every request of a
compiled operation, so a plan is kept under their identity and reused until
the policy version (or the day) changes. The decisions a plan rests on are
replayed into each request that reuses it, for its audit record.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import FragmentSpreadNode, GraphQLResolveInfo, Node, VariableNode

from govshare.resolvers.context import RequestContext

if TYPE_CHECKING:
    Info = GraphQLResolveInfo[Any]

T = TypeVar("T")
MAX_PLANS = 4096


def planned(ctx: RequestContext, info: Info, build: Callable[[], T], *extra: Hashable) -> T:
    """The plan ``build`` makes for the field of ``info`` in this request's circumstances, made once."""
    access = ctx.access()
    nodes = info.field_nodes
    # Relations below the root field may take arguments from variables: their values shape the plan.
    values = tuple(repr(info.variable_values.coerced.get(v)) for v in _nested_variables(ctx, info))
    key = (id(nodes), access.department, access.purpose, access.policy.version, access.today, values, *extra)
    plans = ctx.runtime.plans
    found = plans.get(key)
    if found is not None and found[0] is nodes:  # the same list, not one reusing a freed list's id
        access.decisions.update(found[2])  # decided under this very key: the same decisions
        return found[1]  # type: ignore[no-any-return]
    used: set[tuple[str, str]] = set()
    access.used = used
    try:
        plan = build()
    finally:
        access.used = None
    if len(plans) >= MAX_PLANS:
        plans.clear()
    plans[key] = (nodes, plan, {used_key: access.decisions[used_key] for used_key in sorted(used)})
    return plan


def _nested_variables(ctx: RequestContext, info: Info) -> tuple[str, ...]:
    """The variables the arguments of fields below the root field read (found once per field nodes)."""
    key = ("variables", id(info.field_nodes))
    found = ctx.runtime.plans.get(key)
    if found is not None and found[0] is info.field_nodes:
        return found[1]  # type: ignore[no-any-return]
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[Node] = [n.selection_set for n in info.field_nodes if n.selection_set is not None]
    while pending:
        node = pending.pop()
        if isinstance(node, FragmentSpreadNode):
            fragment = info.fragments.get(node.name.value)
            if fragment is not None and node.name.value not in seen:
                seen.add(node.name.value)
                pending.append(fragment.selection_set)
        elif isinstance(node, VariableNode):
            names.add(node.name.value)
        else:
            pending.extend(child for child in _children(node))
    result = tuple(sorted(names))
    ctx.runtime.plans[key] = (info.field_nodes, result)
    return result


def _children(node: Node) -> list[Node]:
    children: list[Node] = []
    for attribute in node.keys:
        value = getattr(node, attribute, None)
        if isinstance(value, Node):
            children.append(value)
        elif isinstance(value, (list, tuple)):
            children.extend(v for v in value if isinstance(v, Node))
    return children
