"""The tables of the guide's form (政务信息资源目录编制指南): sheets, columns and the words of their cells.

Headers are the guide's own wording where it has a column (信息资源代码, 共享类型, 更新周期 …);
what the catalog carries beyond the guide (sources, tables, item names …) has columns of its
own. Every column is also accepted under its catalog key in English (``code``, ``sharing``),
so an English header row reads too. Which keys are required comes from the loader itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from govshare.catalog.loader import ITEM_REQUIRED, ITEM_TYPES, RELATION_REQUIRED, RESOURCE_KEYS, RESOURCE_OPTIONAL

# text: as written; choice: one word of a vocabulary; flag: 是/否; words: several words of a
# vocabulary; list: several texts (a code set); whole: a whole number; options: a YAML mapping;
# info: written on export for readers of the guide's form, not read back.
Kind = Literal["text", "choice", "flag", "words", "list", "whole", "options", "info"]


def normal(text: str) -> str:
    """How headers and words are compared: no spaces or brackets, case folded (字符型（C） = 字符型c)."""
    return re.sub(r"[\s()（）*＊:：]", "", text).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """The words a column takes: each code (as the catalog writes it) with the label the guide uses."""

    labels: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)

    def code(self, word: str) -> str | None:
        wanted = normal(word)
        for code, label in self.labels.items():
            if wanted in (normal(code), normal(label)):
                return code
        return next((code for alias, code in self.aliases.items() if normal(alias) == wanted), None)

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


SHARING = Vocabulary(
    {"unconditional": "无条件共享", "conditional": "有条件共享", "withheld": "不予共享"},
    {"无条件": "unconditional", "有条件": "conditional", "不共享": "withheld"},
)
UPDATE_CYCLES = Vocabulary(
    {"realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月", "quarterly": "每季度", "yearly": "每年"},
    {"每天": "daily", "每季": "quarterly", "每年度": "yearly"},
)
CATEGORIES = Vocabulary(
    {"base": "基础信息资源", "theme": "主题信息资源", "department": "部门信息资源"},
    {"基础": "base", "主题": "theme", "部门": "department"},
)
SHARE_METHODS = Vocabulary({"interface": "接口", "query": "查询", "download": "下载"}, {"文件下载": "download"})
MASKS = Vocabulary(
    {"id_number": "身份证号码", "phone": "电话号码", "name": "姓名", "address": "地址", "full": "全部遮蔽"}
)
FLAGS = Vocabulary({"true": "是", "false": "否"}, {"yes": "true", "y": "true", "1": "true", "no": "false",
                                                  "n": "false", "0": "false"})  # fmt: skip
SOURCE_KINDS = Vocabulary({"sql": "数据库", "http": "HTTP接口", "graphql": "GraphQL接口"}, {"接口": "http"})
ITEM_TYPE_WORDS = Vocabulary({t: t for t in ITEM_TYPES})

# The guide's data types (数据类型) with the item types each may be, the first when only it is given.
GUIDE_TYPES: dict[str, tuple[str, ...]] = {
    "字符型": ("String", "ID"),
    "备注型": ("String",),
    "整型": ("Int",),
    "数值型": ("Float", "Int"),
    "浮点型": ("Float",),
    "双精度型": ("Float",),
    "货币型": ("Float",),
    "日期型": ("Date",),
    "日期时间型": ("DateTime",),
    "逻辑型": ("Boolean",),
}
_LETTERS = {"字符型": "C", "备注型": "M", "整型": "I", "数值型": "N", "浮点型": "F", "双精度型": "B",
            "货币型": "Y", "日期型": "D", "日期时间型": "T", "逻辑型": "L"}  # fmt: skip
DATA_TYPES = Vocabulary(
    {word: word for word in GUIDE_TYPES},
    {alias: word for word, letter in _LETTERS.items() for alias in (word + letter, letter)},
)
# The word written on export for each item type.
GUIDE_TYPE_OF = {"ID": "字符型", "String": "字符型", "Int": "整型", "Float": "浮点型", "Boolean": "逻辑型",
                 "Date": "日期型", "DateTime": "日期时间型"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    key: str  # the catalog key it carries, also its English header (or a role: resource, data_type…)
    zh: str  # the Chinese header written on export
    kind: Kind = "text"
    words: Vocabulary | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""  # what to fill in, for hints

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.key, *self.aliases)

    @property
    def title(self) -> str:
        return f"{self.zh} ({self.key})"

    def hint(self) -> str:
        if self.words is not None:
            return "write one of: " + ", ".join(self.words.labels.values())
        return f"fill in {self.zh}" + (f", e.g. {self.example}" if self.example else "")


@dataclass(frozen=True)
class Table:
    key: str  # resources, items …
    zh: str  # the sheet's title (and the CSV file's name)
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    # The column whose value names the row's entry in the catalog (None: the table has one row).
    name: str | None = "name"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.zh, self.key, *self.aliases)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def find(self, header: str) -> Column | None:
        """The column a header names: as a whole, or either part of 'zh (en)' / 'zh' + line break + 'en'."""
        text = header.strip()
        forms = {normal(text)} | {normal(part) for part in re.split(r"[()（）\n]", text) if part.strip()}
        forms.discard("")
        return next((c for c in self.columns if forms & {normal(n) for n in c.names}), None)


def _required(keys: tuple[str, ...] | set[str], *columns: Column) -> tuple[Column, ...]:
    """Marks the columns whose catalog key the loader requires (and the row-naming ones passed in)."""
    return tuple(replace(c, required=c.required or c.key in keys) for c in columns)


RESOURCE_CODE = Column("resource", "信息资源代码", required=True, example="1010100001/000001")

TABLES = (
    Table("resources", "信息资源", _required(
        set(RESOURCE_KEYS) - set(RESOURCE_OPTIONAL) | {"name"},
        Column("code", "信息资源代码", example="1010100001/000001"),
        Column("title", "信息资源名称", example="人口基础信息"),
        Column("provider_name", "信息资源提供方", example="市公安局"),
        Column("provider", "信息资源提供方代码", example="police"),
        Column("category", "信息资源分类", "choice", CATEGORIES, ("资源属性分类", "资源分类")),
        Column("description", "信息资源摘要", aliases=("摘要",)),
        Column("format", "信息资源格式", "info"),
        Column("share_methods", "共享方式", "words", SHARE_METHODS),
        Column("update_cycle", "更新周期", "choice", UPDATE_CYCLES),
        Column("name", "资源标识", example="Person (a GraphQL type name)"),
        Column("source", "数据源", example="police_db"),
        Column("table", "数据表", example="person"),
        Column("key", "主键数据项", example="idNumber"),
        Column("plural", "列表字段名", example="people"),
        Column("updated_item", "更新时间数据项", example="updatedAt"),
    ), ("资源", "信息资源目录", "目录")),
    Table("items", "信息项", _required(
        set(ITEM_REQUIRED) - {"type"} | {"name"},
        RESOURCE_CODE,
        Column("title", "信息项名称", aliases=("数据项名称",), example="公民身份号码"),
        Column("data_type", "数据类型", "choice", DATA_TYPES),
        Column("sharing", "共享类型", "choice", SHARING),
        Column("condition", "共享条件", example="仅限办理业务时使用"),
        Column("legal_basis", "不予共享依据", aliases=("法律依据",), example="《中华人民共和国个人信息保护法》第X条"),
        Column("name", "数据项标识", example="idNumber (a GraphQL field name)"),
        Column("type", "字段类型", "choice", ITEM_TYPE_WORDS),
        Column("column", "源字段", example="id_number"),
        Column("business", "业务项", "flag", FLAGS),
        Column("mask", "脱敏方式", "choice", MASKS),
        Column("values", "代码集", "list", example="未婚、已婚、离婚、丧偶"),
        Column("description", "数据项说明"),
    ), ("数据项", "信息项信息")),
    Table("relations", "关联关系", _required(
        set(RELATION_REQUIRED) | {"name", "local", "remote"},
        RESOURCE_CODE,
        Column("name", "关联标识", example="licenses (a GraphQL field name)"),
        Column("title", "关联名称", example="持有的电子证照"),
        Column("target", "关联资源代码", example="1050100001/000001"),
        Column("local", "本资源数据项", example="idNumber"),
        Column("remote", "关联资源数据项", example="holderId"),
        Column("many", "一对多", "flag", FLAGS),
    ), ("关联",)),
    Table("departments", "部门", _required(
        {"code", "name"},
        Column("code", "部门代码", example="police"),
        Column("name", "部门名称", example="市公安局"),
        Column("description", "部门说明"),
    ), name="code"),
    Table("sources", "数据源", _required(
        {"name", "department", "kind", "url"},
        Column("name", "数据源名称", example="police_db"),
        Column("department", "所属部门代码", example="police"),
        Column("kind", "连接类型", "choice", SOURCE_KINDS),
        Column("url", "连接地址", example="${POLICE_DB_URL}"),
        Column("options", "连接参数", "options", example="{pool_size: 5}"),
    )),
    Table("purposes", "用途", _required(
        {"code", "label"},
        Column("code", "用途代码", example="work_reference"),
        Column("label", "用途名称", example="工作参考"),
    ), name="code"),
    Table("platform", "平台", _required(
        {"name", "authority"},
        Column("name", "平台名称", example="开封市政务数据共享平台"),
        Column("authority", "主管部门代码", example="bigdata"),
        Column("version", "目录格式版本", "whole"),
    ), name=None),
)  # fmt: skip
TABLE = {t.key: t for t in TABLES}
# Columns of the guide's templates that the catalog has no place for: read past without a note.
GUIDE_ONLY = tuple(
    normal(h) for h in ("序号", "开放属性", "是否向社会开放", "开放条件", "发布日期", "关联资源代码", "备注")
)
