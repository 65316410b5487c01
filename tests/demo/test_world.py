"""The generated demo world: every table filled, identifiers valid, references and dates consistent."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from govshare.demo.areas import AREA_DISTRICT, CITY_CODE, DISTRICT_BY_NAME
from govshare.demo.catalog import RESOURCES, credit_source
from govshare.demo.ids import birth_date_of, is_male, is_valid_credit_code, is_valid_id_number
from govshare.demo.world import DATABASE_FILES, FILE_OF_RESOURCE, read_marker
from tests.demo.conftest import SMALL_WORLD

SCHEMA_OF = {name: Path(file).stem for name, file in FILE_OF_RESOURCE.items()}


def _rows(db: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    return db.execute(sql).fetchall()


def test_database_files_follow_the_catalog_sources() -> None:
    assert DATABASE_FILES == (
        "police.db", "market.db", "elicense.db", "natres.db", "hrss.db", "credit.db", "health.db",
    )  # fmt: skip


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_every_table_is_populated_with_the_catalog_columns(db: sqlite3.Connection, resource: str) -> None:
    r = RESOURCES[resource]
    schema = SCHEMA_OF[resource]
    columns = [row[1] for row in _rows(db, f"PRAGMA {schema}.table_info({r.table})")]
    assert columns == [i.column for i in r.items.values()]
    (count,) = db.execute(f"SELECT count(*) FROM {schema}.{r.table}").fetchone()
    assert count > 0
    key = r.key_item.column
    (distinct,) = db.execute(f"SELECT count(DISTINCT {key}) FROM {schema}.{r.table}").fetchone()
    assert distinct == count


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_key_and_join_columns_are_indexed(db: sqlite3.Connection, resource: str) -> None:
    r = RESOURCES[resource]
    schema = SCHEMA_OF[resource]
    indexed = {
        _rows(db, f"PRAGMA {schema}.index_info({name!r})")[0][2]
        for _, name, *_ in _rows(db, f"PRAGMA {schema}.index_list({r.table})")
    }
    joins = {rel.local for rel in r.relations.values()} | {
        rel.remote for other in RESOURCES.values() for rel in other.relations.values() if rel.target == r.name
    }
    assert {r.items[n].column for n in joins} <= indexed
    assert r.key_item.column in indexed
    (statistics,) = db.execute(f"SELECT count(*) FROM {schema}.sqlite_stat1").fetchone()
    assert statistics > 0  # ANALYZE ran


def test_counts_match_the_marker(db: sqlite3.Connection, world: Path) -> None:
    info = read_marker(world)
    assert info is not None
    assert info["persons"] == SMALL_WORLD
    for name, r in RESOURCES.items():
        (count,) = db.execute(f"SELECT count(*) FROM {SCHEMA_OF[name]}.{r.table}").fetchone()
        assert info["counts"][r.table] == count
    # About two licences per resident, plus the entities' own.
    assert 1.6 * SMALL_WORLD < info["counts"]["license"] < 3.2 * SMALL_WORLD
    assert info["counts"]["legal_entity"] == SMALL_WORLD // 10


def test_residents_ids_agree_with_their_records(db: sqlite3.Connection) -> None:
    rows = _rows(db, "SELECT id_number, gender, birth_date, district FROM police.person")
    for id_number, gender, birth, district in rows:
        assert isinstance(id_number, str)
        assert is_valid_id_number(id_number), id_number
        assert birth_date_of(id_number) == date.fromisoformat(str(birth))
        assert is_male(id_number) == (gender == "男")
        assert AREA_DISTRICT[id_number[:6]] == district


def test_credit_codes_are_valid_and_registered_where_the_entity_is(db: sqlite3.Connection) -> None:
    for code, district, type_ in _rows(db, "SELECT credit_code, district, type FROM market.legal_entity"):
        assert isinstance(code, str)
        assert is_valid_credit_code(code), code
        assert code[8:10] == "MA" or type_ != "个体工商户"
        assert code[2:8] in (CITY_CODE, DISTRICT_BY_NAME[str(district)].code)


# Each query lists references that do not resolve; all must come back empty.
DANGLING = {
    "licence holder (person)": """
        SELECT holder_id FROM elicense.license WHERE holder_type = '自然人'
        AND holder_id NOT IN (SELECT id_number FROM police.person)""",
    "licence holder (entity)": """
        SELECT holder_id FROM elicense.license WHERE holder_type = '法人和其他组织'
        AND holder_id NOT IN (SELECT credit_code FROM market.legal_entity)""",
    "licence holder name": """
        SELECT l.license_number FROM elicense.license l JOIN police.person p ON p.id_number = l.holder_id
        WHERE l.holder_name <> p.name""",
    "legal representative": """
        SELECT e.credit_code FROM market.legal_entity e LEFT JOIN police.person p
        ON p.id_number = e.legal_representative_id
        WHERE p.id_number IS NULL OR p.name <> e.legal_representative_name""",
    "insured person": """
        SELECT id_number FROM hrss.social_insurance WHERE id_number NOT IN (SELECT id_number FROM police.person)""",
    "employer": """
        SELECT employer_code FROM hrss.social_insurance WHERE employer_code IS NOT NULL
        AND employer_code NOT IN (SELECT credit_code FROM market.legal_entity)""",
    "health record owner": """
        SELECT id_number FROM health.health_record WHERE id_number NOT IN (SELECT id_number FROM police.person)""",
    "parcel owner": """
        SELECT owner_id FROM natres.land_parcel WHERE owner_id NOT IN (SELECT id_number FROM police.person)
        AND owner_id NOT IN (SELECT credit_code FROM market.legal_entity)""",
    "credit subject": """
        SELECT credit_code FROM credit.credit_record
        WHERE credit_code NOT IN (SELECT credit_code FROM market.legal_entity)""",
    "deed without parcel": """
        SELECT license_number FROM elicense.license WHERE type = '不动产权证书'
        AND substr(surface_info, 6, 19) NOT IN (SELECT parcel_code FROM natres.land_parcel)""",
}


@pytest.mark.parametrize("name", list(DANGLING))
def test_references_resolve(db: sqlite3.Connection, name: str) -> None:
    assert _rows(db, DANGLING[name]) == []


# Each query lists records whose dates contradict each other; all must come back empty.
INCONSISTENT = {
    "licence expires before issue": "SELECT * FROM elicense.license WHERE expiry_date <= issue_date",
    "licence issued in the future": "SELECT * FROM elicense.license WHERE issue_date > '2026-11-26'",
    "valid licence already expired": """
        SELECT * FROM elicense.license WHERE status = '有效' AND expiry_date <= '2026-11-26'""",
    "licence before the holder's birth": """
        SELECT l.license_number FROM elicense.license l JOIN police.person p ON p.id_number = l.holder_id
        WHERE l.issue_date < p.birth_date""",
    "driving before 18": """
        SELECT l.license_number FROM elicense.license l JOIN police.person p ON p.id_number = l.holder_id
        WHERE l.type = '机动车驾驶证' AND date(p.birth_date, '+18 years') > l.issue_date""",
    "representative under 18 at founding": """
        SELECT e.credit_code FROM market.legal_entity e JOIN police.person p
        ON p.id_number = e.legal_representative_id
        WHERE date(p.birth_date, '+18 years') > e.established_date""",
    "insured before birth": """
        SELECT s.record_id FROM hrss.social_insurance s JOIN police.person p USING (id_number)
        WHERE s.start_date < p.birth_date""",
    "employed before the employer existed": """
        SELECT s.record_id FROM hrss.social_insurance s JOIN market.legal_entity e
        ON e.credit_code = s.employer_code WHERE s.start_date < e.established_date""",
    "grant ends before registration": """
        SELECT * FROM natres.land_parcel WHERE use_term_end <= registered_on""",
    "health record before birth": """
        SELECT h.record_id FROM health.health_record h JOIN police.person p USING (id_number)
        WHERE h.created_on < p.birth_date""",
    "credit record before publication began": """
        SELECT * FROM credit.credit_record WHERE decided_on < '2015-01-01'""",
    "capital for a sole trader": """
        SELECT * FROM market.legal_entity WHERE type = '个体工商户' AND registered_capital IS NOT NULL""",
}


@pytest.mark.parametrize("name", list(INCONSISTENT))
def test_dates_and_values_are_consistent(db: sqlite3.Connection, name: str) -> None:
    assert _rows(db, INCONSISTENT[name]) == []


def test_realistic_nulls_and_variety(db: sqlite3.Connection) -> None:
    nulls: dict[str, int] = dict(
        db.execute("""
        SELECT 'phone', count(*) FROM police.person WHERE phone IS NULL
        UNION ALL SELECT 'capital', count(*) FROM market.legal_entity WHERE registered_capital IS NULL
        UNION ALL SELECT 'expiry', count(*) FROM elicense.license WHERE expiry_date IS NULL""").fetchall()
    )
    assert all(n > 0 for n in nulls.values()), nulls
    districts = {d for (d,) in _rows(db, "SELECT DISTINCT district FROM police.person")}
    assert districts == set(DISTRICT_BY_NAME)
    types = {t for (t,) in _rows(db, "SELECT DISTINCT type FROM elicense.license")}
    assert {"机动车驾驶证", "社会保障卡", "营业执照", "不动产权证书"} <= types


def test_credit_source_names_the_database_and_its_collection(world: Path) -> None:
    path, collections = credit_source(world)
    assert path == world / "credit.db"
    assert path.is_file()
    assert collections == {"credit_record": "record_id"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM credit_record").fetchone()[0] > 0


CODED = [(r.name, i.name) for r in RESOURCES.values() for i in r.items.values() if i.values is not None]


@pytest.mark.parametrize(("resource", "item"), CODED)
def test_coded_items_hold_only_values_of_their_code_set(db: sqlite3.Connection, resource: str, item: str) -> None:
    r = RESOURCES[resource]
    column = r.items[item].column
    found = {v for (v,) in _rows(db, f"SELECT DISTINCT {column} FROM {SCHEMA_OF[resource]}.{r.table}") if v is not None}
    assert found and found <= set(r.items[item].values or ())
