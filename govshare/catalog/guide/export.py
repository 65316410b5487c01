"""The catalog as the guide's tables: one row per resource, per item, per relation, department, source…

Values are taken as the catalog's text writes them (:func:`govshare.catalog.document.catalog_document`),
so a `${VARIABLE}` stays a reference in its cell instead of becoming this machine's setting.
Columns the guide has but the catalog only implies (信息资源提供方, 数据类型, 信息资源格式) are
filled in for readers of the guide's form.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import cast

from govshare.catalog.document import catalog_document
from govshare.catalog.guide.cells import cell_text
from govshare.catalog.guide.columns import GUIDE_TYPE_OF, TABLE
from govshare.catalog.guide.files import Written
from govshare.catalog.model import Catalog

# 信息资源格式 of the guide, by the kind of source the resource is read from.
FORMAT_OF = {"sql": "数据库", "http": "接口", "graphql": "接口"}


def _mapping(value: object) -> Mapping[str, object]:
    return cast("Mapping[str, object]", value)


def _rows(key: str, entries: Iterator[dict[str, object]]) -> Written:
    table = TABLE[key]
    return table, [[cell_text(c, entry.get(c.key)) for c in table.columns] for entry in entries]


def guide_tables(catalog: Catalog) -> list[Written]:
    """Every table of the guide's form, in the order of a workbook's sheets."""
    doc = catalog_document(catalog)
    platform = _mapping(doc["platform"])
    departments = _mapping(doc["departments"])
    sources = _mapping(doc["sources"])
    resources = _mapping(doc["resources"])
    codes = {name: _mapping(res)["code"] for name, res in resources.items()}
    return [
        _rows("resources", (_resource(name, _mapping(res), departments, sources) for name, res in resources.items())),
        _rows("items", _items(resources)),
        _rows("relations", _relations(resources, codes)),
        _rows("departments", ({"code": code, **_mapping(d)} for code, d in departments.items())),
        _rows("sources", ({"name": name, **_mapping(s)} for name, s in sources.items())),
        _rows("purposes", ({"code": c, "label": label} for c, label in _mapping(platform["purposes"]).items())),
        _rows(
            "platform",
            iter([{"name": platform["name"], "authority": platform["authority"], "version": doc["version"]}]),
        ),
    ]


def _resource(
    name: str, res: Mapping[str, object], departments: Mapping[str, object], sources: Mapping[str, object]
) -> dict[str, object]:
    department = departments.get(str(res["provider"]))
    source = sources.get(str(res["source"]))
    return {
        **res,
        "name": name,
        "provider_name": _mapping(department)["name"] if department is not None else None,
        "format": FORMAT_OF.get(str(_mapping(source)["kind"])) if source is not None else None,
    }


def _items(resources: Mapping[str, object]) -> Iterator[dict[str, object]]:
    for res in resources.values():
        for name, item in _mapping(_mapping(res)["items"]).items():
            fields = _mapping(item)
            yield {
                **fields,
                "resource": _mapping(res)["code"],
                "name": name,
                "data_type": GUIDE_TYPE_OF.get(str(fields["type"])),
                "business": fields.get("business", False),
            }


def _relations(resources: Mapping[str, object], codes: Mapping[str, object]) -> Iterator[dict[str, object]]:
    for res in resources.values():
        for name, rel in _mapping(_mapping(res).get("relations", {})).items():
            fields = _mapping(rel)
            [(local, remote)] = _mapping(fields["on"]).items()
            target = str(fields["target"])
            yield {
                **fields,
                "resource": _mapping(res)["code"],
                "name": name,
                "target": codes.get(target, target),
                "local": local,
                "remote": remote,
                "many": fields.get("many", False),
            }
