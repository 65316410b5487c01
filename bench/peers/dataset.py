"""The peer benchmark's PostgreSQL databases and its deterministic person/licence dataset.

Rows come from a fixed seed, so every run and machine loads the same data. They are loaded
with COPY (a few seconds) and a ``bench_meta`` row records which dataset is there: a database
that already holds it is left alone. The databases use byte-order collation, so ``ORDER BY
id_number`` agrees with Python's string order.
"""

from __future__ import annotations

import datetime
import hashlib
import random
from dataclasses import dataclass

import asyncpg

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PERSONS = 100_000
SEED = 20261202
SIGNATURE = f"person-license v2 seed={SEED} persons={PERSONS}"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵梓轩"
_DISTRICTS = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "昌平区", "大兴区", "顺义区")
_STREETS = ("长安街", "建国路", "中关村大街", "学院路", "望京街", "丽泽路", "新华大街", "回龙观路")
_ETHNICITIES = ("汉族",) * 12 + ("回族", "满族", "蒙古族", "朝鲜族")
_LICENSE_TYPES = ("营业执照", "食品经营许可证", "机动车驾驶证", "建筑施工许可证", "药品经营许可证")
_ISSUERS = ("市市场监督管理局", "市公安局交通管理局", "市住房和城乡建设委员会", "市药品监督管理局")
_REGIONS = tuple(f"1101{n:02d}" for n in range(1, 20))
_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))  # GB 11643: ISO 7064 MOD 11-2
_CHECK = "10X98765432"

PERSON_COLUMNS = ("id_number", "name", "gender", "birth_date", "district", "address", "phone", "ethnicity")
LICENSE_COLUMNS = ("license_no", "holder_id", "license_type", "issuer", "issue_date", "expiry_date")

SCHEMA = """
CREATE TABLE person (
    id_number text PRIMARY KEY, name text NOT NULL, gender text NOT NULL, birth_date date NOT NULL,
    district text NOT NULL, address text NOT NULL, phone text NOT NULL, ethnicity text NOT NULL);
CREATE TABLE license (
    license_no text PRIMARY KEY, holder_id text NOT NULL REFERENCES person, license_type text NOT NULL,
    issuer text NOT NULL, issue_date date NOT NULL, expiry_date date NOT NULL);
CREATE TABLE bench_meta (signature text NOT NULL);
"""
INDEX = "CREATE INDEX license_holder_id ON license (holder_id); ANALYZE person; ANALYZE license;"


@dataclass(frozen=True, slots=True)
class Dataset:
    persons: list[tuple[object, ...]]
    licenses: list[tuple[object, ...]]


def _id_number(rng: random.Random, birth: datetime.date) -> str:
    """An 18-digit resident ID number with its ISO 7064 check digit."""
    body = f"{rng.choice(_REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def generate() -> Dataset:
    rng = random.Random(SEED)
    persons: list[tuple[object, ...]] = []
    licenses: list[tuple[object, ...]] = []
    seen: set[str] = set()
    epoch = datetime.date(1940, 1, 1)
    while len(persons) < PERSONS:
        birth = epoch + datetime.timedelta(days=rng.randrange(365 * 65))
        id_number = _id_number(rng, birth)
        if id_number in seen:
            continue
        seen.add(id_number)
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        district = rng.choice(_DISTRICTS)
        address = f"北京市{district}{rng.choice(_STREETS)}{rng.randrange(1, 300)}号"
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        gender = "男" if int(id_number[16]) % 2 else "女"
        persons.append((id_number, name, gender, birth, district, address, phone, rng.choice(_ETHNICITIES)))
        for _ in range(rng.randrange(5)):  # 0-4 licences, 2 on average
            issued = datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 20))
            expires = issued + datetime.timedelta(days=365 * rng.choice((3, 5, 10)))
            number = f"L{len(licenses) * 7919 % 10**8:08d}"  # unique (7919 is prime to 10**8), not in holder order
            licenses.append((number, id_number, rng.choice(_LICENSE_TYPES), rng.choice(_ISSUERS), issued, expires))
    return Dataset(persons, licenses)


def q2_ids(dataset_ids: list[str], count: int = 1000) -> list[str]:
    """A fixed list of ``count`` ID numbers spread over the table, chosen by a digest (no random state)."""
    return sorted(dataset_ids, key=lambda key: hashlib.md5(f"q2:{key}".encode()).hexdigest())[:count]


def dsn(database: str) -> str:
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


async def recreate(database: str) -> None:
    """An empty database of that name (dropped first if it exists)."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8' "
                            "LC_COLLATE 'C' LC_CTYPE 'C'")  # fmt: skip
    finally:
        await admin.close()


async def drop(database: str) -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


async def _loaded(database: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn(database))
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        found = await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL")
        return bool(found) and await conn.fetchval("SELECT signature FROM bench_meta") == SIGNATURE
    finally:
        await conn.close()


async def ensure_loaded(database: str) -> bool:
    """The dataset in ``database``, loaded unless it is there already; True when it was loaded now."""
    if await _loaded(database):
        return False
    data = generate()
    await recreate(database)
    conn = await asyncpg.connect(dsn(database))
    try:
        await conn.execute(SCHEMA)
        await conn.copy_records_to_table("person", records=data.persons, columns=PERSON_COLUMNS)
        await conn.copy_records_to_table("license", records=data.licenses, columns=LICENSE_COLUMNS)
        await conn.execute(INDEX)
        await conn.execute("INSERT INTO bench_meta VALUES ($1)", SIGNATURE)
    finally:
        await conn.close()
    return True


async def person_ids(database: str) -> list[str]:
    conn = await asyncpg.connect(dsn(database))
    try:
        return [r[0] for r in await conn.fetch("SELECT id_number FROM person")]
    finally:
        await conn.close()
