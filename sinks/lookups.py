"""Set-based reads of the lookup tables add_lead consults per lead, once per batch.

Each reader sends one statement per chunk of distinct values (`IN` lists sized under the
dialect's parameter limit) and returns a polars frame whose table columns are all String
(`None` for SQL NULL). MariaDB/MySQL compare with VICIdial's case-insensitive collation; on
SQLite the readers lower-case both sides where add_lead's result depends on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.database import is_sqlite

__all__ = [
    "load_campaign_dnc",
    "load_campaign_dnc_source",
    "load_dnc",
    "load_nanpa",
    "load_phone_codes",
    "load_postal_codes",
    "nanpa_row_count",
]

ORDER = "_order"
"""Position of a row in the order the database returned it (0 first): VICIdial's "first row"."""

_WILDCARD = "XXXXXXX"
# pymysql inlines parameters client-side; 10k values keep a statement far below max_allowed_packet
_MYSQL_CHUNK = 10_000
_SQLITE_HEADROOM = 16


def _param_limit(conn: sa.Connection) -> int:
    """Bound parameters one statement may carry on this connection."""
    if not is_sqlite(conn):
        return _MYSQL_CHUNK
    raw = conn.connection.driver_connection
    try:
        limit = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[union-attr]
    except AttributeError:  # a driver without getlimit: SQLite's historic default
        limit = 999
    return max(1, min(limit, 32_766) - _SQLITE_HEADROOM)


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), max(1, size)):
        yield values[start : start + size]


def _distinct(values: Iterable[str | None], *, fold: bool) -> list[str]:
    """Distinct non-null values, in first-seen order; with `fold` also case-insensitively."""
    seen: dict[str, str] = {}
    for value in values:
        if value is None:
            continue
        seen.setdefault(value.lower() if fold else value, value)
    return list(seen.values())


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _frame(names: Sequence[str], rows: Sequence[Sequence[Any]], *, order: bool) -> pl.DataFrame:
    data = {name: [_text(row[i]) for row in rows] for i, name in enumerate(names)}
    frame = pl.DataFrame(data, schema=dict.fromkeys(names, pl.String))
    if order:
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(ORDER))
    return frame


def _run(conn: sa.Connection, statements: Iterable[sa.Select[Any]]) -> list[Sequence[Any]]:
    rows: list[Sequence[Any]] = []
    for statement in statements:
        rows.extend(tuple(row) for row in conn.execute(statement))
    return rows


def _in(
    column: sa.ColumnElement[Any], values: Sequence[str], *, lower: bool
) -> sa.ColumnElement[bool]:
    if lower:
        return sa.func.lower(column).in_([v.lower() for v in values])
    return column.in_(values)


def load_phone_codes(conn: sa.Connection) -> pl.DataFrame:
    """Every `vicidial_phone_codes` row, all columns as String, plus `_order` (Int64).

    `_order` is the row's position in a plain `SELECT` without `ORDER BY`, the row VICIdial's
    unordered queries see first.
    """
    table = tables.vicidial_phone_codes
    rows = _run(conn, [sa.select(*table.columns)])
    return _frame([c.name for c in table.columns], rows, order=True)


def load_postal_codes(conn: sa.Connection, postal_codes: Sequence[str]) -> pl.DataFrame:
    """`vicidial_postal_codes` rows whose `postal_code` starts with one of `postal_codes`.

    The match is the POSTAL method's `LIKE 'code%'`: an exact, case-insensitive prefix (a stored
    `33701` does not match a requested `33701-1234`). The database narrows the rows by equality
    on the first `len(code)` characters (one statement per code length and chunk, each a scan of
    the table, so rows come in table order); the exact prefix test is then done here. Rows of
    every `country_code` are returned: the rule keeps country 1. Empty codes are ignored (POSTAL
    needs more than 4 characters).

    All columns as String, plus `_order`. Statements run shortest codes first and a row is kept
    once, at its first position, so for every requested code the matching row with the lowest
    `_order` is the first one `LIKE 'code%'` returns.
    """
    table = tables.vicidial_postal_codes
    names = [c.name for c in table.columns]
    requested = [code for code in _distinct(postal_codes, fold=True) if code]
    sqlite = is_sqlite(conn)
    limit = _param_limit(conn)
    found: list[pl.DataFrame] = []
    for length in sorted({len(code) for code in requested}):
        # NOTE: shorter codes run first. A statement for a shorter code that returns any row
        # starting with a longer code C returns all of them (they share its prefix), in table
        # order; so the first kept row for C is still the table's first row matching C.
        codes = [code for code in requested if len(code) == length]
        head = sa.func.substr(table.c.postal_code, 1, length)
        statements = [
            sa.select(*table.columns).where(_in(head, chunk, lower=sqlite))
            for chunk in _chunks(codes, limit)
        ]
        rows = _frame(names, _run(conn, statements), order=False)
        wanted = pl.DataFrame({"_key": [code.lower() for code in codes]})
        found.append(
            rows.with_columns(_key=pl.col("postal_code").str.slice(0, length).str.to_lowercase())
            .join(wanted, on="_key", how="semi", maintain_order="left")
            .drop("_key")
        )
    result = pl.concat(found) if found else pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    return result.unique(keep="first", maintain_order=True).with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORDER)
    )


