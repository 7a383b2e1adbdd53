"""leadpipe's own run ledger: which input rows became which leads, so reruns write nothing twice.

Tables (created by leadpipe when missing, prefixed `leadpipe_`, never touching VICIdial's):

* `leadpipe_runs` — one row per run: pipeline, timestamps, counts, the JSON report.
* `leadpipe_ledger` — one row per accepted input row, keyed by (input hash, source row):
  the lead id leadpipe allocated and a stage, `reserved` (id allocated, insert under way or
  done), `added` (the `vicidial_list` row is known to exist: set for landed rows a rerun found)
  or `done` (child rows written too).

A batch's ledger rows are written as `reserved` before its `vicidial_list` insert, in the same
locked section. After a crash at any point a rerun of the same input finds each accepted row in
one of three states and finishes it: `reserved` rows whose lead exists with the row's phone
number and list become `added` (an id whose insert never landed is free again, and VICIdial's own
inserts may take it), the others are validated again as new; `added` rows get their child rows
rewritten; `done` rows are reported as already loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.vicidial import bulk_insert

__all__ = [
    "ensure_ledger_tables",
    "file_hash",
    "forget_input",
    "ledger",
    "ledger_metadata",
    "mark_stage",
    "read_ledger",
    "record_reserved",
    "runs",
    "stored_leads",
]

ledger_metadata = sa.MetaData()

runs = sa.Table(
    "leadpipe_runs",
    ledger_metadata,
    sa.Column("run_id", sa.String(40), primary_key=True),
    sa.Column("pipeline", sa.String(100), nullable=False, server_default=""),
    sa.Column("started_at", sa.String(19), nullable=False),
    sa.Column("finished_at", sa.String(19)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("input_rows", sa.Integer, nullable=False, server_default="0"),
    sa.Column("added", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("already_loaded", sa.Integer, nullable=False, server_default="0"),
    sa.Column("report", sa.Text),
    mysql_engine="InnoDB",
)

ledger = sa.Table(
    "leadpipe_ledger",
    ledger_metadata,
    sa.Column("input_hash", sa.String(64), primary_key=True),
    sa.Column("source_row", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("stage", sa.String(10), nullable=False),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Index("ix_leadpipe_ledger_lead_id", "lead_id"),
    mysql_engine="MyISAM",
)


def ensure_ledger_tables(engine: sa.Engine) -> None:
    """Create leadpipe's own tables where they are missing (never VICIdial's).

    Runs that start at once on a new database race to create them: a `CREATE TABLE` that fails
    because another run created the table after our check is retried, and the check then sees it.
    """
    for attempt in range(3):
        try:
            ledger_metadata.create_all(engine, checkfirst=True)
        except sa.exc.DBAPIError:
            if attempt == 2:
                raise
        else:
            return


def file_hash(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes: the identity of an input across reruns."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_ledger(conn: sa.Connection, input_hash: str, first_row: int, last_row: int) -> pl.DataFrame:
    """Ledger rows of one input between two source rows: `source_row`, `lead_id`, `stage`."""
    stmt = sa.select(ledger.c.source_row, ledger.c.lead_id, ledger.c.stage).where(
        ledger.c.input_hash == input_hash, ledger.c.source_row.between(first_row, last_row)
    )
    rows = conn.execute(stmt).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"source_row": pl.Int64, "lead_id": pl.Int64, "stage": pl.String},
        orient="row",
    )


def record_reserved(conn: sa.Connection, input_hash: str, run_id: str, frame: pl.DataFrame) -> None:
    """Write `reserved` ledger rows for (`source_row`, `lead_id`) pairs.

    Earlier `reserved` rows of the same source rows (a batch whose insert never landed) are
    dropped first; `added` and `done` rows are never touched.
    """
    if frame.height == 0:
        return
    # exactly these rows: a batch need not be contiguous (webhook micro-batches), and a stale
    # reservation of a row outside it may still prove that row's lead landed
    for first, last in _runs(frame.get_column("source_row").cast(pl.Int64).to_list()):
        conn.execute(sa.delete(ledger).where(
            ledger.c.input_hash == input_hash, ledger.c.stage == "reserved",
            ledger.c.source_row.between(first, last),
        ))
    payload = frame.select(
        pl.lit(input_hash).alias("input_hash"), pl.col("source_row").cast(pl.Int64),
        pl.col("lead_id").cast(pl.Int64), pl.lit("reserved").alias("stage"), pl.lit(run_id).alias("run_id"),
    )
    bulk_insert(conn, ledger, payload)


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ids as (first, last) pairs.

    >>> _runs([5, 6, 7, 9, 12, 13])
    [(5, 7), (9, 9), (12, 13)]
    """
    out: list[tuple[int, int]] = []
    for value in sorted(ids):
        if out and value == out[-1][1] + 1:
            out[-1] = (out[-1][0], value)
        else:
            out.append((value, value))
    return out


def mark_stage(conn: sa.Connection, input_hash: str, lead_ids: list[int], stage: str) -> None:
    """Move the ledger rows of the given leads to `stage` (one statement per run of ids)."""
    for first, last in _runs(lead_ids):
        conn.execute(
            sa.update(ledger)
            .where(ledger.c.input_hash == input_hash, ledger.c.lead_id.between(first, last))
            .values(stage=stage)
        )


def stored_leads(conn: sa.Connection, lead_ids: list[int]) -> pl.DataFrame:
    """`lead_id`, `phone_number` and `list_id` of those of the given leads that exist."""
    t = tables.vicidial_list
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(lead_ids), 5_000):
        part = lead_ids[start : start + 5_000]
        stmt = sa.select(t.c.lead_id, t.c.phone_number, t.c.list_id).where(t.c.lead_id.in_(part))
        found.extend(tuple(r) for r in conn.execute(stmt))
    return pl.DataFrame(
        found, schema={"lead_id": pl.Int64, "phone_number": pl.String, "list_id": pl.Int64}, orient="row"
    )


def forget_input(conn: sa.Connection, input_hash: str) -> int:
    """Drop an input's ledger rows (`--force-reload`); returns how many were dropped."""
    return conn.execute(sa.delete(ledger).where(ledger.c.input_hash == input_hash)).rowcount
