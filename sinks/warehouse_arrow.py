"""Arrow plumbing of the warehouse feeds: feed descriptions and typed record batches.

Database rows become `pyarrow` arrays column by column, one bounded batch at a time
(`_BATCH_ROWS` rows), so a feed never holds a whole day of rows as Python objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import sqlalchemy as sa

__all__ = [
    "DEC",
    "PCT",
    "TS",
    "Batches",
    "DaySource",
    "Feed",
    "from_rows",
    "ratio",
    "stream_batches",
]

TS = pa.timestamp("s")
DEC = pa.decimal128(12, 2)
PCT = pa.decimal128(7, 2)
_BATCH_ROWS = 50_000

Batches = Callable[[sa.Connection, str, str], Iterator[pa.RecordBatch]]
"""One day of a feed: `(connection, first second, last second)` → record batches."""


@dataclass(frozen=True)
class DaySource:
    """A table whose rows decide a feed's partitions: by `day_col`, changed as of `change_col`."""

    table: sa.Table
    day_col: str
    change_col: str


@dataclass(frozen=True)
class Feed:
    """One feed: its schema, the tables that decide its days, and one day's batches."""

    name: str
    description: str
    schema: pa.Schema
    sources: tuple[DaySource, ...]
    batches: Batches


def _array(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(kind):
        text = pa.array([None if v is None else str(v) for v in values], pa.string())
        return pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    if pa.types.is_integer(kind):
        return pa.array([None if v is None else int(v) for v in values], kind)
    if pa.types.is_string(kind):
        return pa.array([None if v is None else str(v) for v in values], kind)
    return pa.array(values, kind)


def stream_batches(conn: sa.Connection, query: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Stream `query` (columns in schema order) as record batches of at most `_BATCH_ROWS`."""
    result = conn.execution_options(stream_results=True, yield_per=_BATCH_ROWS).execute(query)
    for chunk in result.partitions():
        columns = list(zip(*chunk, strict=True))
        arrays = [_array(col, field.type) for col, field in zip(columns, schema, strict=True)]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def from_rows(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """A record batch from a (small) list of row dicts, converted column by column."""
    arrays = [_array(tuple(row[f.name] for row in rows), f.type) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def ratio(dividend: int, divisor: int, scale: int = 1) -> Decimal | None:
    if divisor == 0:
        return None
    return (Decimal(dividend * scale) / Decimal(divisor)).quantize(Decimal("0.01"), ROUND_HALF_UP)
