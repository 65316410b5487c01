"""Load a catalog file: YAML → checked model objects (DESIGN §3).

Reading happens in two passes so that every problem is reported at once:
the builders below turn each mapping into model objects, reporting
structural problems (unknown/duplicate/missing keys, wrong types) and using
harmless placeholders for unusable values; then :mod:`rules` checks the
cross-references on the objects. Only a catalog without any problem is
returned.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from yaml.nodes import Node

from govshare.catalog.errors import CatalogError, Collector, Problem
from govshare.catalog.model import (
    MASKS,
    SHARE_METHODS,
    SOURCE_KINDS,
    UPDATE_CYCLES,
    Catalog,
    Category,
    Department,
    Item,
    ItemType,
    Platform,
    Relation,
    Resource,
    Sharing,
    Source,
    default_plural,
)
from govshare.catalog.reader import Context, Fields, text_of
from govshare.catalog.validate import check_rules
from govshare.catalog.yamlnodes import check_tags, compose, expand_env

SUPPORTED_VERSION = 1
TOP_KEYS = ("version", "platform", "departments", "sources", "resources")
PLATFORM_KEYS = ("name", "authority", "purposes")
DEPARTMENT_KEYS = ("name", "description")
SOURCE_KEYS = ("department", "kind", "url", "options")
RESOURCE_KEYS = (
    "code",
    "title",
    "provider",
    "category",
    "source",
    "table",
    "key",
    "plural",
    "update_cycle",
    "share_methods",
    "items",
    "relations",
    "description",
    "updated_item",
)
RESOURCE_OPTIONAL = ("plural", "relations", "description", "updated_item")
ITEM_KEYS = (
    "column",
    "type",
    "title",
    "sharing",
    "business",
    "condition",
    "legal_basis",
    "mask",
    "description",
    "values",
)
ITEM_REQUIRED = ("type", "title", "sharing")
RELATION_KEYS = ("target", "on", "many", "title")
RELATION_REQUIRED = ("target", "on", "title")

CATEGORIES = tuple(c.value for c in Category)
ITEM_TYPES = tuple(t.value for t in ItemType)
SHARINGS = tuple(s.value for s in Sharing)


def load_catalog(path: str | Path, env: Mapping[str, str] | None = None) -> Catalog:
    """Read and check the catalog file at ``path``; raise CatalogError listing every problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        hint = "check the path, and that the file is UTF-8 text"
        raise CatalogError([Problem(name, 0, f"cannot read the catalog: {reason}", hint)]) from None
    return parse_catalog(text, name, env)


def parse_catalog(text: str, path: str = "<catalog>", env: Mapping[str, str] | None = None) -> Catalog:
    """Check catalog YAML ``text`` (named ``path`` in problems); `${VAR}` come from ``env``."""
    root = compose(text, path)
    if root is None:
        hint = "start from the example in docs/catalog.md"
        raise CatalogError([Problem(path, 1, "the catalog is empty", hint)])
    ctx = Context(Collector(path))
    check_tags(root, ctx.out)
    expand_env(root, os.environ if env is None else env, ctx.out)
    catalog = replace(_catalog(ctx, root, path, hashlib.sha256(text.encode("utf-8")).hexdigest()), text=text)
    check_rules(ctx, catalog)
    ctx.out.raise_if_any()
    return catalog


def _catalog(ctx: Context, root: Node, path: str, digest: str) -> Catalog:
    top = Fields(ctx, root, (), "the catalog", TOP_KEYS, TOP_KEYS)
    version = top.integer("version")
    if version is not None and version != SUPPORTED_VERSION:
        ctx.invalid(
            ("version",),
            f"catalog version {version} is not supported",
            f"this govshare reads 'version: {SUPPORTED_VERSION}'",
        )
    platform = _platform(ctx, top.values.get("platform"))
    departments = {
        code: _department(ctx, code, node, where)
        for code, node, where in top.entries("departments", "departments", example="police: {name: 市公安局}")
    }
    sources = {name: _source(ctx, name, node, where) for name, node, where in top.entries("sources", "sources")}
    resources = {name: _resource(ctx, name, node, where) for name, node, where in top.entries("resources", "resources")}
    return Catalog(
        version=version or SUPPORTED_VERSION,
        platform=platform,
        departments=departments,
        sources=sources,
        resources=resources,
        path=path,
        digest=digest,
    )


