"""A catalog as its YAML reads: nested mappings of values as written, in the canonical key order.

The model holds values after `${VAR}` expansion; a catalog written out again (as YAML or as the
guide's tables) must keep the references instead, or it would carry one machine's settings and
credentials. :func:`catalog_document` takes the values from the model and, where the catalog's
text wrote a reference (or a `$${` escape), the text as written.
"""

from __future__ import annotations

from typing import TypeAlias

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govshare.catalog.model import Catalog, Department, Item, Relation, Resource, Source, default_plural
from govshare.catalog.reader import Path
from govshare.catalog.yamlnodes import compose

# Leaves are texts, booleans, whole numbers, lists of texts or free-form data (source options).
Document: TypeAlias = dict[str, object]


def written_values(text: str) -> dict[Path, str]:
    """The values of ``text`` that hold `${`, as written, by key path (list entries by index)."""
    found: dict[Path, str] = {}
    root = compose(text, "<catalog>") if text else None

    def walk(node: Node, path: Path, above: frozenset[int]) -> None:
        if id(node) in above:  # a recursive alias (source options may hold one)
            return
        inner = above | {id(node)}
        if isinstance(node, ScalarNode) and "${" in node.value:
            found[path] = str(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    walk(value, (*path, str(key.value)), inner)
        elif isinstance(node, SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, (*path, str(index)), inner)

    if root is not None:
        walk(root, (), frozenset())
    return found


def catalog_document(catalog: Catalog, written: dict[Path, str] | None = None) -> Document:
    """``catalog`` as YAML data; ``written`` (default: from ``catalog.text``) overrides values as written."""
    p = catalog.platform
    doc: Document = {
        "version": catalog.version,
        "platform": {"name": p.name, "authority": p.authority, "purposes": dict(p.purposes)},
        "departments": {d.code: _department(d) for d in catalog.departments.values()},
        "sources": {s.name: _source(s) for s in catalog.sources.values()},
        "resources": {r.name: _resource(r) for r in catalog.resources.values()},
    }
    for path, value in (written_values(catalog.text) if written is None else written).items():
        _overwrite(doc, path, value)
    return doc


def _optional(pairs: dict[str, object]) -> dict[str, object]:
    """The entries that a canonical catalog writes: absent values, false flags and empty options left out."""
    return {k: v for k, v in pairs.items() if v is not None and v is not False and v != {}}


def _department(d: Department) -> Document:
    return _optional({"name": d.name, "description": d.description})


def _source(s: Source) -> Document:
    return _optional({"department": s.department, "kind": s.kind, "url": s.url, "options": dict(s.options)})


def _resource(r: Resource) -> Document:
    doc = _optional(
        {
            "code": r.code,
            "title": r.title,
            "provider": r.provider,
            "category": r.category.value,
            "source": r.source,
            "table": r.table,
            "key": r.key,
            "plural": r.plural if r.plural != default_plural(r.name) else None,
            "update_cycle": r.update_cycle,
            "share_methods": list(r.share_methods),
            "description": r.description,
            "updated_item": r.updated_item,
        }
    )
    doc["items"] = {i.name: _item(i) for i in r.items.values()}
    if r.relations:
        doc["relations"] = {rel.name: _relation(rel) for rel in r.relations.values()}
    return doc


def _item(i: Item) -> Document:
    return _optional(
        {
            "column": i.column,
            "type": i.type.value,
            "title": i.title,
            "sharing": i.sharing.value,
            "business": i.business,
            "condition": i.condition,
            "legal_basis": i.legal_basis,
            "mask": i.mask,
            "description": i.description,
            "values": list(i.values) if i.values is not None else None,
        }
    )


def _relation(rel: Relation) -> Document:
    return _optional({"target": rel.target, "on": {rel.local: rel.remote}, "many": rel.many, "title": rel.title})


def _overwrite(doc: Document, path: Path, value: str) -> None:
    """Put ``value`` at ``path`` if its parent is in ``doc`` (a written `business: "${B}"` reads as false)."""
    parent: object = doc
    for step in path[:-1]:
        if isinstance(parent, dict):
            parent = parent.get(step)
        elif isinstance(parent, list) and step.isdigit() and int(step) < len(parent):
            parent = parent[int(step)]
        else:
            return
    last = path[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = value
