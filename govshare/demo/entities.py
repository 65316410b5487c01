"""Market entities (市场主体) of the market regulator's register."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from govshare.demo.areas import CITY, CITY_CODE, DISTRICTS, PROVINCE, District
from govshare.demo.ids import make_credit_code, org_code_for
from govshare.demo.places import district_office, locality, town
from govshare.demo.pools import AS_OF, TODAY, Pools, Weighted, chance, day_between, mobile

USCC_REFORM = date(2015, 10, 1).toordinal()  # unified codes replace organisation codes


@dataclass(frozen=True, slots=True)
class Line:
    """A line of business: name word, business scope and the permits it needs."""

    word: str
    scope: str
    permits: tuple[str, ...] = ()


_COMPANY_LINES = Weighted([
    (Line("商贸", "日用百货、五金产品、建筑材料、电子产品销售；货物进出口"), 20),
    (Line("科技", "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务"), 12),
    (Line("建筑工程", "房屋建筑和市政基础设施项目工程总承包；建设工程施工；土石方工程施工",
          ("建筑业企业资质证书",)), 8),
    (Line("餐饮管理", "餐饮服务；食品销售；餐饮管理", ("食品经营许可证",)), 9),
    (Line("食品", "食品生产；食品销售；农副产品销售", ("食品经营许可证",)), 6),
    (Line("物流", "道路货物运输（不含危险货物）；普通货物仓储服务；国内货物运输代理", ("道路运输经营许可证",)), 6),
    (Line("农业开发", "谷物种植；蔬菜种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务"), 6),
    (Line("文化传媒", "组织文化艺术交流活动；广告设计、代理；广告制作；会议及展览服务"), 6),
    (Line("汽车销售服务", "汽车新车销售；二手车经销；机动车修理和维护；汽车零配件零售"), 4),
    (Line("医药", "药品零售；第二类医疗器械销售；保健食品（预包装）销售", ("药品经营许可证",)), 3),
    (Line("化工", "化工产品生产（不含许可类化工产品）；专用化学产品销售", ("排污许可证",)), 2),
    (Line("机械制造", "通用设备制造（不含特种设备制造）；机械零件、零部件加工；金属制品销售", ("排污许可证",)), 4),
    (Line("旅游文化", "旅游业务；游览景区管理；工艺美术品及收藏品零售"), 4),
    (Line("房地产开发", "房地产开发经营；物业管理；住房租赁"), 3),
    (Line("家政服务", "家政服务；养老服务；保洁服务"), 3),
])  # fmt: skip
_SHOP_LINES = Weighted([
    (Line("灌汤包子馆", "餐饮服务；食品销售", ("食品经营许可证",)), 6),
    (Line("烩面馆", "餐饮服务；食品销售", ("食品经营许可证",)), 6),
    (Line("小吃店", "小餐饮；食品销售", ("食品经营许可证",)), 8),
    (Line("超市", "食品销售；日用百货销售；烟草制品零售", ("食品经营许可证",)), 8),
    (Line("便利店", "食品销售；日用百货销售", ("食品经营许可证",)), 6),
    (Line("理发店", "理发服务；美容服务"), 6),
    (Line("五金店", "五金产品零售；建筑材料销售"), 5),
    (Line("服装店", "服装服饰零售；鞋帽零售"), 6),
    (Line("手机维修部", "通讯设备修理；电子产品销售"), 3),
    (Line("水果店", "水果零售；农副产品销售"), 4),
    (Line("大药房", "药品零售；第一类医疗器械销售", ("药品经营许可证",)), 2),
])  # fmt: skip
_COOP_LINES = Weighted([
    (Line("大蒜种植", "大蒜种植、收购、销售；农业技术服务"), 4),  # 杞县 garlic
    (Line("花生种植", "花生种植、收购、销售；农业机械服务"), 3),
    (Line("蔬菜种植", "蔬菜种植、销售；农业技术服务"), 3),
    (Line("畜禽养殖", "牲畜饲养；家禽饲养；畜禽收购"), 2),
    (Line("农机", "农业机械服务；农作物收割服务"), 2),
])  # fmt: skip

_CAPITAL = Weighted([(10.0, 6), (30.0, 6), (50.0, 12), (100.0, 20), (200.0, 12), (300.0, 8), (500.0, 12),
                     (1000.0, 10), (2000.0, 5), (3000.0, 3), (5000.0, 3), (10000.0, 1.5)])  # fmt: skip
_SMALL_CAPITAL = Weighted([(5.0, 3), (10.0, 4), (20.0, 3), (50.0, 3), (100.0, 2), (200.0, 1)])


@dataclass(frozen=True, slots=True)
class Kind:
    label: str  # 市场主体类型
    category: str  # GB 32100 entity category under registration authority 9 (工商)


COMPANY = Kind("有限责任公司（自然人投资或控股）", "1")
SOLE_COMPANY = Kind("有限责任公司（自然人独资）", "1")
JOINT_STOCK = Kind("股份有限公司（非上市、自然人投资或控股）", "1")
SOLE_PROPRIETORSHIP = Kind("个人独资企业", "1")
PARTNERSHIP = Kind("合伙企业", "1")
INDIVIDUAL = Kind("个体工商户", "2")
COOPERATIVE = Kind("农民专业合作社", "3")
_KINDS = Weighted([(COMPANY, 34), (SOLE_COMPANY, 10), (JOINT_STOCK, 1.5), (SOLE_PROPRIETORSHIP, 4),
                   (PARTNERSHIP, 1.5), (INDIVIDUAL, 44), (COOPERATIVE, 5)])  # fmt: skip
# Businesses cluster in the urban districts.
_DISTRICTS = Weighted([(d, d.weight * (2.5 if d.urban else 1)) for d in DISTRICTS])
_STATUS = Weighted([("存续", 86), ("注销", 8), ("吊销", 4.5), ("迁出", 1.5)])
# Registrations grow about 12 % a year (commercial registration reform).
_YEARS = Weighted([(y, 1.12 ** (y - 1995)) for y in range(1995, AS_OF.year + 1)])


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity's registration core, kept in memory while residents are generated."""

    index: int
    credit_code: str
    name: str
    kind: Kind
    line: Line
    district: District
    established: int  # date ordinal
    status: str
    representative: int  # index of the resident who is the legal representative
    authority: str  # 登记机关

    @property
    def active(self) -> bool:
        return self.status == "存续"


