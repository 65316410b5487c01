"""The guide's structure of a resource code (信息资源代码), checked as a note, never as an error.

The guide writes a code as 前段码/后段码: the 前段码 classifies the resource, 类 (1 digit:
1 基础, 2 主题, 3 部门 信息资源), 项 (2 digits), 目 (3 digits) and 细目 (any number of
digits); the 后段码 is its 顺序码 (digits), e.g. ``1010100001/000001``. The catalog itself
accepts any unique text as a code (docs/catalog.md), so a code of another shape is reported
to whoever exchanges the catalog with the national one, and the catalog is still read.
"""

from __future__ import annotations

import re

from govshare.catalog.guide.columns import CATEGORIES

GUIDE_CODE = re.compile(r"(?P<front>\d{6,})/(?P<serial>\d+)")
CLASS_OF = {"base": "1", "theme": "2", "department": "3"}
SHAPE_HINT = (
    "the guide writes 前段码/后段码: 类 (1 digit), 项 (2), 目 (3) and 细目 (any number of digits), '/', "
    "then the 顺序码 (digits), e.g. 1010100001/000001; the catalog accepts any unique code, the national one may not"
)


def code_notes(code: str, category: object) -> list[tuple[str, str]]:
    """What to tell about ``code`` of a resource of ``category`` (a category code): (message, hint) pairs."""
    if "${" in code:  # known only where the catalog is read
        return []
    found = GUIDE_CODE.fullmatch(code)
    if found is None:
        return [(f"信息资源代码 '{code}' does not have the guide's structure", SHAPE_HINT)]
    first = found["front"][0]
    label = CATEGORIES.label(str(category))
    if first not in CLASS_OF.values():
        return [(f"信息资源代码 '{code}' starts with 类 {first}; the guide's 类 are 1, 2 and 3", SHAPE_HINT)]
    if CLASS_OF.get(str(category), first) != first:
        of_class = next(CATEGORIES.label(c) for c, digit in CLASS_OF.items() if digit == first)
        return [
            (
                f"信息资源代码 '{code}' is of 类 {first} ({of_class}), but the resource is a {label}",
                f"a {label} has a code starting with {CLASS_OF[str(category)]}: correct the code or the 信息资源分类",
            )
        ]
    return []
