"""SQL expressions the exports need that SQLite and MariaDB spell differently.

VICIdial runs on MySQL with case-insensitive collations; the embedded SQLite database compares
bytes. Where an export's result depends on that (grouping agents by user, case-sensitive
`LOGIN` matching), these helpers make SQLite behave like VICIdial's MySQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = [
    "as_text",
    "contains_cs",
    "epoch",
    "existing_columns",
    "has_table",
    "hour_of",
    "nocase",
]


def _is_sqlite(dialect: sa.Dialect) -> bool:
    return dialect.name == "sqlite"


def as_text(col: Any, dialect: sa.Dialect) -> Any:
    """A datetime column as the text MySQL returns (`YYYY-MM-DD HH:MM:SS`, zero dates kept)."""
    if _is_sqlite(dialect):
        return col
    return sa.cast(col, sa.CHAR)


def epoch(col: Any, dialect: sa.Dialect) -> Any:
    """Seconds since the epoch of a datetime column (`UNIX_TIMESTAMP`; differences only)."""
    if _is_sqlite(dialect):
        return sa.cast(sa.func.strftime("%s", col), sa.Integer)
    return sa.func.unix_timestamp(col)


def contains_cs(col: Any, needle: str, dialect: sa.Dialect) -> Any:
    """True when `col` contains `needle`, case-sensitively (PHP `preg_match('/LOGIN/')`)."""
    if _is_sqlite(dialect):
        return sa.func.instr(col, needle) > 0
    return sa.func.instr(sa.cast(col, sa.BINARY), sa.literal(needle)) > 0


def nocase(col: Any, dialect: sa.Dialect) -> Any:
    """`col` compared and sorted case-insensitively, as VICIdial's collation does."""
    if _is_sqlite(dialect):
        return col.collate("NOCASE")
    return col


def hour_of(col: Any, dialect: sa.Dialect) -> Any:
    """Characters 12-13 of a datetime (its two-digit hour), as VICIdial's `SUBSTRING`."""
    return sa.func.substr(as_text(col, dialect), 12, 2)


def has_table(conn: sa.Connection, name: str) -> bool:
    """True when the database has table `name` (optional VICIdial tables may be missing)."""
    return bool(sa.inspect(conn).has_table(name))


def existing_columns(conn: sa.Connection, name: str) -> set[str]:
    """Column names of table `name` in the database (empty when the table is missing)."""
    if not has_table(conn, name):
        return set()
    return {col["name"] for col in sa.inspect(conn).get_columns(name)}
