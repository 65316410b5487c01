"""Land parcels (宗地) and their registration, with the matching 不动产权证书."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from govshare.demo.areas import CITY, District
from govshare.demo.entities import COOPERATIVE, INDIVIDUAL, Entity
from govshare.demo.licenses import ENTITY_HOLDER, PERSON_HOLDER, LicenseFactory
from govshare.demo.people import Resident
from govshare.demo.places import locality
from govshare.demo.pools import TODAY, Pools, chance, day_between, iso, years_later

_BANKS = (
    "中国工商银行股份有限公司开封分行", "中国农业银行股份有限公司开封分行", "中国银行股份有限公司开封分行",
    "中国建设银行股份有限公司开封分行", "中原银行股份有限公司开封分行", "开封农村商业银行股份有限公司",
)  # fmt: skip
_HOUSING_REFORM = date(1998, 7, 1).toordinal()  # commodity housing begins
# Entity land use by line of business: (use, term of the grant in years, area range m², price 万元/m²).
_INDUSTRIAL = ("工业用地", 50, (2_000, 60_000), (0.02, 0.05))
_LAND_USE = {
    "机械制造": _INDUSTRIAL,
    "化工": _INDUSTRIAL,
    "食品": _INDUSTRIAL,
    "物流": ("仓储用地", 50, (3_000, 40_000), (0.02, 0.06)),
    "房地产开发": ("城镇住宅用地", 70, (10_000, 80_000), (0.15, 0.5)),
}
_COMMERCIAL = ("商服用地", 40, (300, 8_000), (0.1, 0.4))


class LandFactory:
    """Parcels with codes per GB/T 13923: county, cadastral zone and subzone, feature code, number."""

    def __init__(self, rng: random.Random, pools: Pools, licenses: LicenseFactory) -> None:
        self.rng = rng
        self.pools = pools
        self.licenses = licenses
        self.serial = 0

    def _code(self, district: District, feature: str) -> str:
        # (subzone, number) comes from the serial alone, which keeps codes unique.
        n = self.serial
        self.serial += 1
        sub, seq = divmod(n, 99_999)
        return f"{district.code}{self.rng.randint(1, 30):03d}{sub % 999 + 1:03d}{feature}{seq + 1:05d}"

    def _mortgage(self, price: float | None, share: float) -> tuple[bool, str | None]:
        if not chance(self.rng, share):
            return False, None
        amount = (price or self.rng.uniform(10, 60)) * self.rng.uniform(0.3, 0.7)
        return True, f"{self.rng.choice(_BANKS)}，{amount:.2f}万元"

    def _emit(self, holder: tuple[str, str, str], district: District, location: str, area: float,
              use: str, right: str, nature: str, registered: int, term_end: int | None,
              price: float | None, mortgage_share: float) -> list[dict[str, Any]]:  # fmt: skip
        code = self._code(district, "JC" if right == "宅基地使用权" else "GB")
        mortgaged, mortgage = self._mortgage(price, mortgage_share)
        parcel = {
            "parcel_code": code,
            "location": location,
            "district": district.name,
            "area": round(area, 2),
            "land_use": use,
            "right_type": right,
            "right_nature": nature,
            "owner_id": holder[0],
            "owner_type": "个人" if holder[1] == PERSON_HOLDER else "单位",
            "owner_name": holder[2],
            "registered_on": iso(registered),
            "use_term_end": None if term_end is None else iso(term_end),
            "transaction_price": None if price is None else round(price, 2),
            "mortgaged": int(mortgaged),
            "mortgage_info": mortgage,
        }
        return [parcel, self.licenses.real_estate(holder, district, registered, code, location)]

    def for_person(self, p: Resident) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(parcels, certificates) of a resident: a homestead in the counties, a flat's land share in town."""
        rng = self.rng
        if p.age < 25 or not chance(rng, 0.3):
            return [], []
        holder = (p.id_number, PERSON_HOLDER, p.name)
        d = p.district
        location = f"{CITY}{locality(rng, d, self.pools)}"
        if d.urban:
            registered = day_between(rng, max(years_later(p.birth, 22), _HOUSING_REFORM), TODAY)
            granted = registered - rng.randrange(3650)
            price = rng.uniform(30, 200)
            parcel, cert = self._emit(holder, d, location, rng.uniform(15, 90), "城镇住宅用地", "国有建设用地使用权",
                                      "出让", registered, years_later(granted, 70), price, 0.35)  # fmt: skip
        else:
            registered = day_between(rng, max(years_later(p.birth, 22), TODAY - 30 * 365), TODAY)
            parcel, cert = self._emit(holder, d, location, rng.uniform(120, 250), "农村宅基地", "宅基地使用权",
                                      "批准拨用宅基地", registered, None, None, 0.03)  # fmt: skip
        return [parcel], [cert]

    def for_entity(self, e: Entity) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        use, term, (lo, hi), (plo, phi) = _LAND_USE.get(e.line.word, _COMMERCIAL)
        share = 0.6 if use != "商服用地" else 0.15
        if not e.active or e.kind in (INDIVIDUAL, COOPERATIVE) or not chance(rng, share):
            return [], []
        parcels, certs = [], []
        for _ in range(1 if chance(rng, 0.8) else 2):
            location = f"{CITY}{locality(rng, e.district, self.pools)}"
            area = rng.uniform(lo, hi)
            registered = day_between(rng, e.established, TODAY)
            allocated = use != "城镇住宅用地" and chance(rng, 0.1)  # 划拨: no term, no price
            parcel, cert = self._emit(
                (e.credit_code, ENTITY_HOLDER, e.name), e.district, location, area, use, "国有建设用地使用权",
                "划拨" if allocated else "出让", registered, None if allocated else years_later(registered, term),
                None if allocated else area * rng.uniform(plo, phi), 0.4,
            )  # fmt: skip
            parcels.append(parcel)
            certs.append(cert)
        return parcels, certs
