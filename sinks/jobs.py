"""Bulk jobs that survive a crash: their parameters and progress in `leadpipe_list_jobs`.

A job is identified by its operation and a hash of its parameters. Opening a job resumes the
unfinished one with the same identity, else starts a new one; a run holds a lease on it (the
`owner` token, renewed with every checkpoint), so two cron runs never work on the same job at
once. The table is created with SQLAlchemy when missing and belongs to leadpipe; VICIdial's own
tables are never altered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from sinks.errors import SinkRetryableError

__all__ = [
    "KEEP_DAYS",
    "LEASE_SECONDS",
    "Job",
    "JobStore",
    "job_session",
    "jobs_metadata",
    "leadpipe_list_jobs",
    "stamp",
]

log = logging.getLogger(__name__)

LEASE_SECONDS = 600
"""A running job whose last progress is older than this may be taken over by another run."""

KEEP_DAYS = 30
"""Finished jobs are kept this long for inspection."""

jobs_metadata = sa.MetaData()

leadpipe_list_jobs = sa.Table(
    "leadpipe_list_jobs",
    jobs_metadata,
    sa.Column("job_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation", sa.String(32), nullable=False),
    sa.Column("params_hash", sa.String(64), nullable=False),
    sa.Column("running_hash", sa.String(80)),  # set while running: one running job per identity
    sa.Column(
        "params", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"), nullable=False
    ),
    sa.Column("phase", sa.String(32), nullable=False, server_default=""),
    sa.Column("last_key", sa.String(40)),
    sa.Column("state", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(32)),
    sa.Column("started_at", sa.String(19), nullable=False),
    sa.Column("updated_at", sa.String(19), nullable=False),
    sa.Index("ix_leadpipe_list_jobs_lookup", "operation", "params_hash", "status"),
    sa.Index("ix_leadpipe_list_jobs_running", "running_hash", unique=True),
    mysql_engine="InnoDB",
)
"""One row per bulk job: what it does, where it got to, and whether it finished."""


def stamp(value: dt.datetime) -> str:
    """Format a server wall-clock time as VICIdial stores it (`YYYY-MM-DD HH:MM:SS`).

    >>> stamp(dt.datetime(2026, 3, 2, 9, 5))
    '2026-03-02 09:05:00'
    """
    return value.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Job:
    """A row of `leadpipe_list_jobs`, loaded for running."""

    job_id: int
    operation: str
    params: dict[str, Any]
    phase: str
    last_key: str | None
    state: dict[str, Any]
    owner: str
    resumed: bool


def _params_hash(operation: str, params: dict[str, Any]) -> str:
    text = json.dumps({"operation": operation, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class JobStore:
    """Create, resume, checkpoint and finish jobs in `leadpipe_list_jobs`."""

    def __init__(self, engine: sa.Engine, *, now: dt.datetime) -> None:
        self.engine = engine
        self._start_wall = now
        self._start = time.monotonic()
        jobs_metadata.create_all(engine, tables=[leadpipe_list_jobs])
        _add_missing_columns(engine, leadpipe_list_jobs)

    def wall(self) -> dt.datetime:
        """The caller's `now` advanced by the time this store has been in use."""
        return self._start_wall + dt.timedelta(seconds=int(time.monotonic() - self._start))

    def open(self, operation: str, params: dict[str, Any]) -> Job:
        """Resume the unfinished job with these parameters, or start a new one.

        Raises:
            SinkRetryableError: the same job is running in another process right now.
        """
        digest = _params_hash(operation, params)
        owner = secrets.token_hex(8)
        t = leadpipe_list_jobs
        with self.engine.begin() as conn:
            row = (
                conn.execute(
                    sa.select(t)
                    .where(
                        t.c.operation == operation,
                        t.c.params_hash == digest,
                        t.c.status == "running",
                    )
                    .order_by(t.c.job_id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if row is None:
                try:
                    new_id = self._insert(conn, operation, params, digest, owner)
                except sa.exc.IntegrityError as exc:
                    msg = f"a `{operation}` job with these parameters was started by another "
                    msg += "process just now; retry later"
                    raise SinkRetryableError(msg) from exc
                self._prune(conn, operation)
                return Job(new_id, operation, params, "", None, {}, owner, resumed=False)
            return self._claim(conn, row, owner)

    def _insert(self, conn: sa.Connection, operation: str, params: dict[str, Any], digest: str,
                owner: str) -> int:  # fmt: skip
        """Insert a new running job; the unique `running_hash` refuses a concurrent twin."""
        t = leadpipe_list_jobs
        new_id = conn.execute(
            sa.insert(t).values(
                operation=operation,
                params_hash=digest,
                running_hash=f"{operation}:{digest}",
                params=json.dumps(params, default=str),
                phase="",
                state="{}",
                status="running",
                owner=owner,
                started_at=stamp(self.wall()),
                updated_at=stamp(self.wall()),
            )
        ).inserted_primary_key
        return int(new_id[0]) if new_id is not None else 0

    def _prune(self, conn: sa.Connection, operation: str) -> None:
        """Forget finished jobs of `operation` older than `KEEP_DAYS` (a cron job starts many)."""
        t = leadpipe_list_jobs
        cutoff = stamp(self.wall() - dt.timedelta(days=KEEP_DAYS))
        conn.execute(
            sa.delete(t).where(
                t.c.operation == operation, t.c.status == "done", t.c.updated_at < cutoff
            )
        )

    def _claim(self, conn: sa.Connection, row: sa.RowMapping, owner: str) -> Job:
        t = leadpipe_list_jobs
        if row["owner"]:
            updated = dt.datetime.strptime(row["updated_at"], "%Y-%m-%d %H:%M:%S")
            if (self.wall() - updated).total_seconds() < LEASE_SECONDS:
                msg = (
                    f"list job {row['job_id']} (`{row['operation']}`) is running in another "
                    "process "
                    f"(last progress {row['updated_at']}); retry later, or after {LEASE_SECONDS} s "
                    "without progress it is taken over"
                )
                raise SinkRetryableError(msg)
        taken = conn.execute(
            sa.update(t)
            .where(
                t.c.job_id == row["job_id"],
                sa.or_(t.c.owner.is_(None), t.c.owner == (row["owner"] or "")),
            )
            .values(owner=owner, updated_at=stamp(self.wall()))
        ).rowcount
        if taken != 1:
            msg = f"list job {row['job_id']} was claimed by another process just now; retry later"
            raise SinkRetryableError(msg)
        log.info(
            "resuming list job %s (%s) after key %s",
            row["job_id"],
            row["operation"],
            row["last_key"],
        )
        return Job(
            int(row["job_id"]),
            row["operation"],
            json.loads(row["params"]),
            row["phase"],
            row["last_key"],
            json.loads(row["state"] or "{}"),
            owner,
            resumed=True,
        )

    def save(self, conn: sa.Connection, job: Job) -> None:
        """Checkpoint `job` (phase, last key, state) inside the caller's transaction."""
        t = leadpipe_list_jobs
        conn.execute(
            sa.update(t)
            .where(t.c.job_id == job.job_id)
            .values(
                phase=job.phase,
                last_key=job.last_key,
                state=json.dumps(job.state, default=str),
                updated_at=stamp(self.wall()),
            )
        )

    def finish(self, job: Job) -> None:
        """Mark `job` done, so the same parameters start a new job next time."""
        t = leadpipe_list_jobs
        with self.engine.begin() as conn:
            self.save(conn, job)
            conn.execute(
                sa.update(t)
                .where(t.c.job_id == job.job_id)
                .values(status="done", owner=None, running_hash=None)
            )

    def release(self, job: Job) -> None:
        """Let another run resume `job` at once (after a failure in this process)."""
        t = leadpipe_list_jobs
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.update(t)
                    .where(t.c.job_id == job.job_id, t.c.owner == job.owner)
                    .values(owner=None)
                )
        except sa.exc.SQLAlchemyError:  # the database may be what failed; the lease then expires
            log.warning(
                "could not release list job %s; it can be resumed after %s s",
                job.job_id,
                LEASE_SECONDS,
            )


def _add_missing_columns(engine: sa.Engine, table: sa.Table) -> None:
    """Bring a leadpipe-owned table made by an earlier leadpipe up to date (columns, indexes)."""
    inspector = sa.inspect(engine)
    present = {c["name"] for c in inspector.get_columns(table.name)}
    missing = [c for c in table.columns if c.name not in present]
    if not missing:
        return
    with engine.begin() as conn:
        for column in missing:
            kind = column.type.compile(dialect=engine.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn)


@contextmanager
def job_session(store: JobStore, operation: str, params: dict[str, Any]) -> Iterator[Job]:
    """Open (or resume) a job; finish it when the block ends, release it when the block fails."""
    job = store.open(operation, params)
    try:
        yield job
    except BaseException:
        store.release(job)
        raise
    store.finish(job)
