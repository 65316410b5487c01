"""Resource codes against the guide's structure (前段码 类/项/目/细目, '/', 后段码): notes, never errors."""

from __future__ import annotations

import pytest

from govshare.catalog.guide.codes import SHAPE_HINT, code_notes


@pytest.mark.parametrize(
    ("code", "category"),
    [("1010100001/000001", "base"), ("2010300001/000001", "theme"), ("3130100001/000001", "department"),
     ("101010/1", "base"), ("${PERSON_CODE}", "base")],
)  # fmt: skip
def test_codes_of_the_guide_s_structure_pass(code: str, category: str) -> None:
    assert code_notes(code, category) == []


@pytest.mark.parametrize(
    ("code", "category", "note"),
    [
        ("P001/000001", "base", ("信息资源代码 'P001/000001' does not have the guide's structure", SHAPE_HINT)),
        ("10101/000001", "base", ("信息资源代码 '10101/000001' does not have the guide's structure", SHAPE_HINT)),
        ("1010100001", "base", ("信息资源代码 '1010100001' does not have the guide's structure", SHAPE_HINT)),
        ("4010100001/000001", "base",
         ("信息资源代码 '4010100001/000001' starts with 类 4; the guide's 类 are 1, 2 and 3", SHAPE_HINT)),
        ("1020200002/000001", "theme",
         ("信息资源代码 '1020200002/000001' is of 类 1 (基础信息资源), but the resource is a 主题信息资源",
          "a 主题信息资源 has a code starting with 2: correct the code or the 信息资源分类")),
    ],
)  # fmt: skip
def test_other_codes_are_noted(code: str, category: str, note: tuple[str, str]) -> None:
    assert code_notes(code, category) == [note]
