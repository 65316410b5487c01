"""What a new catalog version changes, compared with the one in force, fact by fact.

Before a version is published the authority and the departments must see every change and
which of them break a client's query or a generated GraphQL type. Every list is in a fixed
order (platform, then by resource, then by item or relation name), so two reports of the same
pair of catalogs read alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from govshare.catalog.model import Catalog, Item, Relation, Resource, Sharing

ADDED, REMOVED, RETITLED = "added", "removed", "retitled"
RECLASSIFIED, RETYPED, REMASKED = "reclassified", "retyped", "remasked"

# (attribute, change): what is compared between two versions of an item, in report order.
ITEM_ATTRIBUTES = (
    ("sharing", RECLASSIFIED),
    ("type", RETYPED),
    ("mask", REMASKED),
    ("title", RETITLED),
    ("column", "column_changed"),
    ("condition", "condition_changed"),
    ("legal_basis", "legal_basis_changed"),
    ("business", "business_changed"),
    ("values", "values_changed"),
    ("description", "description_changed"),
)
RESOURCE_ATTRIBUTES = (
    ("key", "key_changed"),
    ("plural", "plural_changed"),
    ("provider", "provider_changed"),
    ("title", RETITLED),
    ("code", "code_changed"),
    ("category", "category_changed"),
    ("source", "source_changed"),
    ("table", "table_changed"),
    ("update_cycle", "update_cycle_changed"),
    ("updated_item", "updated_item_changed"),
    ("description", "description_changed"),
)
SHARE_METHOD_ADDED, SHARE_METHOD_REMOVED = "share_method_added", "share_method_removed"
# Changes of an item that bear on what a department may be granted or applies for.
DECISIVE = frozenset({REMOVED, RECLASSIFIED, RETYPED, REMASKED, "condition_changed", "values_changed"})
LABELS = {RECLASSIFIED: "sharing", RETYPED: "type", REMASKED: "mask", RETITLED: "title"}


@dataclass(frozen=True, slots=True)
class PlatformChange:
    """A change of the platform section: ``subject`` is ``name``, ``authority``, ``purpose`` or ``department``."""

    subject: str
    code: str | None  # the purpose's or department's code
    change: str  # added | removed | retitled | changed
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ResourceChange:
    """A changed attribute of a resource kept in both versions (``RESOURCE_ATTRIBUTES``), or one
    share method added or removed (``before``/``after`` is the method)."""

    resource: str
    change: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class ItemChange:
    """An item added or removed (``after``/``before``: its sharing), or a changed attribute (``ITEM_ATTRIBUTES``)."""

    resource: str
    item: str
    change: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class RelationChange:
    """A relation added or removed, retitled, or changed: ``target_changed``, ``join_changed``
    (``local=Target.remote``) or ``many_changed`` (``one`` / ``many``)."""

    resource: str
    relation: str
    change: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class CatalogChanges:
    platform: tuple[PlatformChange, ...]
    resources_added: tuple[str, ...]
    resources_removed: tuple[str, ...]
    resources: tuple[ResourceChange, ...]
    items: tuple[ItemChange, ...]
    relations: tuple[RelationChange, ...]
    # Every (resource, item) of the old version the new one no longer has: removed items, and
    # every item of a removed resource.
    items_gone: tuple[tuple[str, str], ...]
    # One sentence per change that breaks a client's query or a generated GraphQL type.
    breaking: tuple[str, ...]

    def ended_items(self) -> frozenset[tuple[str, str]]:
        """Items a grant no longer opens: gone, or turned withheld (only the authority's decision
        opens a withheld item, so grants made on application end)."""
        withheld = {
            (c.resource, c.item) for c in self.items if c.change == RECLASSIFIED and c.after == Sharing.WITHHELD.value
        }
        return frozenset(self.items_gone) | withheld

    def moot_items(self) -> frozenset[tuple[str, str]]:
        """Items turned unconditional: a grant on them is no longer needed, but does no harm."""
        return frozenset(
            (c.resource, c.item)
            for c in self.items
            if c.change == RECLASSIFIED and c.after == Sharing.UNCONDITIONAL.value
        )

    def changed_items(self) -> frozenset[tuple[str, str]]:
        """Items an application or grant may have to be reconsidered for (``DECISIVE`` changes)."""
        return frozenset(self.items_gone) | {(c.resource, c.item) for c in self.items if c.change in DECISIVE}

    def broken_items(self) -> frozenset[tuple[str, str]]:
        """Items on which a client's query breaks: gone, retyped, turned withheld, or no longer
        unconditional (a department without a grant is refused it)."""
        tightened = {
            (c.resource, c.item)
            for c in self.items
            if c.change == RECLASSIFIED and c.before == Sharing.UNCONDITIONAL.value
        }
        retyped = {(c.resource, c.item) for c in self.items if c.change == RETYPED}
        return self.ended_items() | tightened | retyped

    def is_empty(self) -> bool:
        return not (
            self.platform
            or self.resources_added
            or self.resources_removed
            or self.resources
            or self.items
            or self.relations
        )

    def item_fate(self, resource: str, item: str) -> str:
        """What happens to one item, in a few words: "Person.phone turns withheld"."""
        if resource in self.resources_removed:
            return f"resource {resource} is removed"
        if (resource, item) in self.items_gone:
            return f"{resource}.{item} is removed"
        found = [c for c in self.items if (c.resource, c.item) == (resource, item) and c.change in DECISIVE]
        if any(c.change == RECLASSIFIED for c in found):
            found = [c for c in found if c.change != "condition_changed"]  # a new sharing type brings its own
        said = [_item_phrase(c) for c in found]
        return f"{resource}.{item} " + ", and ".join(said) if said else f"{resource}.{item} is unchanged"


def catalog_changes(old: Catalog, new: Catalog) -> CatalogChanges:
    """Every difference between ``old`` (in force) and ``new`` (to be published)."""
    added = tuple(sorted(new.resources.keys() - old.resources.keys()))
    removed = tuple(sorted(old.resources.keys() - new.resources.keys()))
    kept = sorted(old.resources.keys() & new.resources.keys())
    resources: list[ResourceChange] = []
    items: list[ItemChange] = []
    relations: list[RelationChange] = []
    gone = [(name, item) for name in removed for item in sorted(old.resources[name].items)]
    for name in kept:
        before, after = old.resources[name], new.resources[name]
        resources += _resource_changes(before, after)
        items += _item_changes(before, after)
        relations += _relation_changes(before, after)
        gone += [(name, item) for item in sorted(before.items.keys() - after.items.keys())]
    platform = _platform_changes(old, new)
    changes = CatalogChanges(
        platform=tuple(platform),
        resources_added=added,
        resources_removed=removed,
        resources=tuple(resources),
        items=tuple(items),
        relations=tuple(relations),
        items_gone=tuple(sorted(gone)),
        breaking=(),
    )
    return dataclasses.replace(changes, breaking=tuple(_breaking(changes, old)))


def change_lines(changes: CatalogChanges) -> list[str]:
    """The catalog part of the change report: one line per change, then one per breaking change."""
    if changes.is_empty():
        return ["the new catalog version changes nothing"]
    lines = [_platform_line(c) for c in changes.platform]
    lines += [f"resource {name} is added" for name in changes.resources_added]
    lines += [f"resource {name} is removed" for name in changes.resources_removed]
    lines += [_resource_line(c) for c in changes.resources]
    lines += [_item_line(c) for c in changes.items]
    lines += [_relation_line(c) for c in changes.relations]
    return lines + [f"breaks: {sentence}" for sentence in changes.breaking]


def _text(value: object) -> str | None:
    """An attribute's value as the report shows it; None stays None (absent)."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _platform_changes(old: Catalog, new: Catalog) -> list[PlatformChange]:
    found: list[PlatformChange] = []
    for subject, before, after in (
        ("name", old.platform.name, new.platform.name),
        ("authority", old.platform.authority, new.platform.authority),
    ):
        if before != after:
            found.append(PlatformChange(subject, None, "changed", before, after))
    labels = (
        ("purpose", old.platform.purposes, new.platform.purposes),
        (
            "department",
            {c: d.name for c, d in old.departments.items()},
            {c: d.name for c, d in new.departments.items()},
        ),
    )
    for subject, was, now in labels:
        for code in sorted(was.keys() | now.keys()):
            if code not in now:
                found.append(PlatformChange(subject, code, REMOVED, was[code], None))
            elif code not in was:
                found.append(PlatformChange(subject, code, ADDED, None, now[code]))
            elif was[code] != now[code]:
                found.append(PlatformChange(subject, code, RETITLED, was[code], now[code]))
    return found


