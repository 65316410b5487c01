"""Mask strategies keep what identifies the record's region or family name, nothing more."""

from __future__ import annotations

import pytest

from govshare.policies.masks import mask_for


@pytest.mark.parametrize(
    ("strategy", "value", "shown"),
    [
        ("id_number", "41020219700611606X", "410202********606X"),
        ("phone", "13912345678", "139****5678"),
        ("name", "张三", "张*"),
        ("name", "欧阳修文", "欧***"),
        ("address", "开封市龙亭区中山路北段88号", "开封市龙亭区****"),
        ("address", "龙亭区", "***"),
        ("full", "anything at all", "******"),
        (None, "no strategy named", "******"),
        ("phone", "12", "**"),
    ],
)
def test_strategies(strategy: str | None, value: str, shown: str) -> None:
    assert mask_for(strategy)(value) == shown


def test_values_that_are_not_text_are_withheld_as_null() -> None:
    assert mask_for("full")(1234) is None
    assert mask_for("phone")(None) is None
