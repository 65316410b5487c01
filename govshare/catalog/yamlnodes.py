"""YAML parsing down to nodes, which keep their line numbers; tag checks and `${VAR}` expansion.

The catalog is read with ``yaml.compose`` rather than ``yaml.safe_load``:
nodes remember where they are (so every problem can name its line), and
duplicate keys are still visible (``safe_load`` silently keeps the last one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from govshare.catalog.errors import CatalogError, Collector, Problem

NULL_TAG = "tag:yaml.org,2002:null"
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"

# `${NAME}` or `${NAME:-default}`; `$${` stands for a literal `${`; a `${` left over is malformed.
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def compose(text: str, file: str) -> Node | None:
    """Parse ``text`` into a node tree; a YAML syntax error becomes a one-problem CatalogError."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = f" near column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            reason = f"{exc.context}, {exc.problem}"
        raise CatalogError(
            [Problem(file, line, f"YAML syntax error: {reason}", f"check indentation and quoting{column}")]
        ) from None
    except yaml.YAMLError as exc:  # e.g. a control character in the text; no position is known
        raise CatalogError(
            [Problem(file, 1, f"YAML syntax error: {exc}", "save the catalog as plain UTF-8 text")]
        ) from None


def expand_env(root: Node, env: Mapping[str, str], out: Collector) -> None:
    """Expand `${VAR}` references in every scalar value (never in keys), in place.

    A value holding a reference is typed after expansion, as if its expanded
    text had been written unquoted: `many: "${JOIN_MANY:-false}"` is a
    boolean. (Quotes are needed for references inside `{...}`, where YAML
    does not allow a plain `{`, so they must not decide the type.)
    """
    for node, is_key in _walk(root):
        if not is_key and isinstance(node, ScalarNode) and "${" in node.value:
            _expand_scalar(node, env, out)


def check_tags(root: Node, out: Collector) -> None:
    """Refuse explicit tags the catalog cannot use (`!secret`, `!!python/…`); read such nodes untagged."""
    for node, _is_key in _walk(root):
        # Merge keys are known tags too; `pairs` reports them with a message of their own.
        if node.tag not in SafeConstructor.yaml_constructors and node.tag != MERGE_TAG:
            out.add(
                line_of(node),
                f"YAML tag '{node.tag}' is not supported in a catalog",
                "remove the tag; for secrets use ${VARIABLE} references",
            )
            node.tag = _implicit_tag(node)


def _walk(root: Node) -> Iterator[tuple[Node, bool]]:
    """Every node below ``root`` once (aliases share nodes), with whether it is a mapping key."""
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, is_key = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node, is_key
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack += [(key, True), (value, False)]
        elif isinstance(node, SequenceNode):
            stack.extend((item, False) for item in node.value)


def _expand_scalar(node: ScalarNode, env: Mapping[str, str], out: Collector) -> None:
    def substitute(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "$${":
            return "${"
        body = _BODY.fullmatch(match.group(1) or "") if text.endswith("}") else None
        if body is None:
            out.add(
                line_of(node),
                f"malformed environment reference '{text}'",
                "write ${NAME} or ${NAME:-default} (NAME: letters, digits, _), or $${ for a literal ${",
            )
            return text
        name, default = body.group(1), body.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):  # `:-` as in the shell
            if default is not None:
                return default
            out.add(
                line_of(node),
                f"environment variable {name} is not set",
                f"set {name}, or give a default: ${{{name}:-value}}",
            )
            return text
        return value

    node.value = _REFERENCE.sub(substitute, node.value)
    if node.style not in ("|", ">"):  # block text stays text
        node.tag = _implicit_tag(node)


def _implicit_tag(node: Node) -> str:
    """The tag YAML gives ``node`` when written without quotes or tag."""
    if isinstance(node, ScalarNode):
        return str(Resolver().resolve(ScalarNode, node.value, (True, False)))  # type: ignore[no-untyped-call]
    return "tag:yaml.org,2002:map" if isinstance(node, MappingNode) else "tag:yaml.org,2002:seq"


def describe(node: Node) -> str:
    """How a node reads in a message: 'a mapping', 'the string 'yes'', '12'."""
    if isinstance(node, MappingNode):
        return "a mapping" if node.value else "an empty mapping"
    if isinstance(node, SequenceNode):
        return "a list" if node.value else "an empty list"
    if node.tag == NULL_TAG:
        return "nothing (null)"
    if node.tag == STR_TAG:
        return f"the string '{node.value}'"
    return str(node.value)


def scalar(node: ScalarNode) -> object:
    """The Python value of a scalar as YAML types it (bool, int, float, str, None, date…)."""
    try:
        return SafeConstructor().construct_object(node)
    except (yaml.YAMLError, ValueError):  # e.g. `2024-13-45` looks like a date but is none
        return str(node.value)


def plain_data(node: Node, memo: dict[int, object] | None = None) -> object:
    """The Python value of a subtree (free-form options): keys as written, scalars as YAML types them.

    ``memo`` makes a value reached through several aliases (even recursively) one shared object.
    """
    memo = {} if memo is None else memo
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, SequenceNode):
        items: list[object] = []
        memo[id(node)] = items
        items.extend(plain_data(item, memo) for item in node.value)
        return items
    if isinstance(node, MappingNode):
        mapping: dict[str, object] = {}
        memo[id(node)] = mapping
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else plain_data(key, memo)
            mapping[str(name)] = plain_data(value, memo)
        return mapping
    assert isinstance(node, ScalarNode)
    return scalar(node)


def key_lines(text: str, file: str) -> dict[tuple[str, ...], int]:
    """The line of every mapping key of ``text``, by key path (empty when it does not parse)."""
    found: dict[tuple[str, ...], int] = {}
    try:
        root = compose(text, file) if text else None
    except CatalogError:
        return found

    def walk(node: Node, path: tuple[str, ...], above: frozenset[int]) -> None:
        if not isinstance(node, MappingNode) or id(node) in above:  # a recursive alias
            return
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                at = (*path, str(key.value))
                found.setdefault(at, line_of(key))
                walk(value, at, above | {id(node)})

    if root is not None:
        walk(root, (), frozenset())
    return found
