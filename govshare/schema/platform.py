"""Platform fields: ``catalog`` (what is shared, how) and ``me`` (who is asking)."""

from __future__ import annotations

import strawberry

from govshare.catalog.model import Catalog


@strawberry.type(name="CatalogDepartment")
class DepartmentInfo:
    code: str
    name: str


@strawberry.type(name="CatalogPurpose", description="A purpose a query may declare in X-Purpose (R7).")
class PurposeInfo:
    code: str
    label: str


@strawberry.type(name="CatalogItem")
class ItemInfo:
    name: str
    title: str
    type: str
    sharing: str = strawberry.field(description="unconditional | conditional | withheld")
    business: bool
    condition: str | None
    legalBasis: str | None
    mask: str | None


@strawberry.type(name="CatalogRelation")
class RelationInfo:
    name: str
    title: str
    target: str
    on: str = strawberry.field(description="join, as 'localItem = Target.remoteItem'")
    many: bool


@strawberry.type(name="CatalogResource")
class ResourceInfo:
    name: str
    code: str
    title: str
    provider: DepartmentInfo
    category: str
    key: str
    plural: str
    updateCycle: str
    shareMethods: list[str]
    items: list[ItemInfo]
    relations: list[RelationInfo]


@strawberry.type(name="Catalog", description="The shared resource catalog (政务信息资源目录).")
class CatalogInfo:
    platform: str
    authority: DepartmentInfo
    version: str = strawberry.field(description="SHA-256 of the catalog text")
    purposes: list[PurposeInfo]
    departments: list[DepartmentInfo]
    resources: list[ResourceInfo]


@strawberry.type(name="Me", description="The caller, as the bearer token says.")
class MeInfo:
    department: DepartmentInfo
    user: str
    roles: list[str]


def catalog_info(catalog: Catalog) -> CatalogInfo:
    departments = {code: DepartmentInfo(code=code, name=d.name) for code, d in catalog.departments.items()}
    return CatalogInfo(
        platform=catalog.platform.name,
        authority=departments[catalog.platform.authority],
        version=catalog.digest,
        purposes=[PurposeInfo(code=c, label=label) for c, label in catalog.platform.purposes.items()],
        departments=list(departments.values()),
        resources=[
            ResourceInfo(
                name=r.name,
                code=r.code,
                title=r.title,
                provider=departments[r.provider],
                category=r.category.value,
                key=r.key,
                plural=r.plural,
                updateCycle=r.update_cycle,
                shareMethods=list(r.share_methods),
                items=[
                    ItemInfo(
                        name=i.name,
                        title=i.title,
                        type=i.type.value,
                        sharing=i.sharing.value,
                        business=i.business,
                        condition=i.condition,
                        legalBasis=i.legal_basis,
                        mask=i.mask,
                    )
                    for i in r.items.values()
                ],
                relations=[
                    RelationInfo(
                        name=rel.name,
                        title=rel.title,
                        target=rel.target,
                        on=f"{rel.local} = {rel.target}.{rel.remote}",
                        many=rel.many,
                    )
                    for rel in r.relations.values()
                ],
            )
            for r in catalog.resources.values()
        ],
    )
