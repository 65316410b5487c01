"""Addresses and local office names within Kaifeng's districts and counties."""

from __future__ import annotations

import random

from govshare.demo.areas import CITY, PROVINCE, VILLAGE_SUFFIXES, District
from govshare.demo.pools import Pools, chance


def town(rng: random.Random, district: District) -> str:
    return rng.choice(district.subdivisions)


def village(rng: random.Random, pools: Pools) -> str:
    return rng.choice(pools.surnames) + rng.choice(VILLAGE_SUFFIXES) + "村"


def locality(rng: random.Random, district: District, pools: Pools) -> str:
    """``district`` + road and number (urban) or town, village and number (county)."""
    if district.urban:
        road = rng.choice(district.roads) if chance(rng, 0.8) else rng.choice(pools.surnames) + "家胡同"
        return f"{district.name}{road}{rng.randint(1, 299)}号"
    return f"{district.name}{town(rng, district)}{village(rng, pools)}{rng.randint(1, 180)}号"


def home_address(rng: random.Random, district: District, pools: Pools) -> str:
    base = f"{PROVINCE}{CITY}{locality(rng, district, pools)}"
    if district.urban and chance(rng, 0.75):
        floor = rng.randint(1, 18)
        return f"{base}{rng.randint(1, 24)}号楼{rng.randint(1, 4)}单元{floor}{rng.randint(1, 4):02d}室"
    return base


def district_office(district: District, suffix: str) -> str:
    """A district/county office: 开封市龙亭区民政局, 杞县民政局."""
    return f"{district.name}{suffix}" if district.name.endswith("县") else f"{CITY}{district.name}{suffix}"


def primary_care(rng: random.Random, district: District) -> str:
    """The clinic that keeps a resident's health record (社区卫生服务中心 or 乡镇卫生院)."""
    place = town(rng, district)
    if place.endswith("街道"):
        return f"{district.name}{place}社区卫生服务中心"
    return f"{district.name}{place}卫生院"
