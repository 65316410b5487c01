"""Executes compiled operations: the one implementation of GraphQL execution here.

Every operation (resource reads, platform fields, mutations, introspection)
runs through :class:`Run` over a plan from ``gateway.compile``. It follows
graphql-core's semantics, and the test suite holds it to graphql-core's
answers on generated operations: root fields of a query run concurrently and
those of a mutation one after another; an error is placed at its field's
path; a null (or an error) where the schema allows none makes the nearest
nullable parent null, and an error below a position already nulled is not
reported again. Subtrees made only of plain reads (the rows the resource
resolvers fetched) are completed in one synchronous walk with no resolve info
built; a resolver gets graphql-core's own ``GraphQLResolveInfo``.
"""

from __future__ import annotations

import asyncio
import inspect as pyinspect
from collections.abc import Awaitable, Sequence
from typing import Any, TypeGuard

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationType,
    default_field_resolver,
    default_type_resolver,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, Undefined, inspect
from graphql.type.definition import GraphQLResolveInfoHelpers

from govshare.errors import FieldError
from govshare.gateway.compile import Completion, FieldPlan, ObjectPlan, OperationPlan


class _Propagate(Exception):
    """An error at a non-null position: the nearest nullable parent becomes null and reports it."""

    def __init__(self, error: GraphQLError) -> None:
        self.error = error


def _is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    return pyinspect.isawaitable(value)


async def _gather(values: Sequence[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*values))


_HELPERS = GraphQLResolveInfoHelpers(gather=_gather, track=lambda _values: None)


