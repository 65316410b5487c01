"""The generated schema: its names, descriptions and build cost facts users rely on."""

from __future__ import annotations

from govshare.catalog.model import PLATFORM_FIELDS
from govshare.catalog.names import GENERATED_TYPES, RESERVED_TYPES
from tests.testville import City


def test_every_type_is_reserved_or_generated_from_a_resource(city: City) -> None:
    """The catalog validator refuses resource names that would clash with these."""
    generated = {r + suffix for r in city.catalog.resources for suffix in ("", *GENERATED_TYPES)}
    names = {n for n in city.schema.graphql.type_map if not n.startswith("__")}
    assert names - generated - set(RESERVED_TYPES) == set()


def test_descriptions_carry_sharing_condition_and_provider(city: City) -> None:
    sdl = city.schema.sdl()
    assert "有条件共享 (conditional)" in sdl and "仅限联系本人" in sdl
    assert "提供部门 provider: 民政局 (civil)" in sdl
    assert "residentsAggregate(" in sdl and "resident(" in sdl
    resident = city.schema.graphql.type_map["Resident"]
    assert all(not str(f.type).endswith("!") for f in resident.fields.values())  # type: ignore[attr-defined]


def test_platform_root_fields_are_reserved(city: City) -> None:
    """The catalog validator refuses resources whose root fields would take these names."""
    query = city.schema.graphql.query_type
    assert query is not None
    generated = {name for r in city.catalog.resources.values() for name in r.root_fields}
    assert set(query.fields) - generated == set(PLATFORM_FIELDS)
