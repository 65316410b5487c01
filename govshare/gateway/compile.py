"""Compiles an operation into plans of fields, once per document and directive variables.

graphql-core collects the fields (fragments, type conditions, @skip/@include),
so what is compiled is exactly what it would execute. A plan holds, per
(object type, selection), the fields to answer with their definitions,
resolvers and constant arguments, and per field the completion of its type
(non-null, list, leaf, object or abstract), so that answering a request walks
prepared lists instead of the document. Field nodes in a plan are the same
objects on every request, which lets resolvers cache what they derive from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values

# Leaf values of these Python types need no coercion for these GraphQL types (the hot path of rows).
PASS_THROUGH: dict[str, type[Any]] = {GraphQLString.name: str, GraphQLID.name: str, GraphQLBoolean.name: bool}
# A resolver carrying this attribute only reads its field from a dict: under the field's name
# ("name"), or under the response key ("key") where aliases of a field may differ in arguments.
PLAIN_READ = "plain_read"


@dataclass(slots=True, eq=False)
class Completion:
    """How a value of one output type is completed at one place in the operation."""

    output: GraphQLOutputType
    non_null: bool
    kind: str  # leaf | list | object | abstract
    coerce: Callable[[Any], Any] | None = None  # leaf
    plain: type[Any] | None = None  # leaf values of this Python type pass as they are (never NoneType)
    sync: bool = True  # its subtree holds plain reads only: completed without awaiting
    item: Completion | None = None  # list
    object: ObjectPlan | None = None  # object
    by_type: dict[str, ObjectPlan] = field(default_factory=dict)  # abstract: a plan per possible type


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str  # response key (alias or name)
    name: str
    parent: GraphQLObjectType
    definition: GraphQLField
    nodes: list[FieldNode]
    resolve: Callable[..., Any] | None  # None: graphql-core's default resolver
    read: bool  # a plain read from a dict (no info, no awaiting) ...
    read_as: str  # ... of this key
    typename: bool  # __typename: the parent type's name
    args: dict[str, Any] | Exception | None  # constant arguments (or their error); None: from variables
    completion: Completion


class _NoValue:
    """No value is of this type: a step whose values always take the general way."""


# A step of a plain-read object: (response key, dict key, the Python type passed as it is,
# the leaf's coercion, field).
Step = tuple[str, str, type[Any], Callable[[Any], Any] | None, FieldPlan]


@dataclass(slots=True, eq=False)
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan]
    reads_only: bool  # every field is a plain read down to the leaves: completed without awaiting
    steps: tuple[Step, ...] = ()  # the fields as flat tuples: the per-row loop reads no attributes

    def __post_init__(self) -> None:
        self.steps = tuple(
            (f.key, f.read_as, f.completion.plain or _NoValue, f.completion.coerce, f) for f in self.fields
        )


@dataclass(slots=True, eq=False)
class OperationPlan:
    operation: OperationDefinitionNode
    kind: OperationType
    root: ObjectPlan


class Compiler:
    """Compiles the operations of one document against one schema."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: FragmentDetails(d) for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragment_nodes = {name: details.definition for name, details in self.fragments.items()}
        self.variables: VariableValues = VariableValues({}, {})

    def operation(self, operation: OperationDefinitionNode, variables: VariableValues) -> OperationPlan:
        self.variables = variables
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:
            raise ValueError(f"the schema has no {operation.operation.value} type")
        grouped = collect_fields(self.schema, self.fragments, variables, root_type, operation).grouped_field_set
        self._operation = operation
        return OperationPlan(operation, operation.operation, self._object(root_type, grouped))

    def _object(self, object_type: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]) -> ObjectPlan:
        fields: list[FieldPlan] = []
        for key, details in grouped.items():
            nodes = [d.node for d in details]
            name = nodes[0].name.value
            definition = self.schema.get_field(object_type, name)
            if definition is None:
                continue  # validation leaves none: graphql-core skips them too
            resolve = definition.resolve
            typename = name == "__typename"
            read = getattr(resolve, PLAIN_READ, None)
            fields.append(
                FieldPlan(
                    key,
                    name,
                    object_type,
                    definition,
                    nodes,
                    resolve,
                    read is not None,
                    key if read == "key" else name,
                    typename,
                    self._constant_args(definition, nodes[0]),
                    self._completion(definition.type, details),
                )
            )
        # An object asked only for __typename may be any object (not a dict row): the general way.
        reads_only = all((f.read or f.typename) and f.completion.sync for f in fields) and (
            not fields or any(f.read for f in fields)
        )
        return ObjectPlan(object_type, fields, reads_only)

    def _completion(self, output: GraphQLOutputType, details: list[FieldDetails]) -> Completion:
        non_null = isinstance(output, GraphQLNonNull)
        inner: Any = output.of_type if non_null else output  # type: ignore[union-attr]
        if isinstance(inner, GraphQLList):
            item = self._completion(inner.of_type, details)
            return Completion(inner, non_null, "list", item=item, sync=item.sync)
        if isinstance(inner, GraphQLLeafType):
            plain = PASS_THROUGH.get(inner.name)
            return Completion(inner, non_null, "leaf", coerce=inner.coerce_output_value, plain=plain)
        if isinstance(inner, GraphQLObjectType):
            plan = self.subfields(inner, details)
            return Completion(inner, non_null, "object", object=plan, sync=plan.reads_only)
        assert isinstance(inner, GraphQLAbstractType)
        possible = self.schema.get_possible_types(inner)
        by_type = {t.name: self.subfields(t, details) for t in possible}
        return Completion(inner, non_null, "abstract", by_type=by_type, sync=False)

    def subfields(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> ObjectPlan:
        grouped = collect_subfields(
            self.schema, self.fragments, self.variables, self._operation, object_type, details
        ).grouped_field_set
        return self._object(object_type, grouped)

    def _constant_args(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any] | Exception | None:
        if not definition.args and not node.arguments:
            return {}
        if any(_uses_variables(argument.value) for argument in node.arguments or ()):
            return None
        try:
            return get_argument_values(definition, node, VariableValues({}, {}))
        except Exception as exc:  # raised where graphql-core raises it: at the field, when executed
            return exc


def _uses_variables(value: Node) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_uses_variables(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_uses_variables(f.value) for f in value.fields)
    return False


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """Variables that @skip/@include (or any directive) read: they shape the fields collected."""
    found: set[str] = set()

    def visit(node: Any) -> None:
        directives: tuple[DirectiveNode, ...] = getattr(node, "directives", None) or ()
        for directive in directives:
            for argument in directive.arguments or ():
                _collect_variables(argument.value, found)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            for selection in selection_set.selections:
                visit(selection)

    for definition in document.definitions:
        visit(definition)
    return tuple(sorted(found))


def _collect_variables(value: Node, found: set[str]) -> None:
    if isinstance(value, VariableNode):
        found.add(value.name.value)
    elif isinstance(value, ListValueNode):
        for v in value.values:
            _collect_variables(v, found)
    elif isinstance(value, ObjectValueNode):
        for f in value.fields:
            _collect_variables(f.value, found)
    elif isinstance(value, BooleanValueNode):
        return
