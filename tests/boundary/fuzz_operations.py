"""GraphQL operations generated from the schema, for fuzzing the server over HTTP.

Seeded, so a failing run can be repeated: fields of every root type, arguments of every type
(filters with and/or/not, orderBy, first/after, ids) written in place or passed as variables,
aliases, inline and named fragments, @skip/@include, and now and then a value of the wrong type,
an unknown field or a nesting deeper than the limits allow.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

IDS = ["r00001", "r00042", "p000010", "p000421", "1", "2", "0", "-1", "9223372036854775808", "", "nobody"]
STRINGS = ["east", "name0042", "50%_off", "a_b", "", "日本語", "'; DROP TABLE resident; --", "\\", "x" * 300, "\u0000"]
INTS = [0, 1, 2, 5, 50, 999, 1000, 1001, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 10**30]
FLOATS = [0.0, 1.5, -3.25, 1e308, 45000.5, 2**63]
DATES = ["2020-01-01", "1970-01-01", "0001-01-01", "9999-12-31", "2020-02-30", "yesterday", "2020-1-1"]
DATETIMES = ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00+08:00", "0001-01-01T00:00:00", "not a time"]


@dataclass
class Operation:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


@dataclass
class _Document:
    """What one operation being written has declared so far."""

    variables: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name → (type, value)
    fragments: list[str] = field(default_factory=list)
    max_depth: int = 4


class Operations:
    def __init__(self, schema: GraphQLSchema, seed: int) -> None:
        self.schema = schema
        self.rng = random.Random(seed)

    def operation(self, marker: str) -> Operation:
        """One operation; ``marker`` is written into it as a comment, so its audit record can be found."""
        rng = self.rng
        mutation = rng.random() < 0.08 and self.schema.mutation_type is not None
        root = self.schema.mutation_type if mutation else self.schema.query_type
        assert root is not None
        doc = _Document(max_depth=rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 11, 13]))
        names = rng.sample(sorted(root.fields), k=min(len(root.fields), rng.choice([1, 1, 1, 2, 3])))
        fields = " ".join(self._field(root, name, doc, 1) for name in names)
        if rng.random() < 0.03:
            fields += " noSuchField"
        header = ""
        if doc.variables:
            header = "(" + ", ".join(f"${n}: {t}" for n, (t, _) in doc.variables.items()) + ")"
        name = f"Fuzz{rng.randrange(1000)}" if rng.random() < 0.3 else None
        keyword = "mutation" if mutation else "query"
        text = f"# {marker}\n{keyword} {name or ''}{header} {{ {fields} }}"
        text += "".join(f"\n{f}" for f in doc.fragments)
        variables = {n: v for n, (_, v) in doc.variables.items()}
        if variables and rng.random() < 0.1:
            variables[rng.choice(list(variables))] = self._wrong_value()
        return Operation(text, variables or (None if rng.random() < 0.8 else {}), name if rng.random() < 0.5 else None)

    # --- selections -------------------------------------------------------------------------------------------

    def _field(self, parent: GraphQLObjectType, name: str, doc: _Document, depth: int) -> str:
        rng = self.rng
        definition: GraphQLField = parent.fields[name]
        alias = f"a{rng.randrange(100)}: " if rng.random() < 0.15 else ""
        arguments = self._arguments(definition, doc)
        directive = ""
        if rng.random() < 0.05:
            directive = rng.choice([" @skip(if: true)", " @include(if: false)", " @include(if: true)"])
        named = get_named_type(definition.type)
        selection = ""
        if isinstance(named, GraphQLObjectType):
            selection = " { " + self._selection(named, doc, depth + 1) + " }"
        return f"{alias}{name}{arguments}{directive}{selection}"

    def _selection(self, object_type: GraphQLObjectType, doc: _Document, depth: int) -> str:
        rng = self.rng
        names = sorted(object_type.fields)
        if depth >= doc.max_depth:  # leaves only from here
            names = [n for n in names if not isinstance(get_named_type(object_type.fields[n].type), GraphQLObjectType)]
        chosen = rng.sample(names, k=min(len(names), rng.choice([1, 2, 3, 4]))) if names else []
        parts = [self._field(object_type, n, doc, depth) for n in chosen] or ["__typename"]
        if rng.random() < 0.1:
            parts.append("__typename")
        text = " ".join(parts)
        roll = rng.random()
        if roll < 0.1:
            return f"... on {object_type.name} {{ {text} }}"
        if roll < 0.18:
            name = f"F{len(doc.fragments)}"
            doc.fragments.append(f"fragment {name} on {object_type.name} {{ {text} }}")
            return f"...{name}"
        return text

    # --- arguments and values ----------------------------------------------------------------------------------

    def _arguments(self, definition: GraphQLField, doc: _Document) -> str:
        rng = self.rng
        written = []
        for name, argument in definition.args.items():
            required = isinstance(argument.type, GraphQLNonNull)
            if not required and rng.random() < 0.55:
                continue
            if required and rng.random() < 0.03:
                continue  # a required argument left out
            value = self._wrong_value() if rng.random() < 0.05 else self._value(argument.type, 0)
            if rng.random() < 0.2:
                variable = f"v{len(doc.variables)}"
                doc.variables[variable] = (str(argument.type), value)
                written.append(f"{name}: ${variable}")
            else:
                written.append(f"{name}: {literal(value)}")
        return f"({', '.join(written)})" if written else ""

    def _value(self, type_: GraphQLInputType, depth: int) -> Any:
        rng = self.rng
        if isinstance(type_, GraphQLNonNull):
            return self._value(type_.of_type, depth)
        if rng.random() < 0.03:
            return None
        if isinstance(type_, GraphQLList):
            return [self._value(type_.of_type, depth + 1) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        if isinstance(type_, GraphQLEnumType):
            return EnumValue(rng.choice([*type_.values, "NOT_A_VALUE"] if rng.random() < 0.05 else list(type_.values)))
        if isinstance(type_, GraphQLInputObjectType):
            names = sorted(type_.fields)
            if depth > 3:  # and/or/not nest no further
                names = [n for n in names if n not in ("and", "or", "not")]
            chosen = rng.sample(names, k=min(len(names), rng.choice([0, 1, 1, 2])))
            required = [n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)]
            return {n: self._value(type_.fields[n].type, depth + 1) for n in dict.fromkeys([*required, *chosen])}
        assert isinstance(type_, GraphQLScalarType)
        return self._scalar(type_)

    def _scalar(self, scalar: GraphQLNamedType) -> Any:
        rng = self.rng
        pools: dict[str, list[Any]] = {
            "ID": IDS, "String": STRINGS, "Int": INTS, "Float": FLOATS, "Boolean": [True, False],
            "Date": DATES, "DateTime": DATETIMES,
            "JSON": [{"district": {"eq": "east"}}, {"fullName": "x"}, [], 1, "s", {"a": {"b": [1, {"c": None}]}}],
        }  # fmt: skip
        return rng.choice(pools.get(scalar.name, STRINGS))

    def _wrong_value(self) -> Any:
        return self.rng.choice([True, "seven", 7, 2**40, 1.5, [1, "x"], {"x": 1}, "r00001", [[["deep"]]]])


class EnumValue(str):
    """An enum value: written bare in a document, as a string in variables."""


def literal(value: Any) -> str:
    """``value`` as a GraphQL literal (an input object's keys bare, enum values bare)."""
    if value is None:
        return "null"
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))
