"""Mask strategies: what a department granted ``mask`` sees instead of the value.

Masks keep enough to recognise a record (region, first character) and hide
what identifies a person. Values that are not text cannot be partly shown and
are withheld as null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mask = Callable[[Any], Any]


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def id_number(value: str) -> str:
    """410202********123X: the area code and the last four characters."""
    return _keep(value, 6, 4)


def phone(value: str) -> str:
    """138****5678"""
    return _keep(value, 3, 4)


def name(value: str) -> str:
    """张* / 欧阳**: the first character only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def address(value: str) -> str:
    """The first six characters (city and district), the rest hidden."""
    return value[:6] + "****" if len(value) > 6 else "*" * len(value)


def full(value: str) -> str:
    return "******"


STRATEGIES: dict[str, Callable[[str], str]] = {
    "id_number": id_number,
    "phone": phone,
    "name": name,
    "address": address,
    "full": full,
}


def mask_for(strategy: str | None) -> Mask:
    """The mask of a catalog item (``full`` when the catalog names none)."""
    apply = STRATEGIES[strategy or "full"]

    def mask(value: Any) -> Any:
        if value is None:
            return None
        return apply(value) if isinstance(value, str) else None

    return mask
