"""Warehouse feeds: the exports' data as typed, day-partitioned Parquet or CSV, safe to rerun.

A feed (see `sinks.warehouse_feeds` for the list and the VICIdial quirks each one corrects)
is written as Hive-style partitions, one per calendar day of its rows:

    <out>/dt=2026-11-01/part-0.parquet      (or part-0.csv: header line, no index)

Each partition is written to a hidden temporary file in its folder and renamed over the old
one, so a reader never sees half a file and a rerun of a day replaces it whole. The `dt`
value lives in the path only (readers such as `pyarrow.dataset(..., partitioning="hive")`,
Spark, DuckDB or polars `scan_parquet(hive_partitioning=True)` turn it back into a column).

Incremental runs keep a watermark per feed (the newest change time exported) in leadpipe's
own table `leadpipe_watermarks`, created here if missing; VICIdial's tables are only read.
A run re-exports every day whose rows changed at or after the watermark's day — the day of
the watermark itself always, because VICIdial keeps updating a log row (talk, dispo and
dead seconds) after inserting it. `full=True` re-exports every day. Rows stamped after
`now` wait for a later run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import sqlalchemy as sa

from sinks.errors import SinkConfigError
from sinks.warehouse_arrow import Feed
from sinks.warehouse_feeds import FEEDS

__all__ = [
    "FEEDS",
    "FeedFormat",
    "FeedResult",
    "parquet_schema",
    "read_watermark",
    "run_feed",
    "watermarks",
    "write_partition",
]

log = logging.getLogger(__name__)

FeedFormat = Literal["parquet", "csv"]

_META = sa.MetaData()
watermarks = sa.Table(
    "leadpipe_watermarks",
    _META,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("watermark", sa.String(19), nullable=False),
    sa.Column("rows_written", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.String(19), nullable=False),
)
"""leadpipe's own table: per feed key, the newest change time already exported."""

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FMT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class FeedResult:
    """What one feed run wrote."""

    feed: str
    out: Path
    days: list[str] = field(default_factory=list)
    rows: int = 0
    previous_watermark: str | None = None
    watermark: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as plain values (for `--json` and job summaries)."""
        return {
            "feed": self.feed,
            "out": str(self.out),
            "days": self.days,
            "rows": self.rows,
            "previous_watermark": self.previous_watermark,
            "watermark": self.watermark,
        }


def _ensure(engine: sa.Engine) -> None:
    _META.create_all(engine, tables=[watermarks], checkfirst=True)


def read_watermark(engine: sa.Engine, key: str) -> str | None:
    """The stored watermark of feed key `key`, or None (also when the table does not exist yet)."""
    if not sa.inspect(engine).has_table(watermarks.name):
        return None
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(watermarks.c.watermark).where(watermarks.c.feed == key)
        ).scalar()
    return None if value is None else str(value)


def _save_watermark(engine: sa.Engine, key: str, value: str, rows: int, now: dt.datetime) -> None:
    _ensure(engine)
    values = {"watermark": value, "rows_written": rows, "updated_at": now.strftime(_FMT)}
    with engine.begin() as conn:
        done = conn.execute(sa.update(watermarks).where(watermarks.c.feed == key).values(**values))
        if done.rowcount == 0:
            conn.execute(sa.insert(watermarks).values(feed=key, **values))


def _valid_day(value: Any) -> str | None:
    text = str(value)[:10] if value is not None else ""
    match = _DAY.match(text)
    if (
        not match
        or int(match.group(1)) == 0
        or int(match.group(2)) == 0
        or int(match.group(3)) == 0
    ):
        return None  # NULL or a MySQL zero date: no partition for it
    return text


def _days(conn: sa.Connection, feed: Feed, *, since: str | None, until: str) -> list[str]:
    """The days with rows changed at or after `since` (every day when None), up to `until`."""
    days: set[str] = set()
    for source in feed.sources:
        day_col, change_col = source.table.c[source.day_col], source.table.c[source.change_col]
        query = sa.select(sa.func.date(day_col)).where(day_col <= until).distinct()
        if since is not None:
            query = query.where(change_col >= since)
        days.update(d for d in map(_valid_day, conn.execute(query).scalars()) if d)
    return sorted(days)


def _newest_change(conn: sa.Connection, feed: Feed, until: str) -> str | None:
    newest: list[str] = []
    for source in feed.sources:
        change_col, day_col = source.table.c[source.change_col], source.table.c[source.day_col]
        value = conn.execute(
            sa.select(sa.func.max(change_col)).where(change_col <= until, day_col <= until)
        ).scalar()
        if value is not None:
            newest.append(value.strftime(_FMT) if isinstance(value, dt.datetime) else str(value))
    return max(newest) if newest else None


def parquet_schema(schema: pa.Schema) -> pa.Schema:
    """The schema a feed's Parquet files carry: Parquet stores second timestamps as milliseconds."""
    fields = [
        pa.field(f.name, pa.timestamp("ms"), f.nullable) if pa.types.is_timestamp(f.type) else f
        for f in schema
    ]
    return pa.schema(fields)


