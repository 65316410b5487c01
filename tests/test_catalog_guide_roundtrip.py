"""YAML → the guide's tables (XLSX, CSV folder, CSV zip) → YAML gives the same catalog, and the same text."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from govshare.catalog import parse_catalog
from govshare.catalog.guide import read_guide, write_guide
from govshare.catalog.render import render_catalog
from govshare.demo.catalog import demo_catalog
from tests.test_catalog_guide_support import same_catalog, tables_of, valid_catalog, write_tables
from tests.test_catalog_support import VALID_TEXT, variant

TARGETS = ("guide.xlsx", "guide-csv", "guide.zip")


@pytest.fixture(scope="module")
def demo_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo catalog as `govshare demo` writes it (without its header comment)."""
    return render_catalog(demo_catalog(tmp_path_factory.mktemp("demo")))


@pytest.mark.parametrize("target", TARGETS)
def test_the_demo_catalog_round_trips(demo_text: str, target: str, tmp_path: Path) -> None:
    before = parse_catalog(demo_text, "catalog.yaml", env={})
    write_guide(before, tmp_path / target, "xlsx" if target.endswith(".xlsx") else "csv")
    after = read_guide(tmp_path / target, env={})
    same_catalog(before, after.catalog)
    assert after.text == demo_text  # the canonical layout: the demo's own file, line for line
    assert after.notes == []  # the demo's codes have the guide's structure


@pytest.mark.parametrize("target", TARGETS)
def test_the_valid_catalog_round_trips_with_its_references(target: str, tmp_path: Path) -> None:
    env = {"POLICE_DB_URL": "postgresql://police:s3cret@db.internal/police"}
    before = parse_catalog(VALID_TEXT, "valid.yaml", env=env)
    write_guide(before, tmp_path / target, "xlsx" if target.endswith(".xlsx") else "csv")
    after = read_guide(tmp_path / target, env=env)
    same_catalog(before, after.catalog)
    assert after.text == render_catalog(before)
    # The reference is written, not this machine's value of it.
    assert "${POLICE_DB_URL:-sqlite+aiosqlite:///./govshare-demo/police.db}" in after.text
    assert "s3cret" not in after.text
    assert after.catalog.sources["police_db"].url == env["POLICE_DB_URL"]


def test_the_canonical_layout_is_the_demo_layout(demo_text: str) -> None:
    assert render_catalog(parse_catalog(demo_text, "catalog.yaml", env={})) == demo_text


def test_the_workbook_has_a_sheet_per_table_with_the_guide_headers(tmp_path: Path) -> None:
    write_guide(valid_catalog(), tmp_path / "guide.xlsx", "xlsx")
    book = load_workbook(tmp_path / "guide.xlsx")
    assert book.sheetnames == ["信息资源", "信息项", "关联关系", "部门", "数据源", "用途", "平台"]
    headers = [c.value for c in book["信息资源"][1]]
    assert headers[:9] == ["信息资源代码", "信息资源名称", "信息资源提供方", "信息资源提供方代码", "信息资源分类",
                           "信息资源摘要", "信息资源格式", "共享方式", "更新周期"]  # fmt: skip
    person = [c.value for c in book["信息资源"][2]]
    assert person[:9] == ["1010100001/000001", "人口基础信息", "市公安局", "police", "基础信息资源", None, "数据库",
                          "接口、查询、下载", "每日"]  # fmt: skip
    items = {row[6]: row for row in book["信息项"].iter_rows(min_row=2, values_only=True)}
    assert items["criminalRecord"][:6] == ("1010100001/000001", "违法犯罪记录", "字符型", "不予共享", None,
                                           "《中华人民共和国个人信息保护法》第三十四条")  # fmt: skip
    assert items["phone"][3:5] == ("有条件共享", "仅限办理业务时联系本人")
    assert items["issuedOn"][2] == "日期型"


def test_the_tables_of_an_imported_catalog_are_the_tables_it_came_from(tmp_path: Path) -> None:
    sheets = tables_of(valid_catalog())
    again = read_guide(write_tables(tmp_path / "guide.xlsx", sheets), env={})
    assert tables_of(again.catalog) == sheets


EDGE_CASES = {
    "description: 营业执照等电子证照": 'description: "=SUM(A1) 以等号开头, 含逗号、顿号\\n和换行"',
    "mask: phone}": "mask: phone, values: [甲、乙, '[丙]', 丁]}",
    "title: 持有的电子证照}": 'title: "持有的电子证照 $${不是引用}"}',
    "many: true": 'many: "${JOIN_MANY:-true}"',
}


@pytest.mark.parametrize("target", TARGETS)
def test_values_a_spreadsheet_could_misread_round_trip(target: str, tmp_path: Path) -> None:
    before = parse_catalog(variant(EDGE_CASES), "edge.yaml", env={})
    write_guide(before, tmp_path / target, "xlsx" if target.endswith(".xlsx") else "csv")
    after = read_guide(tmp_path / target, env={})
    same_catalog(before, after.catalog)
    assert after.text == render_catalog(before)
    license, person = after.catalog.resources["License"], after.catalog.resources["Person"]
    assert license.description == "=SUM(A1) 以等号开头, 含逗号、顿号\n和换行"  # text, never a formula
    assert person.items["phone"].values == ("甲、乙", "[丙]", "丁")
    assert person.relations["licenses"].title == "持有的电子证照 ${不是引用}"
    assert '"持有的电子证照 $${不是引用}"' in after.text  # still an escape, not a reference
    assert 'many: "${JOIN_MANY:-true}"' in after.text  # a reference where a true/false goes stays one
    assert person.relations["licenses"].many is True
