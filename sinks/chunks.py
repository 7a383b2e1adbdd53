"""Chunked walks over VICIdial's big tables, so that no statement locks a table for long.

VICIdial's tables are MyISAM: every statement locks the whole table for as long as it runs, and
nothing is transactional. A bulk job therefore walks the table's primary key in short windows
(at most `chunk_rows` matching rows and `chunk_rows * SPAN_FACTOR` keys per statement, one short
transaction each), and checkpoints its job (`sinks.jobs`) after each window, so that a rerun
continues after the last finished window and ends in the same state.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sinks.errors import SinkError
from sinks.jobs import Job, JobStore

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "SPAN_FACTOR",
    "ChunkProgress",
    "ListOutcome",
    "ListResult",
    "OnChunk",
    "StatementTimer",
    "Window",
    "WindowScan",
    "run_windows",
]

DEFAULT_CHUNK_ROWS = 10_000
"""Rows per statement unless the caller says otherwise."""
SPAN_FACTOR = 10
"""A window spans at most `chunk_rows * SPAN_FACTOR` primary keys, however sparse the rows."""


@dataclass
class ChunkProgress:
    """What one finished window did; handed to the `on_chunk` callback."""

    operation: str
    job_id: int | None
    chunk: int
    last_key: int | str
    rows: int
    total: int


OnChunk = Callable[[ChunkProgress], None]


class StatementTimer:
    """Run statements and keep the longest single execution time (the longest table lock)."""

    def __init__(self) -> None:
        self.statements = 0
        self.longest = 0.0

    def run(
        self, conn: sa.Connection, stmt: sa.Executable, params: Any = None
    ) -> sa.CursorResult[*tuple[Any, ...]]:
        """Execute `stmt` on `conn`, timing it."""
        start = time.perf_counter()
        result = conn.execute(stmt, params) if params is not None else conn.execute(stmt)
        self.longest = max(self.longest, time.perf_counter() - start)
        self.statements += 1
        return result


@dataclass
class ListOutcome:
    """One list's share of a job: its API lines and counts."""

    list_id: int | str
    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class ListResult:
    """What a list operation did (or, with `dry_run`, would do), list by list."""

    operation: str
    dry_run: bool = False
    job_id: int | None = None
    resumed: bool = False
    lists: dict[int | str, ListOutcome] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    chunks: int = 0
    statements: int = 0
    longest_statement_s: float = 0.0
    admin_log: list[dict[str, str]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        """Every API-style line, list by list, in the order the lists were given."""
        return [line for outcome in self.lists.values() for line in outcome.lines]

    def outcome(self, list_id: int | str) -> ListOutcome:
        """The outcome of `list_id`, created empty on first use."""
        if list_id not in self.lists:
            self.lists[list_id] = ListOutcome(list_id)
        return self.lists[list_id]

    def take_timer(self, timer: StatementTimer) -> None:
        """Fold a timer's figures into the result."""
        self.statements += timer.statements
        self.longest_statement_s = max(self.longest_statement_s, timer.longest)


@dataclass(frozen=True)
class WindowScan:
    """Which rows of which table a job walks through, by integer primary key.

    With `columns`, each window's matching rows are fetched (`Window.rows`). Without, one
    statement finds the window's end and summarises its rows on the server (`Window.groups`:
    per `group_by` value, the row count and the sum of each of `sums`), which is much faster
    than moving thousands of rows through the driver.
    """

    table: sa.Table
    key: sa.ColumnElement[Any]
    where: Sequence[sa.ColumnElement[bool]]
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    columns: Sequence[sa.ColumnElement[Any]] = ()
    group_by: Sequence[sa.ColumnElement[Any]] = ()
    sums: Sequence[sa.ColumnElement[Any]] = ()

    def __post_init__(self) -> None:
        if self.chunk_rows < 1:
            msg = f"`chunk_rows` must be at least 1, not {self.chunk_rows}"
            raise SinkError(msg)


@dataclass(frozen=True)
class Window:
    """Keys `after < key <= upto`, with at most `chunk_rows` matching rows (`rows` if fetched)."""

    after: int
    upto: int
    rows: Sequence[Any] = ()
    groups: Sequence[tuple[Any, ...]] = ()

    def key_range(self, key: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """The window as a predicate on `key` (the same range on any table keyed by lead id)."""
        return sa.and_(key > self.after, key <= self.upto)


def _next_window(
    conn: sa.Connection, scan: WindowScan, after: int, timer: StatementTimer
) -> Window:
    high = after + scan.chunk_rows * SPAN_FACTOR
    where = (scan.key > after, scan.key <= high, *scan.where)
    if scan.columns:
        stmt = sa.select(scan.key, *scan.columns).where(*where).order_by(scan.key)
        rows = timer.run(conn, stmt.limit(scan.chunk_rows)).all()
        upto = int(rows[-1][0]) if len(rows) >= scan.chunk_rows else high
        return Window(after, upto, rows)
    picked = [scan.key.label("k")]
    picked += [g.label(f"g{i}") for i, g in enumerate(scan.group_by)]
    picked += [e.label(f"s{i}") for i, e in enumerate(scan.sums)]
    inner = sa.select(*picked).where(*where).order_by(scan.key).limit(scan.chunk_rows).subquery()
    groups = [inner.c[f"g{i}"] for i in range(len(scan.group_by))]
    summary = sa.select(
        *groups,
        sa.func.count(),
        sa.func.max(inner.c.k),
        *[sa.func.sum(inner.c[f"s{i}"]) for i in range(len(scan.sums))],
    )
    n = len(groups)
    summed = [tuple(r) for r in timer.run(conn, summary.group_by(*groups)) if r[n]]
    total = sum(int(r[n]) for r in summed)
    upto = max(int(r[n + 1]) for r in summed) if total >= scan.chunk_rows else high
    found = [(*r[:n], int(r[n]), *(int(v or 0) for v in r[n + 2 :])) for r in summed]
    return Window(after, upto, groups=found)


def _bound(conn: sa.Connection, scan: WindowScan, fn: Any, above: int | None = None) -> int | None:
    stmt = sa.select(fn(scan.key)).select_from(scan.table)
    if above is not None:
        stmt = stmt.where(scan.key > above)
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def run_windows(
    engine: sa.Engine,
    scan: WindowScan,
    body: Callable[[sa.Connection, Window], tuple[int, int]],
    *,
    operation: str,
    job: Job | None = None,
    store: JobStore | None = None,
    timer: StatementTimer,
    on_chunk: OnChunk | None = None,
) -> int:
    """Walk `scan` window by window, calling `body` (one short transaction each); return chunks run.

    `body` does the window's reads and writes and returns (rows matched, rows changed); windows
    that matched rows count as chunks. With a `job`, its `last_key` is the resume point and is
    checkpointed in the same transaction as the window's writes; rows added beyond the table's
    last key while the job runs are covered too.
    """
    with engine.connect() as conn:
        first = _bound(conn, scan, sa.func.min)
        top = _bound(conn, scan, sa.func.max)
    if first is None or top is None:
        return 0
    after = int(job.last_key) if job is not None and job.last_key else first - 1
    chunks = total = quiet = 0
    while after < top:
        with engine.begin() as conn:
            window = _next_window(conn, scan, after, timer)
            matched, changed = body(conn, window)
            quiet = 0 if matched else quiet + 1
            if job is not None and store is not None and quiet % 50 == 0:
                job.last_key = str(window.upto)
                store.save(conn, job)
        after = window.upto
        if matched:
            chunks += 1
            total += changed
            if on_chunk is not None:
                progress = ChunkProgress(operation, job.job_id if job else None, chunks, after,
                                         changed, total)  # fmt: skip
                on_chunk(progress)
        else:
            with engine.connect() as conn:  # skip a gap in the key space in one step
                following = _bound(conn, scan, sa.func.min, above=after)
            after = max(after, top) if following is None else max(after, following - 1)
        if after >= top:
            with engine.connect() as conn:
                top = _bound(conn, scan, sa.func.max) or top
    if job is not None and store is not None:
        job.last_key = str(after)
    return chunks