def write_partition(
    out: Path,
    day: str,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    *,
    fmt: FeedFormat = "parquet",
) -> int:
    """Write one day's batches to `out/dt=<day>/part-0.<fmt>` via a temporary file; return rows."""
    folder = out / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"part-0.{fmt}"
    tmp = folder / f".part-0.{fmt}.{uuid.uuid4().hex}.tmp"
    rows = 0
    try:
        writer = (
            pq.ParquetWriter(tmp, schema, coerce_timestamps="ms")
            if fmt == "parquet"
            else pacsv.CSVWriter(tmp, schema)
        )
        try:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            writer.close()
        tmp.replace(final)  # atomic on one filesystem: readers see the old or the new file
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


def run_feed(
    read_engine: sa.Engine,
    name: str,
    out: Path,
    *,
    now: dt.datetime,
    fmt: FeedFormat = "parquet",
    full: bool = False,
    incremental: bool = True,
    state_engine: sa.Engine | None = None,
    key: str | None = None,
) -> FeedResult:
    """Export feed `name` from `read_engine` into day partitions under `out`.

    Args:
        read_engine: the VICIdial database to read (a replica is fine).
        name: a key of `FEEDS`.
        out: the feed's root folder (partitions go below it).
        now: server wall-clock time; rows stamped later are left for the next run.
        fmt: `parquet` (typed) or `csv`.
        full: re-export every day, ignoring the watermark (which is then reset).
        incremental: keep a watermark; without it every run exports every day.
        state_engine: where `leadpipe_watermarks` lives (default: `read_engine`).
        key: the watermark's key (default: the feed name).

    Raises:
        SinkConfigError: unknown feed or format.
    """
    if name not in FEEDS:
        msg = f"feed `{name}` is unknown (known: {', '.join(sorted(FEEDS))})"
        raise SinkConfigError(msg)
    if fmt not in ("parquet", "csv"):
        msg = f"feed format `{fmt}` is unknown: use `parquet` or `csv`"
        raise SinkConfigError(msg)
    feed, state, key = FEEDS[name], state_engine or read_engine, key or name
    until = now.strftime(_FMT)
    previous = read_watermark(state, key) if incremental else None
    since = None if full or previous is None else f"{previous[:10]} 00:00:00"
    with read_engine.connect() as conn:
        days = _days(conn, feed, since=since, until=until)
        newest = _newest_change(conn, feed, until)
        rows = 0
        for day in days:
            end = min(f"{day} 23:59:59", until)
            written = write_partition(
                out, day, feed.batches(conn, f"{day} 00:00:00", end), feed.schema, fmt=fmt
            )
            log.info("feed %s: dt=%s %d rows", name, day, written)
            rows += written
    if incremental and newest is not None:
        _save_watermark(state, key, max(newest, previous or ""), rows, now)
    return FeedResult(name, out, days, rows, previous, newest if incremental else None)
