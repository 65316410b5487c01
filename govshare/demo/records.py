"""Social insurance (社会保险) and health records (居民电子健康档案) of residents."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from typing import Any

from govshare.demo.entities import Entity
from govshare.demo.people import Resident
from govshare.demo.places import primary_care
from govshare.demo.pools import AS_OF, TODAY, Weighted, chance, day_between, iso, years_later

_PENSION_START = date(1992, 1, 1).toordinal()  # enterprise pension pooling in Henan
_RESIDENT_SCHEMES = date(2009, 10, 1).toordinal()  # rural pension pilots; public health records
_RESIDENT_MEDICAL = date(2003, 7, 1).toordinal()  # 新农合, merged into resident medical insurance later
EMPLOYEE_PENSION = "企业职工基本养老保险"
EMPLOYEE_MEDICAL = "职工基本医疗保险"
RESIDENT_PENSION = "城乡居民基本养老保险"
RESIDENT_MEDICAL = "城乡居民基本医疗保险"


def _months(start: int, end: int = TODAY) -> int:
    return max(0, (end - start) * 12 // 365)


class InsuranceFactory:
    def __init__(self, rng: random.Random, employers: Sequence[Entity]) -> None:
        self.rng = rng
        self.employers = employers
        self.serial = 0

    def _row(self, p: Resident, type_: str, status: str, start: int, employer: Entity | None,
             base: float | None, months: int | None, balance: float | None) -> dict[str, Any]:  # fmt: skip
        self.serial += 1
        return {
            "record_id": f"SI{p.district.code}{self.serial:010d}",
            "id_number": p.id_number,
            "name": p.name,
            "insurance_type": type_,
            "status": status if p.alive else "终止参保",
            "start_date": iso(start),
            "employer_code": employer.credit_code if employer else None,
            "employer_name": employer.name if employer else None,
            "payment_base": base,
            "months_paid": months,
            "account_balance": None if balance is None else round(balance, 2),
        }

    def for_person(self, p: Resident) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        adult = years_later(p.birth, 18)
        retired = p.age >= (60 if p.male else 55)
        if not retired and p.age >= 18 and self.employers and chance(rng, 0.5):
            employer = rng.choice(self.employers)
            start = day_between(rng, max(adult, employer.established, _PENSION_START), TODAY)
            base = float(rng.randrange(3_900, 15_000, 100))
            months = _months(start)
            status = "正常参保" if chance(rng, 0.95) else "暂停缴费"
            out.append(self._row(p, EMPLOYEE_PENSION, status, start, employer, base, months,
                                 base * 0.08 * months * rng.uniform(1.0, 1.25)))  # fmt: skip
            out.append(self._row(p, EMPLOYEE_MEDICAL, status, start, employer, base, months,
                                 base * 0.02 * months * rng.uniform(0.1, 0.5)))  # fmt: skip
            for type_, share in (("失业保险", 0.75), ("工伤保险", 0.7)):
                if chance(rng, share):
                    out.append(self._row(p, type_, status, start, employer, base, months, None))
            return out
        if retired and chance(rng, 0.35):
            # A former employee drawing a pension; the employer record has closed.
            start = max(day_between(rng, years_later(p.birth, 20), years_later(p.birth, 30)), _PENSION_START)
            months = rng.randint(180, max(180, _months(start)))
            out.append(self._row(p, EMPLOYEE_PENSION, "待遇领取", start, None, None, months,
                                 rng.uniform(5_000, 60_000)))  # fmt: skip
            out.append(self._row(p, EMPLOYEE_MEDICAL, "正常参保", start, None, None, months, rng.uniform(0, 3_000)))
            return out
        if p.age >= 16 and chance(rng, 0.7):
            start = day_between(rng, max(years_later(p.birth, 16), _RESIDENT_SCHEMES), TODAY)
            status = "待遇领取" if p.age >= 60 else "正常参保"
            out.append(self._row(p, RESIDENT_PENSION, status, start, None, None, _months(start),
                                 rng.uniform(500, 20_000)))  # fmt: skip
        if chance(rng, 0.95):
            start = day_between(rng, max(p.birth, _RESIDENT_MEDICAL), TODAY)
            out.append(self._row(p, RESIDENT_MEDICAL, "正常参保", start, None, None, None, None))
        return out


_BLOOD = Weighted([("A型", 28), ("B型", 32), ("O型", 30), ("AB型", 10)])
_DIAGNOSES = ("急性上呼吸道感染", "慢性胃炎", "腰椎间盘突出症", "急性支气管炎", "过敏性鼻炎", "龋病",
              "结膜炎", "颈椎病", "湿疹", "桡骨远端骨折")  # fmt: skip
_HISTORY = ("阑尾切除术", "青霉素过敏史", "乙型病毒性肝炎病史", "胆囊切除术", "肺结核治愈史", "白内障手术")


class HealthFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def _chronic(self, age: int) -> str | None:
        rng = self.rng
        old = age >= 60
        found = [name for name, share in (("高血压", 0.25 if old else 0.1), ("2型糖尿病", 0.1 if old else 0.04),
                                          ("冠心病", 0.05 if old else 0.01), ("严重精神障碍", 0.005))
                 if age >= 35 and chance(rng, share)]  # fmt: skip
        return "、".join(found) or None

    def for_person(self, p: Resident) -> dict[str, Any] | None:
        rng = self.rng
        if not p.alive or not chance(rng, 0.75):
            return None
        n = self.serial
        self.serial += 1
        # 17 digits: area code, town (3), village (3), number (5); unique through the serial.
        village, number = divmod(n, 100_000)
        record_id = f"{p.district.code}{rng.randint(1, 20):03d}{village % 1000 + 1:03d}{number:05d}"
        chronic = self._chronic(p.age)
        elderly = p.age >= 65
        checkup = (day_between(rng, max(p.birth, TODAY - 730), TODAY)
                   if chance(rng, 0.8 if elderly else 0.35) else None)  # fmt: skip
        blood = _BLOOD.pick(rng) + (" RhD阴性" if chance(rng, 0.003) else "") if chance(rng, 0.85) else None
        history = None
        if p.age >= 18 and chance(rng, 0.2):
            year = rng.randint(date.fromordinal(p.birth).year + 18, AS_OF.year)
            history = f"{rng.choice(_HISTORY)}（{year}年）"
        diagnosis = None
        if chance(rng, 0.6):
            diagnosis = chronic.split("、")[0] if chronic and chance(rng, 0.5) else rng.choice(_DIAGNOSES)
        return {
            "record_id": record_id,
            "id_number": p.id_number,
            "name": p.name,
            "managing_institution": primary_care(rng, p.district),
            "created_on": iso(day_between(rng, max(p.birth, _RESIDENT_SCHEMES), TODAY)),
            "family_doctor_signed": int(chance(rng, 0.45 if elderly or chronic else 0.2)),
            "blood_type": blood,
            "last_checkup": None if checkup is None else iso(checkup),
            "vaccination_complete": int(chance(rng, 0.97)) if p.age < 14 else None,
            "chronic_diseases": chronic,
            "diagnosis": diagnosis,
            "medical_history": history,
        }
