"""leadpipe's own run ledger: which input rows became which leads, so reruns write nothing twice.

Tables (created by leadpipe when missing, prefixed `leadpipe_`, never touching VICIdial's):

* `leadpipe_runs` — one row per run: pipeline, timestamps, counts, the JSON report.
* `leadpipe_inputs` — one row per input (a file's content hash, a webhook spool segment): the
  small integer id the ledger uses for it.
* `leadpipe_batch_ledger` — one row per written batch, keyed by (input id, first source row):
  the batch's accepted source rows and the lead ids allocated to them, both as runs
  (`1-180,182-200` ↔ `5001-5199`), and a stage, `reserved` (ids allocated, insert under way or
  done) or `done` (leads and child rows written).
* `leadpipe_row_ledger` — the rows of batches a run left `reserved` (it was killed, or failed),
  one row per accepted input row, keyed by (input id, source row): the lead id and a stage,
  `reserved`, `added` (the `vicidial_list` row is known to exist: set for landed rows a rerun
  found) or `done` (child rows written too).

A batch's ledger row is written as `reserved` before its `vicidial_list` insert, in the same
locked section, and set `done` once its child rows are written: two one-row statements a batch,
whatever its size (a row per lead cost more than a tenth of a load into an empty table). A run
that finds `reserved` batches left by an earlier one first spreads them into `reserved` rows of
the row ledger (`expand_reservations`). It then finds each accepted row in one of three states
and finishes it: `reserved` rows whose lead exists with the row's phone number and list become
`added` (an id whose insert never landed is free again, and VICIdial's own inserts may take it),
the others are validated again as new; `added` rows get their child rows rewritten; `done` rows
are reported as already loaded.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from sinks import tables
from sinks.database import is_mysql, lock_name
from sinks.vicidial import bulk_insert, leads_by_id

__all__ = [
    "batch_ledger",
    "clear_reserved",
    "ensure_ledger_tables",
    "expand_reservations",
    "file_hash",
    "forget_input",
    "input_key",
    "input_lock",
    "inputs",
    "ledger",
    "ledger_metadata",
    "ledger_rows",
    "ledger_top",
    "mark_stage",
    "read_ledger",
    "record_done",
    "record_reserved",
    "record_rows",
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
# writing a batch's rows into MyISAM took 4x as long (when this table held every lead's row)
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

# NOTE: MyISAM like `vicidial_list`: a reservation must be on disk before the leads it covers,
# and MyISAM's LOAD DATA lands at once, whatever the transaction (InnoDB would hold the
# reservation back until the commit, after the leads)
batch_ledger = sa.Table(
    "leadpipe_batch_ledger",
    ledger_metadata,
    sa.Column("input_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("first_row", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("last_row", sa.BigInteger, nullable=False),
    sa.Column("source_rows", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"), nullable=False),
    sa.Column("lead_ids", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql"), nullable=False),
    sa.Column("stage", sa.String(10), nullable=False),
    sa.Column("run_id", sa.String(40), nullable=False),
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


_LEDGER_SCHEMA = {"source_row": pl.Int64, "lead_id": pl.Int64, "stage": pl.String}


def read_ledger(conn: sa.Connection, input_id: int, first_row: int, last_row: int) -> pl.DataFrame:
    """Ledger rows of one input between two source rows: `source_row`, `lead_id`, `stage`.

    The rows of both tables: a batch's rows take the batch's stage, unless the row ledger knows
    the row as `added` or `done` (a `reserved` batch whose rows a later run finished).
    """
    stmt = sa.select(ledger.c.source_row, ledger.c.lead_id, ledger.c.stage).where(
        ledger.c.input_id == input_id, ledger.c.source_row.between(first_row, last_row)
    )
    rows = pl.DataFrame([tuple(r) for r in conn.execute(stmt)], schema=_LEDGER_SCHEMA, orient="row")
    batches = _batch_pairs(conn, input_id, first_row, last_row)
    if batches.height == 0:
        return rows
    batches = batches.filter(pl.col("source_row").is_between(first_row, last_row)).select(list(_LEDGER_SCHEMA))
    settled = rows.filter(pl.col("stage") != "reserved")
    batches = batches.join(settled, on="source_row", how="anti")
    kept = rows.join(batches, on="source_row", how="anti")
    return pl.concat([kept, batches]).sort("source_row")


def ledger_rows(conn: sa.Connection, input_id: int) -> pl.DataFrame:
    """Every ledger row of one input (`read_ledger` over all its rows)."""
    return read_ledger(conn, input_id, 0, 2**62)


def _batch_pairs(conn: sa.Connection, input_id: int, first_row: int | None = None,
                 last_row: int | None = None, *, stage: str | None = None) -> pl.DataFrame:
    """`source_row`, `lead_id`, `stage`, `run_id` of the input's batches that reach into the
    given rows (all of them without bounds), of one stage or any."""
    b = batch_ledger.c
    stmt = sa.select(b.source_rows, b.lead_ids, b.stage, b.run_id).where(b.input_id == input_id)
    if first_row is not None and last_row is not None:
        stmt = stmt.where(b.first_row <= last_row, b.last_row >= first_row)
    if stage is not None:
        stmt = stmt.where(b.stage == stage)
    rows: list[int] = []
    leads: list[int] = []
    stages: list[str] = []
    run_ids: list[str] = []
    for source_rows, lead_ids, batch_stage, run_id in conn.execute(stmt):
        these, ids = decode_runs(source_rows), decode_runs(lead_ids)
        if len(these) != len(ids):
            msg = f"a ledger batch of input {input_id} names {len(these)} rows but {len(ids)} lead ids"
            raise ValueError(msg)
        rows.extend(these)
        leads.extend(ids)
        stages.extend([batch_stage] * len(ids))
        run_ids.extend([run_id] * len(ids))
    return pl.DataFrame(
        {"source_row": rows, "lead_id": leads, "stage": stages, "run_id": run_ids},
        schema={"source_row": pl.Int64, "lead_id": pl.Int64, "stage": pl.String, "run_id": pl.String},
    )


def ledger_top(conn: sa.Connection, input_id: int) -> int | None:
    """The highest source row of an input the ledger knows (None: no run has touched it)."""
    tops = [
        conn.execute(sa.select(sa.func.max(ledger.c.source_row)).where(ledger.c.input_id == input_id)).scalar(),
        conn.execute(sa.select(sa.func.max(batch_ledger.c.last_row))
                     .where(batch_ledger.c.input_id == input_id)).scalar(),
    ]
    known = [int(t) for t in tops if t is not None]
    return max(known) if known else None


def record_reserved(conn: sa.Connection, input_id: int, run_id: str, frame: pl.DataFrame) -> int | None:
    """Reserve lead ids for a batch's rows (`source_row`, `lead_id` pairs) with one `reserved`
    row, before the leads are inserted; returns the batch's key for `record_done` (None: no rows)."""
    if frame.height == 0:
        return None
    pairs = frame.select(pl.col("source_row").cast(pl.Int64), pl.col("lead_id").cast(pl.Int64)).sort("source_row")
    source_rows = pairs.get_column("source_row").to_list()
    conn.execute(sa.insert(batch_ledger).values(
        input_id=input_id, first_row=source_rows[0], last_row=source_rows[-1],
        source_rows=encode_runs(source_rows), lead_ids=encode_runs(pairs.get_column("lead_id").to_list()),
        stage="reserved", run_id=run_id,
    ))
    return int(source_rows[0])


