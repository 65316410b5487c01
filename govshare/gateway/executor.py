"""Runs one GraphQL operation: parse, validate and compile (cached), limits, execute, errors.

A document is parsed, limit-checked and validated once; each of its
operations is compiled once per set of values of the variables its
directives read (``gateway.compile``), and every request runs a compiled
plan through the one engine (``gateway.engine``). The resolvers fetch whole
levels, so nothing here runs per row but the shaping walk.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.validation.validate import ValidationAbortedError

from govshare.audit.read import Visibility
from govshare.audit.report import ReplayReport
from govshare.errors import BAD_USER_INPUT, INTERNAL, QUERY_TOO_COMPLEX, GovshareError
from govshare.gateway.compile import Compiler, OperationPlan, directive_variables
from govshare.gateway.engine import Run
from govshare.gateway.limits import check_limits, only_introspection
from govshare.identity import Caller
from govshare.policies.engine import Policy
from govshare.resolvers.context import RequestContext
from govshare.runtime import Runtime
from govshare.settings import Settings

log = logging.getLogger("govshare.gateway")

TIMEOUT = "TIMEOUT"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


@dataclass(slots=True)
class Outcome:
    body: dict[str, Any]
    context: RequestContext | None
    codes: list[str] = field(default_factory=list)
    kind: str = "query"  # the operation type (query | mutation)
    operation_name: str | None = None

    @property
    def outcome(self) -> str:
        """answered, partial (some fields failed), failed (nothing answered) or rejected (not run)."""
        if "data" not in self.body:
            return "rejected"
        if not self.codes:
            return "answered"
        data = self.body["data"]
        return "partial" if data and any(v is not None for v in data.values()) else "failed"


@dataclass(slots=True, eq=False)
class Prepared:
    """A parsed and validated document, with its compiled operations."""

    document: DocumentNode
    compiler: Compiler
    directive_variables: tuple[str, ...]  # the variables whose values change which fields are collected
    plans: dict[tuple[Any, ...], OperationPlan] = field(default_factory=dict)

    def plan(self, operation: OperationDefinitionNode, variables: VariableValues) -> OperationPlan:
        shaping = tuple(repr(variables.coerced.get(name)) for name in self.directive_variables)
        key = (id(operation), shaping)
        found = self.plans.get(key)
        if found is None:
            if len(self.plans) >= MAX_PLANS_PER_DOCUMENT:
                self.plans.clear()
            found = self.plans[key] = self.compiler.operation(operation, variables)
        return found


MAX_PLANS_PER_DOCUMENT = 64
Verdict = tuple[Prepared | None, list[GraphQLError]]


class _Cache:
    """A small LRU of prepared documents, keyed by query text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, Verdict] = OrderedDict()

    def get(self, key: str) -> Verdict | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: str, value: Verdict) -> None:
        self.entries[key] = value
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


class ExecutableSchema(Protocol):
    """The schema the gateway runs (schema.build makes it): graphql-core's, and the resource root fields."""

    @property
    def graphql(self) -> GraphQLSchema: ...

    @property
    def row_roots(self) -> frozenset[str]: ...


Replay = Callable[["Gateway", int, Visibility], Awaitable[ReplayReport]]


