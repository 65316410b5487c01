"""Value pools sampled with ``random.Random``.

Faker is far too slow to call per row for a million persons (~20 µs per name),
so it is called a few thousand times up front to build pools, and rows sample
from those pools. Weighted choices use precomputed cumulative weights, which
``random.choices`` would rebuild on every call.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import Generic, TypeVar

from faker import Faker

T = TypeVar("T")

# The demo world is a snapshot taken on this day: ages, validity and statuses refer to it.
AS_OF = date(2026, 11, 26)
TODAY = AS_OF.toordinal()
YEAR = 365.2425  # days


class Weighted(Generic[T]):
    """A fixed weighted distribution over values."""

    __slots__ = ("_cum", "_total", "values")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("empty distribution")
        self.values: tuple[T, ...] = tuple(v for v, _ in pairs)
        self._cum = list(accumulate(w for _, w in pairs))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect(self._cum, rng.random() * self._total)]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

# Characters common in Chinese trade names (字号); pairs of them make plausible ones.
_TRADE_CHARS = "鑫源华兴恒泰宏达盛隆昌瑞祥丰通顺利嘉和信诚德汇聚博创远航天宇金凯旭佳富安康永新中豫汴宋"
# Names with a local ring (汴 and 汴梁 are old names of Kaifeng, 菊城 its nickname).
_LOCAL_TRADE_NAMES = ("汴京", "汴梁", "大宋", "宋都", "菊城", "古城", "龙亭", "清明", "铁塔", "黄河", "中原")


@dataclass(frozen=True, slots=True)
class Pools:
    surnames: tuple[str, ...]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]
    trade_names: tuple[str, ...]

    @classmethod
    def build(cls, seed: int, size: int = 3000) -> Pools:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        rng = random.Random(f"{seed}:pools")
        # Faker's surname list is weighted by real frequency; sampling keeps that.
        surnames = tuple(fake.last_name() for _ in range(size))

        def given(first: Sequence[str]) -> tuple[str, ...]:
            # Faker's zh_CN given names are mostly one character; about half of
            # real names have two, so pair characters for those.
            out = []
            for _ in range(size // 3):
                a = rng.choice(first)
                out.append(a if len(a) > 1 or chance(rng, 0.4) else a + rng.choice(first)[-1])
            return tuple(out)

        male = given([fake.first_name_male() for _ in range(size // 3)])
        female = given([fake.first_name_female() for _ in range(size // 3)])
        faker_trade = {p for p in (fake.company_prefix() for _ in range(200)) if len(p) == 2}
        pairs = {rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS) for _ in range(600)}
        trade = sorted((pairs | faker_trade) - {c + c for c in _TRADE_CHARS}) + list(_LOCAL_TRADE_NAMES)
        return cls(surnames, male, female, tuple(trade))

    def person_name(self, rng: random.Random, *, male: bool) -> str:
        return rng.choice(self.surnames) + rng.choice(self.male_given if male else self.female_given)

    def trade_name(self, rng: random.Random) -> str:
        return rng.choice(self.trade_names)


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def day_between(rng: random.Random, first: int, last: int) -> int:
    """A uniform day ordinal in [first, last] (``last < first`` gives ``first``)."""
    return first if last <= first else rng.randint(first, last)


def iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def years_later(ordinal: int, years: int) -> int:
    """The same calendar day ``years`` later (28 February for 29 February)."""
    d = date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:
        return d.replace(year=d.year + years, day=28).toordinal()
