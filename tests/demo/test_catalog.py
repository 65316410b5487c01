"""The demo catalog: the rules it must follow (R2-R4) and the YAML file written next to the data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from govshare.catalog import Category, Sharing, load_catalog
from govshare.catalog.render import scalar
from govshare.demo.catalog import DEPARTMENTS, PLATFORM, RESOURCES

EXPECTED = {
    "Person": "police",
    "LegalEntity": "market",
    "License": "elicense",
    "LandParcel": "natres",
    "SocialInsurance": "hrss",
    "CreditRecord": "ndrc",
    "HealthRecord": "health",
}
LAW = re.compile(r"《[^》]+》第[一二三四五六七八九十百零]+条")


def test_resources_and_providers() -> None:
    assert {name: r.provider for name, r in RESOURCES.items()} == EXPECTED
    assert PLATFORM.authority == "bigdata"
    assert "bigdata" in DEPARTMENTS
    assert len({r.code for r in RESOURCES.values()}) == len(RESOURCES)


@pytest.mark.parametrize("name", list(RESOURCES))
def test_each_resource_mixes_the_three_sharing_types(name: str) -> None:
    r = RESOURCES[name]
    assert {i.sharing for i in r.items.values()} == set(Sharing)
    assert r.key_item.sharing is Sharing.UNCONDITIONAL
    for item in r.items.values():
        assert item.title
        if item.sharing is Sharing.WITHHELD:
            assert LAW.search(item.legal_basis or ""), item.name  # R3: cites an article of a law
        if item.sharing is Sharing.CONDITIONAL:
            assert item.condition, item.name
        if r.category is Category.BASE and not item.business:
            assert item.sharing is Sharing.UNCONDITIONAL, item.name  # R4


def test_base_resources_are_the_four_kinds_of_r4() -> None:
    base = {n for n, r in RESOURCES.items() if r.category is Category.BASE}
    assert base == {"Person", "LegalEntity", "License", "LandParcel"}


def test_yaml_parses_and_names_every_resource(world: Path) -> None:
    data = yaml.safe_load((world / "catalog.yaml").read_text(encoding="utf-8"))
    assert set(data["resources"]) == set(EXPECTED)
    assert data["platform"]["name"] == "开封市政务数据共享平台"
    assert set(data["platform"]["purposes"]) == {
        "administrative_basis", "work_reference", "data_verification", "business_collaboration",
    }  # fmt: skip
    assert data["sources"]["credit_api"] == {
        "department": "ndrc", "kind": "http", "url": "${CREDIT_API_URL:-http://127.0.0.1:8766}",
    }  # fmt: skip


def test_catalog_loads_and_matches_the_model(world: Path) -> None:
    catalog = load_catalog(world / "catalog.yaml", env={})
    assert catalog.platform == PLATFORM
    assert catalog.departments == DEPARTMENTS
    assert catalog.resources == RESOURCES
    for source in catalog.sources.values():
        if source.kind == "sql":
            # Defaults are absolute paths of the generated files, whatever the working directory.
            path = Path(source.url.removeprefix("sqlite+aiosqlite:///"))
            assert path.is_absolute()
            assert path.parent == world
            assert path.is_file()


def test_environment_overrides_a_source(world: Path) -> None:
    catalog = load_catalog(world / "catalog.yaml", env={"POLICE_DB_URL": "postgresql://db/police"})
    assert catalog.sources["police_db"].url == "postgresql://db/police"


@pytest.mark.parametrize(
    ("value", "flow", "plain"),
    [
        ("人口基础信息", False, True),
        ("a, b", True, False),
        ("a, b", False, True),
        ("key: value", False, False),
        ("true", False, False),
        ("123", False, False),
        ("# note", False, False),
        ("", False, False),
        ("${X:-sqlite:////tmp/a.db}", False, True),
    ],
)
def test_scalars_are_quoted_only_when_needed(value: str, flow: bool, plain: bool) -> None:
    text = scalar(value, flow=flow)
    assert (text == value) is plain
    document = f"k: {{v: {text}}}" if flow else f"k: {text}"
    loaded = yaml.safe_load(document)["k"]
    assert (loaded["v"] if flow else loaded) == value
