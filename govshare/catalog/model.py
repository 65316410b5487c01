"""The catalog (政务信息资源目录) as typed, immutable objects.

The loader turns YAML into these; everything downstream (schema, resolvers,
policies) reads only these objects, never the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Sharing(StrEnum):
    """The three sharing types of measures art. 11 (R2)."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    WITHHELD = "withheld"


class Category(StrEnum):
    BASE = "base"
    THEME = "theme"
    DEPARTMENT = "department"


class ItemType(StrEnum):
    ID = "ID"
    STRING = "String"
    INT = "Int"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    DATE = "Date"
    DATETIME = "DateTime"

    @property
    def join_class(self) -> str:
        """Types that may be joined with each other share a join class (ID joins String)."""
        return "String" if self in (ItemType.ID, ItemType.STRING) else self.value


UPDATE_CYCLES = ("realtime", "daily", "weekly", "monthly", "quarterly", "yearly")
SHARE_METHODS = ("interface", "query", "download")
SOURCE_KINDS = ("sql", "http", "graphql")
MASKS = ("id_number", "phone", "name", "address", "full")
# Root fields the platform itself defines next to the generated ones (DESIGN §4).
# Root fields the platform itself defines (resources may not generate these names).
PLATFORM_FIELDS = (
    "catalog", "me", "grants",
    "auditRecords", "auditRecord", "auditReplay", "auditVerify",
    "inbox", "application", "applications", "coordination", "coordinations", "dataIssue", "dataIssues",
    "sharingOperations", "sharingItems", "sharingEvaluation", "supervisionSignals",
    "catalogDrafts", "catalogDraft",
)  # fmt: skip


# The words that combine filters (DESIGN §4): no item may bear one of these names.
FILTER_WORDS = ("and", "or", "not")


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    department: str
    kind: str
    url: str
    # Per-source settings beyond the contract (pool size, statement timeout…).
    options: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Item:
    name: str  # GraphQL field name
    column: str  # column (sql) or JSON field (http) in the source
    type: ItemType
    title: str
    sharing: Sharing
    business: bool = False
    condition: str | None = None
    legal_basis: str | None = None
    mask: str | None = None
    description: str | None = None
    # The item's code set (代码集) when the catalog lists one: a domain this small cannot hide
    # a value from someone who may check guesses, so such items are never verify-only.
    values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    target: str  # resource (GraphQL type) name
    local: str  # item of the owning resource
    remote: str  # item of the target resource
    many: bool
    title: str


@dataclass(frozen=True, slots=True)
class Resource:
    name: str  # GraphQL type name
    code: str
    title: str
    provider: str
    category: Category
    source: str
    table: str
    key: str
    plural: str
    update_cycle: str
    share_methods: tuple[str, ...]
    items: dict[str, Item] = field(hash=False)
    relations: dict[str, Relation] = field(hash=False)
    description: str | None = None
    # The item (Date or DateTime) that says when each record was last updated: the newest one
    # shows whether the data keeps to update_cycle (R9).
    updated_item: str | None = None

    @property
    def single(self) -> str:
        """lowerCamel name of the one-record root field."""
        return self.name[:1].lower() + self.name[1:]

    @property
    def root_fields(self) -> tuple[str, str, str, str]:
        """The root fields generated for this resource (DESIGN §4): one, list, aggregate, verify."""
        return (self.single, self.plural, self.plural + "Aggregate", self.single + "Verify")

    @property
    def key_item(self) -> Item:
        return self.items[self.key]


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    authority: str
    purposes: dict[str, str] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Catalog:
    version: int
    platform: Platform
    departments: dict[str, Department] = field(hash=False)
    sources: dict[str, Source] = field(hash=False)
    resources: dict[str, Resource] = field(hash=False)
    path: str = "<catalog>"
    # SHA-256 of the source text: identifies the catalog version in logs and caches.
    digest: str = ""
    # The YAML as written (before ${VAR} expansion), kept with the platform's records.
    text: str = field(default="", repr=False, compare=False)

    def resource_by_code(self, code: str) -> Resource | None:
        return next((r for r in self.resources.values() if r.code == code), None)


def default_plural(type_name: str) -> str:
    return type_name[:1].lower() + type_name[1:] + "s"
