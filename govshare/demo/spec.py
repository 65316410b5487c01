"""Building blocks for the demo catalog: short constructors for items and relations.

Columns are derived from item names (``birthDate`` → ``birth_date``) so the
catalog and the generated tables cannot drift apart.
"""

from __future__ import annotations

import re

from govshare.catalog.model import Item, ItemType, Relation, Sharing

ID = ItemType.ID
STR = ItemType.STRING
INT = ItemType.INT
FLOAT = ItemType.FLOAT
BOOL = ItemType.BOOLEAN
DATE = ItemType.DATE


def column_of(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def U(name: str, type_: ItemType, title: str, *, mask: str | None = None) -> Item:
    """An unconditionally shared item."""
    return Item(name, column_of(name), type_, title, Sharing.UNCONDITIONAL, mask=mask)


def C(
    name: str, type_: ItemType, title: str, condition: str, *, mask: str | None = None, values: tuple[str, ...] = ()
) -> Item:
    """A conditionally shared business item (R2, R4), with its code set when it has one."""
    return Item(name, column_of(name), type_, title, Sharing.CONDITIONAL, business=True,
                condition=condition, mask=mask, values=values or None)  # fmt: skip


def W(name: str, type_: ItemType, title: str, legal_basis: str) -> Item:
    """A withheld business item with the law that keeps it back (R3)."""
    return Item(name, column_of(name), type_, title, Sharing.WITHHELD, business=True, legal_basis=legal_basis)


def R(name: str, target: str, local: str, remote: str, title: str, *, many: bool = True) -> Relation:
    return Relation(name, target, local, remote, many, title)


def items(*entries: Item) -> dict[str, Item]:
    return {i.name: i for i in entries}


def relations(*entries: Relation) -> dict[str, Relation]:
    return {r.name: r for r in entries}


# Code sets (代码集) of enumerated items; the generated records use these values only.
MARITAL_STATUSES = ("未婚", "已婚", "离婚", "丧偶")
BLOOD_TYPES = tuple(f"{abo}型{rh}" for rh in ("", " RhD阴性") for abo in ("A", "B", "O", "AB"))

# Legal bases cited by withheld items.
PIPL = "《中华人民共和国个人信息保护法》"
PIPL_SENSITIVE = f"{PIPL}第二十八条"  # sensitive personal information
HEALTH_INFO = "《中华人民共和国基本医疗卫生与健康促进法》第九十二条"
