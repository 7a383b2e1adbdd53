"""Existing leads that add_lead's duplicate checks could match: one query per batch.

The duplicate rule (`rules/duplicates.py`) decides; this module only fetches a superset of the
leads it can hit, so the rule stays DB-free. Per batch the distinct keys go into (at most two)
temporary tables and ONE `SELECT` reads the `vicidial_list` rows whose

* `phone_number` is a batch phone (DUPLIST/CAMP/SYS, DUPNAMEPHONE*, DUPPHONEALT*), or whose
* `alt_phone` is a batch phone (DUPPHONEALT*) or a batch `alt_phone` (DUPTITLEALTPHONE*; titles
  are compared by the rule).

Scopes and day windows are left to the rule. MariaDB/MySQL compare with the table collation
(case-insensitive, trailing spaces ignored), as VICIdial does. On SQLite `alt_phone` is compared
without trailing spaces under the `NOCASE` collation; `phone_number` is compared as is so its
index serves (add_lead stores digits and commas only there).

NOTE: SQLite's `NOCASE` folds ASCII letters only, so on SQLite an alt_phone differing from the
new value only in the case of a non-ASCII letter (possible with `use_non_latin`=1) is not
fetched; MariaDB folds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.database import is_mysql
from sinks.vicidial import bulk_insert, leads_by_id

__all__ = [
    "CANDIDATE_SCHEMA",
    "LIST_CAMPAIGN_SCHEMA",
    "Prefetched",
    "current_candidates",
    "load_candidates",
    "load_list_campaigns",
    "matching_candidates",
    "prefetch_candidates",
]

CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "lead_id": pl.Int64(),
    "list_id": pl.Int64(),
    "phone_number": pl.String(),
    "alt_phone": pl.String(),
    "title": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "entry_date": pl.String(),
}
"""Columns of `load_candidates`' frame: values as stored, `entry_date` `YYYY-MM-DD HH:MM:SS`."""

LIST_CAMPAIGN_SCHEMA: dict[str, pl.DataType] = {"list_id": pl.Int64(), "campaign_id": pl.String()}
"""Columns of `load_list_campaigns`' frame."""

_KEYS_TABLE = "leadpipe_dup_keys"
_OPTION = r"(list|camp|sys)"
# which options need which keys (ingest.md 9.3); option names never contain one another
_NEEDS_PHONE = rf"duplist|dupcamp|dupsys|dupnamephone{_OPTION}|dupphonealt{_OPTION}"
_NEEDS_ALT_OF_PHONE = rf"dupphonealt{_OPTION}"
_NEEDS_ALT_OF_ALT = rf"duptitlealtphone{_OPTION}"
# longer keys can never equal the stored column (after trailing spaces are dropped)
_WIDTH = {"P": 18, "A": 12}


def _keys(batch: pl.DataFrame) -> pl.DataFrame:
    """Distinct (`kind`, `val`) keys the pending rows' options need; empty when none asks."""
    if "duplicate_check" not in batch.columns or batch.height == 0:
        return pl.DataFrame(schema={"kind": pl.String, "val": pl.String})
    rows = (
        batch.filter(pl.col("reject_reason").is_null())
        if "reject_reason" in batch.columns
        else batch
    )
    check = pl.col("duplicate_check").fill_null("").str.to_lowercase()
    parts = [
        rows.filter(check.str.contains(pattern)).select(kind=pl.lit(kind), val=pl.col(column))
        for pattern, kind, column in (
            (_NEEDS_PHONE, "P", "phone_number"),
            (_NEEDS_ALT_OF_PHONE, "A", "phone_number"),
            (_NEEDS_ALT_OF_ALT, "A", "alt_phone"),
        )
    ]
    keys = pl.concat(parts).with_columns(pl.col("val").fill_null("").str.strip_chars_end(" "))
    width = pl.col("kind").replace_strict(_WIDTH, return_dtype=pl.Int64)
    return keys.filter(pl.col("val").str.len_chars() <= width).unique(maintain_order=True)


