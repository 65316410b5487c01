"""The value of one cell, as the catalog writes it: a word of the guide turned into its code, 是 into true.

Only what the cell itself says is checked here (an unknown word, a required cell left empty, a
number that is none); what the value means for the catalog is the loader's to check. A cell
holding a `${VARIABLE}` reference is passed on as written, for the loader to expand and read.
"""

from __future__ import annotations

import json
import re

import yaml

from govshare.catalog.errors import did_you_mean
from govshare.catalog.guide.columns import FLAGS, Column, Vocabulary
from govshare.catalog.guide.problems import Problems
from govshare.catalog.guide.reading import Record
from govshare.catalog.render import flow_data

# Several words in one cell (共享方式: 接口、查询) are separated by any of these.
WORD_SEPARATORS = re.compile(r"[、,，;；/\s]+")
# The entries of a code set are separated by 、 or line breaks; a JSON list holds entries with a 、.
LIST_SEPARATORS = re.compile(r"[、\n]")


def cell_value(record: Record, column: Column, problems: Problems, required: bool | None = None) -> object | None:
    """The value of ``column`` in ``record``, or None when the cell is empty or wrong (then reported)."""
    text = record.text(column.key)
    at = record.at(column.key)
    if not text:
        if column.required if required is None else required:
            problems.add(at, f"{column.title} is empty", column.hint())
        return None
    if "${" in text and column.kind != "text":
        return text
    if column.kind in ("choice", "flag"):
        assert column.words is not None
        code = _word(text, column, column.words, problems, record)
        return (code == "true") if column.kind == "flag" and code is not None else code
    if column.kind == "words":
        assert column.words is not None
        codes = [_word(w, column, column.words, problems, record) for w in WORD_SEPARATORS.split(text) if w]
        return None if None in codes else codes
    if column.kind == "list":
        return _list(text, column, problems, record)
    if column.kind == "whole":
        if text.isdigit():
            return int(text)
        problems.add(at, f"{column.title} must be a whole number, not '{text}'", "write the number alone, e.g. 1")
        return None
    if column.kind == "options":
        return _options(text, column, problems, record)
    return text


def _word(word: str, column: Column, words: Vocabulary, problems: Problems, record: Record) -> str | None:
    code = words.code(word)
    if code is None:
        labels = list(words.labels.values())
        problems.add(
            record.at(column.key),
            f"{column.title} '{word}' is not one of its words",
            did_you_mean(word, labels, "use one of"),
        )
    return code


def _list(text: str, column: Column, problems: Problems, record: Record) -> list[str] | None:
    if text.startswith("["):
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            entries, reason = None, f"is not a JSON list ({exc.msg})"
        else:
            reason = "must list texts"
        if isinstance(entries, list) and entries and all(isinstance(e, str) for e in entries):
            return entries
        problems.add(
            record.at(column.key),
            f"{column.title} {reason}",
            'separate the entries with 、, or write a JSON list: ["甲、乙", "丙"]',
        )
        return None
    return [entry.strip() for entry in LIST_SEPARATORS.split(text) if entry.strip()]


def _options(text: str, column: Column, problems: Problems, record: Record) -> dict[str, object] | None:
    try:
        options = yaml.safe_load(text)
    except yaml.YAMLError:
        options = None
    if isinstance(options, dict) and all(isinstance(k, str) for k in options):
        return options
    problems.add(
        record.at(column.key),
        f"{column.title} must be a mapping, not '{text}'",
        f"write it as YAML, e.g. {column.example}",
    )
    return None


def cell_text(column: Column, value: object) -> str:
    """The text a cell shows for a catalog value (the other way round, for export)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return FLAGS.label("true" if value else "false")
    if isinstance(value, list):
        if column.kind == "words" and column.words is not None:
            return "、".join(column.words.label(str(v)) for v in value)
        texts = [str(v) for v in value]
        plain = all(t and t == t.strip() and not LIST_SEPARATORS.search(t) for t in texts) and not texts[0].startswith(
            "["
        )
        return "、".join(texts) if plain else json.dumps(texts, ensure_ascii=False)
    if isinstance(value, dict):
        return flow_data(value)
    if column.words is not None and isinstance(value, str):
        return column.words.label(value)
    return str(value)
