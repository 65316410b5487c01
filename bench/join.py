"""Join scenarios: govshare's full GraphQL execution vs raw async SQLAlchemy, same rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller

PERSON_ITEMS = "idNumber name gender ethnicity birthDate district householdType education"
LICENSE_ITEMS = "licenseNumber type issuer issueDate"
TWO_LEVELS = f"{{ people(first: 1000) {{ nodes {{ {PERSON_ITEMS} licenses {{ {LICENSE_ITEMS} }} }} }} }}"
THREE_LEVELS = (
    "{ legalEntities(first: 1000) { nodes { creditCode name type registeredCapital establishedDate district "
    "legalRepresentative { idNumber name gender birthDate licenses { licenseNumber type issueDate } } } } }"
)
CALLER = Caller("market", "bench", ("member",))
PURPOSE = "work_reference"


@dataclass
class Scenario:
    name: str
    govshare: Callable[[], Awaitable[Any]]
    raw: Callable[[], Awaitable[Any]]
    statements: Callable[[], Awaitable[dict[str, int]]]


def _dicts(result: Any, names: list[str]) -> list[dict[str, Any]]:
    return [dict(zip(names, row, strict=True)) for row in result]


async def _run(gateway: Gateway, query: str) -> Any:
    outcome = await gateway.run(GraphQLRequest(query), CALLER, PURPOSE)
    assert "errors" not in outcome.body, outcome.body["errors"][:1]
    return outcome


def scenarios(gateway: Gateway, engines: dict[str, AsyncEngine]) -> list[Scenario]:
    police, elicense, market = engines["police_db"], engines["elicense_db"], engines["market_db"]
    person_cols = ["id_number", "name", "gender", "ethnicity", "birth_date", "district", "household_type", "education"]
    license_cols = ["license_number", "type", "issuer", "issue_date", "holder_id"]

    async def licenses_of(keys: list[Any], cols: list[str]) -> dict[Any, list[dict[str, Any]]]:
        grouped: dict[Any, list[dict[str, Any]]] = {}
        async with elicense.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT {', '.join(cols)} FROM license WHERE holder_id IN :keys").bindparams(
                    bindparam("keys", expanding=True)
                ),
                {"keys": keys},
            )
            for row in _dicts(rows, cols):
                grouped.setdefault(row["holder_id"], []).append(row)
        return grouped

    async def raw_two_levels() -> list[dict[str, Any]]:
        async with police.connect() as conn:
            people = _dicts(
                await conn.execute(text(f"SELECT {', '.join(person_cols)} FROM person ORDER BY id_number LIMIT 1000")),
                person_cols,
            )
        by_holder = await licenses_of([p["id_number"] for p in people], license_cols)
        for person in people:
            person["licenses"] = by_holder.get(person["id_number"], [])
        return people

    entity_cols = ["credit_code", "name", "type", "registered_capital", "established_date", "district",
                   "legal_representative_id"]  # fmt: skip
    rep_cols = ["id_number", "name", "gender", "birth_date"]

    async def raw_three_levels() -> list[dict[str, Any]]:
        async with market.connect() as conn:
            entities = _dicts(
                await conn.execute(
                    text(f"SELECT {', '.join(entity_cols)} FROM legal_entity ORDER BY credit_code LIMIT 1000")
                ),
                entity_cols,
            )
        ids = list({e["legal_representative_id"] for e in entities})
        async with police.connect() as conn:
            reps = {
                r["id_number"]: r
                for r in _dicts(
                    await conn.execute(
                        text(f"SELECT {', '.join(rep_cols)} FROM person WHERE id_number IN :ids").bindparams(
                            bindparam("ids", expanding=True)
                        ),
                        {"ids": ids},
                    ),
                    rep_cols,
                )
            }
        by_holder = await licenses_of(list(reps), ["license_number", "type", "issue_date", "holder_id"])
        for rep in reps.values():
            rep["licenses"] = by_holder.get(rep["id_number"], [])
        for entity in entities:
            entity["legalRepresentative"] = reps.get(entity["legal_representative_id"])
        return entities

    async def count_statements(query: str) -> dict[str, int]:
        outcome = await _run(gateway, query)
        assert outcome.context is not None
        return {source: s.statements for source, s in outcome.context.stats.items()}

    return [
        Scenario(
            "join: 1,000 persons × 8 items + licences × 4",
            lambda: _run(gateway, TWO_LEVELS),
            raw_two_levels,
            lambda: count_statements(TWO_LEVELS),
        ),
        Scenario(
            "join: 1,000 legal entities → representative → licences",
            lambda: _run(gateway, THREE_LEVELS),
            raw_three_levels,
            lambda: count_statements(THREE_LEVELS),
        ),
    ]
