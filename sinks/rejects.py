"""Run outputs beside the database: per-row results (JSON Lines) and the rejects file (CSV).

Both are written to a temporary name next to the target and renamed when the run ends, so a
reader never sees half a file; a crashed run leaves only the temporary file behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import polars as pl

__all__ = ["RejectsFile", "ResultsFile"]


class _AtomicFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._handle: IO[bytes] = self._tmp.open("wb")
        self.rows = 0

    def close(self) -> None:
        """Flush, fsync and move the file to its final name."""
        if self._handle.closed:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        """Drop the temporary file (the run failed before finishing)."""
        if not self._handle.closed:
            self._handle.close()
        self._tmp.unlink(missing_ok=True)


class ResultsFile(_AtomicFile):
    """`--results PATH.jsonl`: one object per input row, in file order.

    Keys: `row`, `status` (`added`, `rejected` or `already_loaded`), `lead_id`, `reject_reason`,
    `response` (the exact lines add_lead would print).
    """

    name = "results"

    def write(self, batch: pl.DataFrame) -> None:
        """Append a batch with columns `source_row`, `status`, `lead_id`, `reject_reason`, `response`."""
        out = batch.sort("source_row").select(
            pl.col("source_row").alias("row"), "status", "lead_id", "reject_reason", "response"
        )
        out.write_ndjson(self._handle)
        self.rows += out.height


class RejectsFile(_AtomicFile):
    """`--rejects PATH`: the rejected input rows unchanged, plus `reject_reason` and `response`."""

    name = "rejects"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._columns: list[str] | None = None

    def write(self, rejected: pl.DataFrame) -> None:
        """Append rejected raw rows (`source_row` first); `response` is a list of lines."""
        if rejected.height == 0:
            return
        out = rejected.sort("source_row").with_columns(pl.col("response").list.join("\n"))
        front = ["source_row"]
        tail = [c for c in ("raw_line", "reject_reason", "response") if c in out.columns]
        out = out.select(front + [c for c in out.columns if c not in front + tail] + tail)
        if self._columns is None:
            self._columns = out.columns
            out.write_csv(self._handle, include_header=True)
        else:
            for name in self._columns:
                if name not in out.columns:
                    out = out.with_columns(pl.lit("").alias(name))
            out.select(self._columns).write_csv(self._handle, include_header=False)
        self.rows += out.height
