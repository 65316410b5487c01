"""Typed, checked access to the YAML mappings of a catalog.

:class:`Fields` wraps one mapping (a resource, an item…): it reports unknown,
duplicate and missing keys and values of the wrong type, and records the line
of every key in :class:`Sites` so that the cross-reference rules, which run
later on the model objects, can still point at the right line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govshare.catalog.errors import Collector, did_you_mean, quoted_list
from govshare.catalog.yamlnodes import MERGE_TAG, NULL_TAG, describe, line_of, plain_data, scalar

# Where something is in the catalog, as the chain of keys leading to it:
# ("resources", "Person", "items", "phone", "sharing").
Path = tuple[str, ...]


@dataclass
class Sites:
    """Line of every key read, and the paths whose value was missing or invalid."""

    lines: dict[Path, int] = field(default_factory=dict)
    bad: set[Path] = field(default_factory=set)

    def line(self, path: Path) -> int:
        # The nearest recorded ancestor: a missing key is reported where its mapping starts.
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def first_written(self, *paths: Path) -> Path:
        """The first of ``paths`` whose key is in the file, else the last: point at a key if present."""
        return next((p for p in paths if p in self.lines), paths[-1])

    def ok(self, *paths: Path) -> bool:
        """True when none of ``paths`` (nor any of their ancestors) was reported invalid."""
        return not any(path[:n] in self.bad for path in paths for n in range(len(path) + 1))


@dataclass
class Context:
    out: Collector
    sites: Sites = field(default_factory=Sites)

    def problem(self, path: Path, message: str, hint: str) -> None:
        self.out.add(self.sites.line(path), message, hint)

    def invalid(self, path: Path, message: str, hint: str) -> None:
        """Report a value that cannot be used; rules depending on it are skipped."""
        self.sites.bad.add(path)
        self.problem(path, message, hint)


def pairs(ctx: Context, node: Node, path: Path, what: str) -> list[tuple[str, Node]]:
    """The entries of a mapping node, keys as written; records key lines, reports bad/duplicate keys."""
    if not isinstance(node, MappingNode):
        ctx.invalid(
            path,
            f"{what} must be a mapping (key: value lines), not {describe(node)}",
            "indent the entries under the key, or write them as {key: value, ...}",
        )
        return []
    found: dict[str, int] = {}
    entries: list[tuple[str, Node]] = []
    for key_node, value in node.value:
        line = line_of(key_node)
        if key_node.tag == MERGE_TAG:
            ctx.out.add(
                line,
                f"merge keys (<<) are not supported in {what}",
                "write the keys out, or use an alias (*name) for a whole value",
            )
            continue
        if not isinstance(key_node, ScalarNode) or key_node.tag == NULL_TAG:
            ctx.out.add(
                line,
                f"a key in {what} is {describe(key_node)}; keys must be names",
                "write a plain name before the colon",
            )
            continue
        # Keys are taken as written: YAML 1.1 would turn `on:` into true and `1:` into 1.
        key = str(key_node.value)
        if key in found:
            ctx.out.add(
                line,
                f"duplicate key '{key}' in {what} (first at line {found[key]})",
                f"remove one of the two '{key}' entries or rename one",
            )
            continue
        found[key] = line
        ctx.sites.lines[(*path, key)] = line
        entries.append((key, value))
    return entries


def text_of(ctx: Context, path: Path, subject: str, node: Node, required: bool = True) -> str | None:
    """The text of a scalar (numbers and dates are taken as written), reporting anything else."""
    if not isinstance(node, ScalarNode):
        ctx.invalid(
            path,
            f"{subject} must be a text, not {describe(node)}",
            "write a single value on the line; quote it if it contains ': ' or starts with [ or {",
        )
        return None
    value = "" if node.tag == NULL_TAG else str(node.value)
    if not value.strip():
        if required:
            ctx.invalid(path, f"{subject} is empty", "write a value after the colon")
        return None
    return value


class Fields:
    """One mapping whose keys are fixed: ``keys`` allowed, ``required`` among them.

    ``node`` is None when the mapping itself is missing (already reported by its parent).
    """

    def __init__(
        self,
        ctx: Context,
        node: Node | None,
        path: Path,
        what: str,
        keys: Sequence[str],
        required: Sequence[str],
    ) -> None:
        self.ctx, self.path, self.what = ctx, path, what
        self.values: dict[str, Node] = {}
        mapping_ok = isinstance(node, MappingNode)
        for key, value in pairs(ctx, node, path, what) if node is not None else []:
            if key in keys:
                self.values[key] = value
            else:
                ctx.problem(
                    (*path, key),
                    f"unknown key '{key}' in {what}",
                    did_you_mean(key, keys, "allowed keys are"),
                )
        missing = [key for key in required if key not in self.values] if mapping_ok else []
        if missing:
            ctx.sites.bad.update((*path, key) for key in missing)
            ctx.problem(
                path,
                f"{what} is missing the required key{'s' if len(missing) > 1 else ''} {quoted_list(missing)}",
                "add " + ", ".join(f"'{key}: ...'" for key in missing),
            )

    def _node(self, key: str) -> Node | None:
        """The value node, or None when the key is absent or has no value (null)."""
        node = self.values.get(key)
        return None if node is None or node.tag == NULL_TAG else node

    def _wrong(self, key: str, expected: str, node: Node, hint: str) -> None:
        self.ctx.invalid((*self.path, key), f"'{key}' of {self.what} must be {expected}, not {describe(node)}", hint)

    def text(self, key: str, required: bool = True) -> str | None:
        """A text value; an optional one that is empty or null counts as absent."""
        node = self.values.get(key)
        if node is None:  # absent: a missing required key was reported in __init__
            return None
        return text_of(self.ctx, (*self.path, key), f"'{key}' of {self.what}", node, required)

    def flag(self, key: str, default: bool) -> bool:
        node = self._node(key)
        if node is None:
            return default
        value = scalar(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self._wrong(key, "true or false", node, f"write {key}: true or {key}: false, without quotes")
            return default
        return value

    def integer(self, key: str) -> int | None:
        """A required whole number."""
        node = self.values.get(key)
        if node is None:
            return None
        value = scalar(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool):
            self._wrong(key, "a whole number", node, "write the number without quotes")
            return None
        return value

    def choice(self, key: str, choices: Sequence[str], required: bool = True) -> str | None:
        value = self.text(key, required)
        if value is not None and value not in choices:
            self.ctx.invalid(
                (*self.path, key),
                f"'{key}' of {self.what} is '{value}', which is not allowed",
                did_you_mean(value, choices, "use one of"),
            )
            return None
        return value

    def choices(self, key: str, choices: Sequence[str] | None) -> tuple[str, ...]:
        """A non-empty list of distinct values from ``choices`` (of any texts when None)."""
        node = self.values.get(key)
        if node is None:
            return ()
        if not isinstance(node, SequenceNode) or not node.value:
            example = ", ".join(choices) if choices is not None else "甲, 乙"
            self._wrong(key, "a non-empty list", node, f"write e.g. {key}: [{example}]")
            return ()
        picked: list[str] = []
        for entry in node.value:
            value = str(entry.value) if isinstance(entry, ScalarNode) else ""
            allowed = bool(value.strip()) if choices is None else value in choices
            if not allowed:
                self.ctx.out.add(
                    line_of(entry),
                    f"'{key}' of {self.what} lists {describe(entry)}, which is not allowed",
                    "write each value as a text" if choices is None else did_you_mean(value, choices, "use one of"),
                )
            elif value in picked:
                self.ctx.out.add(
                    line_of(entry), f"'{key}' of {self.what} lists '{value}' twice", "remove the second one"
                )
            else:
                picked.append(value)
        return tuple(picked)

    def entries(self, key: str, what: str, example: str = "") -> list[tuple[str, Node, Path]]:
        """A mapping of named entries (items, relations…): (name, value node, path of the name).

        With an ``example``, at least one entry is required (the example goes in the hint).
        """
        path = (*self.path, key)
        node = self._node(key)  # `relations:` with nothing after it is just empty
        found = (
            [] if node is None else [(name, value, (*path, name)) for name, value in pairs(self.ctx, node, path, what)]
        )
        if example and not found and key in self.values and self.ctx.sites.ok(path):
            self.ctx.invalid(path, f"{what} must have at least one entry", f"add one, e.g. {example}")
        return found

    def data(self, key: str) -> dict[str, object]:
        """A free-form mapping (source options), as plain Python values."""
        node = self._node(key)
        if node is None:
            return {}
        entries = pairs(self.ctx, node, (*self.path, key), f"'{key}' of {self.what}")
        return {name: plain_data(value) for name, value in entries}
