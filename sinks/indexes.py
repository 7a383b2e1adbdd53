"""A load into an empty MyISAM `vicidial_list` builds the secondary indexes once, at its end.

MyISAM does this by itself for one `LOAD DATA` into an empty table (its indexes are switched off
and sorted in at the end of the statement). A batched writer gets it only for its first batch:
every later batch is appended key by key to twelve indexes (on the 2-core development machine
200,000 leads took 21 s in 20k batches against 8.5 s in one statement). So when the table is
empty as a load starts, leadpipe switches the secondary indexes off itself (`ALTER TABLE …
DISABLE KEYS`; the primary key stays on, so id checks and the duplicate check's look-ups by id
keep working) and sorts them in when the load ends (`ENABLE KEYS`), or once a million leads are
in, whichever comes first.

Meanwhile other readers of `vicidial_list` (the dialer, the API) scan the table instead of using
its indexes: it holds only the leads of this load. A run holds a named lock while the indexes
are off; a run that finds them off without that lock held (its owner was killed) switches them
on again before it loads (`restore_abandoned`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from sinks.database import is_mysql, lock_name

__all__ = ["DEFER_MAX_ROWS", "Deferral", "deferred_indexes", "disabled_indexes", "restore_abandoned"]

log = logging.getLogger(__name__)

DEFER_MAX_ROWS = 1_000_000
"""Leads loaded with the indexes off before they are built (the scans of the duplicate check and
of other readers grow with the table)."""


def disabled_indexes(conn: sa.Connection) -> list[str]:
    """Names of `vicidial_list`'s indexes that are switched off (MySQL; SQLite has none)."""
    if not is_mysql(conn):
        return []
    rows = conn.exec_driver_sql("SHOW INDEX FROM `vicidial_list`").mappings().all()
    return sorted({str(r["Key_name"]) for r in rows if "disabled" in str(r.get("Comment") or "").lower()})


def _enable(conn: sa.Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE `vicidial_list` ENABLE KEYS")


def restore_abandoned(engine: sa.Engine) -> bool:
    """Switch `vicidial_list`'s indexes on if a run that switched them off died; True if so."""
    if not is_mysql(engine):
        return False
    with engine.connect() as conn:
        if not disabled_indexes(conn):
            return False
        key = lock_name(conn, "lead-indexes")
        if conn.execute(sa.text("SELECT GET_LOCK(:key, 0)"), {"key": key}).scalar() != 1:
            return False  # a live run has them off on purpose
        try:
            if not disabled_indexes(conn):
                return False
            log.warning("vicidial_list's indexes were left off by an interrupted run: building them")
            _enable(conn)
            return True
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:key)"), {"key": key})


class Deferral:
    """The state of one load's deferral: `active` while the indexes are off."""

    def __init__(self, conn: sa.Connection | None) -> None:
        self._conn = conn
        self.active = conn is not None
        self.rows = 0
        self.build_seconds = 0.0

    def count(self, rows: int) -> None:
        """Note `rows` more leads loaded; build the indexes once `DEFER_MAX_ROWS` are in."""
        if self.active:
            self.rows += rows
            if self.rows >= DEFER_MAX_ROWS:
                self.build()

    def build(self) -> None:
        """Sort the indexes in (at most once)."""
        if not self.active:
            return
        assert self._conn is not None
        started = time.perf_counter()
        _enable(self._conn)
        self.build_seconds += time.perf_counter() - started
        self.active = False
        log.info("built vicidial_list's indexes after %d leads in %.2f s", self.rows, self.build_seconds)


def _empty_myisam(conn: sa.Connection) -> bool:
    engine = conn.exec_driver_sql(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'vicidial_list'"
    ).scalar()
    if str(engine or "").lower() != "myisam":
        return False
    return conn.exec_driver_sql("SELECT lead_id FROM `vicidial_list` LIMIT 1").first() is None


@contextmanager
def deferred_indexes(engine: sa.Engine, *, allowed: bool = True) -> Iterator[Deferral]:
    """Switch the indexes of an empty MyISAM `vicidial_list` off for the block, and build them
    at its end (also when it fails). Otherwise, or on SQLite, a `Deferral` that is not active."""
    if not allowed or not is_mysql(engine):
        yield Deferral(None)
        return
    with engine.connect() as conn:
        key = lock_name(conn, "lead-indexes")
        if conn.execute(sa.text("SELECT GET_LOCK(:key, 0)"), {"key": key}).scalar() != 1:
            yield Deferral(None)  # another run defers them right now
            return
        try:
            empty = _empty_myisam(conn)
            # end the check's transaction: its metadata lock on `vicidial_list` would otherwise
            # stay for the whole load (and MySQL's `LOCK TABLES … WRITE` waits for it)
            conn.commit()
            if not empty:
                yield Deferral(None)
                return
            conn.exec_driver_sql("ALTER TABLE `vicidial_list` DISABLE KEYS")
            log.info("vicidial_list is empty: its indexes are built once the load is in")
            deferral = Deferral(conn)
            try:
                yield deferral
            finally:
                deferral.build()
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:key)"), {"key": key})
