"""A workbook or CSV files written by someone else, in the guide's wording, read as their YAML twin.

The workbook below describes tests/catalogs/valid.yaml the way a department's template would:
a title row above the headers, columns in another order and with the guide's marks (*信息资源名称),
columns govshare does not read (序号, 开放属性), blank rows, a resource's code merged over the rows
of its items, the guide's 数据类型 instead of the catalog's item types, the legal basis of a
withheld item in its 共享条件, the provider named instead of coded, and one sheet in English.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from govshare.catalog.guide import read_guide
from govshare.catalog.render import render_catalog
from tests.test_catalog_guide_support import Rows, same_catalog, valid_catalog, write_book

PERSON, LICENSE = "1010100001/000001", "1020200002/000001"
PIPL_34 = "《中华人民共和国个人信息保护法》第三十四条"

RESOURCES: Rows = [
    ["开封市政务信息资源目录（2026年版）"],
    [],
    ["序号", "*信息资源名称", "信息资源代码", "信息资源提供方", "信息资源提供方代码", "信息资源分类", "信息资源摘要",
     "更新周期", "共享方式", "开放属性", "资源标识", "数据源", "数据表", "主键数据项", "列表字段名"],
    [1, "人口基础信息", PERSON, "市公安局", None, "基础", None, "每日", "接口，查询，下载", "不予开放", "Person",
     "police_db", "person", "idNumber", "people"],
    [],
    [2, "电子证照", LICENSE, "市市场监督管理局", "market", "主题信息资源", "营业执照等电子证照", "实时", "接口", None,
     "License", "market_api", "licenses", "licenseNo", None],
    [3],  # a numbered row left empty
]  # fmt: skip
ITEMS: Rows = [
    ["信息项（数据项）清单"],
    ["序号", "信息资源代码", "数据项标识", "数据项名称", "数据类型", "字段类型", "共享类型", "共享条件", "业务项",
     "源字段", "脱敏方式", "数据项说明"],
    [1, PERSON, "idNumber", "公民身份号码", "字符型C", "ID", "无条件共享", None, None, "id_number", None, None],
    [2, None, "name", "姓名", "字符型", None, "无条件共享", None, "否", None, None, None],
    [3, None, "phone", "联系电话", "字符型（C）", None, "有条件共享", "仅限办理业务时联系本人", "是", "phone", "phone",
     None],
    [4, None, "criminalRecord", "违法犯罪记录", "字符型", None, "不予共享", PIPL_34, "是", "criminal_record", None,
     None],
    [None] * 12,
    [5, LICENSE, "licenseNo", "证照编号", "C", None, "无条件", None, None, "license_no", None, None],
    [6, None, "holderId", "持证人身份号码", "字符型", "String", "无条件共享", None, None, "holder_id", None, None],
    [7, None, "issuedOn", "发证日期", "日期型D", None, "有条件共享", "仅限审批业务使用", None, "issued_on", None,
     "首次发证日期"],
]  # fmt: skip
RELATIONS: Rows = [
    ["resource", "name", "target", "local", "remote", "many", "title"],
    [PERSON, "licenses", LICENSE, "idNumber", "holderId", "yes", "持有的电子证照"],
    ["License", "holder", "Person", "holderId", "idNumber", "no", "持证人"],  # by 资源标识, which works too
]  # fmt: skip
OTHERS: dict[str, Rows] = {
    "部门": [["部门代码", "部门名称", "部门说明"], ["police", "市公安局", None],
             ["market", "市市场监督管理局", "负责电子证照"], ["bigdata", "市政务服务和大数据管理局", None]],
    "数据源": [["数据源名称", "所属部门代码", "连接类型", "连接地址", "连接参数"],
               ["police_db", "police", "sql", "${POLICE_DB_URL:-sqlite+aiosqlite:///./govshare-demo/police.db}",
                "{pool_size: 5, statement_timeout: 2.5}"],
               ["market_api", "market", "HTTP接口", "https://market.example.gov.cn/api", None]],
    "用途": [["用途名称", "用途代码"], ["作为行政依据", "administrative_basis"], ["工作参考", "work_reference"],
             ["数据校核", "data_verification"], ["业务协同", "business_collaboration"]],
    "平台": [["平台名称", "主管部门代码"], ["开封市政务数据共享平台", "bigdata"]],
    "填表说明": [["请按《政务信息资源目录编制指南》填写"]],
}  # fmt: skip


def test_someone_elses_workbook_reads_as_its_yaml_twin(tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "目录.xlsx",
        {"信息资源目录": RESOURCES, "信息项": ITEMS, "relations": RELATIONS, **OTHERS},
        merged={"信息资源目录": ["A1:O1"], "信息项": ["B3:B6", "B8:B10"]},
    )
    imported = read_guide(path, env={})
    same_catalog(imported.catalog, valid_catalog())
    assert imported.text == render_catalog(valid_catalog())
    assert [str(n) for n in imported.notes] == [
        f"{path}: 信息资源目录!C6 (信息资源代码): 信息资源代码 '{LICENSE}' is of 类 1 (基础信息资源), but the resource "
        "is a 主题信息资源 (hint: a 主题信息资源 has a code starting with 2: correct the code or the 信息资源分类)",
        f"{path}: 信息项!H6 (共享条件): the 共享条件 of a 不予共享 item is read as its legal basis "
        "(hint: to say so explicitly, move it to the 不予共享依据 column)",
        f"{path}: sheet 填表说明: '填表说明' is not one of the catalog's tables: not read "
        "(hint: the tables are: 信息资源, 信息项, 关联关系, 部门, 数据源, 用途, 平台)",
    ]


def _csv(rows: Rows, encoding: str) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue().encode(encoding)


# The same tables under English file names, as CSV files saved by Excel on a Chinese Windows (GB18030).
CSV_FILES = {"resources.csv": RESOURCES, "items.csv": ITEMS, "relations.csv": RELATIONS,
             "departments.csv": OTHERS["部门"], "sources.csv": OTHERS["数据源"], "purposes.csv": OTHERS["用途"],
             "platform.csv": OTHERS["平台"]}  # fmt: skip


def _filled(rows: Rows) -> Rows:
    """``rows`` with the merged code cells of ITEMS written out, as CSV has no merged cells."""
    code = ""
    out = []
    for row in rows:
        if len(row) > 2 and row[0] is not None and row is not ITEMS[1]:
            code = str(row[1] or code)
            row = [row[0], code, *row[2:]]
        out.append(row)
    return out


def test_csv_files_from_excel_read_as_the_same_catalog(tmp_path: Path) -> None:
    folder = tmp_path / "目录"
    folder.mkdir()
    for name, rows in CSV_FILES.items():
        (folder / name).write_bytes(_csv(_filled(rows) if rows is ITEMS else rows, "gb18030"))
    imported = read_guide(folder / "items.csv", env={})  # one file of the set names the folder
    same_catalog(imported.catalog, valid_catalog())


class _LegacyName(zipfile.ZipInfo):
    """A member name stored in the bytes of its text, without the UTF-8 flag (zipfile always sets it)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp437"), self.flag_bits


def test_a_zip_made_on_windows_reads_as_the_same_catalog(tmp_path: Path) -> None:
    path = tmp_path / "目录.zip"
    chinese = {"信息资源.csv": RESOURCES, "信息项.csv": _filled(ITEMS), "关联关系.csv": RELATIONS,
               **{f"{title}.csv": OTHERS[title] for title in ("部门", "数据源", "用途", "平台")}}  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in chinese.items():
            # Names in GBK without the UTF-8 flag, in a folder, as Windows' "Send to → Compressed folder" did.
            info = _LegacyName(f"目录/{name}".encode("gbk").decode("cp437"))
            archive.writestr(info, b"\xef\xbb\xbf" + _csv(rows, "utf-8"))
    with zipfile.ZipFile(path) as archive:
        assert not archive.infolist()[0].flag_bits & 0x800
    same_catalog(read_guide(path, env={}).catalog, valid_catalog())