def record_done(conn: sa.Connection, input_id: int, batch: int | None, recovered: list[int]) -> None:
    """A batch's child rows are written: its ledger row (`batch`, the key `record_reserved` gave)
    and the row-ledger rows of the leads an earlier run inserted (`recovered` lead ids) are `done`."""
    mark_stage(conn, input_id, recovered, "done")
    if batch is not None:
        conn.execute(sa.update(batch_ledger).where(
            batch_ledger.c.input_id == input_id, batch_ledger.c.first_row == batch,
        ).values(stage="done"))


def clear_reserved(conn: sa.Connection, input_id: int, source_rows: Sequence[int]) -> None:
    """Drop the `reserved` rows of the given source rows (an interrupted run's ids whose insert
    never landed); `added` and `done` rows are never touched."""
    _drop_reserved(conn, input_id, _runs(list(source_rows)))


def _drop_reserved(conn: sa.Connection, input_id: int, spans: Iterable[tuple[int, int]]) -> None:
    """Drop the row ledger's `reserved` rows within each (first, last) span of source rows."""
    for first, last in spans:
        conn.execute(sa.delete(ledger).where(
            ledger.c.input_id == input_id, ledger.c.stage == "reserved",
            ledger.c.source_row.between(first, last),
        ))


def record_rows(conn: sa.Connection, input_id: int, run_id: str, frame: pl.DataFrame, stage: str) -> None:
    """Write row-ledger rows in `stage` for (`source_row`, `lead_id`) pairs."""
    if frame.height == 0:
        return
    payload = frame.select(
        pl.lit(input_id, pl.Int64).alias("input_id"), pl.col("source_row").cast(pl.Int64),
        pl.col("lead_id").cast(pl.Int64), pl.lit(stage).alias("stage"), pl.lit(run_id).alias("run_id"),
    )
    bulk_insert(conn, ledger, payload)


