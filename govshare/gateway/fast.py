"""Direct execution of operations that only read resources.

The resource resolvers fetch whole trees into plain dicts, so what remains
of GraphQL execution is shaping: picking the asked fields (aliases,
fragments, @skip/@include), serialising scalars and placing errors. For
every field of every row graphql-core builds an info object, checks for
awaitables and walks its type wrappers — most of the cost of a large answer.
Here each (type, selection) is compiled once per operation into a list of
fields, and rows are shaped with a loop over it. Operations with any other
root field (catalog, me, grants, audit, mutations) take graphql-core's path,
and the test suite checks that both paths give the same answers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

from govshare.errors import FieldError
from govshare.gateway.limits import root_field_names
from govshare.resolvers.context import RequestContext
from govshare.resolvers.plan import Selection


class _Info(NamedTuple):
    """The part of graphql-core's resolve info the resource resolvers read."""

    context: RequestContext
    field_nodes: list[FieldNode]
    fragments: dict[str, FragmentDefinitionNode]
    variable_values: VariableValues
    operation: OperationDefinitionNode


class _Null(Exception):
    """A null where the schema allows none: the nearest nullable parent becomes null."""


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    name: str
    type: GraphQLOutputType
    nodes: list[FieldNode]


Path = tuple[Any, ...] | None  # (parent, key): built per field, turned into a list only for an error


def _path_list(path: Path) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    return keys[::-1]


class FastExecutor:
    def __init__(self, schema: GraphQLSchema, roots: set[str]) -> None:
        self.schema = schema
        self.roots = roots

    def serves(self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> bool:
        """Whether every root field the query could select (whatever its directives) reads resources."""
        if operation.operation is not OperationType.QUERY:
            return False
        names = root_field_names(operation, fragments)
        return bool(names) and names <= self.roots

    async def execute(
        self,
        context: RequestContext,
        document_fragments: dict[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        raw_variables: dict[str, Any] | None,
    ) -> ExecutionResult:
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), raw_variables or {})
        if isinstance(coerced, list):
            return ExecutionResult(None, coerced)
        top: dict[str, list[FieldNode]] = {}
        Selection(document_fragments, coerced).collect(operation.selection_set, top, by_alias=True)
        assert self.schema.query_type is not None
        query_type = self.schema.query_type
        errors: list[GraphQLError] = []
        shaping = _Shaping(Selection(document_fragments, coerced), errors)

        async def resolve(key: str, nodes: list[FieldNode]) -> Any:
            field = query_type.fields[nodes[0].name.value]
            try:
                args = get_argument_values(field, nodes[0], coerced)
                assert field.resolve is not None
                return await field.resolve(None, _Info(context, nodes, document_fragments, coerced, operation), **args)
            except Exception as exc:
                errors.append(located_error(exc, nodes, [key]))
                return _FAILED

        values = await asyncio.gather(*(resolve(key, nodes) for key, nodes in top.items()))
        data: dict[str, Any] = {}
        try:
            for (key, nodes), value in zip(top.items(), values, strict=True):
                field_type = query_type.fields[nodes[0].name.value].type
                if value is _FAILED:
                    if isinstance(field_type, GraphQLNonNull):
                        raise _Null
                    data[key] = None
                else:
                    data[key] = shaping.complete(value, field_type, nodes, (None, key))
        except _Null:
            return ExecutionResult(None, errors)
        return ExecutionResult(data, errors or None)


_FAILED = object()


class _Shaping:
    def __init__(self, selection: Selection, errors: list[GraphQLError]) -> None:
        self.selection = selection
        self.errors = errors
        self.compiled: dict[tuple[str, int], list[_Field]] = {}

    def fields_of(self, object_type: GraphQLObjectType, nodes: list[FieldNode]) -> list[_Field]:
        key = (object_type.name, id(nodes))
        found = self.compiled.get(key)
        if found is None:
            found = self.compiled[key] = [
                _Field(response, group[0].name.value, self._type(object_type, group[0].name.value), group)
                for response, group in self.selection.response_fields(nodes).items()
            ]
        return found

    @staticmethod
    def _type(object_type: GraphQLObjectType, name: str) -> GraphQLOutputType:
        if name == "__typename":
            return GraphQLNonNull(object_type)  # marker only: answered with the type's name
        field_type: GraphQLOutputType = object_type.fields[name].type
        return field_type

    def complete(self, value: Any, field_type: GraphQLOutputType, nodes: list[FieldNode], path: Path) -> Any:
        if isinstance(field_type, GraphQLNonNull):
            result = self.complete(value, field_type.of_type, nodes, path)
            if result is None:
                # A null from below already has its error; only a missing value gets one here.
                if value is None:
                    name = nodes[0].name.value
                    self.errors.append(
                        GraphQLError(f"Cannot return null for non-nullable field {name}.", nodes, path=_path_list(path))
                    )
                raise _Null
            return result
        if value is None:
            return None
        if type(value) is FieldError:
            error = value.error()
            self.errors.append(GraphQLError(error.message, nodes, path=_path_list(path), original_error=error))
            return None
        if isinstance(field_type, GraphQLList):
            item_type = field_type.of_type
            try:
                return [self.complete(item, item_type, nodes, (path, n)) for n, item in enumerate(value)]
            except _Null:
                return None
        if isinstance(field_type, GraphQLObjectType):
            shaped: dict[str, Any] = {}
            try:
                for field in self.fields_of(field_type, nodes):
                    if field.name == "__typename":
                        shaped[field.key] = field_type.name
                    else:
                        shaped[field.key] = self.complete(
                            value.get(field.name), field.type, field.nodes, (path, field.key)
                        )
            except _Null:
                return None
            return shaped
        try:
            return field_type.serialize(value)  # type: ignore[union-attr]
        except Exception as exc:
            # A value its type cannot represent (an Int beyond 32 bits): an error at its path, as graphql-core does.
            self.errors.append(located_error(exc, nodes, _path_list(path)))
            return None
