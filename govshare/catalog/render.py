"""Writes a catalog as YAML in the canonical layout of docs/catalog.md: the form people read.

One line per item and per relation, aligned, with a comment naming each resource's provider,
so that a catalog made from a spreadsheet reads like one written by hand. Values are written
as they were (``${VAR}`` references kept, see :mod:`govshare.catalog.document`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import yaml

from govshare.catalog.document import Document, catalog_document
from govshare.catalog.loader import ITEM_KEYS, RELATION_KEYS, RESOURCE_KEYS
from govshare.catalog.model import Catalog

CATEGORY_TITLES = {"base": "基础信息资源", "theme": "主题信息资源", "department": "部门信息资源"}
# The keys a resource writes before its items and relations, in the loader's order.
RESOURCE_HEAD = tuple(key for key in RESOURCE_KEYS if key not in ("items", "relations"))
_FLOW_SPECIAL = set(",[]{}")


def scalar(value: object, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar: plain when that reads back unchanged, double-quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    plain = (
        text != ""
        and not (flow and _FLOW_SPECIAL & set(text))
        and text[0] not in "!&*|>%@`'\"#-?:"
        and _reads_back(f"k: {text}\n") == text
    )
    if plain:
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # readable; YAML's own quoting for what JSON leaves raw
    return quoted if _reads_back(f"k: {quoted}\n") == text else _yaml_quoted(text)


def _yaml_quoted(text: str) -> str:
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=float("inf")).rstrip("\n")


def _reads_back(line: str) -> object:
    try:
        loaded = yaml.safe_load(line)
    except yaml.YAMLError:
        return None
    return loaded.get("k") if isinstance(loaded, dict) else None


def _value(value: object) -> str:
    """A value inside a flow mapping: a scalar, a list of texts or a mapping."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v, flow=True) for v in value) + "]"
    if isinstance(value, Mapping):
        return _flow([(scalar(k, flow=True), _value(v)) for k, v in value.items()])
    return scalar(value, flow=True)


def _flow(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def _entry(entry: Mapping[str, object], keys: tuple[str, ...]) -> str:
    return _flow([(k, _value(entry[k])) for k in keys if k in entry])


def flow_data(data: object) -> str:
    """Free-form data (source options) on one line, in YAML's flow style: it keeps the types the loader reads."""
    dumped = yaml.safe_dump(data, default_flow_style=True, allow_unicode=True, width=float("inf"), sort_keys=False)
    return dumped.strip()


def _aligned(entries: dict[str, str], indent: str) -> list[str]:
    width = max(len(name) for name in entries) + 1
    return [f"{indent}{(name + ':').ljust(width)} {text}" for name, text in entries.items()]


def _section(name: str, entries: Mapping[str, object], indent: str, keys: tuple[str, ...]) -> list[str]:
    if not entries:
        return [f"{indent}{name}: {{}}"]
    rows = {scalar(k): _entry(_mapping(v), keys) for k, v in entries.items()}
    return [f"{indent}{name}:", *_aligned(rows, indent + "  ")]


def _mapping(value: object) -> Mapping[str, object]:
    assert isinstance(value, Mapping), value
    return value


def _resource(name: str, res: Mapping[str, object], departments: Mapping[str, object]) -> list[str]:
    provider = departments.get(str(res["provider"]))
    who = f"{_mapping(provider)['name']}·" if isinstance(provider, Mapping) else ""
    category = CATEGORY_TITLES.get(str(res["category"]), str(res["category"]))
    comment = " ".join(f"{who}{res['title']}（{category}）".split())  # a line break would end the comment
    lines = [f"  # {comment}", f"  {scalar(name)}:"]
    for key in RESOURCE_HEAD:
        if key not in res:
            continue
        value = res[key]
        if key == "code":
            text = json.dumps(value, ensure_ascii=False)  # always quoted: a code is text, never a number
        elif isinstance(value, list):
            text = "[" + ", ".join(scalar(v, flow=True) for v in value) + "]"
        else:
            text = scalar(value)
        lines.append(f"    {key}: {text}")
    lines += _section("items", _mapping(res["items"]), "    ", ITEM_KEYS)
    if res.get("relations"):
        lines += _section("relations", _mapping(res["relations"]), "    ", RELATION_KEYS)
    return lines


def render_document(doc: Document, header: str = "") -> str:
    """The YAML text of a catalog document (:func:`govshare.catalog.document.catalog_document`).

    ``header`` (may span lines) becomes a leading comment.
    """
    platform = _mapping(doc["platform"])
    departments = _mapping(doc["departments"])
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [
        f"version: {scalar(doc['version'])}",
        "platform:",
        f"  name: {scalar(platform['name'])}",
        f"  authority: {scalar(platform['authority'])}",
        "  purposes:",
        *(f"    {scalar(code)}: {scalar(label)}" for code, label in _mapping(platform["purposes"]).items()),
        *_section("departments", departments, "", ("name", "description")),
    ]
    sources = _mapping(doc["sources"])
    lines.append("sources:" if sources else "sources: {}")
    for name, src in sources.items():
        fields = _mapping(src)
        lines.append(f"  {scalar(name)}:")
        lines += [f"    {key}: {scalar(fields[key])}" for key in ("department", "kind", "url")]
        if "options" in fields:
            lines.append(f"    options: {flow_data(fields['options'])}")
    resources = _mapping(doc["resources"])
    lines.append("resources:" if resources else "resources: {}")
    for name, res in resources.items():
        lines += _resource(name, _mapping(res), departments)
    return "\n".join(lines) + "\n"


def render_catalog(catalog: Catalog, header: str = "") -> str:
    """``catalog`` as canonical YAML, its `${VAR}` references as its text wrote them, after ``header``'s comment."""
    return render_document(catalog_document(catalog), header)