class Gateway:
    def __init__(
        self,
        runtime: Runtime,
        schema: ExecutableSchema,
        cache_size: int = 512,
        *,
        replay: Replay | None = None,
    ) -> None:
        self.runtime = runtime
        self.schema = schema
        self._documents = _Cache(cache_size)
        # The auditors' replay runs through this gateway; handed in by whoever serves it (gateway.replay).
        self.replay = replay

    def prepare(self, query: str) -> Verdict:
        """Parse, limit-check and validate ``query``; the verdict is the same for every caller."""
        cached = self._documents.get(query)
        if cached is not None:
            return cached
        settings = self.runtime.settings
        try:
            document = _parse(query, settings)
        except GraphQLError as exc:
            too_many = "tokens" in exc.message and "Parsing aborted" in exc.message
            exc.extensions = {"code": QUERY_TOO_COMPLEX if too_many else BAD_USER_INPUT}
            if too_many:
                exc.message = f"The document has more than {settings.max_tokens} tokens"
            prepared: Verdict = (None, [exc])
        else:
            errors = check_limits(document, settings) or [
                _too_costly() if isinstance(e, ValidationAbortedError) else e
                for e in validate(self.schema.graphql, document)
            ]
            compiled = Prepared(document, Compiler(self.schema.graphql, document), directive_variables(document))
            prepared = (None, errors) if errors else (compiled, [])
        self._documents.put(query, prepared)
        return prepared

    async def run(
        self,
        request: GraphQLRequest,
        caller: Caller,
        purpose: str | None,
        *,
        allow_mutations: bool = True,
        policy: Policy | None = None,
        today: datetime.date | None = None,
        metered: bool = True,
    ) -> Outcome:
        """Execute one operation; ``policy`` and ``today`` replace the present ones for a replay,
        which makes its verification checks unmetered (``metered=False``)."""
        prepared, errors = self.prepare(request.query)
        if prepared is None:
            return self._outcome(ExecutionResult(None, errors), None)
        operation = _operation(prepared.document, request.operation_name)
        kind = operation.operation if operation is not None else OperationType.QUERY
        if kind is OperationType.SUBSCRIPTION or (kind is OperationType.MUTATION and not allow_mutations):
            how = "are not served" if kind is OperationType.SUBSCRIPTION else "need POST"
            error = GraphQLError(f"{kind.value} operations {how} here", extensions={"code": BAD_USER_INPUT})
            return self._outcome(ExecutionResult(None, [error]), None, kind.value)
        replay = functools.partial(self.replay, self) if self.replay is not None else None
        context = RequestContext(
            self.runtime, caller, purpose, policy=policy, today=today, replay=replay, metered=metered
        )
        timeout = self.runtime.settings.request_timeout
        try:
            async with asyncio.timeout(timeout):  # no task of its own, unlike wait_for
                result = await self._execute(prepared, operation, request, context)
        except TimeoutError:
            error = GraphQLError(f"The request took longer than {timeout:g} s", extensions={"code": TIMEOUT})
            result = ExecutionResult(None, [error])
        name = operation.name.value if operation is not None and operation.name else request.operation_name
        return self._outcome(result, context, kind.value, name)

    async def _execute(
        self,
        prepared: Prepared,
        operation: OperationDefinitionNode | None,
        request: GraphQLRequest,
        context: RequestContext,
    ) -> ExecutionResult:
        if operation is None or (request.operation_name is None and _operation_count(prepared.document) > 1):
            name = request.operation_name
            message = (
                f"Unknown operation named '{name}'."
                if name
                else "Must provide operation name if query contains multiple operations."
                if operation is not None
                else "Must provide an operation."
            )
            return ExecutionResult(None, [GraphQLError(message)])
        schema = self.schema.graphql
        variables = get_variable_values(
            schema, operation.variable_definitions or (), request.variables or {}, max_errors=MAX_VARIABLE_ERRORS
        )
        if isinstance(variables, list):
            return ExecutionResult(None, variables)
        plan = prepared.plan(operation, variables)
        context.lone_root = len(plan.root.fields) == 1
        fragments = prepared.compiler.fragment_nodes
        return await Run(schema, fragments, variables, context).execute(plan)

    def _outcome(
        self, result: ExecutionResult, context: RequestContext | None, kind: str = "query", name: str | None = None
    ) -> Outcome:
        body: dict[str, Any] = {}
        if result.data is not None or not result.errors or context is not None:
            body["data"] = result.data  # absent only when the request failed before execution
        errors = [_format(e) for e in result.errors or ()]
        if errors:
            body["errors"] = errors
        return Outcome(body, context, [e["extensions"]["code"] for e in errors], kind, name)


MAX_VARIABLE_ERRORS = 50  # as graphql-core: a huge bad input is not answered error by error


def _too_costly() -> GraphQLError:
    # graphql-core gives up on documents whose fields would take too long to compare (repeated fields).
    message = "The document is too costly to validate (too many fields to compare); remove repeated fields"
    return GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})


def _parse(query: str, settings: Settings) -> DocumentNode:
    """Parse within the token budget; a document of introspection alone has a budget of its own."""
    try:
        return parse(query, max_tokens=settings.max_tokens)
    except GraphQLError as exc:
        if "tokens" not in exc.message or "Parsing aborted" not in exc.message:
            raise
        try:
            document = parse(query, max_tokens=settings.max_introspection_tokens)
        except GraphQLError:
            raise exc from None
        if not only_introspection(document):
            raise exc from None
        return document


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if name is None or (operation.name is not None and operation.name.value == name):
            return operation
    return None


def _format(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if original is not None and not isinstance(original, (GovshareError, GraphQLError)):
        error_id = uuid.uuid4().hex[:12]
        log.error("internal error %s at %s", error_id, error.path, exc_info=original)
        formatted: dict[str, Any] = {
            "message": f"Internal error (id {error_id}); the operators can find it in the server log",
            "extensions": {"code": INTERNAL, "errorId": error_id},
        }
    else:
        formatted = error.formatted  # type: ignore[assignment]
        extensions = dict(formatted.get("extensions") or {})
        extensions.setdefault("code", BAD_USER_INPUT)
        formatted = {**formatted, "extensions": extensions}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    return formatted