def _resource_changes(before: Resource, after: Resource) -> list[ResourceChange]:
    name = before.name
    found = [
        ResourceChange(name, change, _text(getattr(before, attribute)), _text(getattr(after, attribute)))
        for attribute, change in RESOURCE_ATTRIBUTES
        if getattr(before, attribute) != getattr(after, attribute)
    ]
    found += [
        ResourceChange(name, SHARE_METHOD_REMOVED, m, None)
        for m in before.share_methods
        if m not in after.share_methods
    ]
    found += [
        ResourceChange(name, SHARE_METHOD_ADDED, None, m) for m in after.share_methods if m not in before.share_methods
    ]
    return found


def _item_changes(before: Resource, after: Resource) -> list[ItemChange]:
    found: list[ItemChange] = []
    for name in sorted(before.items.keys() | after.items.keys()):
        was, now = before.items.get(name), after.items.get(name)
        if now is None:
            assert was is not None
            found.append(ItemChange(before.name, name, REMOVED, was.sharing.value, None))
        elif was is None:
            found.append(ItemChange(before.name, name, ADDED, None, now.sharing.value))
        else:
            found += _attribute_changes(before.name, was, now)
    return found


def _attribute_changes(resource: str, was: Item, now: Item) -> Iterator[ItemChange]:
    for attribute, change in ITEM_ATTRIBUTES:
        old_value, new_value = getattr(was, attribute), getattr(now, attribute)
        if old_value != new_value:
            yield ItemChange(resource, was.name, change, _text(old_value), _text(new_value))


