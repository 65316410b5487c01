"""Residents (人口基础信息) of the police database."""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date
from typing import Any

from govshare.demo.areas import AREA_CODES, DISTRICTS, REDISTRICTING, District
from govshare.demo.ids import make_id_number
from govshare.demo.places import district_office, home_address
from govshare.demo.pools import AS_OF, TODAY, YEAR, Pools, Weighted, chance, iso, mobile

# Share of the population per 5-year age band (0-4, 5-9, …, 95-99), after the 2020 census.
_AGE_BANDS = (5.5, 6.5, 6.3, 5.5, 5.3, 6.3, 8.6, 7.0, 6.6, 8.0, 8.5, 7.1, 5.2, 5.0, 3.5, 2.3, 1.5, 0.8, 0.3, 0.1)
AGES = Weighted([(5 * i, w) for i, w in enumerate(_AGE_BANDS)])
# Legal representatives are working-age adults.
REP_AGES = Weighted([(5 * i, w) for i, w in enumerate(_AGE_BANDS) if 25 <= 5 * i < 65])
_DISTRICTS = Weighted([(d, d.weight) for d in DISTRICTS])
_ETHNICITY = Weighted([("汉族", 986), ("回族", 11), ("满族", 1), ("蒙古族", 0.5), ("壮族", 0.5), ("苗族", 0.3)])
# 顺河回族区 is the city's Hui (回族) district.
_ETHNICITY_HUI = Weighted([("汉族", 90), ("回族", 10)])
_EDUCATION_BY_COHORT = (  # (born before year, distribution) for adults
    (1956, Weighted([("文盲或半文盲", 15), ("小学", 45), ("初中", 28), ("高中", 8), ("大学专科", 2), ("大学本科", 2)])),
    (1976, Weighted([("小学", 20), ("初中", 48), ("高中", 18), ("中等专科", 5), ("大学专科", 5), ("大学本科", 4)])),
    (1991, Weighted([("小学", 8), ("初中", 40), ("高中", 18), ("中等专科", 8), ("大学专科", 12),
                     ("大学本科", 12), ("研究生", 2)])),
    (9999, Weighted([("初中", 25), ("高中", 20), ("中等专科", 10), ("大学专科", 20), ("大学本科", 21),
                     ("研究生", 4)])),
)  # fmt: skip
_MARITAL_BY_AGE = (  # (below age, distribution) for those of marriageable age
    (30, Weighted([("未婚", 55), ("已婚", 43), ("离婚", 2)])),
    (40, Weighted([("未婚", 12), ("已婚", 82), ("离婚", 6)])),
    (60, Weighted([("未婚", 3), ("已婚", 88), ("离婚", 6), ("丧偶", 3)])),
    (75, Weighted([("未婚", 2), ("已婚", 80), ("离婚", 3), ("丧偶", 15)])),
    (999, Weighted([("未婚", 2), ("已婚", 50), ("丧偶", 48)])),
)
_CRIMES = ("盗窃罪", "危险驾驶罪", "故意伤害罪", "诈骗罪", "寻衅滋事罪", "开设赌场罪", "交通肇事罪")
_SENTENCES = ("拘役三个月", "拘役六个月", "有期徒刑一年", "有期徒刑二年", "有期徒刑三年，缓刑三年", "有期徒刑五年")


@dataclass(slots=True)
class Resident:
    """What the other generators need to know about a person."""

    index: int
    id_number: str
    name: str
    male: bool
    birth: int  # date ordinal
    age: int
    district: District
    alive: bool


