"""From the rows of the tables to the catalog's structure, every value placed at the cell it came from.

Rows are joined as the guide joins them: an item or a relation names its resource by the
resource's 信息资源代码 (or its 资源标识), and a relation its target the same way. What only a
table can get wrong (a row naming no resource, the same item twice) is reported here; the
catalog's own rules are left to the loader (:mod:`govshare.catalog.guide.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from govshare.catalog.errors import did_you_mean
from govshare.catalog.guide.cells import cell_value
from govshare.catalog.guide.codes import code_notes
from govshare.catalog.guide.columns import GUIDE_TYPES, TABLE, Table
from govshare.catalog.guide.problems import Problems, Where
from govshare.catalog.guide.reading import Record, Tables


@dataclass(frozen=True)
class Leaf:
    where: Where
    value: object  # text, true/false, whole number, list of texts, or free-form mapping (options)


@dataclass
class Branch:
    where: Where
    entries: dict[str, Leaf | Branch] = field(default_factory=dict)


# What a row is an entry of (its resource, for items and relations), and its name there.
Owner = Callable[[Record], str | None]


class Builder:
    def __init__(self, tables: Tables, problems: Problems, notes: Problems) -> None:
        self.tables, self.problems, self.notes = tables, problems, notes
        self.resources = self._rows("resources")
        self.codes: dict[str, list[str]] = {}
        first: dict[str, Record] = {}
        for _, name, record in self.resources:
            code = record.text("code")
            if code and first.setdefault(code, record) is not record:
                # Rows of other tables name their resource by its code: say it here, once, not at each of them.
                other = first[code]
                problems.add(
                    record.at("code"),
                    f"信息资源代码 '{code}' is also the code of resource "
                    f"'{other.text('name')}' ({other.at('code').short})",
                    "every resource needs its own "
                    "信息资源代码 (the 信息项 and 关联关系 tables name resources by it): correct one of the two",
                )
            if code:
                self.codes.setdefault(code, []).append(name)
        self.departments = {name: r.text("name") for _, name, r in self._rows("departments", report=False)}
        self.unlinked = 0

    def root(self) -> Branch:
        first = next(iter(self.tables.where.values()))
        return Branch(
            Where(first.file),
            {
                "version": self._version(),
                "platform": self._platform(),
                "departments": self._section("departments"),
                "sources": self._section("sources"),
                "resources": self._resources(),
            },
        )

    def _rows(self, key: str, owner: Owner | None = None, report: bool = True) -> list[tuple[str, str, Record]]:
        """(owner, name, row) of each row whose name (and owner) can be read; a name used twice is reported."""
        table = TABLE[key]
        assert table.name is not None
        problems = self.problems if report else Problems()
        seen: dict[tuple[str, str], Record] = {}
        found = []
        for record in self.tables.rows.get(key, []):
            whose = owner(record) if owner else ""
            name = cell_value(record, table.column(table.name), problems)
            if whose is None or not isinstance(name, str):
                continue
            first = seen.setdefault((whose, name), record)
            if first is not record:
                column = table.column(table.name)
                problems.add(
                    record.at(table.name),
                    f"{column.title} '{name}' is used by another row ({first.at(table.name).short})",
                    "each row needs its own: rename one of the two",
                )
                continue
            found.append((whose, name, record))
        if not found and key in ("departments", "purposes") and report:
            problems.add(
                self.tables.where[key],
                f"the {table.zh} table has no rows",
                f"add at least one: {', '.join(c.zh for c in table.columns if c.required)}",
            )
        return found

    def _fields(self, record: Record, table: Table, skip: tuple[str, ...] = ()) -> dict[str, Leaf | Branch]:
        found: dict[str, Leaf | Branch] = {}
        for column in table.columns:
            if column.key in skip or column.key == table.name or column.kind == "info":
                continue
            value = cell_value(record, column, self.problems)
            if value is not None:
                found[column.key] = Leaf(record.at(column.key), value)
            elif column.key in record.cells and not record.text(column.key) and column.kind not in ("list", "words"):
                # Empty reads as absent; written as null it keeps a line, so that a problem about the
                # missing value (a withheld item without legal basis) is told at this very cell.
                found[column.key] = Leaf(record.at(column.key), None)
        return found

    def _version(self) -> Leaf:
        rows = self.tables.rows["platform"]
        version = cell_value(rows[0], TABLE["platform"].column("version"), self.problems) if rows else None
        return Leaf(rows[0].at("version") if rows else self.tables.where["platform"], 1 if version is None else version)

    def _platform(self) -> Branch:
        rows, where = self.tables.rows["platform"], self.tables.where["platform"]
        if len(rows) != 1:
            self.problems.add(
                where,
                f"the 平台 table must have one row, not {len(rows)}",
                "describe the platform in one row: 平台名称, 主管部门代码",
            )
        fields = self._fields(rows[0], TABLE["platform"], skip=("version",)) if rows else {}
        purposes = Branch(self.tables.where["purposes"])
        for _, code, record in self._rows("purposes"):
            label = cell_value(record, TABLE["purposes"].column("label"), self.problems)
            if label is not None:
                purposes.entries[code] = Leaf(record.at("code"), label)
        return Branch(rows[0].where if rows else where, {**fields, "purposes": purposes})

    def _section(self, key: str) -> Branch:
        return Branch(
            self.tables.where[key],
            {
                name: Branch(record.at(TABLE[key].name or ""), self._fields(record, TABLE[key]))
                for _, name, record in self._rows(key)
            },
        )

    def _link(self, record: Record, key: str) -> str | None:
        """The resource a cell names by its code (or its 资源标识); None, reported, when it names none."""
        column = TABLE["items"].column("resource") if key == "resource" else TABLE["relations"].column(key)
        text = cell_value(record, column, self.problems)
        if not isinstance(text, str):
            return None
        names = self.codes.get(text, [])
        if len(names) == 1:
            return names[0]
        if any(text == name for _, name, _ in self.resources):
            return text
        if key == "resource":
            self.unlinked += 1
        if not names:  # a code of several resources is reported at the resources
            self.problems.add(
                record.at(key),
                f"{column.title} '{text}' is not the code of a resource in the 信息资源 table",
                did_you_mean(text, self.codes, "the codes are"),
            )
        return None

    def _resources(self) -> Branch:
        table = TABLE["resources"]
        items = self._rows("items", lambda r: self._link(r, "resource"))
        relations = self._rows("relations", lambda r: self._link(r, "resource"))
        section = Branch(self.tables.where["resources"])
        for _, name, record in self.resources:
            fields = self._fields(record, table, skip=("provider", "provider_name"))
            provider = self._provider(record)
            if provider is not None:
                fields["provider"] = provider
            code, category = fields.get("code"), fields.get("category")
            if isinstance(code, Leaf) and isinstance(code.value, str) and isinstance(category, Leaf):
                for message, hint in code_notes(code.value, category.value):
                    self.notes.add(code.where, message, hint)
            mine = [(n, r) for owner, n, r in items if owner == name]
            if not mine and not self.unlinked:
                self.problems.add(
                    record.at("name"),
                    f"resource '{name}' has no rows in the 信息项 table",
                    f"add its items there, with 信息资源代码 {record.text('code') or name}",
                )
            at = record.at("name")
            fields["items"] = Branch(at, {n: self._item(r) for n, r in mine})
            links: dict[str, Leaf | Branch] = {n: self._relation(r) for owner, n, r in relations if owner == name}
            if links:
                fields["relations"] = Branch(at, links)
            section.entries[name] = Branch(at, fields)
        return section

    def _provider(self, record: Record) -> Leaf | None:
        """The provider's department code: as written, or found from the provider's name (信息资源提供方)."""
        code, name = record.text("provider"), record.text("provider_name")
        if code:
            known = self.departments.get(code)
            if name and known and known != name:
                self.problems.add(
                    record.at("provider_name"),
                    f"信息资源提供方 '{name}' is not the name of department '{code}' ({known})",
                    "correct it, or that department's 部门名称 in the 部门 table",
                )
            return Leaf(record.at("provider"), code)
        matches = [c for c, n in self.departments.items() if n == name]
        if name and len(matches) == 1:
            return Leaf(record.at("provider_name"), matches[0])
        column = TABLE["resources"].column("provider")
        self.problems.add(
            record.at("provider"),
            f"{column.title} is empty"
            + (f", and no one department of the 部门 table is named '{name}'" if name else ""),
            column.hint(),
        )
        return None

    def _item(self, record: Record) -> Branch:
        fields = self._fields(record, TABLE["items"], skip=("resource", "type", "data_type"))
        item_type = self._item_type(record)
        if item_type is not None:
            fields["type"] = item_type
        sharing = fields.get("sharing")
        withheld = isinstance(sharing, Leaf) and sharing.value == "withheld"
        if withheld and _given(fields, "condition") and not _given(fields, "legal_basis"):
            # The guide writes the legal basis of a 不予共享 item in its 共享条件.
            fields["legal_basis"] = fields.pop("condition")
            self.notes.add(
                record.at("condition"),
                "the 共享条件 of a 不予共享 item is read as its legal basis",
                "to say so explicitly, move it to the 不予共享依据 column",
            )
        return Branch(record.at("name"), fields)

    def _item_type(self, record: Record) -> Leaf | None:
        """字段类型, or the type the guide's 数据类型 stands for; the two must agree when both are given."""
        items = TABLE["items"]
        declared = cell_value(record, items.column("type"), self.problems, required=False)
        guide = cell_value(record, items.column("data_type"), self.problems, required=False)
        if (record.text("type") and declared is None) or (record.text("data_type") and guide is None):
            return None  # a wrong word, reported
        fits = GUIDE_TYPES.get(str(guide), ())
        if declared is None and guide is None:
            self.problems.add(
                record.at("type" if "type" in record.cells else "data_type"),
                f"{items.column('type').title} is empty",
                items.column("type").hint() + " (or give the guide's 数据类型: " + ", ".join(GUIDE_TYPES) + ")",
            )
            return None
        if declared is None:
            return Leaf(record.at("data_type"), fits[0] if fits else guide)
        if fits and declared not in fits and "${" not in str(declared):
            self.problems.add(
                record.at("data_type"),
                f"数据类型 '{record.text('data_type')}' does not fit 字段类型 '{declared}'",
                f"a {guide} item is {' or '.join(fits)}: correct one of the two, or leave 数据类型 empty",
            )
        return Leaf(record.at("type"), declared)

    def _relation(self, record: Record) -> Branch:
        relations = TABLE["relations"]
        fields = self._fields(record, relations, skip=("resource", "target", "local", "remote"))
        target = self._link(record, "target")
        if target is not None:
            fields["target"] = Leaf(record.at("target"), target)
        local = cell_value(record, relations.column("local"), self.problems)
        remote = cell_value(record, relations.column("remote"), self.problems)
        if isinstance(local, str) and isinstance(remote, str):
            both = record.at("local").cell(record.at("local").column, "本资源数据项 / 关联资源数据项")
            fields["on"] = Branch(record.where, {local: Leaf(both, remote)})
        return Branch(record.at("name"), fields)


def _given(fields: dict[str, Leaf | Branch], key: str) -> bool:
    found = fields.get(key)
    return isinstance(found, Leaf) and found.value is not None
