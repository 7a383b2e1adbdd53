"""leadpipe's own run ledger: which input rows became which leads, so reruns write nothing twice.

Tables (created by leadpipe when missing, prefixed `leadpipe_`, never touching VICIdial's):

* `leadpipe_runs` — one row per run: pipeline, timestamps, counts, the JSON report.
* `leadpipe_inputs` — one row per input (a file's content hash, a webhook spool segment): the
  small integer id the ledger uses for it.
* `leadpipe_row_ledger` — one row per accepted input row, keyed by (input id, source row):
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

import fcntl
import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.database import is_mysql, lock_name
from sinks.vicidial import bulk_insert

__all__ = [
    "ensure_ledger_tables",
    "file_hash",
    "forget_input",
    "input_key",
    "input_lock",
    "inputs",
    "ledger",
    "ledger_metadata",
    "ledger_top",
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

inputs = sa.Table(
    "leadpipe_inputs",
    ledger_metadata,
    sa.Column("input_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("input_hash", sa.String(64), nullable=False, unique=True),
    mysql_engine="InnoDB",
)

# NOTE: keyed by a small integer, not the 64-character hash: with the hash in the key (utf8mb4)
# writing a batch's reservations into MyISAM took 4x as long, inside the lead table's lock
ledger = sa.Table(
    "leadpipe_row_ledger",
    ledger_metadata,
    sa.Column("input_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("source_row", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("lead_id", sa.BigInteger, nullable=False),
    sa.Column("stage", sa.String(10), nullable=False),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Index("ix_leadpipe_row_ledger_lead_id", "lead_id"),
    mysql_engine="MyISAM",
)

_OLD_LEDGER = "leadpipe_ledger"
"""The first ledger (keyed by the hash itself): its rows move to the tables above once."""


def ensure_ledger_tables(engine: sa.Engine) -> None:
    """Create leadpipe's own tables where they are missing (never VICIdial's).

    Runs that start at once on a new database race to create them: a `CREATE TABLE` that fails
    because another run created the table after our check is retried, and the check then sees it.
    A ledger of the first layout is moved into the current one.
    """
    for attempt in range(3):
        try:
            ledger_metadata.create_all(engine, checkfirst=True)
            _upgrade_old_ledger(engine)
        except sa.exc.DBAPIError:
            if attempt == 2:
                raise
        else:
            return


def _upgrade_old_ledger(engine: sa.Engine) -> None:
    if not sa.inspect(engine).has_table(_OLD_LEDGER):
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {inputs.name} (input_hash) SELECT DISTINCT o.input_hash FROM {_OLD_LEDGER} o"
            f" WHERE NOT EXISTS (SELECT 1 FROM {inputs.name} i WHERE i.input_hash = o.input_hash)"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {ledger.name} (input_id, source_row, lead_id, stage, run_id)"
            f" SELECT i.input_id, o.source_row, o.lead_id, o.stage, o.run_id FROM {_OLD_LEDGER} o"
            f" JOIN {inputs.name} i ON i.input_hash = o.input_hash"
        )
        conn.exec_driver_sql(f"DROP TABLE {_OLD_LEDGER}")


def input_key(engine: sa.Engine, input_hash: str, *, create: bool = True) -> int | None:
    """The ledger's id of an input, made on first use (None when `create` is false and no run
    has made it). Two runs making it at once get the same id."""
    def find() -> int | None:
        with engine.connect() as conn:
            found = conn.execute(sa.select(inputs.c.input_id).where(inputs.c.input_hash == input_hash)).scalar()
        return None if found is None else int(found)

    found = find()
    if found is not None or not create:
        return found
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(inputs).values(input_hash=input_hash))
    except sa.exc.IntegrityError:
        pass  # another run made it meanwhile
    found = find()
    assert found is not None
    return found


log = logging.getLogger(__name__)

_LOCK_WAIT_SECONDS = 24 * 3600


@contextmanager
def input_lock(engine: sa.Engine, input_id: int, *, name: str = "") -> Iterator[None]:
    """Hold the input's lock for a run: a second run of the same input waits for the first.

    Each run reads the ledger as it stands when it starts, so two runs of one file at once would
    both load it. MySQL: a named lock (`GET_LOCK`, freed with its connection, so also by a
    `kill -9`); SQLite: a POSIX record lock on the input's byte of one file beside the database
    (freed by a `kill -9` too; in-memory databases have no other run to meet).
    """
    if is_mysql(engine):
        with engine.connect() as conn:
            key = lock_name(conn, str(input_id))
            get = sa.text("SELECT GET_LOCK(:key, :wait)")
            if conn.execute(get, {"key": key, "wait": 0}).scalar() != 1:
                log.info("waiting for another run of %s to finish", name or f"input {input_id}")
                if conn.execute(get, {"key": key, "wait": _LOCK_WAIT_SECONDS}).scalar() != 1:
                    msg = f"another run of {name or f'input {input_id}'} holds its lock"
                    raise TimeoutError(msg)
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT RELEASE_LOCK(:key)"), {"key": key})
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    # one file for every input, each locking its own byte (POSIX record locks)
    path = Path(f"{database}.leadpipe-inputs.lock")
    with path.open("a") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, input_id)
        except OSError:
            log.info("waiting for another run of %s to finish", name or f"input {input_id}")
            fcntl.lockf(handle, fcntl.LOCK_EX, 1, input_id)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN, 1, input_id)


def file_hash(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes: the identity of an input across reruns."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_ledger(conn: sa.Connection, input_id: int, first_row: int, last_row: int) -> pl.DataFrame:
    """Ledger rows of one input between two source rows: `source_row`, `lead_id`, `stage`."""
    stmt = sa.select(ledger.c.source_row, ledger.c.lead_id, ledger.c.stage).where(
        ledger.c.input_id == input_id, ledger.c.source_row.between(first_row, last_row)
    )
    rows = conn.execute(stmt).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"source_row": pl.Int64, "lead_id": pl.Int64, "stage": pl.String},
        orient="row",
    )


def ledger_top(conn: sa.Connection, input_id: int) -> int | None:
    """The highest source row of an input the ledger knows (None: no run has touched it)."""
    top = conn.execute(
        sa.select(sa.func.max(ledger.c.source_row)).where(ledger.c.input_id == input_id)
    ).scalar()
    return None if top is None else int(top)


def record_reserved(conn: sa.Connection, input_id: int, run_id: str, frame: pl.DataFrame,
                    *, stale: Sequence[int] | None = None) -> None:
    """Write `reserved` ledger rows for (`source_row`, `lead_id`) pairs.

    Earlier `reserved` rows of the same source rows (a batch whose insert never landed) are
    dropped first: those of `stale` when the caller knows them from the ledger it read (none on a
    first run: no DELETE at all), else those of every row in `frame`. `added` and `done` rows are
    never touched.
    """
    if frame.height == 0:
        return
    # exactly these rows: a batch need not be contiguous (webhook micro-batches), and a stale
    # reservation of a row outside it may still prove that row's lead landed
    clear = frame.get_column("source_row").cast(pl.Int64).to_list() if stale is None else list(stale)
    for first, last in _runs(clear):
        conn.execute(sa.delete(ledger).where(
            ledger.c.input_id == input_id, ledger.c.stage == "reserved",
            ledger.c.source_row.between(first, last),
        ))
    payload = frame.select(
        pl.lit(input_id, pl.Int64).alias("input_id"), pl.col("source_row").cast(pl.Int64),
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


def mark_stage(conn: sa.Connection, input_id: int, lead_ids: list[int], stage: str) -> None:
    """Move the ledger rows of the given leads to `stage` (one statement per run of ids)."""
    for first, last in _runs(lead_ids):
        conn.execute(
            sa.update(ledger)
            .where(ledger.c.input_id == input_id, ledger.c.lead_id.between(first, last))
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


def forget_input(conn: sa.Connection, input_id: int) -> int:
    """Drop an input's ledger rows (`--force-reload`); returns how many were dropped."""
    return conn.execute(sa.delete(ledger).where(ledger.c.input_id == input_id)).rowcount
