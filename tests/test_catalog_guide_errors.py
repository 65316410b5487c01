"""Bad tables are refused with every problem at its cell (sheet!cell, or file:line for CSV), never a traceback.

Each case changes a cell or two of the valid catalog's tables and names the one problem that must
come back, to the letter: where, what is wrong, how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from govshare.catalog.guide import GuideError, read_guide
from tests.test_catalog_guide_support import (
    Sheets,
    edited,
    only_problem,
    problems_of,
    tables_of,
    valid_catalog,
    write_book,
    write_tables,
)

VALID = tables_of(valid_catalog())
PERSON, LICENSE = "1010100001/000001", "1020200002/000001"

# (sheet, data row, header, new value) edits, and the problem as the workbook reports it.
CELL_CASES: dict[str, tuple[list[tuple[str, int, str, str]], str]] = {
    "unknown word": (
        [("信息项", 3, "共享类型", "有条件分享")],
        "信息项!D4 (共享类型): 共享类型 (sharing) '有条件分享' is not one of its words "
        "(hint: did you mean '有条件共享'? use one of: '无条件共享', '有条件共享', '不予共享')",
    ),
    "empty required cell": (
        [("信息项", 2, "信息项名称", "")],
        "信息项!B3 (信息项名称): 信息项名称 (title) is empty (hint: fill in 信息项名称, e.g. 公民身份号码)",
    ),
    "not a flag": (
        [("信息项", 3, "业务项", "可能")],
        "信息项!J4 (业务项): 业务项 (business) '可能' is not one of its words (hint: use one of: '是', '否')",
    ),
    "one wrong share method": (
        [("信息资源", 2, "共享方式", "接口、传真")],
        "信息资源!H3 (共享方式): 共享方式 (share_methods) '传真' is not one of its words "
        "(hint: use one of: '接口', '查询', '下载')",
    ),
    "not a whole number": (
        [("平台", 1, "目录格式版本", "v1")],
        "平台!C2 (目录格式版本): 目录格式版本 (version) must be a whole number, not 'v1' "
        "(hint: write the number alone, e.g. 1)",
    ),
    "options not a mapping": (
        [("数据源", 1, "连接参数", "pool_size=5")],
        "数据源!E2 (连接参数): 连接参数 (options) must be a mapping, not 'pool_size=5' "
        "(hint: write it as YAML, e.g. {pool_size: 5})",
    ),
    "code set not a JSON list": (
        [("信息项", 2, "代码集", "[甲, 乙]")],
        "信息项!L3 (代码集): 代码集 (values) is not a JSON list (Expecting value) "
        '(hint: separate the entries with 、, or write a JSON list: ["甲、乙", "丙"])',
    ),
    "item of no resource": (
        [("信息项", 3, "信息资源代码", "1010100001/00001")],
        f"信息项!A4 (信息资源代码): 信息资源代码 (resource) '1010100001/00001' is not the code of a resource in "
        f"the 信息资源 table (hint: did you mean '{PERSON}'? the codes are: '{PERSON}', '{LICENSE}')",
    ),
    "item twice": (
        [("信息项", 2, "数据项标识", "idNumber")],
        "信息项!G3 (数据项标识): 数据项标识 (name) 'idNumber' is used by another row (信息项!G2) "
        "(hint: each row needs its own: rename one of the two)",
    ),
    "code twice": (
        [("信息资源", 2, "信息资源代码", PERSON), ("信息项", 5, "信息资源代码", PERSON),
         ("信息项", 6, "信息资源代码", PERSON), ("信息项", 7, "信息资源代码", PERSON),
         ("关联关系", 2, "信息资源代码", PERSON)],
        f"信息资源!A3 (信息资源代码): 信息资源代码 '{PERSON}' is also the code of resource 'Person' (信息资源!A2) "
        "(hint: every resource needs its own 信息资源代码 (the 信息项 and 关联关系 tables name resources by it): "
        "correct one of the two)",
    ),
    "provider's name is another's": (
        [("信息资源", 1, "信息资源提供方", "市公安厅")],
        "信息资源!C2 (信息资源提供方): 信息资源提供方 '市公安厅' is not the name of department 'police' (市公安局) "
        "(hint: correct it, or that department's 部门名称 in the 部门 table)",
    ),
    "provider by an unknown name": (
        [("信息资源", 1, "信息资源提供方代码", ""), ("信息资源", 1, "信息资源提供方", "市公安厅")],
        "信息资源!D2 (信息资源提供方代码): 信息资源提供方代码 (provider) is empty, and no one department of the "
        "部门 table is named '市公安厅' (hint: fill in 信息资源提供方代码, e.g. police)",
    ),
    "data type against item type": (
        [("信息项", 7, "数据类型", "整型")],
        "信息项!C8 (数据类型): 数据类型 '整型' does not fit 字段类型 'Date' "
        "(hint: a 整型 item is Int: correct one of the two, or leave 数据类型 empty)",
    ),
    "no type at all": (
        [("信息项", 1, "数据类型", ""), ("信息项", 1, "字段类型", "")],
        "信息项!H2 (字段类型): 字段类型 (type) is empty (hint: write one of: ID, String, Int, Float, Boolean, Date, "
        "DateTime (or give the guide's 数据类型: 字符型, 备注型, 整型, 数值型, 浮点型, 双精度型, 货币型, 日期型, "
        "日期时间型, 逻辑型))",
    ),
    "a resource without items": (
        [("信息项", n, "信息资源代码", PERSON) for n in (5, 6, 7)],
        "信息资源!J3 (资源标识): resource 'License' has no rows in the 信息项 table "
        f"(hint: add its items there, with 信息资源代码 {LICENSE})",
    ),
    # The catalog's own rules, as the loader checks them, each at the cell it is about.
    "R3: withheld without legal basis": (
        [("信息项", 4, "不予共享依据", "")],
        "信息项!F5 (不予共享依据): item 'criminalRecord' of resource 'Person' is withheld but cites no legal_basis "
        "(R3) (hint: add legal_basis: naming the law or regulation that withholds it, "
        "e.g. 《中华人民共和国个人信息保护法》第三十四条)",
    ),
    "conditional without condition": (
        [("信息项", 3, "共享条件", "")],
        "信息项!E4 (共享条件): item 'phone' of resource 'Person' is conditional but states no condition "
        "(hint: add condition: saying when it is shared, e.g. 仅限办理业务时使用)",
    ),
    "R4: a base item that is conditional": (
        [("信息项", 2, "共享类型", "有条件共享"), ("信息项", 2, "共享条件", "仅限核验")],
        "信息项!D3 (共享类型): item 'name' of resource 'Person' is conditional, but the base items of a base "
        "resource must be unconditional (R4) (hint: make it unconditional, or mark it 'business: true' if it is a "
        "business item; business is the 业务项 column (是/否))",
    ),
    "unknown department": (
        [("信息资源", 2, "信息资源提供方代码", "mkt")],
        "信息资源!D3 (信息资源提供方代码): 'provider' of resource 'License' is 'mkt', which is not a defined "
        "department (hint: did you mean 'market'? defined departments are: 'police', 'market', 'bigdata')",
    ),
    "unknown item in a relation": (
        [("关联关系", 1, "关联资源数据项", "holder")],
        "关联关系!E2 (本资源数据项 / 关联资源数据项): relation 'licenses' of resource 'Person' joins to 'holder', "
        "which is not an item of License (hint: did you mean 'holderId'? items of License are: 'licenseNo', "
        "'holderId', 'issuedOn')",
    ),
    "not a GraphQL name": (
        [("信息项", 2, "数据项标识", "full name")],
        "信息项!G3 (数据项标识): item 'full name' of resource 'Person' is not a valid GraphQL name (letters, "
        "digits and _, not starting with a digit) (hint: rename it to 'fullName')",
    ),
    "environment variable not set": (
        [("数据源", 2, "连接地址", "${MARKET_URL}")],
        "数据源!D3 (连接地址): environment variable MARKET_URL is not set "
        "(hint: set MARKET_URL, or give a default: ${MARKET_URL:-value})",
    ),
    "version": (
        [("平台", 1, "目录格式版本", "2")],
        "平台!C2 (目录格式版本): catalog version 2 is not supported (hint: this govshare reads 'version: 1')",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CELL_CASES, ids=list(CELL_CASES))
def test_a_bad_cell_is_told_at_its_cell(case: str, tmp_path: Path) -> None:
    edits, expected = CELL_CASES[case]
    sheets: Sheets = VALID
    for edit in edits:
        sheets = edited(sheets, *edit)
    path = write_tables(tmp_path / "guide.xlsx", sheets)
    assert only_problem(path) == f"{path}: {expected}"


def test_csv_problems_are_told_by_file_line_and_column(tmp_path: Path) -> None:
    sheets = edited(VALID, "信息项", 3, "共享类型", "有条件分享")
    # A description over two lines: the next rows' line numbers are those a text editor shows.
    sheets = edited(sheets, "信息项", 1, "数据项说明", "第一行\n第二行")
    folder = write_tables(tmp_path / "guide", sheets)
    assert only_problem(folder) == (
        f"{folder}/信息项.csv:5 (column D, 共享类型): 共享类型 (sharing) '有条件分享' is not one of its words "
        "(hint: did you mean '有条件共享'? use one of: '无条件共享', '有条件共享', '不予共享')"
    )
    zipped = write_tables(tmp_path / "guide.zip", sheets)
    assert str(problems_of(zipped)[0]).startswith(f"{zipped}/信息项.csv:5 (column D, 共享类型): ")


def test_every_problem_of_the_cells_is_told_at_once(tmp_path: Path) -> None:
    sheets = edited(VALID, "信息项", 3, "共享类型", "有条件分享")
    sheets = edited(sheets, "信息资源", 2, "更新周期", "每两周")
    sheets = edited(sheets, "部门", 1, "部门名称", "")
    path = write_tables(tmp_path / "guide.xlsx", sheets)
    assert [str(p).split(": ", 2)[1] for p in problems_of(path)] == ["信息资源!I3 (更新周期)", "信息项!D4 (共享类型)",
                                                                   "部门!B2 (部门名称)"]  # fmt: skip


def _sheets(**changes: Sequence[Sequence[object]]) -> dict[str, Sequence[Sequence[object]]]:
    sheets: dict[str, Sequence[Sequence[object]]] = dict(VALID)
    for title, rows in changes.items():
        sheets[title] = rows
    return sheets


def test_missing_tables_are_named(tmp_path: Path) -> None:
    sheets = _sheets()
    del sheets["数据源"], sheets["平台"], sheets["关联关系"]  # relations may be left out
    path = write_book(tmp_path / "guide.xlsx", sheets)
    assert only_problem(path) == (
        f"{path}: the catalog's tables 数据源 (sources), 平台 (platform) are missing (hint: a workbook needs a sheet "
        "of each, a CSV folder or zip a file of each (信息资源.csv …); `govshare catalog export` writes a complete "
        "set to start from)"
    )


def test_a_folder_without_csv_files(tmp_path: Path) -> None:
    (tmp_path / "guide").mkdir()
    assert only_problem(tmp_path / "guide").startswith(
        f"{tmp_path / 'guide'}: the catalog's tables 信息资源 (resources), 信息项 (items), 部门 (departments), "
    )


def test_a_table_twice(tmp_path: Path) -> None:
    path = write_book(tmp_path / "guide.xlsx", {**_sheets(), "sources": VALID["数据源"]})
    assert only_problem(path) == (
        f"{path}: sheet sources: a second 数据源 table (the first is {path}: sheet 数据源) "
        "(hint: keep one of the two, or merge their rows)"
    )


def test_a_sheet_without_headers(tmp_path: Path) -> None:
    path = write_book(tmp_path / "guide.xlsx", _sheets(用途=[["administrative_basis", "作为行政依据"]]))
    assert only_problem(path) == (
        f"{path}: sheet 用途: no row has the headers of the 用途 table (hint: put the headers in one row: "
        "用途代码, 用途名称)"
    )


def test_a_missing_and_a_repeated_column(tmp_path: Path) -> None:
    items = [[c for n, c in enumerate(row) if n != 3] for row in VALID["信息项"]]  # without 共享类型
    items[0].append("信息项名称")
    for row in items[1:]:
        row.append("again")
    path = write_book(tmp_path / "guide.xlsx", _sheets(信息项=items))
    assert [str(p) for p in problems_of(path)] == [
        f"{path}: 信息项 row 1: the 信息项 table has no 共享类型 (sharing) column (hint: add a column headed 共享类型)",
        f"{path}: 信息项!M1 (信息项名称): a second 信息项名称 (title) column (the first is column B) "
        "(hint: keep one of the two)",
    ]


def test_one_platform_row_and_some_purposes(tmp_path: Path) -> None:
    platform = [*VALID["平台"], ["另一个平台", "bigdata", "1"]]
    path = write_book(tmp_path / "guide.xlsx", _sheets(平台=platform, 用途=VALID["用途"][:1]))
    assert [str(p) for p in problems_of(path)] == [
        f"{path}: sheet 用途: the 用途 table has no rows (hint: add at least one: 用途代码, 用途名称)",
        f"{path}: sheet 平台: the 平台 table must have one row, not 2 (hint: describe the platform in one row: "
        "平台名称, 主管部门代码)",
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("guide.xlsx", b"not a workbook", "cannot read the workbook: File is not a zip file (hint: check that it is "
         "an Excel workbook (.xlsx); an old .xls must be saved as .xlsx first)"),
        ("guide.xls", b"\xd0\xcf\x11\xe0", "cannot read a .xls as the guide's tables (hint: give an .xlsx workbook "
         "(in Excel: Save As → Excel Workbook), or a folder or .zip of CSV files)"),
        ("guide.zip", b"PK\x05\x06", "cannot read the zip file: File is not a zip file (hint: check that it is a "
         ".zip of CSV files)"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_tables(name: str, content: bytes, expected: str, tmp_path: Path) -> None:
    (tmp_path / name).write_bytes(content)
    assert only_problem(tmp_path / name) == f"{tmp_path / name}: {expected}"


def test_no_such_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope.xlsx") == (
        f"{tmp_path / 'nope.xlsx'}: no such file or folder "
        "(hint: give an .xlsx workbook, or a folder or .zip of CSV files)"
    )


def test_a_csv_file_in_neither_utf8_nor_gb18030(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "guide", VALID)
    (folder / "部门.csv").write_bytes(b"\xff\xfe\xff")
    assert only_problem(folder) == (
        f"{folder}/部门.csv: the file is neither UTF-8 nor GB18030 text (hint: save it as CSV UTF-8 (comma delimited))"
    )


def test_notes_are_kept_with_the_problems(tmp_path: Path) -> None:
    resources = [[*row, "x"] for row in VALID["信息资源"]]
    resources[0][-1] = "联系人"
    sheets = _sheets(信息资源=resources)
    sheets["信息项"] = edited(VALID, "信息项", 3, "共享类型", "有条件分享")["信息项"]
    path = write_book(tmp_path / "guide.xlsx", sheets)
    with pytest.raises(GuideError) as caught:
        read_guide(path, env={})
    assert len(caught.value.problems) == 1
    assert str(caught.value.notes[0]) == (
        f"{path}: 信息资源!P1 (联系人): column '联系人' is not one of the 信息资源 table's: not read "
        "(hint: its columns are: 信息资源代码, 信息资源名称, 信息资源提供方, 信息资源提供方代码, 信息资源分类, "
        "信息资源摘要, 信息资源格式, 共享方式, 更新周期, 资源标识, 数据源, 数据表, 主键数据项, 列表字段名, 更新时间数据项)"
    )
