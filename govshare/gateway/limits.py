"""Static limits on an operation (DESIGN §11), checked before anything runs.

They depend on the document alone, never on the caller, so their verdict is
cached with the parsed document.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from govshare.errors import QUERY_TOO_COMPLEX
from govshare.settings import Settings


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})


def check_limits(document: DocumentNode, settings: Settings) -> list[GraphQLError]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    errors: list[GraphQLError] = []
    aliases = sum(_aliases(d.selection_set) for d in document.definitions if hasattr(d, "selection_set"))
    if aliases > settings.max_aliases:
        errors.append(_too_complex(f"The document uses {aliases} aliases; at most {settings.max_aliases} are allowed"))
    for operation in document.definitions:
        if isinstance(operation, OperationDefinitionNode):
            depth = _depth(operation.selection_set, fragments, frozenset())
            if depth > settings.max_depth:
                name = operation.name.value if operation.name else "the operation"
                errors.append(
                    _too_complex(f"{name} nests fields {depth} levels deep; at most {settings.max_depth} are allowed")
                )
    return errors


def _aliases(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.alias is not None:
            count += 1
        count += _aliases(getattr(selection, "selection_set", None))
    return count


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, visiting))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visiting))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visiting:  # cycles are reported by validation
                deepest = max(deepest, _depth(fragment.selection_set, fragments, visiting | {name}))
    return deepest
