"""A small city of three departments, written as its own catalog over its own databases.

It is not the demo: it stands for "a catalog written by someone else", and its
data is generated deterministically so that tests can compute expected answers
in Python from the same rows.
"""

from __future__ import annotations

import datetime
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Column, Date, Float, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import create_async_engine

DISTRICTS = ["east", "west", "north", "south", "centre"]
BRANDS = ["byd", "geely", "chery", "haval", "nio", "xpeng"]

metadata = MetaData()
resident = Table(
    "resident",
    metadata,
    Column("resident_id", String(20), primary_key=True),
    Column("full_name", String(40)),
    Column("district", String(20)),
    Column("birth_date", Date),
    Column("score", Integer),
    Column("income", Float(precision=53)),  # double precision on every database
    Column("married", Boolean),
    Column("phone", String(20)),
    Column("note", String(40)),
)
vehicle = Table(
    "vehicle",
    metadata,
    Column("plate", String(20), primary_key=True),
    Column("owner_id", String(20), index=True),
    Column("brand", String(20)),
    Column("registered_on", Date),
)
inspection = Table(
    "inspection",
    metadata,
    Column("inspection_id", Integer, primary_key=True),
    Column("plate", String(20), index=True),
    Column("passed", Boolean),
    Column("year", Integer),
)
TABLES_BY_SOURCE = {"civil_db": [resident], "vehicle_db": [vehicle], "inspect_db": [inspection]}


@dataclass
class WorldData:
    residents: list[dict[str, Any]] = field(default_factory=list)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)


def make_data(residents: int, seed: int = 7) -> WorldData:
    rng = random.Random(seed)
    data = WorldData()
    for n in range(residents):
        rid = f"r{n:05d}"
        data.residents.append(
            {
                "resident_id": rid,
                "full_name": f"name{rng.randrange(10_000):04d}",
                "district": rng.choice(DISTRICTS) if n % 17 else None,
                "birth_date": datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20_000)),
                "score": rng.randrange(100) if n % 13 else None,
                "income": round(rng.uniform(1000, 90000), 2),
                "married": rng.random() < 0.5,
                "phone": f"13{rng.randrange(10**9):09d}",
                "note": rng.choice(["50%_off", "a_b", "plain", "x%y", None]),
            }
        )
        for v in range(rng.choice([0, 1, 2, 2, 3])):
            plate = f"p{n:05d}{v}"
            data.vehicles.append(
                {
                    "plate": plate,
                    "owner_id": rid,
                    "brand": rng.choice(BRANDS),
                    "registered_on": datetime.date(2010, 1, 1) + datetime.timedelta(days=rng.randrange(5000)),
                }
            )
            for year in range(2023, 2023 + rng.randrange(3)):
                data.inspections.append(
                    {
                        "inspection_id": len(data.inspections) + 1,
                        "plate": plate,
                        "passed": rng.random() < 0.8,
                        "year": year,
                    }
                )
    return data


async def load(urls: dict[str, str], data: WorldData) -> None:
    rows = {"resident": data.residents, "vehicle": data.vehicles, "inspection": data.inspections}
    for source, tables in TABLES_BY_SOURCE.items():
        engine = create_async_engine(urls[source])
        try:
            async with engine.begin() as conn:
                for table in tables:
                    await conn.run_sync(table.drop, checkfirst=True)
                    await conn.run_sync(table.create)
                    if rows[table.name]:
                        await conn.execute(table.insert(), rows[table.name])
        finally:
            await engine.dispose()


def catalog_text(urls: dict[str, str]) -> str:
    return textwrap.dedent(
        f"""\
        version: 1
        platform:
          name: Testville data sharing
          authority: hub
          purposes:
            work_reference: 工作参考
            data_verification: 数据校核
        departments:
          hub: {{name: 大数据局}}
          civil: {{name: 民政局}}
          transport: {{name: 交通运输局}}
        sources:
          civil_db: {{department: civil, kind: sql, url: "{urls["civil_db"]}"}}
          vehicle_db: {{department: transport, kind: sql, url: "{urls["vehicle_db"]}"}}
          inspect_db: {{department: transport, kind: sql, url: "{urls["inspect_db"]}"}}
        resources:
          Resident:
            code: "T001/000001"
            title: 居民信息
            provider: civil
            category: department
            source: civil_db
            table: resident
            key: residentId
            update_cycle: daily
            share_methods: [interface, query, download]
            items:
              residentId: {{column: resident_id, type: ID, title: 居民编号, sharing: unconditional}}
              fullName: {{column: full_name, type: String, title: 姓名, sharing: unconditional}}
              district: {{type: String, title: 区, sharing: unconditional}}
              birthDate: {{column: birth_date, type: Date, title: 出生日期, sharing: unconditional}}
              score: {{type: Int, title: 信用分, sharing: unconditional}}
              income: {{type: Float, title: 收入, sharing: unconditional}}
              married: {{type: Boolean, title: 已婚, sharing: unconditional}}
              phone: {{type: String, title: 电话, sharing: conditional, condition: 仅限联系本人}}
              note: {{type: String, title: 备注, sharing: unconditional}}
            relations:
              vehicles: {{target: Vehicle, on: {{residentId: ownerId}}, many: true, title: 名下车辆}}
          Vehicle:
            code: "T002/000001"
            title: 机动车信息
            provider: transport
            category: department
            source: vehicle_db
            table: vehicle
            key: plate
            update_cycle: daily
            share_methods: [interface, query, download]
            items:
              plate: {{type: ID, title: 号牌, sharing: unconditional}}
              ownerId: {{column: owner_id, type: ID, title: 所有人, sharing: unconditional}}
              brand: {{type: String, title: 品牌, sharing: unconditional}}
              registeredOn: {{column: registered_on, type: Date, title: 注册日期, sharing: unconditional}}
            relations:
              owner: {{target: Resident, on: {{ownerId: residentId}}, title: 所有人信息}}
              inspections: {{target: Inspection, on: {{plate: plate}}, many: true, title: 检验记录}}
          Inspection:
            code: "T003/000001"
            title: 机动车检验
            provider: transport
            category: department
            source: inspect_db
            table: inspection
            key: inspectionId
            update_cycle: monthly
            share_methods: [interface, query, download]
            items:
              inspectionId: {{column: inspection_id, type: Int, title: 检验编号, sharing: unconditional}}
              plate: {{type: ID, title: 号牌, sharing: unconditional}}
              passed: {{type: Boolean, title: 合格, sharing: unconditional}}
              year: {{type: Int, title: 年度, sharing: unconditional}}
            relations:
              vehicle: {{target: Vehicle, on: {{plate: plate}}, title: 车辆}}
        """
    )


def sqlite_urls(directory: Path) -> dict[str, str]:
    return {source: f"sqlite+aiosqlite:///{directory / (source + '.db')}" for source in TABLES_BY_SOURCE}
