"""``generate_world``: the demo's department databases and their catalog.

Residents are generated in a stream, each with everything that hangs off
them (licences, insurance, health record, land), so memory stays flat in the
number of residents; only the market entities (a tenth as many) are kept in
memory, because residents work for them and represent them.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govshare.catalog.render import render_catalog
from govshare.demo.catalog import CREDIT_DB, RESOURCES, SQL_SOURCES, demo_catalog
from govshare.demo.credit import CreditFactory
from govshare.demo.entities import entity_row, make_entities
from govshare.demo.land import LandFactory
from govshare.demo.licenses import LicenseFactory
from govshare.demo.people import PersonFactory
from govshare.demo.pools import AS_OF, Pools, years_later
from govshare.demo.records import HealthFactory, InsuranceFactory
from govshare.demo.storage import TableWriter, join_columns

DEFAULT_SEED = 20261126
MARKER = "world.json"
CATALOG = "catalog.yaml"
FORMAT = 1  # bump when the generated world changes shape, so old worlds are rebuilt
BATCH = 10_000
# Extra indexes for the columns the examples and dashboards filter and group on.
_FILTER_COLUMNS = {"person": ["district"], "legal_entity": ["district", "status"], "license": ["type"]}

_FILE_OF_SOURCE = {name: file for name, _, file, _ in SQL_SOURCES} | {"credit_api": CREDIT_DB}
# Database file of each resource (one resource per file: each is written by its own connection).
FILE_OF_RESOURCE = {name: _FILE_OF_SOURCE[r.source] for name, r in RESOURCES.items()}
DATABASE_FILES = tuple(FILE_OF_RESOURCE.values())


def generate_world(directory: Path, persons: int = 10_000, *, seed: int = DEFAULT_SEED, progress: bool = True) -> Path:
    """Generate (or reuse) the demo world in ``directory`` and return its catalog path."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    directory = Path(directory).resolve()
    catalog = directory / CATALOG
    info = read_marker(directory)
    wanted = {"format": FORMAT, "persons": persons, "seed": seed}
    if info and all(info.get(k) == v for k, v in wanted.items()) and _files_present(directory):
        # The catalog holds absolute paths: rewrite it if the world was moved.
        if not catalog.is_file() or info.get("directory") != str(directory):
            _write_catalog(directory, persons, seed)
            _write_marker(directory, {**info, "directory": str(directory)})
        return catalog
    _build(directory, persons, seed, progress)
    return catalog


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The completed world's description, or None if there is no complete world."""
    try:
        data = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _files_present(directory: Path) -> bool:
    return all((directory / f).is_file() for f in DATABASE_FILES)


def _build(directory: Path, persons: int, seed: int, progress: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # The marker goes first and comes back last: an interrupted run never looks complete.
    (directory / MARKER).unlink(missing_ok=True)
    for name in (*DATABASE_FILES, CATALOG):
        (directory / name).unlink(missing_ok=True)
        (directory / f"{name}.part").unlink(missing_ok=True)
    started = time.perf_counter()
    with _writers(directory) as writers, _progress(progress) as bar:
        counts = _populate(writers, persons, seed, bar)
        indexing = bar.add_task("索引 indexes", total=len(writers))
        for writer in writers.values():
            table = writer.resource.table
            writer.finish(join_columns(writer.resource, RESOURCES) + _FILTER_COLUMNS.get(table, []))
            bar.advance(indexing)
    for name in DATABASE_FILES:
        os.replace(directory / f"{name}.part", directory / name)
    _write_catalog(directory, persons, seed)
    _write_marker(directory, {
        "format": FORMAT, "persons": persons, "seed": seed, "as_of": AS_OF.isoformat(),
        "directory": str(directory), "counts": counts, "seconds": round(time.perf_counter() - started, 1),
    })  # fmt: skip


def _populate(writers: dict[str, TableWriter], persons: int, seed: int, bar: Progress) -> dict[str, int]:
    def rng(stream: str) -> random.Random:
        # One stream per concern, so changing one generator does not reshuffle the others.
        return random.Random(f"{seed}:{stream}")

    pools = Pools.build(seed)
    entities = make_entities(rng("entities"), pools, max(1, persons // 10), persons)
    # A representative must have been an adult when each of their entities was founded.
    born_before: dict[int, int] = {}
    for e in entities:
        latest = years_later(e.established, -18)
        born_before[e.representative] = min(latest, born_before.get(e.representative, latest))
    representative: dict[int, tuple[str, str]] = {}

    people = PersonFactory(rng("people"), pools)
    licenses = LicenseFactory(rng("licenses"))
    land = LandFactory(rng("land"), pools, licenses)
    insurance = InsuranceFactory(rng("insurance"), [e for e in entities if e.active])
    health = HealthFactory(rng("health"))
    w = writers

    task = bar.add_task("人口 residents", total=persons)
    for start in range(0, persons, BATCH):
        for i in range(start, min(start + BATCH, persons)):
            resident, row = people.make(i, born_before=born_before.get(i))
            w["Person"].add(row)
            if i in born_before:
                representative[i] = (resident.id_number, resident.name)
            w["License"].add_all(licenses.for_person(resident, row))
            parcels, deeds = land.for_person(resident)
            w["LandParcel"].add_all(parcels)
            w["License"].add_all(deeds)
            w["SocialInsurance"].add_all(insurance.for_person(resident))
            record = health.for_person(resident)
            if record is not None:
                w["HealthRecord"].add(record)
        bar.update(task, completed=min(start + BATCH, persons))

    entity_rng, credit = rng("entity-rows"), CreditFactory(rng("credit"))
    task = bar.add_task("法人 legal entities", total=len(entities))
    for e in entities:
        rep_id, rep_name = representative[e.representative]
        row = entity_row(entity_rng, pools, e, rep_id, rep_name)
        w["LegalEntity"].add(row)
        own = licenses.for_entity(e, row)
        parcels, deeds = land.for_entity(e)
        w["License"].add_all(own + deeds)
        w["LandParcel"].add_all(parcels)
        w["CreditRecord"].add_all(credit.for_entity(e, own))
        if e.index % BATCH == BATCH - 1:
            bar.update(task, completed=e.index + 1)
    bar.update(task, completed=len(entities))
    for writer in writers.values():
        writer.flush()
    return {writer.resource.table: writer.count for writer in writers.values()}


@contextmanager
def _writers(directory: Path) -> Iterator[dict[str, TableWriter]]:
    writers: dict[str, TableWriter] = {}
    try:
        for r in RESOURCES.values():
            writers[r.name] = TableWriter(directory / f"{FILE_OF_RESOURCE[r.name]}.part", r, batch=BATCH)
        yield writers
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not enabled) as bar:
        yield bar


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _write_catalog(directory: Path, persons: int, seed: int) -> None:
    header = (
        "开封市政务数据共享平台 — 演示资源目录（政务信息资源目录）\n"
        f"Demo catalog generated by `govshare demo`: {persons:,} residents, seed {seed}, data as of {AS_OF}.\n"
        "Each source url defaults to a file in this directory; the named environment variable overrides it."
    )
    _write_atomically(directory / CATALOG, render_catalog(demo_catalog(directory), header))


def _write_marker(directory: Path, info: dict[str, Any]) -> None:
    _write_atomically(directory / MARKER, json.dumps(info, ensure_ascii=False, indent=2) + "\n")
