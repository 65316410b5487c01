"""Electronic licences (电子证照) of residents and market entities."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from govshare.demo.areas import CITY, District
from govshare.demo.entities import Entity
from govshare.demo.people import Resident
from govshare.demo.places import district_office
from govshare.demo.pools import TODAY, YEAR, chance, day_between, iso, years_later

PERSON_HOLDER = "自然人"
ENTITY_HOLDER = "法人和其他组织"
REAL_ESTATE = "不动产权证书"
_HOSPITALS = ("开封市中心医院", "河南大学第一附属医院", "河南大学淮河医院", "开封市中医院", "开封市儿童医院")
_DRIVING_CLASSES = ("C1", "C1", "C1", "C2", "C1E", "B2", "A2", "D")
_SKILLS = ("电工", "焊工", "育婴员", "保育师", "中式烹调师", "养老护理员", "美发师", "车工", "茶艺师")
_SKILL_LEVELS = ("五级/初级工", "四级/中级工", "三级/高级工", "二级/技师")
_EDUCATED = ("大学专科", "大学本科", "研究生")
_CLOSED_STATUS = {"注销": "注销", "吊销": "吊销", "迁出": "注销"}


def current_term(first: int, terms: Sequence[int | None], *, lapse: bool = False) -> tuple[int, int | None]:
    """Issue and expiry date of the term in force today, renewing from ``first`` through ``terms``.

    The last term repeats; ``None`` means valid for life. A lapsed holder stops
    renewing, so the last term that began is returned even if it has ended.
    """
    issue, i = first, 0
    while True:
        term = terms[min(i, len(terms) - 1)]
        if term is None:
            return issue, None
        expiry = years_later(issue, term)
        if expiry > TODAY or lapse:
            return issue, expiry
        issue, i = expiry, i + 1


def _status(expiry: int | None, *, valid: bool = True, closed: str = "注销") -> str:
    if not valid:
        return closed
    return "过期" if expiry is not None and expiry <= TODAY else "有效"


class LicenseFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0  # numbers the licences: each number embeds its serial, so none repeats

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _row(self, number: str, type_: str, holder: tuple[str, str, str], issuer: str, issue: int,
             expiry: int | None, status: str, surface: str | None, photo: bool = False) -> dict[str, Any]:  # fmt: skip
        return {
            "license_number": number,
            "type": type_,
            "holder_id": holder[0],
            "holder_type": holder[1],
            "holder_name": holder[2],
            "issuer": issuer,
            "issue_date": iso(issue),
            "expiry_date": None if expiry is None else iso(expiry),
            "status": status,
            "surface_info": surface,
            "holder_photo": f"PH{self.serial:010d}.jpg" if photo else None,  # photo archive reference
        }

    def for_person(self, p: Resident, person: dict[str, Any]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        holder = (p.id_number, PERSON_HOLDER, p.name)
        adult = years_later(p.birth, 18)

        def add(number: str, type_: str, issuer: str, issue: int, expiry: int | None, surface: str,
                *, photo: bool = False) -> None:  # fmt: skip
            status = _status(expiry, valid=p.alive)
            out.append(self._row(number, type_, holder, issuer, issue, expiry, status, surface, photo))

        hrss = f"{CITY}人力资源和社会保障局"
        if chance(rng, 0.85):
            issue, expiry = current_term(day_between(rng, max(p.birth, TODAY - int(14 * YEAR)), TODAY), (10,))
            add(f"H{self._next():08d}", "社会保障卡", hrss, issue, expiry, f"社会保障号码：{p.id_number}", photo=True)
        if p.age >= 18 and chance(rng, 0.55 if p.age < 70 else 0.2):
            # First licence for 6 years, then 10, then for life.
            first = day_between(rng, max(adult, TODAY - int(35 * YEAR)), min(TODAY, years_later(p.birth, 60)))
            issue, expiry = current_term(first, (6, 10, None), lapse=chance(rng, 0.04))
            surface = f"准驾车型：{rng.choice(_DRIVING_CLASSES)}；初次领证日期：{iso(first)}"
            add(f"4102{self._next():08d}", "机动车驾驶证", f"{CITY}公安局交通警察支队", issue, expiry, surface,
                photo=True)  # fmt: skip
        if person["marital_status"] == "已婚":
            married = day_between(rng, years_later(p.birth, 22 if p.male else 20), TODAY)
            add(f"J{p.district.code}-{iso(married)[:4]}-{self._next():06d}", "结婚证",
                district_office(p.district, "民政局"), married, None, f"登记日期：{iso(married)}")  # fmt: skip
        if 22 <= p.age < 65 and person["education"] in _EDUCATED:
            if chance(rng, 0.04):
                issue = day_between(rng, years_later(p.birth, 22), TODAY)
                grade = rng.choice(("小学", "初级中学", "幼儿园"))
                add(f"{iso(issue)[:4]}41{self._next():010d}", "教师资格证", f"{CITY}教育局", issue, None,
                    f"资格种类：{grade}教师资格")  # fmt: skip
            elif chance(rng, 0.025):
                issue = day_between(rng, years_later(p.birth, 24), TODAY)
                add(f"1104102{self._next():08d}", "医师执业证书", f"{CITY}卫生健康委员会", issue, None,
                    f"执业类别：临床；执业地点：{rng.choice(_HOSPITALS)}")  # fmt: skip
        if 18 <= p.age < 60 and chance(rng, 0.06):
            issue = day_between(rng, adult, TODAY)
            surface = f"职业（工种）：{rng.choice(_SKILLS)}；等级：{rng.choice(_SKILL_LEVELS)}"
            add(f"S000041020{self._next():07d}", "职业技能等级证书", hrss, issue, None, surface)
        if chance(rng, 0.02):
            issue, expiry = current_term(day_between(rng, p.birth, TODAY), (10,))
            kind, level = rng.randint(1, 7), rng.randint(1, 4)
            self._next()
            # The number of a disability certificate is the ID number plus category and grade.
            add(f"{p.id_number}{kind}{level}", "残疾人证", f"{CITY}残疾人联合会", issue, expiry,
                f"残疾类别代码：{kind}；残疾等级：{level}级", photo=True)  # fmt: skip
        return out

    def for_entity(self, e: Entity, entity: dict[str, Any]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        holder = (e.credit_code, ENTITY_HOLDER, e.name)
        valid, closed = e.active, _CLOSED_STATUS.get(e.status, "注销")
        # The licence is reissued on changes of registration; most run without end date.
        issue = e.established if chance(rng, 0.7) else day_between(rng, e.established, TODAY)
        # 营业期限: mostly 长期; fixed terms are extended while the entity carries on.
        term = None if chance(rng, 0.75) else rng.choice((10, 20, 30))
        expiry = None if term is None else current_term(e.established, (term,), lapse=not valid)[1]
        capital = entity["registered_capital"]
        surface = (
            f"类型：{e.kind.label}；法定代表人：{entity['legal_representative_name']}；"
            + (f"注册资本：{capital:g}万元；" if capital is not None else "")
            + f"成立日期：{iso(e.established)}"
        )
        self._next()
        out.append(self._row(e.credit_code, "营业执照", holder, e.authority, issue, expiry,
                             _status(expiry, valid=valid, closed=closed), surface))  # fmt: skip
        for permit in e.line.permits:
            n = self._next()
            issue, expiry = current_term(day_between(rng, e.established, TODAY), (5,), lapse=chance(rng, 0.1))
            number, issuer = self._permit(permit, e, n)
            out.append(self._row(number, permit, holder, issuer, issue, expiry,
                                 _status(expiry, valid=valid, closed=closed), f"经营项目：{e.line.scope}"))  # fmt: skip
        return out

    @staticmethod
    def _permit(permit: str, e: Entity, n: int) -> tuple[str, str]:
        area = e.district.code
        if permit == "食品经营许可证":
            body = f"{2 if e.kind.category == '2' else 1}{area}{n:06d}"
            return f"JY{body}{sum(map(int, body)) % 10}", e.authority
        if permit == "药品经营许可证":
            return f"豫DA{area[-3:]}{n:06d}", e.authority
        if permit == "建筑业企业资质证书":
            return f"D341{n:06d}", f"{CITY}住房和城乡建设局"
        if permit == "道路运输经营许可证":
            return f"豫交运管许可汴字{area}{n:06d}号", f"{CITY}交通运输局"
        if permit == "排污许可证":
            return f"{e.credit_code}001V", f"{CITY}生态环境局"
        raise ValueError(f"unknown permit {permit}")

    def real_estate(self, holder: tuple[str, str, str], district: District, registered: int,
                    parcel_code: str, location: str) -> dict[str, Any]:  # fmt: skip
        """The 不动产权证书 issued when a parcel is registered."""
        # The city registers land in the four urban districts; 祥符区 and the counties register their own.
        place = CITY if district.urban else district.name
        issuer = f"{CITY}自然资源和规划局" if district.urban else district_office(district, "自然资源局")
        number = f"豫（{iso(registered)[:4]}）{place}不动产权第{self._next():07d}号"
        return self._row(number, REAL_ESTATE, holder, issuer, registered, None, "有效",
                         f"宗地代码：{parcel_code}；坐落：{location}")  # fmt: skip
