"""Bulk writers into VICIdial's own tables, with lead ids known before the rows land.

Lead ids are allocated by leadpipe under the database's own write lock (SQLite's `BEGIN
IMMEDIATE`, MySQL's `LOCK TABLES … WRITE`), so a batch gets a consecutive id range that no
concurrent VICIdial insert can take, and the range is known before the insert (the run ledger
records it first; see `sinks/ledger.py`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.database import is_mysql

__all__ = [
    "LEAD_COLUMNS",
    "bulk_insert",
    "escape_for_load_data",
    "leads_by_id",
    "load_data_rows",
    "locked_lead_table",
    "next_id",
    "truncate_to_columns",
    "write_rows",
]

log = logging.getLogger(__name__)

LEAD_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in tables.vicidial_list.columns if c.name != "modify_date"
)
"""Columns leadpipe writes in `vicidial_list` (`modify_date` is the database's automatic stamp)."""


def truncate_to_columns(frame: pl.DataFrame, table: sa.Table) -> pl.DataFrame:
    """Cut text columns to their declared width, as non-strict MySQL does on insert."""
    exprs = []
    for name in frame.columns:
        if name not in table.c:
            continue
        length = getattr(table.c[name].type, "length", None)
        if length and frame.schema[name] == pl.String:
            exprs.append(pl.col(name).str.slice(0, length))
    return frame.with_columns(exprs) if exprs else frame


@contextmanager
def locked_lead_table(conn: sa.Connection, extra: Sequence[str] = ()) -> Iterator[None]:
    """Hold the write lock of `vicidial_list` (and `extra` tables) for the block.

    SQLite: the caller's transaction is made a write transaction at once. MySQL: `LOCK TABLES`
    (MyISAM has no transactions; the lock makes id allocation and insert one step). On MariaDB
    the lead table's lock is `WRITE CONCURRENT`: no other session writes, but sessions that
    read under `READ LOCAL` (plain SELECTs, leadpipe's own prefetch) are not kept waiting.
    """
    if is_mysql(conn):
        mode = "WRITE CONCURRENT" if getattr(conn.dialect, "is_mariadb", False) else "WRITE"
        locks = [f"`vicidial_list` {mode}", *(f"`{n}` WRITE" for n in extra)]
        conn.exec_driver_sql("LOCK TABLES " + ", ".join(locks))
        try:
            yield
        finally:
            conn.exec_driver_sql("UNLOCK TABLES")
    else:
        # a write to a leadpipe table takes SQLite's RESERVED lock before ids are read
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS leadpipe_lock (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("DELETE FROM leadpipe_lock WHERE id = -1")
        yield


def next_id(conn: sa.Connection, table: sa.Table, column: str) -> int:
    """The next free id of an auto-increment table: above every row and the table's counter.

    Call it while holding the table's write lock (`locked_lead_table`), then insert with
    explicit ids from there: MyISAM and SQLite move their counters past explicit ids.
    """
    top = conn.execute(sa.select(sa.func.max(table.c[column]))).scalar() or 0
    if is_mysql(conn):
        row = conn.exec_driver_sql(
            "SHOW TABLE STATUS LIKE %(name)s", {"name": table.name}
        ).mappings().first()
        counter = int(row["Auto_increment"] or 1) if row else 1
    else:
        seq = conn.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,)
        ).scalar()
        counter = int(seq or 0) + 1
    return max(int(top) + 1, counter)


def leads_by_id(conn: sa.Connection, columns: Sequence[sa.ColumnElement[Any]], lead_ids: Sequence[int],
                *, chunk: int = 5_000) -> Iterator[sa.Row[Any]]:
    """The `columns` of the `vicidial_list` rows with the given ids (missing ids are skipped),
    one primary-key `IN` query per `chunk` ids."""
    t = tables.vicidial_list
    for start in range(0, len(lead_ids), chunk):
        yield from conn.execute(sa.select(*columns).where(t.c.lead_id.in_(lead_ids[start : start + chunk])))


def bulk_insert(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame, *, escaped: bool = False) -> int:
    """Append rows the fastest way the dialect offers: `LOAD DATA LOCAL INFILE` on MySQL,
    one executemany on SQLite (both measured in `benchmarks/bench_load.py`).

    `escaped`: MySQL only, the text is already escaped (`escape_for_load_data`).
    """
    if is_mysql(conn):
        return load_data_rows(conn, table, frame, escaped=escaped)
    return write_rows(conn, table, frame, chunk_rows=max(frame.height, 1))


def write_rows(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame, *, chunk_rows: int = 5_000) -> int:
    """Insert every row of `frame` into `table` with executemany, `chunk_rows` at a time."""
    if frame.height == 0:
        return 0
    insert = sa.insert(table)
    for chunk in frame.iter_slices(chunk_rows):
        rows: list[dict[str, Any]] = chunk.to_dicts()
        conn.execute(insert, rows)
    return frame.height


def escape_for_load_data(frame: pl.DataFrame) -> pl.DataFrame:
    """Escape text for `LOAD DATA … FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\'`."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            exprs.append(
                pl.col(name).str.replace_all("\\", "\\\\", literal=True)
                .str.replace_all("\t", "\\t", literal=True)
                .str.replace_all("\n", "\\n", literal=True)
                .str.replace_all("\r", "\\r", literal=True)
                .str.replace_all("\x00", "\\0", literal=True)
            )
    return frame.with_columns(exprs) if exprs else frame


def load_data_rows(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame, *, workdir: Path | None = None,
                   escaped: bool = False) -> int:
    """MySQL only: append `frame` to `table` with one `LOAD DATA LOCAL INFILE` statement.

    The rows go through a temporary tab-separated file with MySQL's escapes (`escaped`: the
    caller applied them already, `escape_for_load_data`); NULL is `\\N`.
    """
    if frame.height == 0:
        return 0
    with tempfile.NamedTemporaryFile("wb", suffix=".tsv", dir=workdir, delete=False) as handle:
        path = Path(handle.name)
        (frame if escaped else escape_for_load_data(frame)).write_csv(
            handle, separator="\t", include_header=False, quote_style="never", null_value="\\N",
            line_terminator="\n",
        )
    try:
        columns = ", ".join(f"`{c}`" for c in frame.columns)
        sql = (
            f"LOAD DATA LOCAL INFILE %(path)s INTO TABLE `{table.name}` CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
            f"({columns})"
        )
        conn.exec_driver_sql(sql, {"path": str(path)})
    finally:
        path.unlink(missing_ok=True)
    return frame.height
