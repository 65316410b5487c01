"""The resource catalog (政务信息资源目录): typed model, YAML loader and validation (R1–R4).

``load_catalog(path)`` / ``parse_catalog(text)`` return a checked
:class:`Catalog` or raise :class:`CatalogError` listing every problem.
The format is described in docs/catalog.md.
"""

from govshare.catalog.errors import CatalogError, Problem
from govshare.catalog.loader import load_catalog, parse_catalog
from govshare.catalog.model import (
    MASKS,
    PLATFORM_FIELDS,
    SHARE_METHODS,
    SOURCE_KINDS,
    UPDATE_CYCLES,
    Catalog,
    Category,
    Department,
    Item,
    ItemType,
    Platform,
    Relation,
    Resource,
    Sharing,
    Source,
    default_plural,
)

__all__ = [
    "MASKS",
    "PLATFORM_FIELDS",
    "SHARE_METHODS",
    "SOURCE_KINDS",
    "UPDATE_CYCLES",
    "Catalog",
    "CatalogError",
    "Category",
    "Department",
    "Item",
    "ItemType",
    "Platform",
    "Problem",
    "Relation",
    "Resource",
    "Sharing",
    "Source",
    "default_plural",
    "load_catalog",
    "parse_catalog",
]
