"""What an aggregate field measures, read from its selection, and the groups it answers.

The measures are the items selected under ``groups { sum avg min max }`` (aliases,
fragments and @skip/@include as graphql-core collects them): only those are computed,
and each is decided like any other use of its item before anything runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from graphql import FieldNode

from govshare.catalog.model import Resource
from govshare.connectors.aggregate import AGGREGATE_FUNCTIONS, Group
from govshare.resolvers.plan import Selection


def aggregated(resource: Resource, nodes: Iterable[FieldNode], sel: Selection) -> list[tuple[str, str]]:
    """(function, item) for every measure the selection shows, in a stable order."""
    groups = sel.fields(nodes).get("groups", [])
    functions = sel.fields(groups)
    found: list[tuple[str, str]] = []
    for function in AGGREGATE_FUNCTIONS:
        if function in functions:
            shown = sel.fields(functions[function])
            found += [(function, item) for item in resource.items if item in shown]
    return found


def group_answer(keys: Sequence[str], measured: Sequence[tuple[str, str]], group: Group) -> dict[str, Any]:
    """One group as the schema shows it: ``key`` (grouped items, then buckets), count, measures."""
    answer: dict[str, Any] = {"key": dict(zip(keys, map(_json, group.key), strict=True)), "count": group.rows}
    for function in AGGREGATE_FUNCTIONS:
        answer[function] = {}
    for (function, item), value in zip(measured, group.values, strict=True):
        answer[function][item] = value
    return answer


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value
