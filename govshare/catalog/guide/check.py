"""The catalog's rules on a tabular catalog: the loader checks it, and each problem is told at its cell.

The structure built from the tables is written out as YAML with one value per line, and the
line of every value remembered; the loader then checks that text exactly as it checks a
catalog file (R1–R4, references, names, `${VAR}`), and each problem it finds is moved from its
line back to the cell the value came from. No rule of the catalog is written twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

from govshare.catalog.errors import CatalogError, Problem
from govshare.catalog.guide.build import Branch, Leaf
from govshare.catalog.guide.columns import TABLES, normal
from govshare.catalog.guide.problems import GuideError, GuideProblem, Where
from govshare.catalog.loader import parse_catalog
from govshare.catalog.model import Catalog
from govshare.catalog.render import flow_data

_LINE = re.compile(r"\bline (\d+)\b")


def _quoted(text: str) -> str:
    # Double quotes on one line whatever the text holds: a value never changes the lines of the others.
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=float("inf")).rstrip("\n")


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_quoted(str(v)) for v in value) + "]"
    if isinstance(value, dict):
        return flow_data(value)
    return _quoted(str(value))


def emit(root: Branch) -> tuple[str, list[Where]]:
    """YAML text of ``root``, one value per line, and the place of each line (index 0: line 1)."""
    lines: list[str] = []
    places: list[Where] = []

    def walk(branch: Branch, indent: str) -> None:
        for key, node in branch.entries.items():
            if isinstance(node, Leaf):
                lines.append(f"{indent}{_quoted(key)}: {_value(node.value)}")
            else:
                lines.append(f"{indent}{_quoted(key)}:" + ("" if node.entries else " {}"))
            places.append(node.where)
            if isinstance(node, Branch):
                walk(node, indent + "  ")

    walk(root, "")
    return "\n".join(lines) + "\n", places


def check(root: Branch, name: str, env: Mapping[str, str] | None) -> tuple[str, Catalog]:
    """The checked catalog and the YAML text it was read from; GuideError with each problem at its cell."""
    text, places = emit(root)
    try:
        return text, parse_catalog(text, name, env)
    except CatalogError as exc:

        def place(line: int) -> Where:
            return places[line - 1] if 0 < line <= len(places) else root.where

        def relocate(words: str) -> str:  # "(first at line 12)" names a cell instead
            return _LINE.sub(lambda m: place(int(m[1])).short, words)

        raise GuideError(
            GuideProblem(place(p.line), relocate(p.message), relocate(p.hint) + _columns_meant(place(p.line), p))
            for p in exc.problems
        ) from None


def _columns_meant(where: Where, problem: Problem) -> str:
    """The columns a hint names as catalog keys ('mark it business: true' → 业务项), named as the tables do."""
    table = next((t for t in TABLES if normal(where.sheet) in {normal(n) for n in t.names}), None)
    if table is None:
        return ""
    words = f"{problem.message} {problem.hint}"
    here = table.find(where.header) if where.header else None
    named = [
        f"{c.key} is the {c.zh} column" + (" (是/否)" if c.kind == "flag" else "")
        for c in table.columns
        if c is not here and c.kind != "info" and re.search(rf"\b{c.key}:", words)
    ]
    return f"; {', '.join(named)}" if named else ""