def _name(rng: random.Random, pools: Pools, kind: Kind, line: Line, district: District) -> str:
    trade = pools.trade_name(rng)
    if kind is INDIVIDUAL:
        return f"{district.name}{trade}{line.word}"
    if kind is COOPERATIVE:
        return f"{district.name}{town(rng, district)}{trade}{line.word}专业合作社"
    if kind is JOINT_STOCK:
        return f"河南{trade}{line.word}股份有限公司"
    if kind is SOLE_PROPRIETORSHIP:
        return district_office(district, f"{trade}{line.word}经营部")
    if kind is PARTNERSHIP:
        return f"开封{trade}{line.word}合伙企业（有限合伙）"
    return f"开封{trade}{line.word}有限公司"


def make_entities(rng: random.Random, pools: Pools, count: int, persons: int) -> list[Entity]:
    out = []
    for i in range(count):
        kind = _KINDS.pick(rng)
        line = (_SHOP_LINES if kind is INDIVIDUAL else _COOP_LINES if kind is COOPERATIVE else _COMPANY_LINES).pick(rng)
        district = _DISTRICTS.pick(rng)
        year = _YEARS.pick(rng)
        established = day_between(rng, date(year, 1, 1).toordinal(), min(date(year, 12, 31).toordinal(), TODAY))
        # Larger companies register with the city, the rest with their district's bureau.
        city_level = kind.category == "1" and chance(rng, 0.3)
        area = CITY_CODE if city_level else district.code
        # Entities registered before the reform keep their organisation code; 个体工商户 had none.
        org = org_code_for(i, legacy=established < USCC_REFORM and kind is not INDIVIDUAL)
        status = _STATUS.pick(rng) if established < TODAY - 365 else "存续"
        authority = f"{CITY}市场监督管理局" if city_level else district_office(district, "市场监督管理局")
        out.append(Entity(
            i, make_credit_code("9", kind.category, area, org), _name(rng, pools, kind, line, district),
            kind, line, district, established, status, rng.randrange(persons), authority,
        ))  # fmt: skip
    return out


def entity_row(rng: random.Random, pools: Pools, e: Entity, rep_id: str, rep_name: str) -> dict[str, Any]:
    kind = e.kind
    if kind is INDIVIDUAL:
        capital, staff, revenue = None, rng.randint(1, 5), round(rng.uniform(5, 120), 2)
    else:
        capital = (_SMALL_CAPITAL if kind in (SOLE_PROPRIETORSHIP, PARTNERSHIP, COOPERATIVE) else _CAPITAL).pick(rng)
        if kind is JOINT_STOCK:
            capital = max(capital * 10, 1000.0)
        staff = max(1, int(rng.lognormvariate(2.3, 1.0)))
        revenue = round(capital * rng.lognormvariate(0.0, 1.0), 2)
    landline = f"0371-2{rng.randrange(10**7):07d}"  # Kaifeng joined Zhengzhou's 0371 in 2016
    closed = not e.active
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "type": kind.label,
        "legal_representative_id": rep_id,
        "legal_representative_name": rep_name,
        "registered_capital": capital,
        "established_date": date.fromordinal(e.established).isoformat(),
        "district": e.district.name,
        "address": f"{PROVINCE}{CITY}{locality(rng, e.district, pools)}",
        "business_scope": f"一般项目：{e.line.scope}（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        "status": e.status,
        "registration_authority": e.authority,
        "phone": None if closed and chance(rng, 0.5) else mobile(rng) if chance(rng, 0.7) else landline,
        "employees": None if closed else staff,
        "annual_revenue": None if closed or e.established > TODAY - 365 else revenue,
    }
