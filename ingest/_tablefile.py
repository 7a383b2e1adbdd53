"""Typed sources for the readers: Parquet (streamed by row group) and spreadsheets (calamine).

Every value becomes text: numbers as polars prints them, dates ISO, booleans `true`/`false`,
nested values as JSON, null as `''`. Spreadsheets are read whole (a sheet has at most 1,048,576
rows): the first sheet, its first row as header; fully empty rows are no records but keep
their place in the numbering, so `source_row` + 1 is the sheet row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl

from ingest._records import (
    SOURCE_ROW,
    Batch,
    bad_frame,
    clip,
    empty_bad,
    header_names,
    rows_frame,
    too_long,
)
from ingest.errors import InputError


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col.fill_null(""))
        elif dtype.is_nested():
            exprs.append(col.map_elements(_json, return_dtype=pl.String).fill_null(""))
        else:
            exprs.append(col.cast(pl.String, strict=False).fill_null(""))
    return df.select(exprs)


def _json(value: Any) -> str:
    plain = value.to_list() if isinstance(value, pl.Series) else value
    return json.dumps(plain, default=str, ensure_ascii=False, separators=(",", ":"))


def _split_long(
    df: pl.DataFrame, names: tuple[str, ...], limit: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with a field longer than `limit` become malformed (raw: the row TAB-joined)."""
    if not names or not df.height:
        return df, empty_bad()
    over = pl.max_horizontal([pl.col(n).str.len_chars() for n in names]) > limit
    failed = df.filter(over)
    if not failed.height:
        return df, empty_bad()
    details, raws = [], []
    for row in failed.select(*names).iter_rows():
        details.append(too_long(list(row), names, limit))
        raws.append(clip("\t".join(row)))
    rows = failed[SOURCE_ROW].to_list()
    return df.filter(~over), bad_frame(rows, rows, details, raws)


def read_parquet(
    stream: IO[bytes], *, batch_rows: int, max_field: int, path: Path
) -> Iterator[Batch]:
    """Batches of a Parquet file, one row group slice at a time.

    Raises:
        InputError: the file is no readable Parquet.
    """
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        pfile = pq.ParquetFile(stream if stream.seekable() else io.BytesIO(stream.read()))
        total = pfile.metadata.num_rows or 1
        names = header_names(list(pfile.schema_arrow.names))
        done = 0
        for part in pfile.iter_batches(batch_size=min(batch_rows, 65_536)):
            frame = pl.from_arrow(pa.Table.from_batches([part]))
            assert isinstance(frame, pl.DataFrame)
            frame = _as_text(frame.rename(dict(zip(frame.columns, names, strict=True))))
            frame = frame.with_columns(
                pl.int_range(done + 1, done + 1 + pl.len(), dtype=pl.Int64).alias(SOURCE_ROW)
            )
            done += frame.height
            good, bad = _split_long(frame, names, max_field)
            yield Batch(good, bad, done / total)
        if not done:
            yield Batch(rows_frame(names, [], []), empty_bad(), 1.0)
    except (pa.ArrowException, OSError) as exc:
        msg = f"cannot read `{path}` as Parquet: {str(exc).splitlines()[0]}"
        raise InputError(msg) from exc


def read_sheet(stream: IO[bytes], *, max_field: int, path: Path) -> Iterator[Batch]:
    """The first sheet of an XLSX, XLS or ODS workbook, as one batch (re-batched by the caller).

    Raises:
        InputError: the file is no readable workbook.
    """
    try:
        df = pl.read_excel(
            io.BytesIO(stream.read()),
            engine="calamine",
            infer_schema_length=0,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # calamine raises its own types for every kind of damage
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"cannot read `{path}` as a spreadsheet: {reason}"
        raise InputError(msg) from exc
    assert isinstance(df, pl.DataFrame)
    unnamed = [
        c for c in df.columns if c.startswith("__UNNAMED__") and df[c].null_count() == df.height
    ]
    df = df.drop(unnamed)
    names = header_names(df.columns)
    df = _as_text(df.rename(dict(zip(df.columns, names, strict=True)))).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(SOURCE_ROW)
    )
    if names:
        df = df.filter(pl.any_horizontal([pl.col(n) != "" for n in names]))
    good, bad = _split_long(df, names, max_field)
    yield Batch(good, bad, 1.0)