class IdAllocator:
    """Unique ID numbers without a set of all issued ones.

    A counter per (area code, birth day, sex) picks the next free sequence
    number; 500 per cell is plenty (the fullest cell of a million residents
    holds a handful), and a full cell moves the birth date a day on.
    """

    _FIRST = date(1900, 1, 1).toordinal()

    def __init__(self) -> None:
        cells = len(AREA_CODES) * (TODAY - self._FIRST + 1)
        self._used = {True: array("H", bytes(2 * cells)), False: array("H", bytes(2 * cells))}
        self._area_index = {code: i for i, code in enumerate(AREA_CODES)}

    def allocate(self, area_code: str, birth: int, *, male: bool) -> tuple[str, int]:
        """An ID number and the birth date ordinal it encodes."""
        slots = 500 if male else 499
        area = self._area_index[area_code]
        used = self._used[male]
        while True:
            cell = area * (TODAY - self._FIRST + 1) + (birth - self._FIRST)
            n = used[cell]
            if n < slots:
                used[cell] = n + 1
                # Spread sequence numbers over the range instead of 001, 003, …
                k = (n + area * 7919 + birth * 104_729) % slots
                return make_id_number(area_code, date.fromordinal(birth), 2 * k + (1 if male else 2)), birth
            birth = birth + 1 if birth < TODAY else birth - 400


class PersonFactory:
    def __init__(self, rng: random.Random, pools: Pools) -> None:
        self.rng = rng
        self.pools = pools
        self.ids = IdAllocator()
        self._redistricting = REDISTRICTING.toordinal()

    def make(self, index: int, *, born_before: int | None = None) -> tuple[Resident, dict[str, Any]]:
        """Resident ``index``; a legal representative (``born_before`` given) is an adult born by then."""
        rng = self.rng
        representative = born_before is not None
        band = (REP_AGES if representative else AGES).pick(rng)
        birth = TODAY - int((band + rng.random() * 5) * YEAR)
        if born_before is not None and birth > born_before:
            birth = born_before - rng.randrange(int(10 * YEAR))
        district = _DISTRICTS.pick(rng)
        area = district.code
        if district.legacy_code and birth < self._redistricting and chance(rng, district.legacy_share):
            area = district.legacy_code
        male = chance(rng, 0.508)
        id_number, birth = self.ids.allocate(area, birth, male=male)
        age = age_on(birth, TODAY)
        # Records of the deceased and of those who moved away stay in the register.
        if not representative and age >= 65 and chance(rng, 0.03):
            status = "死亡"
        elif not representative and chance(rng, 0.004):
            status = "迁出"
        else:
            status = "正常"
        name = self.pools.person_name(rng, male=male)
        birth_year = date.fromordinal(birth).year
        row = {
            "id_number": id_number,
            "name": name,
            "gender": "男" if male else "女",
            "ethnicity": (_ETHNICITY_HUI if district.name == "顺河回族区" else _ETHNICITY).pick(rng),
            "birth_date": iso(birth),
            "district": district.name,
            "household_type": "集体户" if chance(rng, 0.15 if 18 <= age < 30 else 0.03) else "家庭户",
            "education": self._education(age, birth_year),
            "status": status,
            "address": home_address(rng, district, self.pools),
            "phone": mobile(rng) if age >= 12 and chance(rng, 0.92) else None,
            "marital_status": self._marital(age, male),
            "criminal_record": self._criminal_record(birth_year, district) if age >= 18 else None,
        }
        return Resident(index, id_number, name, male, birth, age, district, status != "死亡"), row

    def _education(self, age: int, birth_year: int) -> str | None:
        if age < 6:
            return None
        if age < 18:
            return "小学" if age < 12 else "初中" if age < 15 or chance(self.rng, 0.4) else "高中"
        return next(dist for before, dist in _EDUCATION_BY_COHORT if birth_year < before).pick(self.rng)

    def _marital(self, age: int, male: bool) -> str:
        # Minimum marriage age: 22 for men, 20 for women.
        if age < (22 if male else 20):
            return "未婚"
        return next(dist for below, dist in _MARITAL_BY_AGE if age < below).pick(self.rng)

    def _criminal_record(self, birth_year: int, district: District) -> str | None:
        rng = self.rng
        if not chance(rng, 0.006):
            return None
        year = rng.randint(min(max(birth_year + 18, 1990), AS_OF.year), AS_OF.year)
        court = district_office(district, "人民法院")
        return f"{year}年因{rng.choice(_CRIMES)}被{court}判处{rng.choice(_SENTENCES)}"


def age_on(birth: int, day: int) -> int:
    """Completed years of age on ``day`` (both date ordinals)."""
    b, d = date.fromordinal(birth), date.fromordinal(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
