"""Kaifeng (开封市, area code 4102xx): districts, counties and their subdivisions.

Population weights follow the registered population of each district/county
roughly. Town and street names are those of the real subdivisions; the list is
not exhaustive, only enough for plausible addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CITY = "开封市"
PROVINCE = "河南省"
CITY_CODE = "410200"
# The 2014 adjustment merged 金明区 into 龙亭区 and made 开封县 祥符区; ID numbers
# issued before keep the old area code for life.
REDISTRICTING = date(2014, 10, 1)


@dataclass(frozen=True, slots=True)
class District:
    name: str
    code: str
    weight: int  # share of the city's registered population (per mille, roughly)
    urban: bool  # urban district (街道/道路 addresses) or county (乡镇/村 addresses)
    subdivisions: tuple[str, ...]  # 街道 for urban districts, 乡镇 for counties
    roads: tuple[str, ...] = ()
    # Area code that ID numbers issued before REDISTRICTING carry, and how often.
    legacy_code: str | None = None
    legacy_share: float = 0.0


DISTRICTS: tuple[District, ...] = (
    District("龙亭区", "410202", 64, True,
             ("北书店街道", "午朝门街道", "大兴街道", "北道门街道", "城西街道", "北郊乡", "柳园口乡", "水稻乡"),
             ("中山路", "西门大街", "北门大街", "龙亭北路", "金明大道", "晋安路", "东京大道", "大梁路"),
             legacy_code="410211", legacy_share=0.3),
    District("顺河回族区", "410203", 55, True,
             ("清平街道", "铁塔街道", "曹门街道", "宋门街道", "工业街道", "苹果园街道", "东郊乡", "土柏岗乡"),
             ("东大街", "宋门大街", "曹门大街", "铁塔西街", "北土街", "汴京大道", "魏都路")),
    District("鼓楼区", "410204", 45, True,
             ("相国寺街道", "州桥街道", "西司门街道", "卧龙街道", "新华街道", "五一街道", "仙人庄街道"),
             ("鼓楼街", "书店街", "马道街", "自由路", "解放路", "寺后街", "大纸坊街")),
    District("禹王台区", "410205", 42, True,
             ("三里堡街道", "新门关街道", "繁塔街道", "官坊街道", "菜市街道", "南郊乡", "汪屯乡"),
             ("五一路", "三里堡路", "繁塔西路", "夷山大街", "苹果园中路", "滨河路")),
    District("祥符区", "410212", 125, False,
             ("城关镇", "陈留镇", "仇楼镇", "八里湾镇", "朱仙镇", "曲兴镇", "半坡店乡", "罗王乡",
              "刘店乡", "袁坊乡", "杜良乡", "西姜寨乡", "万隆乡", "范村乡"),
             legacy_code="410224", legacy_share=1.0),
    District("杞县", "410221", 180, False,
             ("城关镇", "五里河镇", "傅集镇", "圉镇镇", "高阳镇", "葛岗镇", "阳堌镇", "邢口镇",
              "裴村店乡", "宗店乡", "板木乡", "竹林乡", "官庄乡", "湖岗乡", "苏木乡", "沙沃乡")),
    District("通许县", "410222", 100, False,
             ("城关镇", "竖岗镇", "玉皇庙镇", "四所楼镇", "朱砂镇", "长智镇", "冯庄乡", "孙营乡",
              "大岗李乡", "邸阁乡", "练城乡", "厉庄乡")),
    District("尉氏县", "410223", 170, False,
             ("城关镇", "朱曲镇", "蔡庄镇", "永兴镇", "张市镇", "十八里镇", "水坡镇", "大营镇",
              "庄头镇", "洧川镇", "大桥乡", "南曹乡", "门楼任乡", "大马乡", "邢庄乡", "岗李乡")),
    District("兰考县", "410225", 140, False,
             ("城关镇", "堌阳镇", "南彰镇", "考城镇", "红庙镇", "谷营镇", "东坝头镇", "仪封镇",
              "葡萄架乡", "孟寨乡", "许河乡", "三义寨乡", "小宋乡", "闫楼乡")),
)  # fmt: skip

DISTRICT_BY_NAME = {d.name: d for d in DISTRICTS}

# Every area code an ID number of a Kaifeng resident may carry → today's district.
AREA_DISTRICT: dict[str, str] = {d.code: d.name for d in DISTRICTS} | {
    d.legacy_code: d.name for d in DISTRICTS if d.legacy_code
}
# Stable order of those codes (used to index per-code counters).
AREA_CODES: tuple[str, ...] = tuple(AREA_DISTRICT)

# Village names in Henan are mostly a surname plus one of these.
VILLAGE_SUFFIXES = ("庄", "寨", "楼", "岗", "集", "营", "屯", "店", "桥", "园")
