"""The one place that sequences read → rules → sinks for lead loads and collects frames.

Per batch (ingest.md 1: the result equals add_lead called once per row in file order):

1. settle each row's add_lead parameters (its own column, else the pipeline's setting);
2. consult the run ledger: rows an earlier run already loaded are reported, not reloaded;
3. clean and default the rows, load the look-ups the batch needs (one query per table), and run
   the checks A1–A10 and the time-zone lookup set-wise;
4. under the write lock of `vicidial_list`: load duplicate candidates, run A11, allocate the
   lead ids, record them in the ledger, insert the leads;
5. write the child rows (alternate phones, custom fields, hopper, callbacks), mark the ledger;
6. build every row's response lines and append results and rejects.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from ingest._records import empty_bad
from ingest.children import custom_entry_list_ids, write_children
from ingest.clock import Clock
from ingest.errors import ConfigError, InputError
from ingest.mapping import MappingOptions, map_columns
from ingest.readers import SOURCE_ROW, Batch, ReadOptions, read_file
from rules import REJECT
from rules.addlead import Actor, Lookups, check_duplicates, prepare, screen
from rules.auth import authenticated, judge_actor
from rules.cleaning import clean_value
from rules.dst import server_offset
from rules.fields import LEAD_FIELDS, OPTION_FIELDS, WIDTHS
from rules.leadrow import lead_rows
from rules.responses import error_lines, nanpa_notice, success_line
from sinks import tables
from sinks.candidates import (
    CANDIDATE_SCHEMA,
    Prefetched,
    current_candidates,
    load_list_campaigns,
    matching_candidates,
    prefetch_candidates,
)
from sinks.database import is_mysql
from sinks.indexes import Deferral, deferred_indexes, restore_abandoned
from sinks.ledger import (
    batch_ledger,
    clear_reserved,
    ensure_ledger_tables,
    expand_reservations,
    file_hash,
    forget_input,
    input_key,
    input_lock,
    ledger_top,
    mark_stage,
    read_ledger,
    record_done,
    record_reserved,
    runs,
    stored_leads,
)
from sinks.ledger import (
    ledger as ledger_table,
)
from sinks.lookups import (
    load_campaign_dnc,
    load_campaign_dnc_source,
    load_dnc,
    load_nanpa,
    load_phone_codes,
    load_postal_codes,
    nanpa_row_count,
)
from sinks.rejects import RejectsFile, ResultsFile
from sinks.users import load_group, load_list_campaigns_pairs, load_user
from sinks.vicidial import (
    bulk_insert,
    escape_for_load_data,
    locked_lead_table,
    next_id,
    truncate_to_columns,
)

__all__ = ["LoadSettings", "RunSummary", "load_files", "load_frames", "settle_columns", "settled_constants"]

log = logging.getLogger(__name__)

_OPTIONAL_DEFAULTS = {"source": "leadpipe"}
"""add_lead requires `source`; a file load that sets none is labelled `leadpipe`."""


@dataclass(frozen=True)
class LoadSettings:
    """What a load applies to every row that does not carry its own value."""

    user: str = "6666"
    options: dict[str, str] = field(default_factory=dict)
    batch_rows: int = 10_000
    pipeline: str = ""
    force_reload: bool = False
    dry_run: bool = False
    results: Path | None = None
    rejects: Path | None = None
    report: Path | None = None
    read: ReadOptions | None = None
    """How to open the files (format, encoding, layout); `batch_rows` above wins."""
    mapping: MappingOptions | None = None
    """Header aliases, `column_map`, constants, dob format, phone cleaning."""
    keep_results: bool = False
    """Keep every row's result in `RunSummary.results` (the webhook answers from it)."""
    defer_indexes: bool = True
    """MyISAM: load an empty `vicidial_list` with its indexes off, built at the end (`sinks/indexes.py`)."""


@dataclass
class RunSummary:
    """Counts of one run: every input row is added, rejected or already loaded."""

    run_id: str = ""
    read: int = 0
    added: int = 0
    rejected: int = 0
    already_loaded: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    results: pl.DataFrame | None = None

    def one_line(self) -> str:
        """The summary as one log line."""
        return (
            f"read {self.read}, added {self.added}, rejected {self.rejected}, "
            f"already loaded {self.already_loaded} in {self.seconds:.2f}s"
        )

    def reconciles(self) -> bool:
        """True when every row read is accounted for."""
        return self.read == self.added + self.rejected + self.already_loaded

    def as_dict(self) -> dict[str, Any]:
        """The JSON run report."""
        out = asdict(self)
        out.pop("results", None)
        out["reasons"] = dict(sorted(self.reasons.items()))
        out["rows_per_second"] = round(self.read / self.seconds, 1) if self.seconds else None
        return out


_Written = tuple[pl.DataFrame, int | None]
"""A batch's outcomes (response lines included), and the key of its ledger row when that is
still to be marked `done` (its child rows were written on the writer thread)."""


def _finished(value: _Written) -> Future[_Written]:
    done: Future[_Written] = Future()
    done.set_result(value)
    return done


