"""graphql-core's own execution of an operation: the oracle the engine's answers are held to."""

from __future__ import annotations

import inspect
from typing import Any

from graphql import ExecutionResult, execute

from govshare.gateway.executor import Gateway, GraphQLRequest
from govshare.identity import Caller
from govshare.resolvers.context import RequestContext


async def graphql_core_body(
    gateway: Gateway, request: GraphQLRequest, caller: Caller, purpose: str | None
) -> dict[str, Any]:
    """The response body graphql-core gives for ``request`` on the gateway's schema and runtime."""
    prepared, errors = gateway.prepare(request.query)
    if prepared is None:
        return gateway._outcome(ExecutionResult(None, errors), None).body
    context = RequestContext(gateway.runtime, caller, purpose)
    executed = execute(
        gateway.schema.graphql,
        prepared.document,
        context_value=context,
        variable_values=request.variables,
        operation_name=request.operation_name,
    )
    result = await executed if inspect.isawaitable(executed) else executed
    assert isinstance(result, ExecutionResult)
    return gateway._outcome(result, context).body
