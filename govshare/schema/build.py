"""Builds the executable GraphQL schema of a catalog.

Strawberry declares every type (and prints the SDL); the resource root fields
are then bound straight to the resolvers in ``govshare.resolvers.roots``,
which take graphql-core's coerced arguments as plain values. Build once per
catalog version, off the request path.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.schema.config import StrawberryConfig

from govshare.catalog.model import Catalog, Resource
from govshare.errors import FieldError
from govshare.gateway.compile import PLAIN_READ
from govshare.resolvers import roots
from govshare.resolvers.context import RequestContext
from govshare.schema import types as gen
from govshare.schema.aggregates import aggregate_type, bucket_argument
from govshare.schema.audit import audit_fields
from govshare.schema.catalog_drafts import CatalogDraftMutation, catalog_draft_fields
from govshare.schema.evaluation import evaluation_fields
from govshare.schema.grant_fields import Mutation as GrantMutation
from govshare.schema.grant_fields import resolve_grants
from govshare.schema.inputs import SCALARS, PageInfo, Verification
from govshare.schema.platform import CatalogInfo, DepartmentInfo, MeInfo, catalog_info
from govshare.schema.statistics import statistics_fields
from govshare.schema.stubs import arg, optional, optional_list, stub
from govshare.schema.supervision import SupervisionMutation, supervision_fields
from govshare.schema.workflows import WorkflowMutation, workflow_fields


@strawberry.type(name="Mutation", description="Platform operations.")
class Mutation(GrantMutation, WorkflowMutation, SupervisionMutation, CatalogDraftMutation):
    pass


_builds = itertools.count(1)


@dataclass(frozen=True, slots=True)
class BuiltSchema:
    catalog: Catalog
    strawberry: strawberry.Schema
    graphql: GraphQLSchema
    row_roots: frozenset[str]  # root fields whose resolvers answer in rows (resources)

    def sdl(self) -> str:
        return self.strawberry.as_str() + "\n"


def read_field(source: Any, name: str) -> Any:
    """Fields of the platform types: attribute reads (dicts where a resolver built them)."""
    if type(source) is dict:
        return source.get(name)
    return getattr(source, name)


def read_row_field(source: dict[str, Any], info: Any) -> Any:
    """Every field of the generated types: a dict read, raising a value's stored error.

    Bound straight to graphql-core, without Strawberry's per-field wrapper: this
    runs once per field per row, so it is the hot path of every large answer.
    """
    value = source.get(info.field_name)
    if type(value) is FieldError:
        raise value.error()
    return value


def read_row_list(source: dict[str, Any], info: Any, **_arguments: Any) -> Any:
    """A many relation: its rows are stored under the response key, since aliases may differ in arguments."""
    value = source.get(info.path.key)
    if type(value) is FieldError:
        raise value.error()
    return value


# The engine reads these fields itself, without resolve info.
setattr(read_row_field, PLAIN_READ, "name")
setattr(read_row_list, PLAIN_READ, "key")


def _root_fields(resource: Resource, cls: dict[str, Any]) -> dict[str, Any]:
    key = resource.key_item
    fields: dict[str, Any] = {}
    fields[resource.single] = strawberry.field(
        resolver=stub([arg(key.name, SCALARS[key.type], key.title)], optional(cls["object"])),
        description=f"One {resource.title} by {key.name} ({key.title}), or null if none.",
    )
    fields[resource.plural] = strawberry.field(
        resolver=stub(
            [
                arg("filter", optional(cls["filter"]), "Only rows matching this.", None),
                arg("orderBy", optional_list(cls["order"]), "Ordering; the key breaks ties.", None),
                arg("first", optional(int), "Page size (capped).", roots.DEFAULT_PAGE),
                arg("after", optional(str), "Cursor of the row to continue after.", None),
            ],
            cls["connection"],
        ),
        description=f"{resource.title}: a page of rows, filtered and ordered, with keyset cursors.",
    )
    fields[resource.plural + "Aggregate"] = strawberry.field(
        resolver=stub(
            [
                arg("filter", optional(cls["filter"]), "Only rows matching this.", None),
                arg("groupBy", optional_list(cls["field"]), "Items to group by.", None),
                *cls["buckets"],
            ],
            cls["aggregate"],
        ),
        description=f"{resource.title}: row counts and measures (sum, avg, min, max), in total and per group.",
    )
    fields[resource.single + "Verify"] = strawberry.field(
        resolver=stub(
            [
                arg(key.name, SCALARS[key.type], key.title),
                arg("claims", cls["claims"], "The values to check."),
            ],
            Verification,
        ),
        description=f"Check claimed values of one {resource.title} without reading them (核验).",
    )
    return fields


def _platform_fields(catalog: Catalog) -> dict[str, Any]:
    info = catalog_info(catalog)

    def resolve_catalog() -> CatalogInfo:
        return info

    def resolve_me(info: strawberry.Info) -> MeInfo:
        ctx: RequestContext = info.context
        caller = ctx.caller
        department = catalog.departments[caller.department]
        return MeInfo(
            department=DepartmentInfo(code=department.code, name=department.name),
            user=caller.user,
            roles=list(caller.roles),
        )

    return {
        "catalog": strawberry.field(resolver=resolve_catalog, description="The shared resource catalog."),
        "me": strawberry.field(resolver=resolve_me, description="The calling department and user."),
        **audit_fields(),
        **statistics_fields(),
        **evaluation_fields(),
        **supervision_fields(),
        "grants": strawberry.field(
            resolver=resolve_grants,
            description="Grants: all for the authority and auditors; otherwise those the caller holds or gives.",
        ),
        **workflow_fields(),
        **catalog_draft_fields(),
    }


def _row_types(catalog: Catalog, types: Mapping[str, Any]) -> list[str]:
    """Object types whose values are always dicts built by the resolvers."""
    suffixes = ("", "Edge", "Connection", "Aggregate", "AggregateGroup", "AggregateNumbers", "AggregateValues")
    generated = [r + suffix for r in catalog.resources for suffix in suffixes]
    return [n for n in [*generated, "PageInfo", "Verification"] if n in types]


def build_schema(catalog: Catalog) -> BuiltSchema:
    ns = gen.Namespace(f"govshare_generated_{next(_builds)}")
    # Strawberry resolves the string annotations through the classes' module.
    sys.modules[ns.module.__name__] = ns.module
    try:
        query_fields: dict[str, Any] = _platform_fields(catalog)
        bindings: dict[str, roots.Resolver] = {}
        inputs = {r.name: (gen.filter_input(ns, r), gen.order_input(ns, r)) for r in catalog.resources.values()}
        for resource in catalog.resources.values():
            cls = {
                "object": gen.object_type(ns, catalog, resource, inputs),
                "filter": inputs[resource.name][0],
                "order": inputs[resource.name][1],
                "field": gen.field_enum(ns, resource),
                "connection": gen.connection_types(ns, resource),
                "aggregate": aggregate_type(ns, resource),
                "buckets": bucket_argument(ns, resource),
                "claims": gen.claims_input(ns, resource),
            }
            query_fields.update(_root_fields(resource, cls))
            bindings[resource.single] = roots.lookup(resource)
            bindings[resource.plural] = roots.connection(resource)
            bindings[resource.plural + "Aggregate"] = roots.aggregate(resource)
            bindings[resource.single + "Verify"] = roots.verify(resource)
        query = ns.new_class("Query", {}, query_fields)
        schema = strawberry.Schema(
            query=strawberry.type(query, name="Query", description=catalog.platform.name),
            mutation=Mutation,
            types=[PageInfo],
            config=StrawberryConfig(auto_camel_case=False, default_resolver=read_field),
        )
    finally:
        del sys.modules[ns.module.__name__]
    graphql_schema = schema._schema
    assert graphql_schema.query_type is not None
    for name, resolver in bindings.items():
        graphql_schema.query_type.fields[name].resolve = resolver
    for type_name in _row_types(catalog, graphql_schema.type_map):
        row_type = graphql_schema.type_map[type_name]
        assert isinstance(row_type, GraphQLObjectType)
        for row_field in row_type.fields.values():
            row_field.resolve = read_row_list if row_field.args else read_row_field
    return BuiltSchema(catalog, schema, graphql_schema, frozenset(bindings))
