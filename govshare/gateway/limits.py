"""Static limits on an operation (DESIGN §11), checked before anything runs.

They depend on the document alone, never on the caller, so their verdict is
cached with the parsed document. Introspection (what GraphiQL and code
generators send: every root field ``__schema`` or ``__type``) has limits of
its own, since the standard query nests type references 15 levels deep; an
operation that mixes it with other fields gets the ordinary ones.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DefinitionNode,
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

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": QUERY_TOO_COMPLEX})


def fragments_of(definitions: tuple[DefinitionNode, ...] | list[DefinitionNode]) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}


def root_field_names(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    """The names of every root field the operation could select, whatever its directives."""
    names: set[str] = set()
    pending, seen = [operation.selection_set], set()
    while pending:
        for node in pending.pop().selections:
            if isinstance(node, FieldNode):
                names.add(node.name.value)
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments.get(node.name.value)
                if fragment is not None and node.name.value not in seen:
                    seen.add(node.name.value)
                    pending.append(fragment.selection_set)
            elif isinstance(node, InlineFragmentNode):
                pending.append(node.selection_set)
    return names


def is_introspection(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> bool:
    names = root_field_names(operation, fragments) - {"__typename"}
    return bool(names) and names <= INTROSPECTION_ROOTS


def only_introspection(document: DocumentNode) -> bool:
    """Whether every operation of the document is introspection (so it may use introspection's budgets)."""
    fragments = fragments_of(document.definitions)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(is_introspection(o, fragments) for o in operations)


def check_limits(document: DocumentNode, settings: Settings) -> list[GraphQLError]:
    fragments = fragments_of(document.definitions)
    errors: list[GraphQLError] = []
    aliases = sum(_aliases(d.selection_set) for d in document.definitions if hasattr(d, "selection_set"))
    if aliases > settings.max_aliases:
        errors.append(_too_complex(f"The document uses {aliases} aliases; at most {settings.max_aliases} are allowed"))
    measure = _Depth(fragments)
    for operation in document.definitions:
        if isinstance(operation, OperationDefinitionNode):
            introspection = is_introspection(operation, fragments)
            limit = settings.max_introspection_depth if introspection else settings.max_depth
            depth = measure.of(operation.selection_set)
            if depth > limit:
                name = operation.name.value if operation.name else "the operation"
                what = "introspection" if introspection else "fields"
                errors.append(_too_complex(f"{name} nests {what} {depth} levels deep; at most {limit} are allowed"))
    return errors


def variables_problem(variables: dict[str, Any] | None, settings: Settings) -> str | None:
    """Why ``variables`` are refused (too deep or too many values), or None; walked without recursion."""
    if variables is None:
        return None
    max_depth, max_values = settings.max_variable_depth, settings.max_variable_values
    pending: list[tuple[Any, int]] = [(variables, 1)]
    count = 0
    while pending:
        value, depth = pending.pop()
        count += 1
        if count > max_values:
            return f"'variables' hold more than {max_values} values; send fewer (GOVSHARE_MAX_VARIABLE_VALUES)"
        if depth > max_depth:
            return f"'variables' nest more than {max_depth} levels deep; flatten them (GOVSHARE_MAX_VARIABLE_DEPTH)"
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)
    return None


def _aliases(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.alias is not None:
            count += 1
        count += _aliases(getattr(selection, "selection_set", None))
    return count


class _Depth:
    """Nesting depth of selections; each fragment is measured once (a spread repeated at every
    level would otherwise cost 2^levels), and a cycle counts as nothing (validation reports it)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.known: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + self.of(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection.name.value))
        return deepest

    def _fragment(self, name: str) -> int:
        found = self.known.get(name)
        if found is None:
            fragment = self.fragments.get(name)
            self.known[name] = 0  # while measuring it: a cycle back here adds nothing
            found = self.known[name] = self.of(fragment.selection_set) if fragment is not None else 0
        return found
