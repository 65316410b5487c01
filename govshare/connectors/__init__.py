"""Connectors to department data sources; :func:`open_connector` picks one per catalog source."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govshare.catalog.model import Source
from govshare.connectors.aggregate import AGGREGATE_FUNCTIONS, DATE_BUCKETS, Aggregate, Bucket, Group, Measure
from govshare.connectors.base import (
    Capabilities,
    Connector,
    Count,
    CsvBatch,
    CsvChunk,
    CsvField,
    Declined,
    Joined,
    Select,
    SourceUnavailable,
    TableRef,
    row_dicts,
)
from govshare.connectors.credential_file import CredentialsError, load_credentials
from govshare.connectors.credentials import Credential, Secret
from govshare.connectors.graphql import GraphqlConnector
from govshare.connectors.http import HttpConnector
from govshare.connectors.sql import SqlConnector
from govshare.filters import ALL_OPS, And, Cmp, Filter, Not, Op, Or, OrderKey, conjoin

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "ALL_OPS",
    "DATE_BUCKETS",
    "Aggregate",
    "And",
    "Bucket",
    "Capabilities",
    "Cmp",
    "Connector",
    "Count",
    "Credential",
    "CredentialsError",
    "CsvBatch",
    "CsvChunk",
    "CsvField",
    "Declined",
    "Filter",
    "GraphqlConnector",
    "Group",
    "HttpConnector",
    "Joined",
    "Measure",
    "Not",
    "Op",
    "Or",
    "OrderKey",
    "Secret",
    "Select",
    "SourceUnavailable",
    "SqlConnector",
    "TableRef",
    "conjoin",
    "load_credentials",
    "open_connector",
    "row_dicts",
]

_OPTIONS = {
    "sql": ("pool_size", "statement_timeout", "connect_timeout"),
    "http": ("timeout",),
    "graphql": ("timeout", "page_size", "lookup_batch"),
}


def open_connector(
    source: Source,
    *,
    statement_timeout: float | None = None,
    credential: Credential | None = None,
    tables: Iterable[TableRef] = (),
) -> Connector:
    """The connector for a catalog source. ``statement_timeout`` is the platform default;
    a source's own ``statement_timeout``/``timeout`` option wins over it. ``credential`` is
    the source's, from the credentials file (never from the catalog); ``tables`` are the ones
    the catalog reads from it (a graphql source's capabilities are what all of them offer)."""
    if source.kind not in _OPTIONS:
        raise ValueError(f"source '{source.name}': unknown kind '{source.kind}' (expected {', '.join(_OPTIONS)})")
    allowed = _OPTIONS[source.kind]
    for option in source.options:
        if option not in allowed:
            raise ValueError(
                f"source '{source.name}': unknown option '{option}' for {source.kind} sources "
                f"(allowed: {', '.join(allowed)})"
            )
    timeout = _positive(source, "statement_timeout" if source.kind == "sql" else "timeout", float)
    if timeout is None:
        timeout = statement_timeout
    settings: dict[str, Any] = {}
    if source.kind == "http":
        if timeout is not None:
            settings["timeout"] = timeout
        return HttpConnector(source.name, source.url, credential=credential, **settings)
    if source.kind == "graphql":
        for option in ("page_size", "lookup_batch"):
            value = _positive(source, option, int)
            if value is not None:
                settings[option] = value
        if timeout is not None:
            settings["timeout"] = timeout
        return GraphqlConnector(source.name, source.url, credential=credential, tables=tables, **settings)
    if credential is not None:
        raise ValueError(
            f"source '{source.name}': credentials are for http and graphql sources; "
            "a sql source carries its own in its URL (an environment variable: ${VAR})"
        )
    if timeout is not None:
        settings["statement_timeout"] = timeout
    for option, kind in (("pool_size", int), ("connect_timeout", float)):
        value = _positive(source, option, kind)
        if value is not None:
            settings[option] = value
    return SqlConnector(source.name, source.url, **settings)


def _positive(source: Source, option: str, kind: type[int] | type[float]) -> float | None:
    """The option as a positive number (numeric strings accepted), or None when absent."""
    raw = source.options.get(option)
    if raw is None:
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError
        value = kind(raw)
        if value <= 0 or (kind is int and value != float(raw)):
            raise ValueError
    except ValueError:
        noun = "a positive integer" if kind is int else "a positive number of seconds"
        raise ValueError(f"source '{source.name}': option '{option}' must be {noun}, got {raw!r}") from None
    return value
