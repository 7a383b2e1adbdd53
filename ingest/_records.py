"""What every reader produces: batches of text rows and malformed records (see `ingest.readers`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import polars as pl

log = logging.getLogger("ingest.readers")

SOURCE_ROW = "source_row"
"""1-based number of the data record in its file (header and blank lines not counted)."""

MALFORMED_SCHEMA: dict[str, pl.DataType] = {
    SOURCE_ROW: pl.Int64(),
    "line": pl.Int64(),
    "reject_reason": pl.String(),
    "detail": pl.String(),
    "raw": pl.String(),
}
"""Malformed records; `line` is the physical line (spreadsheets: data row) where one starts."""

RAW_LIMIT = 4096
"""Characters of a malformed record kept in `raw` (the rest is cut, marked with `…`)."""
UNDECODABLE = "undecodable bytes: not valid in the file's encoding"


@dataclass(frozen=True)
class Batch:
    """Consecutive records of one file: the good rows and the malformed ones, by `source_row`."""

    rows: pl.DataFrame
    """Every column `String` (`''` for empty, never null) plus `source_row` (Int64), file order."""
    malformed: pl.DataFrame
    """`MALFORMED_SCHEMA`, file order; `reject_reason` is always `MALFORMED_ROW`."""
    progress: float = 0.0
    """Share of the input consumed so far (0–1), for progress bars and ETAs."""
    encoding: str = ""
    """Encoding the text was read with (`''` for binary formats)."""

    @property
    def records(self) -> int:
        """Data records covered: good plus malformed."""
        return self.rows.height + self.malformed.height


def clip(raw: str) -> str:
    """`raw` cut to `RAW_LIMIT` characters."""
    return raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT] + "…"


def too_long(fields: list[str], names: tuple[str, ...], limit: int) -> str:
    """Why a record is malformed because of a field longer than `limit`, else `''`."""
    for idx, value in enumerate(fields):
        if len(value) > limit:
            name = names[idx] if idx < len(names) else f"#{idx + 1}"
            return f"field too long: `{name}` has {len(value)} characters (limit {limit})"
    return ""


def empty_bad() -> pl.DataFrame:
    """No malformed records."""
    return pl.DataFrame(schema=MALFORMED_SCHEMA)


def bad_frame(
    source_rows: list[int], lines: list[int], details: list[str], raws: list[str]
) -> pl.DataFrame:
    """Malformed records from parallel lists."""
    return pl.DataFrame(
        {
            SOURCE_ROW: source_rows,
            "line": lines,
            "reject_reason": ["MALFORMED_ROW"] * len(lines),
            "detail": details,
            "raw": raws,
        },
        schema=MALFORMED_SCHEMA,
    )


def rows_frame(
    names: tuple[str, ...], rows: list[list[str]], source_rows: list[int]
) -> pl.DataFrame:
    """Good rows from Python lists of fields (one list per record)."""
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    data: dict[str, Any] = {
        n: pl.Series(n, list(c), dtype=pl.String) for n, c in zip(names, cols, strict=True)
    }
    data[SOURCE_ROW] = pl.Series(SOURCE_ROW, source_rows, dtype=pl.Int64)
    return pl.DataFrame(data)


def header_names(fields: list[str]) -> tuple[str, ...]:
    """Column names from header cells: trimmed, `column_N` when empty, `_2`… when repeated.

    >>> header_names([" Phone ", "", "Phone", "source_row"])
    ('Phone', 'column_2', 'Phone_2', 'source_row_2')
    """
    names: list[str] = []
    used = {SOURCE_ROW}
    for idx, raw in enumerate(fields, start=1):
        base = raw.strip().lstrip("\ufeff").strip() or f"column_{idx}"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        if name != base:
            log.warning(
                "header column %d `%s` renamed to `%s` (names must be unique)", idx, base, name
            )
        used.add(name)
        names.append(name)
    return tuple(names)
