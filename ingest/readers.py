"""Lead-file readers: every column as text, data rows numbered from 1 in `source_row`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ingest.errors import InputError

__all__ = ["SOURCE_ROW", "read_batches"]

SOURCE_ROW = "source_row"


def read_batches(path: Path, *, batch_rows: int = 100_000) -> Iterator[pl.DataFrame]:
    """Yield the rows of a CSV lead file in batches, every column `String`, `''` for empty.

    Raises:
        InputError: the file is missing or unreadable.
    """
    if not path.is_file():
        msg = f"cannot read `{path}`: no such file"
        raise InputError(msg)
    try:
        lf = pl.scan_csv(
            path, infer_schema=False, empty_string_is_null=False,
            row_index_name=SOURCE_ROW, row_index_offset=1,
        )
        for batch in lf.collect_batches(chunk_size=batch_rows):
            yield batch.with_columns(pl.exclude(SOURCE_ROW).fill_null(""))
    except (pl.exceptions.ComputeError, OSError) as exc:
        msg = f"cannot read `{path}`: {str(exc).splitlines()[0]}"
        raise InputError(msg) from exc
