"""Generates the GraphQL types of one resource as Strawberry classes.

Classes are built in a module namespace of their own per schema build, with
string annotations, so that types referring to each other in cycles
(Person → License → Person) resolve when the schema is assembled.
"""

from __future__ import annotations

import keyword
import types
import typing
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from govshare.catalog.model import Catalog, Resource
from govshare.schema.describe import item_description, relation_description, resource_description
from govshare.schema.inputs import FILTER_INPUTS, SCALARS, DateBucket, PageInfo, SortDirection
from govshare.schema.stubs import arg, optional, optional_list, stub


class Namespace:
    """A fresh module holding the generated classes of one build."""

    def __init__(self, name: str) -> None:
        self.module = types.ModuleType(name)
        self.module.__dict__.update(
            {
                "Optional": typing.Optional,
                "PageInfo": PageInfo,
                "DateBucket": DateBucket,
                "JSON": JSON,
                "SortDirection": SortDirection,
            }
        )
        for item_type, filter_cls in FILTER_INPUTS.items():
            setattr(self.module, filter_cls.__name__, filter_cls)
            setattr(self.module, f"Scalar_{item_type.value}", SCALARS[item_type])

    def add(self, cls: type) -> type:
        setattr(self.module, cls.__name__, cls)
        return cls

    def new_class(self, name: str, annotations: dict[str, str], attrs: dict[str, Any]) -> type:
        return type(name, (), {"__module__": self.module.__name__, "__annotations__": annotations, **attrs})


def python_name(name: str) -> str:
    # Generated classes become dataclasses: a keyword cannot be an attribute name there.
    return name + "_" if keyword.iskeyword(name) else name


def object_type(ns: Namespace, catalog: Catalog, resource: Resource, inputs: dict[str, tuple[type, type]]) -> type:
    """The resource's type; ``inputs`` holds every resource's (filter, orderBy) inputs, for its relations."""
    annotations: dict[str, str] = {}
    attrs: dict[str, Any] = {}
    for item in resource.items.values():
        attr = python_name(item.name)
        annotations[attr] = f"Optional[Scalar_{item.type.value}]"
        # Read by build.read_row_field under the GraphQL name, whatever the Python name.
        attrs[attr] = strawberry.field(name=item.name, description=item_description(catalog, resource, item))
    for relation in resource.relations.values():
        attr = python_name(relation.name)
        target = relation.target
        annotations[attr] = f"Optional[list[{target}]]" if relation.many else f"Optional[{target}]"
        description = relation_description(catalog, resource, relation)
        if not relation.many:
            attrs[attr] = strawberry.field(name=relation.name, description=description)
            continue
        # A many relation is a list the caller filters, orders and cuts, like a page of its own.
        filter_cls, order_cls = inputs[target]
        lazy: Any = Annotated[target, strawberry.lazy(ns.module.__name__)]
        declared = stub(
            [
                arg("filter", optional(filter_cls), "Only related rows matching this.", None),
                arg("orderBy", optional_list(order_cls), "Ordering of the related rows; the key breaks ties.", None),
                arg("first", optional(int), "At most this many related rows per parent (all when omitted).", None),
            ],
            optional_list(lazy),
        )
        attrs[attr] = strawberry.field(resolver=declared, name=relation.name, description=description)
    cls = ns.new_class(resource.name, annotations, attrs)
    return ns.add(strawberry.type(cls, name=resource.name, description=resource_description(catalog, resource)))


def filter_input(ns: Namespace, resource: Resource) -> type:
    name = f"{resource.name}Filter"
    annotations: dict[str, str] = {}
    attrs: dict[str, Any] = {}
    for item in resource.items.values():
        attr = python_name(item.name)
        annotations[attr] = f"Optional[{FILTER_INPUTS[item.type].__name__}]"
        attrs[attr] = strawberry.field(name=item.name, default=strawberry.UNSET)
    for word, annotation, doc in (
        ("and", f"Optional[list[{name}]]", "All of these hold."),
        ("or", f"Optional[list[{name}]]", "At least one of these holds."),
        ("not", f"Optional[{name}]", "This does not hold."),
    ):
        annotations[word + "_"] = annotation
        attrs[word + "_"] = strawberry.field(name=word, default=strawberry.UNSET, description=doc)
    cls = ns.new_class(name, annotations, attrs)
    return ns.add(
        strawberry.input(cls, name=name, description=f"Conditions on {resource.name}; items combine with AND.")
    )


def order_input(ns: Namespace, resource: Resource) -> type:
    name = f"{resource.name}OrderBy"
    annotations = {python_name(i): "Optional[SortDirection]" for i in resource.items}
    attrs = {python_name(i): strawberry.field(name=i, default=strawberry.UNSET) for i in resource.items}
    cls = ns.new_class(name, annotations, attrs)
    return ns.add(
        strawberry.input(
            cls, name=name, description="One item to order by; list several entries for a multi-item order."
        )
    )


def field_enum(ns: Namespace, resource: Resource) -> type:
    name = f"{resource.name}Field"
    # Member names may be Python keywords: GraphQL names come from the values.
    members = Enum(name, {f"item{n}": i for n, i in enumerate(resource.items)})  # type: ignore[misc]
    members.__module__ = ns.module.__name__
    return ns.add(
        strawberry.enum(
            members,
            name=name,
            description=f"Items of {resource.name}, for groupBy.",
            graphql_name_from="value",
        )
    )


def connection_types(ns: Namespace, resource: Resource) -> type:
    edge_name, conn_name = f"{resource.name}Edge", f"{resource.name}Connection"
    edge = ns.new_class(edge_name, {"cursor": "str", "node": resource.name}, {})
    ns.add(strawberry.type(edge, name=edge_name, description=f"A {resource.name} with its cursor."))
    conn = ns.new_class(
        conn_name,
        {
            "totalCount": "Optional[int]",
            "nodes": f"Optional[list[{resource.name}]]",
            "edges": f"Optional[list[{edge_name}]]",
            "pageInfo": "Optional[PageInfo]",
        },
        {"totalCount": strawberry.field(description="Rows matching the filter, on all pages.")},
    )
    return ns.add(
        strawberry.type(
            conn,
            name=conn_name,
            description=f"A page of {resource.plural}. Fields are null only when the source failed.",
        )
    )


def claims_input(ns: Namespace, resource: Resource) -> type:
    name = f"{resource.name}Claims"
    items = [i for i in resource.items.values() if i.name != resource.key]
    annotations = {python_name(i.name): f"Optional[Scalar_{i.type.value}]" for i in items}
    attrs = {python_name(i.name): strawberry.field(name=i.name, default=strawberry.UNSET) for i in items}
    cls = ns.new_class(name, annotations, attrs)
    return ns.add(
        strawberry.input(
            cls, name=name, description=f"Values claimed for a {resource.name}, to be checked against the record."
        )
    )
