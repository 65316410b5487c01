"""Naming rules: everything the catalog names becomes part of the GraphQL schema (DESIGN §4).

Resource names become types, item and relation names fields, and each
resource adds four root fields; these checks keep all of them valid and
distinct before the schema builder sees them.
"""

from __future__ import annotations

import re

from govshare.catalog.model import PLATFORM_FIELDS, Catalog, Resource
from govshare.catalog.reader import Context, Path

GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# Types every schema has: GraphQL's scalars, the extra scalars and the platform's own types.
RESERVED_TYPES = (
    "ID",
    "String",
    "Int",
    "Float",
    "Boolean",
    "Date",
    "DateTime",
    "JSON",
    "Query",
    "Mutation",
    "Subscription",
    "PageInfo",
    "Verification",
    "DateBucket",
    "SortDirection",
    "Catalog",
    "CatalogDepartment",
    "CatalogPurpose",
    "CatalogItem",
    "CatalogRelation",
    "CatalogResource",
    "CatalogDraft",
    "Me",
    "Grant",
    "AuditDecision",
    "AuditRecord",
    "AuditRecordPage",
    "AuditRecordFilter",
    "AuditDecisionChange",
    "AuditReplay",
    "AuditVerification",
    "GrantEffect",
    "GrantInput",
    # sharing workflows (govshare/schema/workflow_types.py)
    "Application",
    "ApplicationInput",
    "ApplicationState",
    "Coordination",
    "CoordinationInput",
    "CoordinationState",
    "DataIssue",
    "DataIssueInput",
    "DataIssueState",
    "DataIssueVerdict",
    "Inbox",
    "InboxDecision",
    "WorkflowEvent",
    "WorkflowTarget",
    # sharing statistics (govshare/schema/statistics.py)
    "StatisticsLine",
    "SharingStatistics",
    "DepartmentEvaluation",
    # supervision (govshare/schema/supervision.py)
    "SupervisionSignal",
    *(f"{scalar}Filter" for scalar in ("ID", "String", "Int", "Float", "Boolean", "Date", "DateTime")),
)
# Types generated from each resource type T (DESIGN §4), by suffix.
GENERATED_TYPES = {
    "Filter": "filter input",
    "OrderBy": "order input",
    "Field": "field enum",
    "Edge": "edge type",
    "Connection": "connection type",
    "Aggregate": "aggregate type",
    "AggregateGroup": "aggregate group type",
    "AggregateNumbers": "sum and average type",
    "AggregateValues": "min and max type",
    "DateField": "date field enum",
    "Bucket": "bucket input",
    "Claims": "claims input",
}
# The kinds of Resource.root_fields, and whether each is made from the plural.
ROOT_FIELD_KINDS = (
    ("one-record field", False),
    ("list field", True),
    ("aggregate field", True),
    ("verify field", False),
)


def res_key(resource: Resource, *rest: str) -> Path:
    return ("resources", resource.name, *rest)


def suggest(name: str, upper: bool | None) -> str:
    """A GraphQL-safe spelling of ``name`` for hints ('id-number' → 'idNumber'), or '' if none."""
    parts: list[str] = re.findall(r"[0-9A-Za-z]+", name)
    text = "".join(parts[:1] + [p[:1].upper() + p[1:] for p in parts[1:]])
    if upper is not None:
        text = (text[:1].upper() if upper else text[:1].lower()) + text[1:]
    return text if GRAPHQL_NAME.fullmatch(text) else ""


def graphql_name(ctx: Context, path: Path, name: str, subject: str, upper: bool | None) -> bool:
    """Check a name that becomes part of the schema; ``upper``: must start upper (type) / lower (field)."""
    fix = suggest(name, upper)
    rename = f"rename it to '{fix}'" if fix else "rename it with letters, digits and _"
    if not GRAPHQL_NAME.fullmatch(name):
        message = f"{subject} is not a valid GraphQL name (letters, digits and _, not starting with a digit)"
    elif name.startswith("__"):
        message = f"{subject} starts with '__', which GraphQL reserves for itself"
    elif upper is True and not name[0].isupper():
        message = f"{subject} must start with an upper-case letter (it becomes a GraphQL type)"
    elif upper is False and not name[0].islower():
        message = f"{subject} must start with a lower-case letter (it becomes a GraphQL field)"
    else:
        return True
    ctx.problem(path, message, rename)
    return False


def check_type_names(ctx: Context, cat: Catalog) -> None:
    for r in cat.resources.values():
        if not graphql_name(ctx, res_key(r), r.name, f"resource '{r.name}'", upper=True):
            continue
        if r.name in RESERVED_TYPES:
            ctx.problem(
                res_key(r),
                f"resource '{r.name}' has the name of a type every schema defines",
                f"rename it, e.g. '{r.name}Record'",
            )
        for suffix, kind in GENERATED_TYPES.items():
            base = cat.resources.get(r.name.removesuffix(suffix)) if r.name.endswith(suffix) else None
            if base is not None:
                ctx.problem(
                    res_key(r),
                    f"resource '{r.name}' has the name of the {kind} generated for resource '{base.name}'",
                    "rename one of the two resources",
                )


def check_root_fields(ctx: Context, cat: Catalog) -> None:
    """Each resource's four root fields must be distinct from all others and from the platform's."""
    claimed: dict[str, tuple[Resource, str]] = {}
    for r in cat.resources.values():
        plural = res_key(r, "plural")
        subject = f"plural '{r.plural}' of resource '{r.name}'"
        if plural in ctx.sites.lines and not graphql_name(ctx, plural, r.plural, subject, upper=False):
            continue
        if not GRAPHQL_NAME.fullmatch(r.name) or r.name in RESERVED_TYPES:  # already reported as a type name
            continue
        for (kind, from_plural), name in zip(ROOT_FIELD_KINDS, r.root_fields, strict=True):
            clash = _clash(ctx, r, kind, name, claimed.setdefault(name, (r, kind)), from_plural)
            if clash:
                # Fields made from the plural point at `plural:` when it is written, else at the resource.
                at = ctx.sites.first_written(plural, res_key(r)) if from_plural else res_key(r)
                ctx.problem(at, *clash)
                break  # the other fields of this resource clash for the same reason


def _clash(
    ctx: Context, r: Resource, kind: str, name: str, owner: tuple[Resource, str], from_plural: bool
) -> tuple[str, str] | None:
    """Message and hint if root field ``name`` (of ``kind``) of ``r`` is already taken, else None."""
    fix = "set plural: to another name" if from_plural else "rename the resource"
    other, other_kind = owner
    if name in PLATFORM_FIELDS:
        return f"the {kind} of resource '{r.name}' would be '{name}', a root field the platform defines", fix
    if other is r and other_kind != kind:
        return (
            f"resource '{r.name}' would generate '{name}' as both its {other_kind} and its {kind}",
            f"set plural: to another name, e.g. '{r.single}List'",
        )
    if other is not r:
        return (
            f"the {kind} '{name}' of resource '{r.name}' collides with the {other_kind} of resource "
            f"'{other.name}' (line {ctx.sites.line(res_key(other))})",
            f"{fix}, or change the other resource",
        )
    return None
