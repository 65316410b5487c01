"""Joined selects (a relation read with its parents in one statement), against the reference model.

A connector that declares ``joins`` answers every case as a parent select followed by one
select per parent would; one that does not declare it refuses them all with ``Declined``.
The conformance table joins itself, on columns with NULLs, ties and unique values.
"""

from __future__ import annotations

from typing import Any

import pytest

from govshare.connectors import Capabilities, Cmp, Connector, Declined, Filter, Joined, OrderKey, Select
from tests.connectors.conftest import ROWS, TABLE
from tests.connectors.test_conformance import ALL, as_tuples, holds, matching, ordered

Answer = list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]

_CHILD_ORDERS = [(OrderKey("id"),), (OrderKey("x", True), OrderKey("at"), OrderKey("id", True))]
_CHILD_FILTERS: list[Filter | None] = [None, Cmp("n", "nin", (0, 1))]
_PARENT_FILTERS: list[Filter | None] = [None, Cmp("id", "in", tuple(f"k{i:03d}" for i in range(0, 40, 3)))]


def _cases() -> list[Joined]:
    cases = []
    for local, remote in [("name", "name"), ("day", "day"), ("flag", "flag"), ("n", "n"), ("id", "id")]:
        for limit in (None, 0, 2):
            for order in _CHILD_ORDERS:
                for child_where in _CHILD_FILTERS:
                    for parent_where in _PARENT_FILTERS:
                        parent = Select(TABLE, ("id", "name", local), parent_where, (OrderKey("name"), OrderKey("id")))
                        child = Select(TABLE, ("id", "day", "x"), child_where, order, None, limit)
                        cases.append(Joined(parent, local, child, remote))
    return cases


def expected(request: Joined) -> Answer:
    parent, child = request.parent, request.child
    answer: Answer = []
    for row in ordered(matching(parent.where), parent.order):
        value = row[request.local]
        below = [r for r in ROWS if value is not None and r[request.remote] == value and holds(child.where, r) is True]
        kept = ordered(below, child.order)[: child.limit]
        answer.append((as_tuples([row], parent.columns)[0], as_tuples(kept, child.columns)))
    return answer


async def test_joined_selects_answer_as_a_select_per_parent_would(connector: Connector) -> None:
    cases = _cases()
    if not connector.capabilities.joins:
        for request in cases[:3]:
            assert connector.capabilities.decline(request) == "joined selects"
            with pytest.raises(Declined):
                await connector.select_joined(request)
        return
    children = 0
    for request in cases:
        assert connector.capabilities.decline(request) is None
        found = await connector.select_joined(request)
        assert found == expected(request), request
        children += sum(len(rows) for _, rows in found)
    assert children > len(cases)  # the cases meet child rows, not only empty ones
    # No parent at all; and every column, each row joined to itself by the key.
    nobody = Select(TABLE, ALL, Cmp("id", "eq", "absent"), (OrderKey("id"),))
    assert await connector.select_joined(Joined(nobody, "id", Select(TABLE, ALL), "id")) == []
    everyone = Select(TABLE, ALL, None, (OrderKey("id"),))
    found = await connector.select_joined(Joined(everyone, "id", Select(TABLE, ALL, order=(OrderKey("id"),)), "id"))
    assert found == [(row, [row]) for row in as_tuples(ordered(ROWS, [OrderKey("id")]))]


def test_a_joined_select_is_declined_for_what_either_part_needs() -> None:
    joins = Capabilities(joins=True, order_by=True)
    plain = Select(TABLE, ("id",), None, (OrderKey("id"),))
    nested = Select(TABLE, ("id",), Cmp("name", "contains", "a"), (OrderKey("id"),))
    assert joins.decline(Joined(plain, "id", plain, "id")) is None
    assert joins.decline(Joined(nested, "id", plain, "id")) == "the 'contains' filter"
    assert joins.decline(Joined(plain, "id", nested, "id")) == "the 'contains' filter"
    assert Capabilities(order_by=True).decline(Joined(plain, "id", plain, "id")) == "joined selects"


def test_a_joined_select_refuses_what_it_cannot_mean() -> None:
    plain = Select(TABLE, ("id",), None, (OrderKey("id"),))
    with pytest.raises(ValueError, match="parent select takes no limit"):
        Joined(Select(TABLE, ("id",), None, (OrderKey("id"),), None, 5), "id", plain, "id")
    with pytest.raises(ValueError, match="child select takes no 'after' or 'per'"):
        Joined(plain, "id", Select(TABLE, ("id",), None, (OrderKey("id"),), None, 5, "name"), "id")