class Run:
    """One execution of one operation plan."""

    __slots__ = ("context", "errors", "fragments", "muted", "nulled", "operation", "root_value", "schema", "variables")

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        context: Any,
        root_value: Any = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.context = context
        self.root_value = root_value
        self.errors: list[GraphQLError] = []
        self.nulled: set[Path | None] = set()
        self.muted: set[Path | None] = set()  # objects and lists ended by a failed field or item (see _settle)

    async def execute(self, plan: OperationPlan) -> ExecutionResult:
        self.operation = plan.operation
        try:
            if plan.kind is OperationType.MUTATION:
                data = await self._serially(plan.root, self.root_value)
            else:
                data = await self._object(plan.root, self.root_value, None)
        except _Propagate as exc:
            self._add(exc.error, None)
            data = None
        return ExecutionResult(data, self.errors or None)

    # -- errors -----------------------------------------------------------------

    def _add(self, error: GraphQLError, position: Path | None) -> None:
        """Report ``error``, unless its position or a parent's was already nulled (as graphql-core)."""
        step = position
        while step is not None:
            if step in self.nulled:
                return
            step = step.prev
            if step in self.muted:
                return
        if None in self.nulled:
            return
        self.nulled.add(position)
        self.errors.append(error)

    def _fail(self, raw: Exception, field: FieldPlan, completion: Completion, path: Path) -> None:
        """A field's error: reported here, or carried to the nearest nullable parent."""
        error = located_error(raw, field.nodes, path.as_list())
        if completion.non_null:
            raise _Propagate(error)
        self._add(error, path)

    def _null_error(self, field: FieldPlan) -> TypeError:
        return TypeError(f"Cannot return null for non-nullable field {field.parent.name}.{field.name}.")

    # -- objects ----------------------------------------------------------------

    def _rows(self, plan: ObjectPlan, source: Any, parent: Path | None, index: int | None = None) -> dict[str, Any]:
        """An object of plain reads: one synchronous walk, no resolve info, no awaiting.

        Its path is ``parent``, or item ``index`` of the list at ``parent``: made only for an error.
        """
        if plan.type.is_type_of is not None:
            self._check_type(plan, source, _at(parent, index))
        shaped: dict[str, Any] = {}
        if not plan.steps:  # every field skipped: the source (None at the root) is not read
            return shaped
        type_name = plan.type.name
        get = source.get
        for key, read_as, plain, coerce, field in plan.steps:
            value = get(read_as)
            if type(value) is plain:  # most values: a string as it is
                shaped[key] = value
            elif coerce is not None and value is not None and type(value) is not FieldError:
                # A leaf, completed here: this runs once per value of every row.
                try:
                    coerced = coerce(value)
                    if coerced is None or coerced is Undefined:
                        coerced = _leaf(field.completion, value)  # raises graphql-core's error
                except Exception as exc:
                    self._fail(exc, field, field.completion, Path(_at(parent, index), key, type_name))
                    coerced = None
                shaped[key] = coerced
            elif field.typename:
                shaped[key] = type_name
            elif value is None:
                if field.completion.non_null:
                    error = self._null_error(field)
                    self._fail(error, field, field.completion, Path(_at(parent, index), key, type_name))
                shaped[key] = None
            elif type(value) is FieldError:
                self._fail(value.error(), field, field.completion, Path(_at(parent, index), key, type_name))
                shaped[key] = None
            else:
                at = Path(_at(parent, index), key, type_name)
                shaped[key] = self._complete_sync(field, field.completion, value, at)
        return shaped

    def _check_type(self, plan: ObjectPlan, source: Any, path: Path | None) -> None:
        is_type_of = plan.type.is_type_of
        if is_type_of is not None and plan.fields and not is_type_of(source, self._info(plan.fields[0], path)):
            raise GraphQLError(f"Expected value of type '{plan.type.name}' but got: {inspect(source)}.")

    async def _object(self, plan: ObjectPlan, source: Any, path: Path | None) -> dict[str, Any]:
        """An object with resolvers: fields in order, awaited together (a query's semantics)."""
        if plan.reads_only:
            return self._rows(plan, source, path)
        self._check_type(plan, source, path)
        shaped: dict[str, Any] = {}
        pending: list[tuple[str, Awaitable[Any]]] = []
        for field in plan.fields:
            value = self._field(field, source, path)
            shaped[field.key] = value
            if _is_awaitable(value):
                pending.append((field.key, value))
        if pending:
            done = await self._settle([value for _, value in pending], path)
            for (key, _), result in zip(pending, done, strict=True):
                shaped[key] = result
        return shaped

    async def _settle(self, values: Sequence[Awaitable[Any]], path: Path | None) -> list[Any]:
        """The fields (or items) at ``path``, awaited together; the first failure in time ends them all.

        graphql-core then cancels the others, so that what they would report later never shows. Here
        they still settle before the null travels up (none is left running, no statement is cut short),
        but their later errors are muted.
        """
        if len(values) == 1:  # awaited in place, as graphql-core does: the same interleaving
            return [await values[0]]
        futures = [asyncio.ensure_future(value) for value in values]
        try:
            return await asyncio.gather(*futures)
        except Exception:
            self.muted.add(path)
            await asyncio.gather(*futures, return_exceptions=True)
            raise

    async def _serially(self, plan: ObjectPlan, source: Any) -> dict[str, Any]:
        shaped: dict[str, Any] = {}
        for field in plan.fields:
            value = self._field(field, source, None)
            shaped[field.key] = await value if _is_awaitable(value) else value
        return shaped

    # -- fields -----------------------------------------------------------------

    def _field(self, field: FieldPlan, source: Any, parent: Path | None) -> Any:
        """A field's completed value, or an awaitable of it."""
        if field.typename:
            return field.parent.name
        path = Path(parent, field.key, field.parent.name)
        completion = field.completion
        try:
            if field.read:
                value = source.get(field.read_as)
                if type(value) is FieldError:
                    raise value.error()
            else:
                args = field.args if field.args is not None else self._arguments(field)
                if isinstance(args, Exception):
                    raise args
                resolve = field.resolve or default_field_resolver
                value = resolve(source, self._info(field, path), **args)
                if _is_awaitable(value):
                    return self._await(field, completion, value, path)
            if completion.sync:
                return self._complete_sync(field, completion, value, path)
            return self._complete_async(field, completion, value, path)
        except _Propagate:
            raise
        except Exception as exc:
            self._fail(exc, field, completion, path)
            return None

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        return get_argument_values(field.definition, field.nodes[0], self.variables)

    def _info(self, field: FieldPlan, path: Path | None) -> GraphQLResolveInfo[Any]:
        return GraphQLResolveInfo(
            field.name,
            field.nodes,
            field.definition.type,
            field.parent,
            path,  # type: ignore[arg-type]
            self.schema,
            self.fragments,
            self.root_value,
            self.operation,
            self.variables,
            self.context,
            _is_awaitable,
            None,
            _HELPERS,
        )

    async def _await(self, field: FieldPlan, completion: Completion, value: Awaitable[Any], path: Path) -> Any:
        try:
            resolved = await value
            if completion.sync:
                return self._complete_sync(field, completion, resolved, path)
            return await self._complete_async(field, completion, resolved, path)
        except _Propagate:
            raise
        except Exception as exc:
            self._fail(exc, field, completion, path)
            return None

    # -- values -----------------------------------------------------------------

    def _complete_sync(self, field: FieldPlan, completion: Completion, value: Any, path: Path) -> Any:
        """Complete a value whose subtree holds plain reads only."""
        try:
            return self._value_sync(field, completion, value, path)
        except _Propagate as exc:
            if completion.non_null:
                raise
            self._add(exc.error, path)
            return None

    def _value_sync(self, field: FieldPlan, completion: Completion, value: Any, path: Path) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if completion.non_null:
                raise _Propagate(located_error(self._null_error(field), field.nodes, path.as_list()))
            return None
        try:
            kind = completion.kind
            if kind == "leaf":
                return _leaf(completion, value)
            if kind == "object":
                assert completion.object is not None
                return self._rows(completion.object, value, path)
            if kind == "list":
                item = completion.item
                assert item is not None
                if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
                    raise GraphQLError(
                        f"Expected Iterable, but did not find one for field '{field.parent.name}.{field.name}'."
                    )
                return [self._item_sync(field, item, v, path, n) for n, v in enumerate(value)]
            raise TypeError(f"abstract type {completion.output} in a plain subtree")
        except _Propagate:
            raise
        except Exception as exc:
            error = located_error(exc, field.nodes, path.as_list())
            if completion.non_null:
                raise _Propagate(error) from None
            self._add(error, path)
            return None

    def _item_sync(self, field: FieldPlan, item: Completion, value: Any, parent: Path, n: int) -> Any:
        plan = item.object
        if plan is not None and value is not None and type(value) is not FieldError:
            try:
                return self._rows(plan, value, parent, n)
            except _Propagate as exc:
                if item.non_null:
                    raise
                self._add(exc.error, Path(parent, n, None))
                return None
        if type(value) is FieldError:
            value = value.error()
        return self._complete_sync(field, item, value, Path(parent, n, None))

    async def _complete_async(self, field: FieldPlan, completion: Completion, value: Any, path: Path) -> Any:
        try:
            return await self._value_async(field, completion, value, path)
        except _Propagate as exc:
            if completion.non_null:
                raise
            self._add(exc.error, path)
            return None

    async def _value_async(self, field: FieldPlan, completion: Completion, value: Any, path: Path) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if completion.non_null:
                raise _Propagate(located_error(self._null_error(field), field.nodes, path.as_list()))
            return None
        try:
            kind = completion.kind
            if kind == "leaf":
                return _leaf(completion, value)
            if kind == "list":
                item = completion.item
                assert item is not None
                if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
                    raise GraphQLError(
                        f"Expected Iterable, but did not find one for field '{field.parent.name}.{field.name}'."
                    )
                items = [self._item_async(field, item, v, Path(path, n, None)) for n, v in enumerate(value)]
                return await self._settle(items, path)
            if kind == "object":
                assert completion.object is not None
                return await self._object(completion.object, value, path)
            return await self._object(self._runtime_plan(field, completion, value, path), value, path)
        except _Propagate:
            raise
        except Exception as exc:
            error = located_error(exc, field.nodes, path.as_list())
            if completion.non_null:
                raise _Propagate(error) from None
            self._add(error, path)
            return None

    async def _item_async(self, field: FieldPlan, item: Completion, value: Any, path: Path) -> Any:
        if _is_awaitable(value):
            try:
                value = await value
            except Exception as exc:
                value = exc
        return await self._complete_async(field, item, value, path)

    def _runtime_plan(self, field: FieldPlan, completion: Completion, value: Any, path: Path) -> ObjectPlan:
        abstract: Any = completion.output
        resolve_type = abstract.resolve_type or default_type_resolver
        name = resolve_type(value, self._info(field, path), abstract)
        plan = completion.by_type.get(name) if isinstance(name, str) else None
        if plan is None:
            raise GraphQLError(
                f"Abstract type '{abstract.name}' must resolve to an Object type at runtime"
                f" for field '{field.parent.name}.{field.name}'; got {inspect(name)}.",
                field.nodes,
            )
        return plan


def _at(parent: Path | None, index: int | None) -> Path | None:
    return parent if index is None else Path(parent, index, None)


def _leaf(completion: Completion, value: Any) -> Any:
    if completion.plain is not None and type(value) is completion.plain:
        return value
    assert completion.coerce is not None
    coerced = completion.coerce(value)
    if coerced is Undefined or coerced is None:
        raise TypeError(
            f"Expected `{inspect(completion.output)}.coerce_output_value({inspect(value)})`"
            f" to return non-nullable value, returned: {inspect(coerced)}"
        )
    return coerced
