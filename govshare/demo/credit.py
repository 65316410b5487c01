"""Public credit records (公共信用信息) of market entities: 双公示 and red/black lists."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from govshare.demo.areas import CITY
from govshare.demo.entities import INDIVIDUAL, Entity
from govshare.demo.licenses import REAL_ESTATE
from govshare.demo.pools import TODAY, chance, day_between, iso, years_later

TAX_BUREAU = "国家税务总局开封市税务局"
# Publication of permits and penalties (双公示) and of the credit lists began around 2015.
PUBLISHED_FROM = date(2015, 1, 1).toordinal()
COURT = "开封市中级人民法院"


@dataclass(frozen=True, slots=True)
class Violation:
    title: str
    authority: str | None  # None: the entity's own registration authority
    prefix: str  # 文书号 prefix (汴 is Kaifeng's abbreviation)
    fine: tuple[float, float]  # 万元
    permit: str | None = None  # only entities holding this permit commit it


_VIOLATIONS = (
    Violation("未按规定公示年度报告", None, "汴市监罚", (0.1, 1)),
    Violation("发布虚假广告", None, "汴市监罚", (1, 20)),
    Violation("未按规定期限办理纳税申报", TAX_BUREAU, "汴税简罚", (0.02, 0.2)),
    Violation("未按规定开展安全生产教育和培训", f"{CITY}应急管理局", "汴应急罚", (1, 10)),
    Violation("销售超过保质期的食品", None, "汴市监罚", (0.5, 5), "食品经营许可证"),
    Violation("超标排放大气污染物", f"{CITY}生态环境局", "汴环罚", (2, 50), "排污许可证"),
    Violation("未按规定核对药品购进票据", None, "汴市监罚", (0.5, 5), "药品经营许可证"),
)
_ABNORMAL = ("未依照规定的期限公示年度报告", "通过登记的住所或者经营场所无法联系")


class CreditFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def _row(self, e: Entity, type_: str, title: str, document: str, decided: int, valid_until: int | None,
             authority: str, penalty: float | None = None, details: str | None = None) -> dict[str, Any]:  # fmt: skip
        self.serial += 1
        if penalty is not None and chance(self.rng, 0.1):
            status = "已信用修复"  # the entity corrected the violation and applied for credit repair
        else:
            status = "公示中" if valid_until is None or valid_until > TODAY else "已到期"
        return {
            "record_id": f"XY{e.credit_code[2:8]}{self.serial:010d}",
            "credit_code": e.credit_code,
            "entity_name": e.name,
            "record_type": type_,
            "title": title,
            "document_number": document,
            "decided_on": iso(decided),
            "valid_until": None if valid_until is None else iso(valid_until),
            "authority": authority,
            "status": status,
            "penalty_amount": None if penalty is None else round(penalty, 2),
            "case_details": details,
        }

    def for_entity(self, e: Entity, licenses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        rng, out = self.rng, []
        # 双公示: every administrative permit is published (the business licence and deeds are not permits).
        for lic in licenses:
            if lic["type"] in ("营业执照", REAL_ESTATE) or lic["holder_id"] != e.credit_code:
                continue
            decided = _ordinal(lic["issue_date"])
            if decided < PUBLISHED_FROM:
                continue
            out.append(self._row(e, "行政许可", f"{lic['type']}核发", lic["license_number"], decided,
                                 years_later(decided, 3), lic["issuer"]))  # fmt: skip
        seasoned = e.established < TODAY - 365
        if seasoned and chance(rng, 0.1):
            possible = [v for v in _VIOLATIONS if v.permit is None or v.permit in e.line.permits]
            for _ in range(rng.randint(1, 2)):
                v = rng.choice(possible)
                decided = day_between(rng, max(e.established + 180, PUBLISHED_FROM), TODAY)
                fine = rng.uniform(*v.fine)
                details = (f"经查，当事人于{iso(decided - rng.randint(30, 200))}前后存在{v.title}的行为，"
                           f"现场检查笔录及询问笔录在案，举报人信息已依法保密。")  # fmt: skip
                out.append(self._row(
                    e, "行政处罚", v.title, f"{v.prefix}〔{iso(decided)[:4]}〕{rng.randint(1, 999)}号", decided,
                    years_later(decided, rng.choice((1, 3))), v.authority or e.authority, fine, details,
                ))  # fmt: skip
        if e.active and e.kind is not INDIVIDUAL and chance(rng, 0.05):
            decided = day_between(rng, max(e.established, TODAY - 1095), TODAY)  # the last three years
            title = rng.choice(("纳税信用A级纳税人", "守合同重信用企业"))
            authority = TAX_BUREAU if title.startswith("纳税") else f"{CITY}市场监督管理局"
            out.append(self._row(e, "红名单", title, f"{iso(decided)[:4]}年度", decided,
                                 years_later(decided, 1), authority))  # fmt: skip
        if seasoned and chance(rng, 0.2 if e.status == "吊销" else 0.012):
            decided = day_between(rng, max(e.established + 365, PUBLISHED_FROM), TODAY)
            out.append(self._row(e, "黑名单", "失信被执行人", f"（{iso(decided)[:4]}）豫02执{rng.randint(1, 2999)}号",
                                 decided, years_later(decided, 3), COURT))  # fmt: skip
        if seasoned and chance(rng, 0.8 if e.status == "吊销" else 0.04):
            decided = day_between(rng, max(e.established + 365, PUBLISHED_FROM), TODAY)
            out.append(self._row(e, "经营异常名录", rng.choice(_ABNORMAL),
                                 f"汴市监异〔{iso(decided)[:4]}〕{rng.randint(1, 9999)}号", decided, None,
                                 e.authority))  # fmt: skip
        return out


def _ordinal(iso_date: str) -> int:
    return date.fromisoformat(iso_date).toordinal()