def _join(relation: Relation) -> str:
    return f"{relation.local}={relation.target}.{relation.remote}"


def _relation_changes(before: Resource, after: Resource) -> list[RelationChange]:
    found: list[RelationChange] = []
    for name in sorted(before.relations.keys() | after.relations.keys()):
        was, now = before.relations.get(name), after.relations.get(name)
        if now is None:
            assert was is not None
            found.append(RelationChange(before.name, name, REMOVED, was.target, None))
            continue
        if was is None:
            found.append(RelationChange(before.name, name, ADDED, None, now.target))
            continue
        pairs = (
            ("target_changed", was.target, now.target),
            ("join_changed", _join(was), _join(now)),
            ("many_changed", "many" if was.many else "one", "many" if now.many else "one"),
            (RETITLED, was.title, now.title),
        )
        found += [RelationChange(before.name, name, change, a, b) for change, a, b in pairs if a != b]
    return found


# What each share method opens (docs/catalog.md, "Share methods"), for the sentence of one removed.
def _opened_by(method: str, resource: Resource) -> str:
    if method == "interface":
        return f"lookups by key ({resource.single}) and verification ({resource.single}Verify)"
    if method == "query":
        return (
            f"connections ({resource.plural}), their filters and ordering, and aggregates ({resource.plural}Aggregate)"
        )
    return f"bulk export (/export/{resource.name})"


def _breaking(changes: CatalogChanges, old: Catalog) -> Iterator[str]:
    for p in changes.platform:
        if p.subject == "purpose" and p.change == REMOVED:
            yield f"purpose {p.code} is removed: operations declaring it are refused and grants stop holding for it"
        elif p.subject == "department" and p.change == REMOVED:
            yield f"department {p.code} is removed: its callers and its grants no longer count"
        elif p.subject == "authority":
            yield f"the platform authority changes from {p.before} to {p.after}: the authority's rights move with it"
    names = sorted(set(changes.resources_removed) | {c.resource for c in changes.resources}
                   | {c.resource for c in changes.items} | {c.resource for c in changes.relations})  # fmt: skip
    for name in names:
        if name in changes.resources_removed:
            fields = ", ".join(old.resources[name].root_fields)
            yield f"resource {name} is removed: its type and the fields {fields} go"
            continue
        yield from _resource_breaking(name, old.resources[name], [c for c in changes.resources if c.resource == name])
        yield from _item_breaking([c for c in changes.items if c.resource == name])
        yield from _relation_breaking([c for c in changes.relations if c.resource == name])


