"""Declaration-only resolvers: Strawberry reads their signatures (arguments, return type),
and the schema build binds the fields to govshare's own resolvers afterwards."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional

import strawberry

_P = inspect.Parameter


def stub(params: list[inspect.Parameter], returns: Any) -> Callable[..., Any]:
    """A declaration-only resolver: Strawberry reads its signature; execution uses roots.*."""

    def declared(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("bound to a govshare resolver at build time")

    declared.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_P("info", _P.POSITIONAL_OR_KEYWORD, annotation=strawberry.Info), *params],
        return_annotation=returns,
    )
    return declared


def arg(name: str, annotation: Any, description: str, default: Any = _P.empty) -> inspect.Parameter:
    return _P(
        name,
        _P.KEYWORD_ONLY,
        annotation=Annotated[annotation, strawberry.argument(description=description)],
        default=default,
    )


def optional(annotation: Any) -> Any:
    return Optional[annotation]  # noqa: UP045 - built at run time from a class object


def optional_list(annotation: Any) -> Any:
    return Optional[list[annotation]]  # noqa: UP045
