"""Hypothesis strategies for operations written from a GraphQL schema, to hold two executions to each other.

The strategies walk the schema's types: root fields (resource and platform fields, introspection)
with arguments of their input types (filters, orderBy, first on connections and relations), now
and then a value out of range or of the wrong type, written in place or passed as a variable;
nested selections with aliases (a response key asked twice with the same field too), inline and
named fragments, ``@include``/``@skip`` with literals and variables, and ``__typename`` anywhere.
Values of scalars come from pools by the name of the argument or item they are for, so that many
operations meet real rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    introspection_types,
)
from hypothesis import strategies as st

from govshare.filters import ALL_OPS
from govshare.gateway.executor import GraphQLRequest
from tests.boundary.fuzz_operations import EnumValue, literal

Pools = Mapping[str, Sequence[Any]]  # argument or item name (or scalar type name) → values to use
# Values of the wrong type for any position, and numbers out of every range (page sizes, 32-bit Int).
WRONG = (True, "seven", 7, -1, 0, 1001, 2**31, 2**53, 1.5, [1, "x"], {"x": 1}, "", [[["deep"]]])
SCALARS: dict[str, Sequence[Any]] = {
    "Int": (0, 1, 2, 3, 5, -1, 1001, 2**31),
    "Float": (0.0, 1.5, -3.25, 45000.5, 1e308),
    "Boolean": (True, False),
    "String": ("", "a", "东", "50%_off", "x" * 50),
    "ID": ("1", "0", "-1", "nobody", "9223372036854775808"),
    "Date": ("2020-01-01", "1970-01-01", "2020-02-30", "yesterday"),
    "DateTime": ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00+08:00", "not a time"),
    "JSON": ({"district": {"eq": "杞县"}}, {"a": [1, None]}, [], 1, "s"),
}
INTROSPECTION = frozenset(introspection_types)
_REPEATABLE = ("__typename", "__schema", "__type")


@dataclass
class _Document:
    """What the operation being written has declared so far."""

    variables: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name → (type, value)
    fragments: list[str] = field(default_factory=list)
    depth: int = 3  # nesting allowed below the root


class _Writer:
    """Writes one operation, drawing every choice from ``draw``."""

    def __init__(self, draw: st.DrawFn, schema: GraphQLSchema, pools: Pools, doc: _Document) -> None:
        self.draw, self.schema, self.pools, self.doc = draw, schema, pools, doc

    def chance(self, p: float) -> bool:
        """True with probability ``p``; shrinks to False (hypothesis draws floats near 0 far too often)."""
        return self.draw(st.integers(0, 99)) >= 100 - round(p * 100)

    def pick(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def some(self, options: Sequence[Any], least: int, most: int) -> list[Any]:
        """Up to ``most`` distinct options, in the order drawn (an option listed twice comes up more often)."""
        left = list(options)
        count = self.draw(st.integers(min(least, len(set(left))), min(most, len(set(left)))))
        chosen: list[Any] = []
        for _ in range(count):
            option = left[self.draw(st.integers(0, len(left) - 1))]
            chosen.append(option)
            left = [o for o in left if o != option]
        return chosen

    # --- selections -----------------------------------------------------------------------------------------

    def selection(self, parent: GraphQLObjectType, depth: int, at_most: int = 4) -> str:
        names = sorted(n for n in parent.fields if depth < self.doc.depth or not self._nested(parent.fields[n]))
        if parent.name in INTROSPECTION:  # a few of its fields, or the answers grow with the whole schema
            at_most = 2
        chosen = self.some(names, 1, at_most)
        parts = [self.field(parent, name, depth) for name in chosen]
        if not parts or self.chance(0.15):
            parts.insert(self.draw(st.integers(0, len(parts))), "__typename")
        if parts and self.chance(0.1):
            parts.append(self.pick(parts))  # the same response key twice, with the same field
        text = " ".join(parts)
        roll = self.draw(st.integers(0, 9))
        if roll == 0:
            return f"... on {parent.name} {{ {text} }}"
        if roll == 1:
            return f"...{self.directive()} {{ {text} }}"  # no type condition
        if roll == 2:
            name = f"F{len(self.doc.fragments)}"
            self.doc.fragments.append(f"fragment {name} on {parent.name} {{ {text} }}")
            return f"...{name}{self.directive()}"
        return text

    def _nested(self, definition: GraphQLField) -> bool:
        return isinstance(get_named_type(definition.type), GraphQLObjectType)

    def field(self, parent: GraphQLObjectType, name: str, depth: int) -> str:
        definition = parent.fields[name]
        alias = ""
        if name not in _REPEATABLE:  # mostly keys of their own; "a" now and then, which may conflict
            alias = self.pick(("", "", "", "", "", "a: ", f"{name}: ", f"{name}2: "))
        arguments = self.arguments(definition)
        directive = self.directive() if self.chance(0.15) else ""
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            return f"{alias}{name}{arguments}{directive}"
        written = f"{alias}{name}{arguments}{directive} {{ {self.selection(named, depth + 1)} }}"
        if self.chance(0.1):  # the same key again with other subfields: the two selections are merged
            written += f" {alias}{name}{arguments} {{ {self.selection(named, depth + 1)} }}"
        return written

    def directive(self) -> str:
        which = self.pick(("include", "skip"))
        if self.chance(0.5):
            return f" @{which}(if: {literal(self.chance(0.5))})"
        return f" @{which}(if: {self.variable('Boolean!', self.chance(0.5))})"

    def variable(self, type_name: str, value: Any) -> str:
        name = f"v{len(self.doc.variables)}"
        self.doc.variables[name] = (type_name, value)
        return f"${name}"

    # --- arguments and values -------------------------------------------------------------------------------

    def arguments(self, definition: GraphQLField) -> str:
        written = []
        for name, argument in definition.args.items():
            required = isinstance(argument.type, GraphQLNonNull)
            if required == self.chance(0.02 if required else 0.5):
                continue  # mostly: optional ones left out, required ones given
            value = self.pick(WRONG) if self.chance(0.04) else self.value(argument.type, name, 0)
            if self.chance(0.2):
                written.append(f"{name}: {self.variable(str(argument.type), value)}")
            else:
                written.append(f"{name}: {literal(value)}")
        return f"({', '.join(written)})" if written else ""

    def value(self, type_: GraphQLInputType, hint: str, depth: int) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.value(type_.of_type, hint, depth)
        if self.chance(0.02):
            return None
        if isinstance(type_, GraphQLList):
            size = self.draw(st.integers(0, 2))
            return [self.value(type_.of_type, hint, depth + 1) for _ in range(size)]
        if isinstance(type_, GraphQLEnumType):
            names = list(type_.values)
            return EnumValue(self.pick(names) if not self.chance(0.03) else "NOT_A_VALUE")
        if isinstance(type_, GraphQLInputObjectType):
            names = sorted(n for n in type_.fields if depth < 2 or n not in ("and", "or", "not"))
            required = [n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)]
            chosen = self.some(names, 0, 2)
            return {
                n: self.value(type_.fields[n].type, hint if n in ALL_OPS else n, depth + 1)
                for n in dict.fromkeys([*required, *chosen])
            }
        assert isinstance(type_, GraphQLScalarType)
        if type_.name == "Int" and hint == "first":
            return self.pick((0, 1, 2, 3, 3, 5, -1, 1001))
        pool = self.pools.get(hint)
        return self.pick(pool if pool and self.chance(0.85) else SCALARS.get(type_.name, SCALARS["String"]))


def _object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    found = schema.type_map[name]
    assert isinstance(found, GraphQLObjectType)
    return found


@st.composite
def operations(
    draw: st.DrawFn, schema: GraphQLSchema, pools: Pools, *, mutation: bool = False, focus: Iterable[str] = ()
) -> GraphQLRequest:
    """One operation on ``schema``'s query root (or its mutation root), with its variables; root fields
    named in ``focus`` come up three times as often."""
    root = schema.mutation_type if mutation else schema.query_type
    assert root is not None
    doc = _Document(depth=draw(st.integers(1, 3)))
    writer = _Writer(draw, schema, pools, doc)
    names = sorted(root.fields) + ([] if mutation else ["__schema", "__type", *2 * sorted(focus)])
    chosen = writer.some(names, 1, 2 if mutation else 3)  # mutations run one after another
    parts = []
    for name in chosen:
        if name == "__schema":
            selection = (
                writer.selection(_object_type(schema, "__Schema"), 2) if writer.chance(0.5) else "types { name }"
            )
            parts.append(f"__schema {{ {selection} }}")
        elif name == "__type":
            selection = writer.selection(_object_type(schema, "__Type"), 2) if writer.chance(0.5) else "name kind"
            parts.append(f"__type(name: {literal(writer.pick(sorted(schema.type_map)))}) {{ {selection} }}")
        else:
            parts.append(writer.field(root, name, 1))
    if writer.chance(0.1):
        parts.append("__typename")
    body = " ".join(parts)
    if writer.chance(0.1):
        body = f"... on {root.name} {{ {body} }}"
    header = ""
    if doc.variables:
        header = "(" + ", ".join(f"${n}: {t}" for n, (t, _) in doc.variables.items()) + ")"
    name = writer.pick(("", "", "Op"))
    keyword = "mutation" if mutation else "query"
    query = f"{keyword} {name}{header} {{ {body} }}" + "".join(f"\n{f}" for f in doc.fragments)
    operation_name = name or None
    if writer.chance(0.05):  # another operation in the document: the name chooses (or names none)
        query += "\nquery Other { __typename }"
        operation_name = writer.pick((operation_name, "Other", "Missing", None))
    variables = {n: v for n, (_, v) in doc.variables.items()}
    if variables and writer.chance(0.08):
        variables[writer.pick(sorted(variables))] = writer.pick(WRONG)  # a variable of the wrong type
    if variables and writer.chance(0.05):
        del variables[writer.pick(sorted(variables))]  # a variable not given
    return GraphQLRequest(query, variables or None, operation_name)