def expand_reservations(conn: sa.Connection, input_id: int) -> int:
    """Spread the `reserved` batches an earlier run left (it stopped before their child rows
    were written) into `reserved` rows of the row ledger; returns how many rows were reserved.

    A row the row ledger already knows as `added` or `done` keeps that stage; an older `reserved`
    row gives way to the batch (it is newer: it was written after that row was found stale).
    Safe to repeat: a stop halfway leaves the batches, and the next run redoes it.
    """
    b = batch_ledger.c
    spans = conn.execute(sa.select(b.first_row, b.last_row)
                         .where(b.input_id == input_id, b.stage == "reserved")).all()
    if not spans:
        return 0
    pairs = _batch_pairs(conn, input_id, stage="reserved")
    _drop_reserved(conn, input_id, [(int(first), int(last)) for first, last in spans])
    low, high = pairs.get_column("source_row").min(), pairs.get_column("source_row").max()
    known = conn.execute(sa.select(ledger.c.source_row).where(
        ledger.c.input_id == input_id, ledger.c.source_row.between(low, high)
    )).scalars().all()
    fresh = pairs.filter(~pl.col("source_row").is_in([int(v) for v in known]))
    for (run_id,), rows in fresh.group_by("run_id"):
        record_rows(conn, input_id, str(run_id), rows, "reserved")
    conn.execute(sa.delete(batch_ledger).where(b.input_id == input_id, b.stage == "reserved"))
    return fresh.height


def encode_runs(values: Sequence[int]) -> str:
    """Integers, in their order, as runs of consecutive values.

    >>> encode_runs([1, 2, 3, 5, 8, 9, 4])
    '1-3,5,8-9,4'
    """
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in _ordered_runs(values))


def decode_runs(text: str) -> list[int]:
    """The integers `encode_runs` wrote.

    >>> decode_runs('1-3,5,8-9')
    [1, 2, 3, 5, 8, 9]
    """
    out: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ids as (first, last) pairs.

    >>> _runs([5, 6, 7, 9, 12, 13])
    [(5, 7), (9, 9), (12, 13)]
    """
    return _ordered_runs(sorted(ids))


def _ordered_runs(values: Iterable[int]) -> list[tuple[int, int]]:
    """Runs of consecutive values as (first, last) pairs, in the values' order."""
    out: list[tuple[int, int]] = []
    for value in values:
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
    found = [tuple(r) for r in leads_by_id(conn, [t.c.lead_id, t.c.phone_number, t.c.list_id], lead_ids)]
    return pl.DataFrame(
        found, schema={"lead_id": pl.Int64, "phone_number": pl.String, "list_id": pl.Int64}, orient="row"
    )


def forget_input(conn: sa.Connection, input_id: int) -> int:
    """Drop an input's ledger (`--force-reload`); returns how many rows it knew."""
    batched = _batch_pairs(conn, input_id).height
    conn.execute(sa.delete(batch_ledger).where(batch_ledger.c.input_id == input_id))
    return batched + conn.execute(sa.delete(ledger).where(ledger.c.input_id == input_id)).rowcount