@dataclass(frozen=True)
class _LeadRows:
    """The `vicidial_list` rows of a batch's rows that passed every check but A11, made before
    the lock (`lead_id` 0 until ids are allocated), in `source_row` order."""

    source_rows: pl.Series
    rows: pl.DataFrame
    """Cut to the column widths; escaped for `LOAD DATA` when `escaped`."""
    candidates: pl.DataFrame
    """The duplicate check's columns of `rows`, as stored (never escaped)."""
    escaped: bool

    def allocate(self, accepted: pl.Series, first: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Rows and candidate columns of the `accepted` source rows, ids from `first` in order."""
        keep = self.source_rows.is_in(accepted.implode())
        ids = pl.int_range(first, first + accepted.len(), dtype=pl.Int64).alias("lead_id")
        rows = self.rows.filter(keep).with_columns(ids)
        if rows.height != accepted.len():
            msg = f"{accepted.len()} rows accepted, but {rows.height} lead rows made for them"
            raise AssertionError(msg)
        return rows, self.candidates.filter(keep).with_columns(ids)


@dataclass(frozen=True)
class _Screened:
    """One batch as read, and after every check but A11 (`rows_screened` None: no rows)."""

    batch: Batch
    as_read: pl.DataFrame
    now: datetime = datetime.min
    done: pl.DataFrame | None = None
    redo: pl.DataFrame | None = None
    stale: tuple[int, ...] = ()
    rows_screened: pl.DataFrame | None = None
    prefetched: Prefetched | None = None
    lead_rows: _LeadRows | None = None


class _Stages:
    """Seconds spent per stage. Stages of two batches overlap, so they may sum past the run's."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.lock = threading.Lock()

    def timed(self, name: str) -> _Timer:
        return _Timer(self, name)


class _Timer:
    def __init__(self, stages: _Stages, name: str) -> None:
        self.stages, self.name, self.start = stages, name, 0.0

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        spent = time.perf_counter() - self.start
        log.debug("stage %s on %s: %.3f s from %.3f", self.name, threading.current_thread().name,
                  spent, self.start)
        with self.stages.lock:
            into = self.stages.into
            into[self.name] = round(into.get(self.name, 0.0) + spent, 4)


def new_run_id(now: datetime | None = None) -> str:
    """A sortable run id: UTC timestamp plus a short random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def settled_constants(batch: pl.DataFrame) -> list[str]:
    """The parameters `settle_columns` fills from the settings alone (cleaned once, there)."""
    return [name for name in (*LEAD_FIELDS, *OPTION_FIELDS) if name not in batch.columns]


def settle_columns(batch: pl.DataFrame, options: dict[str, str], source: str, *,
                   use_non_latin: bool = False) -> pl.DataFrame:
    """Give every row each add_lead parameter: its own non-empty value, else the setting.

    A parameter the batch has no column for holds the setting already cleaned as add_lead
    cleans it (`settled_constants` names those), so `prepare` need not scan it row by row.
    """
    if "phone_number" not in batch.columns:
        header = ", ".join(c for c in batch.columns if c != SOURCE_ROW)
        msg = f"`{source}` has no `phone_number` column (header: {header}); add_lead needs one"
        raise InputError(msg)
    exprs: list[pl.Expr] = []
    for name in (*LEAD_FIELDS, *OPTION_FIELDS):
        default = options.get(name, _OPTIONAL_DEFAULTS.get(name, ""))
        if name in batch.columns:
            col = pl.col(name).cast(pl.String).fill_null("")
            exprs.append(pl.when(col == "").then(pl.lit(default)).otherwise(col).alias(name))
        else:
            value = clean_value(name, default, use_non_latin=use_non_latin)
            exprs.append(pl.lit(value, dtype=pl.String).alias(name))
    return batch.with_columns(exprs)


class _Loader:
    def __init__(self, engine: sa.Engine, settings: LoadSettings, clock: Clock,
                 on_rows: Callable[[int, float], None]) -> None:
        self.engine, self.settings, self.clock, self.on_rows = engine, settings, clock, on_rows
        self.summary = RunSummary(run_id=new_run_id(), dry_run=settings.dry_run)
        self.stages = _Stages(self.summary.stages)
        self.results = ResultsFile(settings.results) if settings.results else None
        self.rejects = RejectsFile(settings.rejects) if settings.rejects else None
        self._dry_accepted: list[pl.DataFrame] = []
        # (first id, last id, candidate columns) of the leads this run inserted lately: the
        # batches after them may have prefetched their candidates before these landed
        self._own: deque[tuple[int, int, pl.DataFrame]] = deque()
        self._writer: ThreadPoolExecutor | None = None
        self._dry_next_id = 0
        self._dry_next_ids: dict[str, int] = {}
        self._ledger_top: int | None = None
        self._input_id: int | None = None
        with engine.connect() as conn:
            self.actor = self._actor(conn)
            self.phone_codes = load_phone_codes(conn)
            self.campaign_dnc_source = load_campaign_dnc_source(conn)
            self.nanpa_count = nanpa_row_count(conn)
            settings_row = conn.execute(sa.select(tables.system_settings)).mappings().first()
            servers = conn.execute(
                sa.select(tables.servers.c.local_gmt).where(tables.servers.c.active == "Y").limit(1)
            ).scalar()
        self.use_non_latin = bool(settings_row and str(settings_row["use_non_latin"]) == "1")
        self.custom_fields_enabled = bool(settings_row and str(settings_row["custom_fields_enabled"]) == "1")
        self.servers_local_gmt = servers
        if not settings.dry_run:
            ensure_ledger_tables(engine)
            restore_abandoned(engine)
        self._deferral = Deferral(None)
        self._last_added = 0
        # a dry run predicts the real run, so it reads the ledger (never writes it), unless the
        # real run would forget this input (`force_reload`) or no run has created the ledger yet
        self.reads_ledger = not settings.dry_run or (
            not settings.force_reload and sa.inspect(engine).has_table(ledger_table.name)
        )

    def _actor(self, conn: sa.Connection) -> Actor:
        row = load_user(conn, self.settings.user)
        if not authenticated(row):
            msg = (
                f"user `{self.settings.user}` cannot log in to the VICIdial API "
                "(missing, inactive or user_level 6 or lower): pick another `--user`"
            )
            raise ConfigError(msg)
        assert row is not None
        group = load_group(conn, str(row.get("user_group") or ""))
        return judge_actor(row, group_row=group, lists_by_campaign=load_list_campaigns_pairs(conn))

    # -- one input ------------------------------------------------------------------------
    def load_file(self, path: Path) -> None:
        with self.stages.timed("hash"):
            input_hash = file_hash(path) if path.is_file() else ""
        rows = self.settings.batch_rows
        # NOTE: the first batches are smaller (1/8, 1/4, 1/2 of a batch): the first write waits
        # for the first batch to be read and screened, and nothing overlaps that wait
        options = dataclasses.replace(self.settings.read or ReadOptions(), batch_rows=rows,
                                      first_batch_rows=max(min(rows, 1_000), rows // 8))
        self.load_batches(read_file(path, options), name=str(path), input_hash=input_hash)

    def load_batches(self, batches: Iterator[Batch | pl.DataFrame], *, name: str, input_hash: str) -> None:
        """Load one input (a file, a webhook spool segment) given as batches of raw rows."""
        started = time.perf_counter()
        before = (self.summary.read, self.summary.added, self.summary.rejected, self.summary.already_loaded)
        # the input's id in the ledger (None: an input without a hash, or a dry run of a new one)
        self._input_id = None
        if input_hash and (self.reads_ledger or not self.settings.dry_run):
            self._input_id = input_key(self.engine, input_hash, create=not self.settings.dry_run)
        writes = self._input_id is not None and not self.settings.dry_run
        # a second run of this input waits here for the first: it then reads the ledger the first
        # one left, and finds its rows already loaded
        with input_lock(self.engine, self._input_id, name=name) if writes else nullcontext():  # type: ignore[arg-type]
            self._load_input(batches, name)
        after = (self.summary.read, self.summary.added, self.summary.rejected, self.summary.already_loaded)
        self.summary.files.append({
            "path": name, "sha256": input_hash,
            **{k: a - b for k, a, b in zip(("read", "added", "rejected", "already_loaded"), after, before, strict=True)},
            "seconds": round(time.perf_counter() - started, 3),
        })

    def _load_input(self, batches: Iterator[Batch | pl.DataFrame], name: str) -> None:
        writes = self._input_id is not None and not self.settings.dry_run
        if writes and self.settings.force_reload:
            with self.engine.begin() as conn:
                dropped = forget_input(conn, self._input_id)  # type: ignore[arg-type]
            log.info("force reload of %s: forgot %d ledger rows", name, dropped)
        elif writes:
            with self.engine.begin() as conn:
                expanded = expand_reservations(conn, self._input_id)  # type: ignore[arg-type]
            if expanded:
                log.info("%s: an earlier run stopped with %d rows reserved; checking them", name, expanded)
        with self.engine.connect() as conn:
            self.list_campaigns = load_list_campaigns(conn)
            # NOTE: read once per input, not per batch: a batch's ledger read would wait for the
            # table lock the writes of the batch before hold, and so undo the read-ahead below
            reads = self.reads_ledger and self._input_id is not None and not self.settings.force_reload
            self._ledger_top = ledger_top(conn, self._input_id) if reads else None  # type: ignore[arg-type]
        self.defined_lists = frozenset(int(v) for v in self.list_campaigns.get_column("list_id").to_list())
        s = self.settings
        with deferred_indexes(self.engine, allowed=s.defer_indexes and not s.dry_run) as self._deferral:
            self._write_input(batches, name)
        if self._deferral.build_seconds:
            self.summary.stages["build_indexes"] = round(
                self.summary.stages.get("build_indexes", 0.0) + self._deferral.build_seconds, 4)
        self._deferral = Deferral(None)

    def _write_input(self, batches: Iterator[Batch | pl.DataFrame], name: str) -> None:
        # NOTE: batch k+1 is read, mapped and screened on a worker thread while batch k is
        # written: the screen only reads (look-ups, the ledger rows of its own batch), and A11
        # and every write stay in batch order on this thread, under the table lock
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadpipe-screen")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadpipe-children")
        try:
            ahead: Future[_Screened | None] = worker.submit(self._next_screened, batches, name)
            # NOTE: a batch is accounted once its child rows are written (on MariaDB/MySQL, on
            # the writer thread): as soon as they are, or when two newer batches are written.
            # Waiting for them at once would keep the lead table idle while they finish.
            waiting: deque[tuple[_Screened, Future[_Written] | None]] = deque()
            while (screened := ahead.result()) is not None:
                ahead = worker.submit(self._next_screened, batches, name)
                written = None if screened.rows_screened is None else self._finish(screened)
                # outside the lead table's lock: building the indexes waits for it
                self._deferral.count(self._last_added)
                self._last_added = 0
                waiting.append((screened, written))
                while waiting and (len(waiting) > 2 or waiting[0][1] is None or waiting[0][1].done()):
                    self._settle(*waiting.popleft())
            # every lead is in: the indexes are sorted in while the last child rows are written
            self._deferral.build()
            while waiting:
                self._settle(*waiting.popleft())
        finally:
            worker.shutdown(wait=True, cancel_futures=True)
            self._writer.shutdown(wait=True)
            self._writer = None

    # -- one batch ------------------------------------------------------------------------
    def _settle(self, screened: _Screened, written: Future[_Written] | None) -> None:
        """Account a written batch: results, rejects, counts and progress."""
        batch = screened.batch
        parts = [self._malformed(batch.malformed)]
        if written is not None:
            outcomes, unmarked = written.result()
            if unmarked is not None and self._input_id is not None:
                # NOTE: here, between two batches' locked sections: the writer thread's UPDATE
                # would wait for the lock that holds this table (2.2 s over 200k leads)
                with self.engine.begin() as conn:
                    record_done(conn, self._input_id, unmarked, [])
            parts.append(outcomes)
        self._account(pl.concat(parts, how="vertical_relaxed"), screened.as_read, batch.malformed)
        self.on_rows(batch.records, batch.progress)

    def _next_screened(self, batches: Iterator[Batch | pl.DataFrame], source: str) -> _Screened | None:
        """Read the next batch and run every check but A11 on it (None at the end of the input)."""
        with self.stages.timed("read"):
            raw = next(batches, None)
        if raw is None:
            return None
        batch = raw if isinstance(raw, Batch) else Batch(rows=raw, malformed=empty_bad())
        as_read = batch.rows  # the rejects file shows rows as they came, before mapping
        rows = map_columns(as_read, self.settings.mapping) if self.settings.mapping else as_read
        if not rows.height:
            return _Screened(batch=batch, as_read=as_read)
        return self._screen(rows, source, _Screened(batch=batch, as_read=as_read))

    def _screen(self, raw: pl.DataFrame, source: str, out: _Screened) -> _Screened:
        now = self.clock.now()
        s_offset = server_offset(
            self.servers_local_gmt, server_is_dst=self.clock.is_dst(now),
            server_utc_offset_hhmm=_hhmm(self.clock.utc_offset_hours(now)),
        )
        settled = settle_columns(raw, self.settings.options, source, use_non_latin=self.use_non_latin)
        ledger = self._ledger_states(settled)
        done = ledger.filter(pl.col("stage") == "done")
        with self.stages.timed("rules"):
            prepared = prepare(settled.join(done.select(SOURCE_ROW), on=SOURCE_ROW, how="anti").lazy(),
                               use_non_latin=self.use_non_latin, cleaned=settled_constants(raw)).collect()
        redo = self._landed(prepared, ledger)
        with self.stages.timed("lookups"), self.engine.connect() as conn:
            lookups = self._lookups(conn, prepared)
        with self.stages.timed("rules"):
            screened = screen(prepared.lazy(), lookups=lookups, actor=self.actor, server_now=now,
                              server_offset=s_offset).collect()
        # reservations of an interrupted run whose insert never landed: cleared before the rows
        # are reserved again (a first run has none, so it deletes nothing)
        stale = ledger.filter(pl.col("stage") == "reserved").join(redo, on=SOURCE_ROW, how="anti")
        # NOTE: the duplicate check's candidates are read here, while the batch before is being
        # written (MariaDB lets this read run beside that load); under the lock only what
        # changed since is read again (`current_candidates`)
        fresh = screened.join(redo.select(SOURCE_ROW), on=SOURCE_ROW, how="anti")
        with self.stages.timed("candidates"), self.engine.connect() as conn:
            prefetched = prefetch_candidates(conn, fresh, started_empty=self._deferral.active)
            entry = custom_entry_list_ids(conn, fresh, custom_fields_enabled=self.custom_fields_enabled)
        with self.stages.timed("lead_rows"):
            made = self._lead_rows(fresh, entry, now)
        return dataclasses.replace(out, now=now, done=done, redo=redo, rows_screened=screened,
                                   stale=tuple(stale.get_column(SOURCE_ROW).to_list()), prefetched=prefetched,
                                   lead_rows=made)

    def _lead_rows(self, fresh: pl.DataFrame, entry: pl.DataFrame, now: datetime) -> _LeadRows:
        """The rows step A13 inserts for the rows that passed A1–A10, made on the screen thread:
        under the lock only the ids are set (`_LeadRows.allocate`)."""
        passing = fresh.filter(pl.col(REJECT).is_null()).sort(SOURCE_ROW)
        rows = truncate_to_columns(
            lead_rows(passing.lazy().with_columns(lead_id=pl.lit(0, pl.Int64)), now=now, user=self.actor.user).collect(),
            tables.vicidial_list,
        )
        if entry.height:
            # add_lead sets it once the custom row is in; leadpipe inserts the lead with it
            found = passing.select(pl.col(SOURCE_ROW).cast(pl.Int64)).join(
                entry, on=SOURCE_ROW, how="left", maintain_order="left").get_column("entry_list_id")
            rows = rows.with_columns(found.alias("_entry")).with_columns(
                entry_list_id=pl.coalesce("_entry", "entry_list_id")).drop("_entry")
        escaped = not self.settings.dry_run and is_mysql(self.engine)
        return _LeadRows(
            source_rows=passing.get_column(SOURCE_ROW).cast(pl.Int64), candidates=rows.select(list(CANDIDATE_SCHEMA)),
            rows=escape_for_load_data(rows) if escaped else rows, escaped=escaped,
        )

    def _finish(self, s: _Screened) -> Future[_Written]:
        """Step A11 and the writes of a screened batch; every row's verdict once they are done."""
        assert s.rows_screened is not None
        assert s.redo is not None
        screened, redo = s.rows_screened, s.redo
        fresh = screened.join(redo.select(SOURCE_ROW), on=SOURCE_ROW, how="anti")
        # their leads exist: the checks passed when they were inserted, whatever they say now
        recovered = screened.join(redo.select(SOURCE_ROW, "lead_id"), on=SOURCE_ROW).with_columns(
            pl.lit(None, pl.String).alias(REJECT)
        )
        assert s.prefetched is not None
        assert s.lead_rows is not None
        assert s.done is not None
        return self._write(fresh, recovered, s.now, s.prefetched, s.lead_rows, s.done, s.stale)

    def _ledger_states(self, settled: pl.DataFrame) -> pl.DataFrame:
        empty = pl.DataFrame(schema={SOURCE_ROW: pl.Int64, "lead_id": pl.Int64, "stage": pl.String})
        if self._input_id is None or settled.height == 0 or self._ledger_top is None:
            return empty
        rows = settled.get_column(SOURCE_ROW)
        if int(rows.min()) > self._ledger_top:  # type: ignore[arg-type]
            return empty  # past every row an earlier run got to
        with self.engine.connect() as conn:
            ledger = read_ledger(conn, self._input_id, int(rows.min()), int(rows.max()))  # type: ignore[arg-type]
        ledger = ledger.with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
        # the range query may return rows of the input that this batch does not hold
        return ledger.join(settled.select(pl.col(SOURCE_ROW).cast(pl.Int64)), on=SOURCE_ROW, how="semi")

    def _landed(self, prepared: pl.DataFrame, ledger: pl.DataFrame) -> pl.DataFrame:
        """`source_row`, `lead_id` of the rows whose lead an earlier run inserted (children to redo).

        `added` rows, and `reserved` rows whose lead exists and holds the row's phone number and
        list: a reserved id whose insert never landed (a kill before or during it) is free, and
        VICIdial's own inserts may have taken it since. Other reserved rows are validated again.
        """
        added = ledger.filter(pl.col("stage") == "added").select(SOURCE_ROW, "lead_id")
        reserved = ledger.filter(pl.col("stage") == "reserved").select(SOURCE_ROW, "lead_id")
        if reserved.height == 0:
            return added
        with self.engine.connect() as conn:
            stored = stored_leads(conn, reserved.get_column("lead_id").to_list())
        mine = prepared.select(
            pl.col(SOURCE_ROW).cast(pl.Int64),
            pl.col("phone_number").str.slice(0, WIDTHS["phone_number"]),  # as stored
            pl.col("list_id").cast(pl.Int64, strict=False),
        ).join(reserved, on=SOURCE_ROW)
        landed = mine.join(stored, on=["lead_id", "phone_number", "list_id"], how="semi")
        return pl.concat([added, landed.select(SOURCE_ROW, "lead_id")])

    def _lookups(self, conn: sa.Connection, prepared: pl.DataFrame) -> Lookups:
        """The batch's rows of each look-up table, read only for the rows whose options use it
        (a batch without `dnc_check` sends no DNC query)."""
        def phones_of(rows: pl.Expr) -> list[str]:
            return prepared.filter(rows).get_column("phone_number").unique().to_list()

        dnc_modes = ["Y", "AREACODE"]
        tz_method = pl.col("tz_method").fill_null("").str.to_lowercase()
        asking = prepared.filter(pl.col("campaign_dnc_check").is_in(dnc_modes))
        campaigns = set(asking.get_column("campaign_id").unique().to_list())
        source = self.campaign_dnc_source
        campaigns |= set(source.filter(pl.col("campaign_id").is_in(list(campaigns)))
                         .get_column("use_other_campaign_dnc").to_list())
        postal = prepared.filter(tz_method.str.contains("postal")).get_column("postal_code").unique().to_list()
        nanpa = None
        if self.nanpa_count >= 10:
            pairs = prepared.filter(
                (pl.col("nanpa_ac_prefix_check") == "Y") | tz_method.str.contains("nanpa")
            ).select(
                pl.col("phone_number").str.slice(0, 3).alias("areacode"),
                pl.col("phone_number").str.slice(3, 3).alias("prefix"),
            ).unique().rows()
            nanpa = load_nanpa(conn, pairs).lazy()
        return Lookups(
            phone_codes=self.phone_codes.lazy(),
            postal_codes=load_postal_codes(conn, [p for p in postal if len(p) > 4]).lazy(),
            nanpa=nanpa, nanpa_count=self.nanpa_count,
            system_dnc=load_dnc(conn, phones_of(pl.col("dnc_check").is_in(dnc_modes))).lazy(),
            campaign_dnc=load_campaign_dnc(conn, asking.get_column("phone_number").unique().to_list(),
                                           sorted(campaigns)).lazy(),
            campaign_dnc_source=source.lazy(),
            defined_lists=self.defined_lists,
        )

    def _write(self, fresh: pl.DataFrame, recovered: pl.DataFrame, now: datetime, prefetched: Prefetched,
               made: _LeadRows, done: pl.DataFrame, stale: tuple[int, ...] = ()) -> Future[_Written]:
        """Steps A11 and A13 under the lock, then A14–A18; every row's outcome and response lines
        (`done`: the rows an earlier run loaded, reported as such)."""
        s = self.settings
        deferred = not s.dry_run and self._writer is not None and is_mysql(self.engine)
        notices = pl.DataFrame()
        batch_key: int | None = None
        with self.engine.connect() as conn:
            trans = conn.begin()
            # the row ledger only when an interrupted run's rows are finished here (rare)
            extra = () if s.dry_run else (
                (batch_ledger.name, ledger_table.name) if recovered.height or stale else (batch_ledger.name,))
            try:
                with locked_lead_table(conn, extra=extra):
                    with self.stages.timed("candidates_since"):
                        self._forget_own(prefetched.horizon)
                        existing = current_candidates(conn, prefetched, own=self._own)
                    with self.stages.timed("duplicates"):
                        if self._dry_accepted:
                            existing = pl.concat([existing, self._dry_candidates(fresh)], how="vertical_relaxed")
                        checked = check_duplicates(
                            fresh.lazy(), existing=existing.lazy(),
                            list_campaigns=self.list_campaigns.lazy(), server_now=now,
                        ).collect().sort(SOURCE_ROW)
                    accepted = checked.filter(pl.col(REJECT).is_null())
                    first = self._dry_next_id or next_id(conn, tables.vicidial_list, "lead_id")
                    accepted = accepted.with_columns(
                        lead_id=pl.int_range(first, first + accepted.height, dtype=pl.Int64)
                    )
                    rows, candidates = made.allocate(accepted.get_column(SOURCE_ROW).cast(pl.Int64), first)
                    if s.dry_run:
                        self._remember_dry(candidates, first + accepted.height)
                    else:
                        with self.stages.timed("write_ledger"):
                            if self._input_id is not None:
                                landed = recovered.get_column("lead_id").to_list()
                                mark_stage(conn, self._input_id, landed, "added")
                                clear_reserved(conn, self._input_id, stale)
                                # one row for the whole batch, set `done` with the child rows
                                batch_key = record_reserved(conn, self._input_id, self.summary.run_id,
                                                            accepted.select(SOURCE_ROW, "lead_id"))
                        with self.stages.timed("write_leads"):
                            # NOTE: no `added` mark after the insert: a rerun proves a reserved
                            # row landed from the lead itself (`_landed`), and that UPDATE cost
                            # ~5% of a load into MariaDB
                            bulk_insert(conn, tables.vicidial_list, rows, escaped=made.escaped)
                        self._last_added = accepted.height
                        if accepted.height:
                            self._remember_own(first, candidates)
                both = pl.concat([accepted, recovered.with_columns(pl.col("lead_id").cast(pl.Int64))],
                                 how="diagonal_relaxed")
                if deferred:  # MyISAM: the leads are in; child rows follow outside the lock
                    trans.commit()
                else:
                    notices = self._children(conn, both, recovered, now, batch_key)
                    trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        rejected = checked.filter(pl.col(REJECT).is_not_null())
        ids = accepted.select(pl.col(SOURCE_ROW).alias("dup_source_row"), pl.col("lead_id").alias("_dup_id"))
        rejected = rejected.join(ids, on="dup_source_row", how="left").with_columns(
            dup_lead_id=pl.coalesce("dup_lead_id", "_dup_id")
        ).drop("_dup_id")

        def answer(notices: pl.DataFrame) -> pl.DataFrame:
            verdicts = pl.concat([both.join(notices, on=SOURCE_ROW, how="left"), rejected], how="diagonal_relaxed")
            with self.stages.timed("responses"):
                return self._responses(verdicts, done)

        if not deferred:
            return _finished((answer(notices), None))

        def rest() -> _Written:
            with self.engine.begin() as conn:
                notices = self._children(conn, both, recovered, now, None)
            return answer(notices), batch_key

        # NOTE: on MariaDB/MySQL a batch's child rows and response lines are made on a second
        # connection and thread while the next batch takes the lock and loads its leads (other
        # tables); the single writer thread keeps them in batch order. The batch's ledger row
        # is marked `done` when it is accounted (`_settle`).
        assert self._writer is not None
        return self._writer.submit(rest)

    def _remember_own(self, first: int, rows: pl.DataFrame) -> None:
        """Keep a written batch's candidate columns; a range that continues the last one extends it."""
        last = first + rows.height - 1
        if self._own and self._own[-1][1] + 1 == first:
            start, _, before = self._own.pop()
            self._own.append((start, last, pl.concat([before, rows], rechunk=False)))
        else:
            self._own.append((first, last, rows))

    def _forget_own(self, horizon: int) -> None:
        """Drop the remembered leads at or under a prefetch's horizon: it saw them, and so
        will the later prefetches (their horizons only grow)."""
        while self._own and self._own[0][1] <= horizon:
            self._own.popleft()
        if self._own and self._own[0][0] <= horizon:
            _, last, rows = self._own.popleft()
            self._own.appendleft((horizon + 1, last, rows.filter(pl.col("lead_id") > horizon)))

    def _children(self, conn: sa.Connection, both: pl.DataFrame, recovered: pl.DataFrame,
                  now: datetime, batch_key: int | None) -> pl.DataFrame:
        """Steps A14–A18 for the batch's new and recovered leads, then their `done` marks
        (`batch_key`: the batch's ledger row, None when it has no new leads or the caller marks it)."""
        s = self.settings
        with self.stages.timed("write_children"):
            notices = write_children(
                conn, both, now=now, utc_now=self.clock.utc(now), user=self.actor.user,
                custom_fields_enabled=self.custom_fields_enabled, dry_run=s.dry_run,
                redo=recovered.get_column("lead_id").to_list(),
                dry_next_ids=self._dry_next_ids,
            )
        if not s.dry_run and self._input_id is not None:
            record_done(conn, self._input_id, batch_key, recovered.get_column("lead_id").to_list())
        return notices

    def _dry_candidates(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The leads a dry run pretends it inserted that the batch's checks could match (only
        those, so the check does not re-read every earlier pretend lead for every batch)."""
        return matching_candidates(pl.concat(self._dry_accepted, how="vertical_relaxed"), batch)

    def _remember_dry(self, rows: pl.DataFrame, next_free: int) -> None:
        self._dry_next_id = next_free
        self._dry_accepted.append(rows.select(list(CANDIDATE_SCHEMA)))

    def _responses(self, verdicts: pl.DataFrame, done: pl.DataFrame) -> pl.DataFrame:
        """Every row's outcome and the exact lines add_lead would print for it."""
        user = self.actor.user
        verdicts = verdicts.with_columns(error_lines(verdicts, user=user, user_group=self.actor.user_group).alias("_error"))
        notice_cols = [c for c in ("alt_notice", "custom_notice", "hopper_notice", "callback_notice")
                       if c in verdicts.columns]
        head = pl.when(pl.col("nanpa_notice")).then(pl.lit(nanpa_notice(self.nanpa_count, user=user)))
        body = pl.when(pl.col(REJECT).is_null()).then(
            pl.concat_list([success_line(user=user), *[pl.col(c) for c in notice_cols]])
        ).otherwise(pl.col("_error").str.split("\n"))
        accepted = pl.col(REJECT).is_null()
        out = verdicts.select(
            pl.col(SOURCE_ROW).cast(pl.Int64), REJECT,
            pl.when(accepted).then(pl.lit("added")).otherwise(pl.lit("rejected")).alias("status"),
            pl.when(accepted).then(pl.col("lead_id")).cast(pl.Int64).alias("lead_id"),
            pl.concat_list([head, body]).list.drop_nulls().alias("response"),
        )
        already = done.select(
            pl.col(SOURCE_ROW).cast(pl.Int64), pl.lit(None, pl.String).alias(REJECT),
            pl.lit("already_loaded").alias("status"), pl.col("lead_id").cast(pl.Int64),
            pl.lit([], pl.List(pl.String)).alias("response"),
        )
        return pl.concat([out, already], how="vertical_relaxed")

    @staticmethod
    def _malformed(bad: pl.DataFrame) -> pl.DataFrame:
        """Records the reader could not split into fields: rejected with their line and reason."""
        return bad.select(
            pl.col(SOURCE_ROW).cast(pl.Int64), pl.lit("MALFORMED_ROW").alias(REJECT),
            pl.lit("rejected").alias("status"), pl.lit(None, pl.Int64).alias("lead_id"),
            pl.concat_list(pl.concat_str(
                pl.lit("ERROR: leadpipe MALFORMED ROW - "), pl.col(SOURCE_ROW).cast(pl.String), pl.lit("|"),
                pl.col("line").cast(pl.String), pl.lit("|"), pl.col("detail").fill_null(""),
            )).alias("response"),
        )

    def _account(self, out: pl.DataFrame, raw: pl.DataFrame, bad: pl.DataFrame) -> None:
        """Count a batch's outcomes and append them, in file order, to results and rejects."""
        out = out.sort(SOURCE_ROW)
        sm = self.summary
        sm.read += out.height
        counts = dict(out.get_column("status").value_counts().iter_rows())
        sm.added += int(counts.get("added", 0))
        sm.rejected += int(counts.get("rejected", 0))
        sm.already_loaded += int(counts.get("already_loaded", 0))
        sm.reasons.update(out.get_column(REJECT).drop_nulls().to_list())
        if self.settings.keep_results:
            sm.results = out if sm.results is None else pl.concat([sm.results, out])
        with self.stages.timed("outputs"):
            if self.results:
                self.results.write(out)
            if self.rejects:
                rejected = out.filter(pl.col("status") == "rejected").select(SOURCE_ROW, REJECT, "response")
                raw_rows = pl.concat(
                    [raw.with_columns(pl.col(SOURCE_ROW).cast(pl.Int64), pl.lit("").alias("raw_line")),
                     bad.select(pl.col(SOURCE_ROW).cast(pl.Int64), pl.col("raw").alias("raw_line"))],
                    how="diagonal_relaxed",
                )
                self.rejects.write(raw_rows.join(rejected, on=SOURCE_ROW))

    def finish(self, *, failed: bool) -> None:
        for out in (self.results, self.rejects):
            if out is not None:
                (out.abort if failed else out.close)()


def _hhmm(hours: float) -> str:
    sign = "-" if hours < 0 else "+"
    minutes = round(abs(hours) * 60)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def load_files(
    paths: Iterable[Path],
    *,
    engine: sa.Engine,
    settings: LoadSettings,
    clock: Clock,
    on_rows: Callable[[int, float], None] = lambda _n, _p: None,
) -> RunSummary:
    """Load lead files into VICIdial the way sequential add_lead calls would, in bulk."""
    return _run(lambda loader: [loader.load_file(p) for p in paths], engine=engine, settings=settings,
                clock=clock, on_rows=on_rows)


def load_frames(
    batches: Iterable[pl.DataFrame],
    *,
    name: str,
    input_hash: str,
    engine: sa.Engine,
    settings: LoadSettings,
    clock: Clock,
    on_rows: Callable[[int, float], None] = lambda _n, _p: None,
) -> RunSummary:
    """Load in-memory batches of raw rows (every column String, with `source_row`) as one input.

    `input_hash` identifies the input in the run ledger: loading the same input again writes
    nothing twice.
    """
    return _run(lambda loader: loader.load_batches(iter(batches), name=name, input_hash=input_hash),
                engine=engine, settings=settings, clock=clock, on_rows=on_rows)


def _run(
    body: Callable[[_Loader], object],
    *,
    engine: sa.Engine,
    settings: LoadSettings,
    clock: Clock,
    on_rows: Callable[[int, float], None],
) -> RunSummary:
    started = time.perf_counter()
    loader = _Loader(engine, settings, clock, on_rows)
    summary = loader.summary
    started_at = clock.now().strftime("%Y-%m-%d %H:%M:%S")
    if not settings.dry_run:
        with engine.begin() as conn:
            conn.execute(sa.insert(runs).values(run_id=summary.run_id, pipeline=settings.pipeline,
                                                started_at=started_at, status="running"))
    failed = True
    try:
        body(loader)
        failed = False
    finally:
        loader.finish(failed=failed)
        summary.seconds = round(time.perf_counter() - started, 3)
        if not settings.dry_run:
            with engine.begin() as conn:
                conn.execute(sa.update(runs).where(runs.c.run_id == summary.run_id).values(
                    finished_at=clock.now().strftime("%Y-%m-%d %H:%M:%S"),
                    status="failed" if failed else "finished", input_rows=summary.read, added=summary.added,
                    rejected=summary.rejected, already_loaded=summary.already_loaded,
                    report=json.dumps(summary.as_dict()),
                ))
    if settings.report:
        settings.report.parent.mkdir(parents=True, exist_ok=True)
        tmp = settings.report.with_name(f".{settings.report.name}.tmp")
        tmp.write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(settings.report)
    return summary
