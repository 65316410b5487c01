"""Helpers shared by the catalog tests (this module holds no tests of its own).

Most tests start from the valid catalog ``tests/catalogs/valid.yaml``, change
a line or two, and mark the line the problem must be reported at with a
``# <-`` comment; :func:`only_problem` checks that exactly that one problem
comes back, at exactly that line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from govshare.catalog import CatalogError, Problem, parse_catalog

CATALOGS = Path(__file__).parent / "catalogs"
VALID_PATH = CATALOGS / "valid.yaml"
VALID_TEXT = VALID_PATH.read_text(encoding="utf-8")
MARK = "# <-"


def variant(edits: Mapping[str, str], text: str = VALID_TEXT) -> str:
    """``text`` (the valid catalog) with each key of ``edits`` replaced by its value; each must occur once."""
    for old, new in edits.items():
        assert text.count(old) == 1, f"{old!r} must occur exactly once in the catalog text"
        text = text.replace(old, new)
    return text


def marked_line(text: str) -> int:
    """The 1-based number of the one line carrying the ``# <-`` mark."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(lines) == 1, f"expected one '{MARK}' mark, found {len(lines)}"
    return lines[0]


def problems_of(text: str, env: Mapping[str, str] | None = None) -> list[Problem]:
    """The problems ``text`` is rejected with (it must be rejected)."""
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "cat.yaml", env={} if env is None else env)
    return caught.value.problems


def only_problem(text: str, env: Mapping[str, str] | None = None) -> Problem:
    """The single problem of ``text``, checked to be reported at its marked line."""
    problems = problems_of(text, env)
    assert len(problems) == 1, "expected one problem, got:\n" + "\n".join(map(str, problems))
    assert problems[0].line == marked_line(text), str(problems[0])
    assert problems[0].file == "cat.yaml"
    assert problems[0].hint, "every problem needs a fix hint"
    return problems[0]


# A table-driven case: the edits to the valid catalog (with the `# <-` mark on the line to report),
# a fragment of the expected message, and a fragment of the expected hint.
Case = tuple[dict[str, str], str, str]


def check(edits: Mapping[str, str], message: str, hint: str) -> None:
    problem = only_problem(variant(edits))
    assert message in problem.message
    assert hint in problem.hint


def without(*lines: str) -> dict[str, str]:
    """Edits that delete each of ``lines`` (whole lines of the valid catalog)."""
    return {f"{line}\n": "" for line in lines}


LICENSE_ITEMS = "    description: 营业执照等电子证照\n    items:\n"  # the line above makes it unique
LICENSE_ITEM_LINES = (
    "      licenseNo: {column: license_no, type: String, title: 证照编号, sharing: unconditional}",
    "      holderId: {column: holder_id, type: String, title: 持证人身份号码, sharing: unconditional}",
    "      issuedOn: {column: issued_on, type: Date, title: 发证日期, sharing: conditional,",
    "                 condition: 仅限审批业务使用, description: 首次发证日期}",
)
