"""Writes a catalog as hand-formatted YAML in the layout of DESIGN §3.

It is the first file users read, so it is laid out for people (one line per
item, aligned, with a comment per resource) rather than dumped.
"""

from __future__ import annotations

import json

import yaml

from govshare.catalog.model import Catalog, Category, Item, Relation, Resource, default_plural

_CATEGORY_ZH = {Category.BASE: "基础信息资源", Category.THEME: "主题信息资源", Category.DEPARTMENT: "部门信息资源"}
_FLOW_SPECIAL = set(",[]{}")


def scalar(value: str, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar: plain when that reads back unchanged, double-quoted otherwise."""
    plain_ok = (
        value != ""
        and not (flow and _FLOW_SPECIAL & set(value))
        and value[0] not in "!&*|>%@`'\"#-?:"
        and _safe_load_text(value) == value
    )
    return value if plain_ok else json.dumps(value, ensure_ascii=False)


def _safe_load_text(value: str) -> object:
    try:
        return yaml.safe_load(f"k: {value}\n").get("k")
    except yaml.YAMLError:
        return None


def _flow(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def _item(item: Item) -> str:
    pairs = [
        ("column", scalar(item.column, flow=True)),
        ("type", item.type.value),
        ("title", scalar(item.title, flow=True)),
        ("sharing", item.sharing.value),
    ]
    if item.business:
        pairs.append(("business", "true"))
    for key, value in (("condition", item.condition), ("legal_basis", item.legal_basis),
                       ("mask", item.mask), ("description", item.description)):  # fmt: skip
        if value is not None:
            pairs.append((key, scalar(value, flow=True)))
    if item.values is not None:
        pairs.append(("values", "[" + ", ".join(scalar(v, flow=True) for v in item.values) + "]"))
    return _flow(pairs)


def _relation(rel: Relation) -> str:
    pairs = [("target", rel.target), ("on", _flow([(rel.local, rel.remote)]))]
    if rel.many:
        pairs.append(("many", "true"))
    pairs.append(("title", scalar(rel.title, flow=True)))
    return _flow(pairs)


def _aligned(entries: dict[str, str], indent: str) -> list[str]:
    width = max(len(name) for name in entries) + 1
    return [f"{indent}{(name + ':').ljust(width)} {text}" for name, text in entries.items()]


def _resource(res: Resource, catalog: Catalog) -> list[str]:
    provider = catalog.departments[res.provider].name
    lines = [
        f"  # {provider}·{res.title}（{_CATEGORY_ZH[res.category]}）",
        f"  {res.name}:",
        f"    code: {json.dumps(res.code)}",
        f"    title: {scalar(res.title)}",
        f"    provider: {res.provider}",
        f"    category: {res.category.value}",
        f"    source: {res.source}",
        f"    table: {scalar(res.table)}",
        f"    key: {res.key}",
    ]
    if res.plural != default_plural(res.name):
        lines.append(f"    plural: {res.plural}")
    lines += [
        f"    update_cycle: {res.update_cycle}",
        f"    share_methods: [{', '.join(res.share_methods)}]",
    ]
    if res.description is not None:
        lines.append(f"    description: {scalar(res.description)}")
    if res.updated_item is not None:
        lines.append(f"    updated_item: {scalar(res.updated_item)}")
    lines.append("    items:")
    lines += _aligned({i.name: _item(i) for i in res.items.values()}, "      ")
    if res.relations:
        lines.append("    relations:")
        lines += _aligned({r.name: _relation(r) for r in res.relations.values()}, "      ")
    return lines


def render_catalog(catalog: Catalog, header: str = "") -> str:
    """The catalog as YAML text; ``header`` (may span lines) becomes a leading comment."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    p = catalog.platform
    lines += [
        f"version: {catalog.version}",
        "platform:",
        f"  name: {scalar(p.name)}",
        f"  authority: {p.authority}",
        "  purposes:",
        *(f"    {code}: {scalar(title)}" for code, title in p.purposes.items()),
        "departments:",
        *_aligned({d.code: _flow([("name", scalar(d.name, flow=True))]) for d in catalog.departments.values()},
                  "  "),
        "sources:",
    ]  # fmt: skip
    for src in catalog.sources.values():
        lines += [
            f"  {src.name}:",
            f"    department: {src.department}",
            f"    kind: {src.kind}",
            f"    url: {scalar(src.url)}",
        ]
    lines.append("resources:")
    for res in catalog.resources.values():
        lines += _resource(res, catalog)
    return "\n".join(lines) + "\n"
