"""Descriptions shown in the schema, from the catalog (title, sharing, provider, cycle)."""

from __future__ import annotations

from govshare.catalog.model import Catalog, Item, Relation, Resource, Sharing

SHARING_LABELS = {
    Sharing.UNCONDITIONAL: "无条件共享 (unconditional)",
    Sharing.CONDITIONAL: "有条件共享 (conditional)",
    Sharing.WITHHELD: "不予共享 (withheld)",
}


def provider_label(catalog: Catalog, resource: Resource) -> str:
    department = catalog.departments[resource.provider]
    return f"{department.name} ({department.code})"


def resource_description(catalog: Catalog, resource: Resource) -> str:
    lines = [
        f"{resource.title} — 信息资源代码 {resource.code}",
        f"提供部门 provider: {provider_label(catalog, resource)}; 更新周期 update cycle: "
        f"{resource.update_cycle}; 共享方式 methods: {', '.join(resource.share_methods)}",
    ]
    if resource.description:
        lines.append(resource.description)
    return "\n".join(lines)


def item_description(catalog: Catalog, resource: Resource, item: Item) -> str:
    lines = [f"{item.title} — {SHARING_LABELS[item.sharing]}"]
    if item.condition:
        lines.append(f"共享条件 condition: {item.condition} (apply through the platform)")
    if item.legal_basis:
        lines.append(f"不予共享依据 legal basis: {item.legal_basis}")
    lines.append(
        f"提供部门 provider: {provider_label(catalog, resource)}; 更新周期 update cycle: {resource.update_cycle}"
    )
    if item.description:
        lines.append(item.description)
    return "\n".join(lines)


def relation_description(catalog: Catalog, resource: Resource, relation: Relation) -> str:
    target = catalog.resources[relation.target]
    return (
        f"{relation.title} — {target.title} ({target.name}) where "
        f"{resource.name}.{relation.local} = {target.name}.{relation.remote}; "
        f"提供部门 provider: {provider_label(catalog, target)}"
    )