def _platform(ctx: Context, node: Node | None) -> Platform:
    f = Fields(ctx, node, ("platform",), "platform", PLATFORM_KEYS, PLATFORM_KEYS)
    purposes: dict[str, str] = {}
    for code, label, where in f.entries("purposes", "purposes", example="work_reference: 工作参考"):
        purposes[code] = text_of(ctx, where, f"purpose '{code}'", label) or ""
    return Platform(name=f.text("name") or "", authority=f.text("authority") or "", purposes=purposes)


def _department(ctx: Context, code: str, node: Node, path: tuple[str, ...]) -> Department:
    f = Fields(ctx, node, path, f"department '{code}'", DEPARTMENT_KEYS, ("name",))
    return Department(code=code, name=f.text("name") or "", description=f.text("description", False))


def _source(ctx: Context, name: str, node: Node, path: tuple[str, ...]) -> Source:
    f = Fields(ctx, node, path, f"source '{name}'", SOURCE_KEYS, ("department", "kind", "url"))
    return Source(
        name=name,
        department=f.text("department") or "",
        kind=f.choice("kind", SOURCE_KINDS) or "sql",
        url=f.text("url") or "",
        options=f.data("options"),
    )


def _resource(ctx: Context, name: str, node: Node, path: tuple[str, ...]) -> Resource:
    what = f"resource '{name}'"
    required = [k for k in RESOURCE_KEYS if k not in RESOURCE_OPTIONAL]
    f = Fields(ctx, node, path, what, RESOURCE_KEYS, required)
    example = "id: {type: ID, title: 编号, sharing: unconditional}"
    items = {
        item: _item(ctx, item, value, where, what)
        for item, value, where in f.entries("items", f"items of {what}", example=example)
    }
    relations = {
        rel: _relation(ctx, rel, value, where, what)
        for rel, value, where in f.entries("relations", f"relations of {what}")
    }
    # Placeholders for unusable values are chosen so that no rule fires on them (see Sites.ok).
    return Resource(
        name=name,
        code=f.text("code") or "",
        title=f.text("title") or "",
        provider=f.text("provider") or "",
        category=Category(f.choice("category", CATEGORIES) or Category.THEME),
        source=f.text("source") or "",
        table=f.text("table") or "",
        key=f.text("key") or "",
        plural=f.text("plural", False) or default_plural(name),
        update_cycle=f.choice("update_cycle", UPDATE_CYCLES) or "",
        share_methods=f.choices("share_methods", SHARE_METHODS),
        items=items,
        relations=relations,
        description=f.text("description", False),
        updated_item=f.text("updated_item", False),
    )


def _item(ctx: Context, name: str, node: Node, path: tuple[str, ...], owner: str) -> Item:
    f = Fields(ctx, node, path, f"item '{name}' of {owner}", ITEM_KEYS, ITEM_REQUIRED)
    return Item(
        name=name,
        column=f.text("column", False) or name,
        type=ItemType(f.choice("type", ITEM_TYPES) or ItemType.STRING),
        title=f.text("title") or "",
        sharing=Sharing(f.choice("sharing", SHARINGS) or Sharing.UNCONDITIONAL),
        business=f.flag("business", False),
        condition=f.text("condition", False),
        legal_basis=f.text("legal_basis", False),
        mask=f.choice("mask", MASKS, False),
        description=f.text("description", False),
        values=f.choices("values", None) or None,
    )


def _relation(ctx: Context, name: str, node: Node, path: tuple[str, ...], owner: str) -> Relation:
    what = f"relation '{name}' of {owner}"
    f = Fields(ctx, node, path, what, RELATION_KEYS, RELATION_REQUIRED)
    joins = f.entries("on", f"'on' of {what}")
    local = remote = ""
    if len(joins) == 1:
        local, value, where = joins[0]
        remote = text_of(ctx, where, f"the target item joined to '{local}' in {what}", value) or ""
    elif joins:
        names = ", ".join(name for name, _value, _where in joins)
        ctx.invalid(
            (*path, "on"),
            f"{what} joins on {len(joins)} item pairs ({names}); composite joins are not supported",
            "join on exactly one pair, on: {localItem: targetItem}; if the target needs several columns, "
            "expose one combined key item in both resources",
        )
    elif "on" in f.values and ctx.sites.ok((*path, "on")):
        ctx.invalid((*path, "on"), f"{what} joins on no item pair", "write on: {localItem: targetItem}")
    return Relation(
        name=name,
        target=f.text("target") or "",
        local=local,
        remote=remote,
        many=f.flag("many", False),
        title=f.text("title") or "",
    )
