"""Cross-reference and naming rules of the catalog (DESIGN §1 R3/R4, §3), run on the model objects.

Each rule reads the objects the loader built and finds lines through
``ctx.sites``; a value the loader already reported as unusable is skipped
(``ctx.sites.ok``) so that one mistake yields one problem, not a cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from govshare.catalog.errors import did_you_mean
from govshare.catalog.model import FILTER_WORDS, Catalog, Category, ItemType, Resource, Sharing
from govshare.catalog.names import check_root_fields, check_type_names, graphql_name, res_key
from govshare.catalog.reader import Context, Path

# Combinators of the generated filter input (DESIGN §4): an item of that name would clash with them.


def _known(ctx: Context, path: Path, value: str, names: Collection[str], what: str, subject: str) -> bool:
    """Whether ``value`` names a defined ``what``; an unknown one is reported and marked unusable."""
    # Nothing to say when the value or the whole section defining the names (`departments:`…) was unusable.
    if not ctx.sites.ok(path, (f"{what}s",)):
        return False
    if value in names:
        return True
    hint = did_you_mean(value, names, f"defined {what}s are") if names else f"define the {what} first"
    ctx.invalid(path, f"{subject} is '{value}', which is not a defined {what}", hint)
    return False


def _platform(ctx: Context, cat: Catalog) -> None:
    _known(
        ctx,
        ("platform", "authority"),
        cat.platform.authority,
        cat.departments,
        "department",
        "'authority' of platform",
    )
    for code in cat.platform.purposes:
        graphql_name(ctx, ("platform", "purposes", code), code, f"purpose code '{code}'", None)


def _sources(ctx: Context, cat: Catalog) -> None:
    for s in cat.sources.values():
        _known(
            ctx,
            ("sources", s.name, "department"),
            s.department,
            cat.departments,
            "department",
            f"'department' of source '{s.name}'",
        )


def _providers(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        what = f"resource '{r.name}'"
        provider_ok = _known(
            ctx,
            res_key(r, "provider"),
            r.provider,
            cat.departments,
            "department",
            f"'provider' of {what}",
        )
        if not _known(ctx, res_key(r, "source"), r.source, cat.sources, "source", f"'source' of {what}"):
            continue
        owner = cat.sources[r.source].department
        if provider_ok and owner != r.provider and ctx.sites.ok(("sources", r.source, "department")):
            ctx.problem(
                res_key(r, "provider"),
                f"{what} is provided by '{r.provider}', but its source '{r.source}' belongs to '{owner}'",
                f"a department can only share its own data: set provider: {owner}, or use a source of '{r.provider}'",
            )


def _items(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        for item in r.items.values():
            at = res_key(r, "items", item.name)
            what = f"item '{item.name}' of resource '{r.name}'"
            graphql_name(ctx, at, item.name, what, upper=False)
            if item.name in FILTER_WORDS:
                ctx.problem(
                    at,
                    f"{what} has the name of a filter operator ('and', 'or', 'not')",
                    f"rename it, e.g. '{item.name}Value'",
                )
            if item.values is not None and item.type not in (ItemType.ID, ItemType.STRING):
                ctx.problem(
                    (*at, "values"),
                    f"{what} lists values, but it is a {item.type.value}: only String and ID items have a code set",
                    "remove 'values', or make the item's type String",
                )
            if not ctx.sites.ok((*at, "sharing")):
                continue
            if item.sharing is Sharing.WITHHELD and not item.legal_basis:
                ctx.problem(
                    ctx.sites.first_written((*at, "legal_basis"), (*at, "sharing")),
                    f"{what} is withheld but cites no legal_basis (R3)",
                    "add legal_basis: naming the law or regulation that withholds it, "
                    "e.g. 《中华人民共和国个人信息保护法》第三十四条",
                )
            if item.sharing is Sharing.CONDITIONAL and not item.condition:
                ctx.problem(
                    ctx.sites.first_written((*at, "condition"), (*at, "sharing")),
                    f"{what} is conditional but states no condition",
                    "add condition: saying when it is shared, e.g. 仅限办理业务时使用",
                )
            base_item = r.category is Category.BASE and not item.business and ctx.sites.ok((*at, "business"))
            if base_item and item.sharing is not Sharing.UNCONDITIONAL:
                ctx.problem(
                    (*at, "sharing"),
                    f"{what} is {item.sharing.value}, but the base items of a base resource must be unconditional (R4)",
                    "make it unconditional, or mark it 'business: true' if it is a business item",
                )


def _keys(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        at, what = res_key(r, "key"), f"key '{r.key}' of resource '{r.name}'"
        if not ctx.sites.ok(at, res_key(r, "items")):
            continue
        item = r.items.get(r.key)
        if item is None:
            ctx.problem(at, f"{what} is not one of its items", did_you_mean(r.key, r.items, "its items are"))
        elif item.sharing is not Sharing.UNCONDITIONAL and ctx.sites.ok(res_key(r, "items", r.key, "sharing")):
            ctx.problem(
                at,
                f"{what} is a {item.sharing.value} item; the key must be unconditional",
                f"use an unconditional item as key, or make '{r.key}' unconditional",
            )


def _updated(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        at = res_key(r, "updated_item")
        if r.updated_item is None or not ctx.sites.ok(at, res_key(r, "items")):
            continue
        item = r.items.get(r.updated_item)
        what = f"updated_item '{r.updated_item}' of resource '{r.name}'"
        if item is None:
            ctx.problem(at, f"{what} is not one of its items", did_you_mean(r.updated_item, r.items, "its items are"))
        elif item.type not in (ItemType.DATE, ItemType.DATETIME):
            ctx.problem(
                at,
                f"{what} is a {item.type.value} item; it must say when a record was updated (Date or DateTime)",
                "name an item of type Date or DateTime, or leave updated_item out",
            )


def _relations(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        for rel in r.relations.values():
            at = res_key(r, "relations", rel.name)
            what = f"relation '{rel.name}' of resource '{r.name}'"
            graphql_name(ctx, at, rel.name, what, upper=False)
            if rel.name in r.items:
                ctx.problem(
                    at,
                    f"{what} has the same name as one of its items",
                    f"rename the relation: items and relations are both fields of {r.name}",
                )
            target_ok = _known(ctx, (*at, "target"), rel.target, cat.resources, "resource", f"'target' of {what}")
            if not rel.local:  # `on` was unusable, already reported
                continue
            on = (*at, "on", rel.local)
            local = r.items.get(rel.local)
            if local is None and ctx.sites.ok(res_key(r, "items")):
                ctx.problem(
                    on,
                    f"{what} joins on '{rel.local}', which is not an item of {r.name}",
                    did_you_mean(rel.local, r.items, f"items of {r.name} are"),
                )
            target = cat.resources[rel.target] if target_ok else None
            remote = target.items.get(rel.remote) if target else None
            if target and remote is None and ctx.sites.ok(on, res_key(target, "items")):
                ctx.problem(
                    on,
                    f"{what} joins to '{rel.remote}', which is not an item of {target.name}",
                    did_you_mean(rel.remote, target.items, f"items of {target.name} are"),
                )
            if not (local and remote and target) or local.type.join_class == remote.type.join_class:
                continue
            if ctx.sites.ok(
                res_key(r, "items", local.name, "type"),
                res_key(target, "items", remote.name, "type"),
            ):
                ctx.problem(
                    on,
                    f"{what} joins {local.name} ({local.type.value}) to "
                    f"{target.name}.{remote.name} ({remote.type.value}); the types must agree",
                    "change one of the two item types (ID and String join with each other), or join on other items",
                )


def _codes(ctx: Context, cat: Catalog) -> None:
    first: dict[str, Resource] = {}
    for r in cat.resources.values():
        if not ctx.sites.ok(res_key(r, "code")):
            continue
        other = first.setdefault(r.code, r)
        if other is not r:
            ctx.problem(
                res_key(r, "code"),
                f"resource code '{r.code}' of resource '{r.name}' is already used "
                f"by resource '{other.name}' (line {ctx.sites.line(res_key(other, 'code'))})",
                "every resource needs its own 信息资源代码: correct one of the two codes",
            )


RULES: tuple[Callable[[Context, Catalog], None], ...] = (
    _platform,
    _sources,
    _providers,
    _items,
    _keys,
    _updated,
    _relations,
    check_type_names,
    check_root_fields,
    _codes,
)


def check_rules(ctx: Context, cat: Catalog) -> None:
    for rule in RULES:
        rule(ctx, cat)