def nanpa_row_count(conn: sa.Connection) -> int:
    """Rows in `vicidial_nanpa_prefix_codes` (fewer than 10 means "not loaded", ingest.md 5.4)."""
    statement = sa.select(sa.func.count()).select_from(tables.vicidial_nanpa_prefix_codes)
    return int(conn.execute(statement).scalar_one())


def load_nanpa(conn: sa.Connection, pairs: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """`vicidial_nanpa_prefix_codes` rows matching any (`areacode`, `prefix`) of `pairs`.

    All columns as String, plus `_order` (position in the database's answer). Area codes and
    prefixes are digits, so no case folding is needed.
    """
    table = tables.vicidial_nanpa_prefix_codes
    names = [c.name for c in table.columns]
    distinct = list(dict.fromkeys((a, p) for a, p in pairs))
    key = sa.tuple_(table.c.areacode, table.c.prefix)
    statements = [
        sa.select(*table.columns).where(key.in_(chunk))
        for chunk in _chunks(distinct, _param_limit(conn) // 2)
    ]
    return _frame(names, _run(conn, statements), order=True)


def _dnc_values(phones: Sequence[str]) -> tuple[list[str], list[str]]:
    numbers = _distinct(phones, fold=False)
    wildcards = _distinct((p[:3] + _WILDCARD for p in numbers), fold=True)
    return numbers, wildcards


def _dnc_statements(
    conn: sa.Connection,
    table: sa.Table,
    phones: Sequence[str],
    extra: sa.ColumnElement[bool] | None,
    extra_params: int,
) -> list[sa.Select[Any]]:
    """Statements finding `phones` and their area-code wildcards in a DNC table.

    MariaDB's collation already ignores case, so numbers and wildcards share `IN` lists. On
    SQLite the wildcards are matched on `lower(phone_number)` in statements of their own, so the
    exact numbers keep using the index.
    """
    numbers, wildcards = _dnc_values(phones)
    budget = max(1, _param_limit(conn) - extra_params)
    base = sa.select(*table.columns)
    if extra is not None:
        base = base.where(extra)
    column = table.c.phone_number
    if is_sqlite(conn):
        return [base.where(column.in_(chunk)) for chunk in _chunks(numbers, budget)] + [
            base.where(_in(column, chunk, lower=True)) for chunk in _chunks(wildcards, budget)
        ]
    return [base.where(column.in_(chunk)) for chunk in _chunks(numbers + wildcards, budget)]


def load_dnc(conn: sa.Connection, phones: Sequence[str]) -> pl.DataFrame:
    """`vicidial_dnc` rows equal to one of `phones` or to its `NNNXXXXXXX` area-code wildcard.

    Returns `phone_number` (String) as stored; the rule compares case-insensitively.
    """
    table = tables.vicidial_dnc
    rows = _run(conn, _dnc_statements(conn, table, phones, None, 0))
    return _frame(["phone_number"], rows, order=False).unique(maintain_order=True)


def load_campaign_dnc(
    conn: sa.Connection, phones: Sequence[str], campaign_ids: Sequence[str]
) -> pl.DataFrame:
    """`vicidial_campaign_dnc` rows of `campaign_ids` equal to a phone or its wildcard.

    Pass the DNC campaigns (each request `campaign_id` and, where set, its
    `use_other_campaign_dnc`); matching is case-insensitive on both columns. Returns
    `phone_number` and `campaign_id` (String) as stored.
    """
    table = tables.vicidial_campaign_dnc
    ids = _distinct(campaign_ids, fold=True)
    if not ids:
        return pl.DataFrame(schema={"phone_number": pl.String, "campaign_id": pl.String})
    sqlite = is_sqlite(conn)
    statements: list[sa.Select[Any]] = []
    for id_chunk in _chunks(ids, _param_limit(conn) // 2):
        campaigns = _in(table.c.campaign_id, id_chunk, lower=sqlite)
        statements += _dnc_statements(conn, table, phones, campaigns, len(id_chunk))
    rows = _run(conn, statements)
    return _frame(["phone_number", "campaign_id"], rows, order=False).unique(maintain_order=True)


def load_campaign_dnc_source(conn: sa.Connection) -> pl.DataFrame:
    """`campaign_id` and `use_other_campaign_dnc` of every `vicidial_campaigns` row (String)."""
    table = tables.vicidial_campaigns
    rows = _run(conn, [sa.select(table.c.campaign_id, table.c.use_other_campaign_dnc)])
    return _frame(["campaign_id", "use_other_campaign_dnc"], rows, order=False)