def _entry_date(value: Any) -> str | None:
    """`YYYY-MM-DD HH:MM:SS` text; pymysql returns zero dates as text already."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return None if value is None else str(value)


def load_candidates(conn: sa.Connection, batch: pl.DataFrame) -> pl.DataFrame:
    """Fetch every `vicidial_list` lead the batch's duplicate options could match, in one query.

    `batch` needs `duplicate_check`, `phone_number` and `alt_phone` (rows whose `reject_reason`
    is set are skipped). No row asking for a check means no statement at all.
    """
    keys = _keys(batch)
    if keys.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    return _fetch(conn, keys)


def _fetch(conn: sa.Connection, keys: pl.DataFrame) -> pl.DataFrame:
    mysql = is_mysql(conn)
    meta = sa.MetaData()
    temp: dict[str, sa.Table] = {}
    conditions = []
    vl = tables.vicidial_list
    for kind, name in (("P", f"{_KEYS_TABLE}_phone"), ("A", f"{_KEYS_TABLE}_alt")):
        if not (keys["kind"] == kind).any():
            continue
        # SQLite: NOCASE folds ASCII case (of both sides, see below); MySQL: the database's
        # default collation, which VICIdial's tables use too
        collation = None if mysql or kind == "P" else "NOCASE"
        temp[kind] = sa.Table(
            name,
            meta,
            sa.Column("val", sa.String(_WIDTH[kind], collation=collation), nullable=False),
            sa.Index(f"ix_{name}", "val"),
            prefixes=["TEMPORARY"],
        )
        stored: sa.ColumnElement[str] = vl.c.phone_number if kind == "P" else vl.c.alt_phone
        if not mysql and kind == "A":
            stored = sa.collate(sa.func.rtrim(stored, " "), "NOCASE")
        conditions.append(stored.in_(sa.select(temp[kind].c.val)))
    # NOTE: every table appears once and unaliased, so the query also runs while the caller holds
    # MySQL's `LOCK TABLES vicidial_list WRITE` (and MySQL never reopens a temporary table). With
    # alt keys the scan of `vicidial_list` is unavoidable (`alt_phone` has no index): each row is
    # then probed against the indexed key tables; phone keys alone drive the phone index.
    columns = _columns()
    if list(temp) == ["P"]:
        # NOTE: as `IN (SELECT …)` MariaDB chose to scan all of `vicidial_list` and probe the
        # keys (~1.5 s per 1M leads per batch); a join from the key table walks the phone index
        query = sa.select(*columns).select_from(
            temp["P"].join(vl, vl.c.phone_number == temp["P"].c.val)
        )
    else:
        query = sa.select(*columns).where(sa.or_(*conditions))
    drops = [
        f"DROP TEMPORARY TABLE IF EXISTS {t.name}"
        if mysql
        else f"DROP TABLE IF EXISTS temp.{t.name}"
        for t in temp.values()
    ]
    for drop in drops:  # a connection from the pool may still hold an old one
        conn.exec_driver_sql(drop)
    try:
        for kind, table in temp.items():
            table.create(conn)
            values = keys.filter(pl.col("kind") == kind).select("val").unique()
            # MySQL: LOAD DATA, ~3x faster than multi-row INSERTs for a batch's 20,000 keys
            bulk_insert(conn, table, values)
        fetched = conn.execute(query).all()
    finally:
        for drop in drops:
            conn.exec_driver_sql(drop)
    return _frame(fetched)


def _columns() -> tuple[sa.Column[Any], ...]:
    vl = tables.vicidial_list
    return tuple(vl.c[name] for name in CANDIDATE_SCHEMA)


def _frame(fetched: Iterable[sa.Row[Any]]) -> pl.DataFrame:
    rows = [(*values[:7], _entry_date(values[7])) for values in map(tuple, fetched)]
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA, orient="row").sort("lead_id")


@dataclass(frozen=True)
class Prefetched:
    """A batch's candidates read ahead of the write lock (`prefetch_candidates`).

    `horizon`: every lead whose `lead_id` is at most this was visible to the read. `keys`: the
    batch's distinct keys (none: no row asks for a duplicate check, nothing to bring up to date).
    """

    horizon: int
    rows: pl.DataFrame
    keys: pl.DataFrame


@contextmanager
def _steady_read(conn: sa.Connection) -> Iterator[None]:
    """MySQL: both reads of a prefetch see one state of `vicidial_list` (`READ LOCAL`).

    MyISAM lets other sessions append meanwhile (a concurrent insert, invisible to this
    session until it unlocks), so the read does not wait for a loading writer that holds
    `WRITE CONCURRENT`, and does not hold up the dialer's inserts. SQLite: nothing to do, a
    later read may only see more leads, which the `horizon` check tolerates.
    """
    if not is_mysql(conn):
        yield
        return
    conn.exec_driver_sql("LOCK TABLES vicidial_list READ LOCAL")
    try:
        yield
    finally:
        conn.exec_driver_sql("UNLOCK TABLES")


def prefetch_candidates(conn: sa.Connection, batch: pl.DataFrame, *, started_empty: bool = False) -> Prefetched:
    """`load_candidates` without the write lock: read while the batch before is being written.

    Under the lock `current_candidates` then adds the leads inserted since (`lead_id` above
    the horizon: lead ids only grow) and reads the prefetched ones again by primary key.
    `started_empty`: `vicidial_list` held no lead when this run began, so every lead in it was
    inserted since (horizon 0) and nothing need be read now: this run's leads are in memory
    and the others come from `current_candidates`' range query (the table's indexes may be off,
    see `sinks/indexes.py`, which would make the candidate query a scan).
    """
    keys = _keys(batch)
    if keys.height == 0 or started_empty:
        return Prefetched(horizon=0, rows=pl.DataFrame(schema=CANDIDATE_SCHEMA), keys=keys)
    with _steady_read(conn):
        # NOTE: the horizon first: a lead at or below it is visible to the candidate query
        top = conn.execute(sa.select(sa.func.max(tables.vicidial_list.c.lead_id))).scalar()
        rows = _fetch(conn, keys)
    return Prefetched(horizon=int(top or 0), rows=rows, keys=keys)


def _matching(frame: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """The rows of `frame` (candidate columns) a key of the batch could match: the same
    superset `load_candidates` asks the database for, case and trailing spaces aside."""
    def norm(expr: pl.Expr) -> pl.Expr:
        return expr.fill_null("").str.strip_chars_end(" ").str.to_lowercase()

    wanted = {
        kind: keys.filter(pl.col("kind") == kind).select(norm(pl.col("val"))).to_series().implode()
        for kind in ("P", "A")
    }
    return frame.filter(
        norm(pl.col("phone_number")).is_in(wanted["P"]) | norm(pl.col("alt_phone")).is_in(wanted["A"])
    )


def matching_candidates(frame: pl.DataFrame, batch: pl.DataFrame) -> pl.DataFrame:
    """The rows of `frame` (candidate columns; leads held in memory, such as a dry run's
    pretend inserts) that `load_candidates` would fetch for `batch` were they in the table."""
    return _matching(frame, _keys(batch))


def current_candidates(
    conn: sa.Connection,
    prefetched: Prefetched,
    *,
    own: Iterable[tuple[int, int, pl.DataFrame]] = (),
) -> pl.DataFrame:
    """The candidates of a prefetched batch as the table holds them now (call under the lock).

    The prefetched leads are read again by primary key (one deleted or changed since is seen
    so), leads above the horizon are added: `own` gives (first id, last id, rows) of the
    ranges this process wrote itself, taken from memory; other leads above the horizon
    (VICIdial's inserts, another run's) come from one range query on the primary key.
    """
    if prefetched.keys.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    vl = tables.vicidial_list
    columns = _columns()
    parts = []
    parts.append(_frame(leads_by_id(conn, columns, prefetched.rows.get_column("lead_id").to_list())))
    mine = [(first, last, rows) for first, last, rows in own if last > prefetched.horizon]
    newer = sa.select(*columns).where(
        vl.c.lead_id > prefetched.horizon,
        *(sa.not_(vl.c.lead_id.between(first, last)) for first, last, _ in mine),
    )
    parts.append(_matching(_frame(conn.execute(newer)), prefetched.keys))
    parts.extend(
        _matching(rows.filter(pl.col("lead_id") > prefetched.horizon), prefetched.keys)
        for _, _, rows in mine
    )
    frame = pl.concat([p.select(list(CANDIDATE_SCHEMA)).cast(pl.Schema(CANDIDATE_SCHEMA)) for p in parts])
    return frame.unique("lead_id", keep="first").sort("lead_id")


def load_list_campaigns(conn: sa.Connection) -> pl.DataFrame:
    """`list_id` and `campaign_id` of every `vicidial_lists` row (the CAMP scope's lookup)."""
    lists = tables.vicidial_lists
    fetched = conn.execute(
        sa.select(lists.c.list_id, lists.c.campaign_id).order_by(lists.c.list_id)
    )
    return pl.DataFrame([tuple(row) for row in fetched], schema=LIST_CAMPAIGN_SCHEMA, orient="row")