def _resource_breaking(name: str, resource: Resource, found: list[ResourceChange]) -> Iterator[str]:
    for c in found:
        if c.change == "key_changed":
            yield (
                f"the key of {name} changes from {c.before} to {c.after}: "
                f"{resource.single} and {resource.single}Verify take {c.after} instead"
            )
        elif c.change == "plural_changed":
            yield (
                f"the list field of {name} changes from {c.before} to {c.after} "
                f"(and {c.before}Aggregate to {c.after}Aggregate)"
            )
        elif c.change == "provider_changed":
            yield f"{name} is provided by {c.after} instead of {c.before}: {c.before} reads it as any other department"
        elif c.change == SHARE_METHOD_REMOVED:
            assert c.before is not None
            yield f"{name} no longer offers {c.before}, so these are refused: {_opened_by(c.before, resource)}"


def _item_breaking(found: list[ItemChange]) -> Iterator[str]:
    for c in found:
        where = f"{c.resource}.{c.item}"
        if c.change == REMOVED:
            yield f"{where} is removed"
        elif c.change == RETYPED:
            yield f"{where} changes type from {c.before} to {c.after}"
        elif c.change == RECLASSIFIED and c.after == Sharing.WITHHELD.value:
            yield f"{where} turns withheld (was {c.before}): only the authority's decision opens it now"
        elif c.change == RECLASSIFIED and c.before == Sharing.UNCONDITIONAL.value:
            yield f"{where} turns {c.after} (was unconditional): departments without a grant are refused it"
        elif c.change == "values_changed" and c.before is None:
            yield f"{where} gains a code set: verify-only grants on it no longer answer"


def _relation_breaking(found: list[RelationChange]) -> Iterator[str]:
    for c in found:
        where = f"relation {c.resource}.{c.relation}"
        if c.change == REMOVED:
            yield f"{where} is removed"
        elif c.change == "target_changed":
            yield f"{where} now joins {c.after} instead of {c.before}"
        elif c.change == "many_changed":
            yield f"{where} changes from {_records(c.before)} to {_records(c.after)}"


def _records(many: str | None) -> str:
    return "a list of records" if many == "many" else "at most one record"


def _shown(value: str | None) -> str:
    return "none" if value is None else value


def _changed(where: str, what: str, before: str | None, after: str | None) -> str:
    return f"{where}: {what} changes from {_shown(before)} to {_shown(after)}"


def _platform_line(c: PlatformChange) -> str:
    if c.code is None:
        return _changed("platform", c.subject, c.before, c.after)
    if c.change == ADDED:
        return f"{c.subject} {c.code} is added ({c.after})"
    if c.change == REMOVED:
        return f"{c.subject} {c.code} is removed (was {c.before})"
    return _changed(f"{c.subject} {c.code}", "title", c.before, c.after)


def _resource_line(c: ResourceChange) -> str:
    if c.change == SHARE_METHOD_ADDED:
        return f"{c.resource}: share method {c.after} is added"
    if c.change == SHARE_METHOD_REMOVED:
        return f"{c.resource}: share method {c.before} is removed"
    return _changed(c.resource, _label(c.change), c.before, c.after)


def _item_line(c: ItemChange) -> str:
    where = f"{c.resource}.{c.item}"
    if c.change == ADDED:
        return f"{where} is added ({c.after})"
    if c.change == REMOVED:
        return f"{where} is removed (was {c.before})"
    return _changed(where, _label(c.change), c.before, c.after)


def _relation_line(c: RelationChange) -> str:
    where = f"relation {c.resource}.{c.relation}"
    if c.change == ADDED:
        return f"{where} to {c.after} is added"
    if c.change == REMOVED:
        return f"{where} to {c.before} is removed"
    what = {"target_changed": "target", "join_changed": "join", "many_changed": "cardinality"}.get(c.change, "title")
    return _changed(where, what, c.before, c.after)


def _label(change: str) -> str:
    return LABELS.get(change, change.removesuffix("_changed").replace("_", " "))


def _item_phrase(c: ItemChange) -> str:
    if c.change == RECLASSIFIED:
        return f"turns {c.after}"
    if c.change == RETYPED:
        return f"changes type from {c.before} to {c.after}"
    if c.change == REMOVED:
        return "is removed"
    return f"changes its {_label(c.change)} from {_shown(c.before)} to {_shown(c.after)}"
