"""A durable, append-only spool for webhook leads, and the drainer that loads it in micro-batches.

Layout of a spool directory:

* `SPOOL_ID` — a random id written once; ledger input hashes are `webhook:{id}:{segment}`, so a
  wiped and recreated spool never collides with the ledger rows of an old one.
* `LOCK` — held (`flock`) by the one process that owns the spool.
* `seg-{n:012d}.log` — records, each `length (4 bytes BE) | crc32 (4 bytes BE) | JSON`. A record
  is one request: the authenticated user, the client address and its leads, whose `source_row`s
  are `first_row`, `first_row + 1`, … within the segment.
* `seg-{n:012d}.done` — one JSON line per drained record: its offset, request id and results.

A request is acknowledged only after its record is written and `fdatasync`ed (one sync serves
every record written meanwhile: group commit). The drainer takes durable records in time- and
size-bounded micro-batches, runs them through `ingest.runner.load_frames` (per segment and user)
and appends their results to the segment's `.done` file. After a crash (`kill -9`) the records
without a `.done` line are drained again; the run ledger, keyed by (input hash, source row), makes
that second pass report `already_loaded` instead of writing a lead twice. Fully drained segments
are deleted once rotated; their `.done` files stay for result look-ups until they expire.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import multiprocessing
import os
import secrets
import signal
import struct
import threading
import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from ingest.clock import Clock
from ingest.errors import IngestError
from ingest.runner import LoadSettings, load_frames
from sinks.errors import SinkError, SinkRetryableError

__all__ = [
    "Drainer",
    "LeadResult",
    "ProcessLoader",
    "Record",
    "Spool",
    "SpoolBusyError",
    "SpoolFullError",
    "SpoolSettings",
    "load_records",
    "merge_skipped",
]

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">II")
_MAX_RECORD = 1 << 30
Results = list[dict[str, Any]]
"""One result per lead of a record: `status`, `lead_id`, `reject_reason`, `response`."""

LeadResult = dict[str, Any]


class SpoolBusyError(IngestError):
    """Another process owns the spool directory."""


class SpoolFullError(IngestError):
    """The spool holds as many undrained bytes as allowed: the client should retry later."""

    def __init__(self, msg: str, *, retry_after: int) -> None:
        super().__init__(msg)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SpoolSettings:
    """Size and time bounds of the spool and of the drainer's micro-batches."""

    max_pending_bytes: int = 512 << 20
    """Undrained record bytes beyond which `append` refuses (HTTP 503)."""
    segment_bytes: int = 64 << 20
    segment_seconds: float = 300.0
    batch_ms: int = 50
    """How long the drainer waits for more records after the first one of a micro-batch."""
    batch_rows: int = 20_000
    """Leads per micro-batch (a record is never split, so one large record may exceed it)."""
    results_kept: int = 100_000
    """Request results held in memory for `GET /leads/results/{id}`."""
    results_seconds: float = 86_400.0
    """How long the `.done` files of deleted segments are kept."""


@dataclass
class Record:
    """One spooled request."""

    request_id: str
    segment: int
    offset: int
    size: int
    first_row: int
    user: str
    leads: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    done: Future[Results] = field(default_factory=Future, repr=False, compare=False)
    """Resolves with the record's results once it is drained."""
    durable: Future[Record] = field(default_factory=Future, repr=False, compare=False)
    """Resolves once the record is on disk (the moment a request may be acknowledged)."""


@dataclass
class _Segment:
    number: int
    path: Path
    records: int = 0
    finished: int = 0
    next_row: int = 1
    active: bool = False
    size: int = 0


def _segment_name(number: int) -> str:
    return f"seg-{number:012d}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """The spool directory: durable appends, pending records, results of drained ones."""

    def __init__(self, directory: Path, settings: SpoolSettings | None = None) -> None:
        self.directory = directory
        self.settings = settings or SpoolSettings()
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            msg = (
                f"spool `{directory}` is in use by another `leadpipe serve`: "
                "give each server its own `--spool`"
            )
            raise SpoolBusyError(msg) from exc
        self.spool_id = self._spool_id()
        self._lock = threading.Lock()  # appends, rotation, pending state
        self._ids = _RequestIds()
        self._ready = threading.Condition(self._lock)  # durable records for the drainer
        self._unsynced = threading.Condition(self._lock)  # written records for the syncer
        self._written: list[tuple[Record, bytes]] = []  # appended, not yet on disk
        self._pending: deque[Record] = deque()
        self._in_flight: dict[str, Record] = {}
        self._results: OrderedDict[str, Results] = OrderedDict()
        self._segments: dict[int, _Segment] = {}
        self.pending_bytes = 0
        self.closed = False
        self._recover()
        self._fd = -1
        self._active: _Segment | None = None
        self._opened_at = 0.0
        with self._lock:
            self._open_segment()
        self._syncer = threading.Thread(target=self._sync_loop, name="spool-sync", daemon=True)
        self._syncer.start()

    # -- setup --------------------------------------------------------------------------
    def _spool_id(self) -> str:
        path = self.directory / "SPOOL_ID"
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        value = secrets.token_hex(8)
        tmp = path.with_name(".SPOOL_ID.tmp")
        tmp.write_text(value + "\n", encoding="ascii")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
        _fsync_dir(self.directory)
        return value

    def input_hash(self, segment: int) -> str:
        """The run-ledger identity of a segment."""
        return f"webhook:{self.spool_id}:{segment:012d}"

    def _recover(self) -> None:
        """Rebuild the pending queue and the results index from the files on disk."""
        done_lines: dict[int, dict[int, dict[str, Any]]] = {}
        for path in sorted(self.directory.glob("seg-*.done")):
            number = int(path.stem.split("-")[1])
            done_lines[number] = _read_done(path)
            for entry in done_lines[number].values():
                self._remember(entry["id"], entry["results"])
        for path in sorted(self.directory.glob("seg-*.log")):
            number = int(path.stem.split("-")[1])
            seg = _Segment(number, path)
            self._segments[number] = seg
            done = done_lines.get(number, {})
            for record in _read_records(path, number):
                seg.records += 1
                seg.next_row = record.first_row + len(record.leads)
                if record.offset in done:
                    seg.finished += 1
                    continue
                record.done.set_running_or_notify_cancel()
                self._pending.append(record)
                self._in_flight[record.request_id] = record
                self.pending_bytes += record.size
            if seg.finished == seg.records:
                self._drop_segment(seg)
        self._prune_done_files()
        if self._pending:
            log.info("spool %s: %d undrained records recovered", self.directory, len(self._pending))

    # -- segments -----------------------------------------------------------------------
    def _next_number(self) -> int:
        """A segment number never used before in this spool (persisted: a reused number would
        make the ledger take new leads for already loaded ones)."""
        counter = self.directory / "SEGMENT_SEQ"
        seen = [int(p.stem.split("-")[1]) for p in self.directory.glob("seg-*.*")]
        if counter.exists():
            seen.append(int(counter.read_text(encoding="ascii").strip() or 0))
        number = max(seen, default=0) + 1
        tmp = counter.with_name(".SEGMENT_SEQ.tmp")
        with tmp.open("w", encoding="ascii") as handle:
            handle.write(f"{number}\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(counter)
        return number

    def _open_segment(self) -> None:
        number = self._next_number()
        path = self.directory / f"{_segment_name(number)}.log"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # new, empty
        _fsync_dir(self.directory)
        seg = _Segment(number, path, active=True)
        self._segments[number] = seg
        self._active = seg
        self._opened_at = time.monotonic()

    def _rotate_due(self) -> bool:
        seg = self._active
        assert seg is not None
        if not seg.records:
            return False
        aged = time.monotonic() - self._opened_at >= self.settings.segment_seconds
        return aged or seg.size >= self.settings.segment_bytes

    def _drop_segment(self, seg: _Segment) -> None:
        """Delete a fully drained, inactive segment; its `.done` file stays for look-ups."""
        with contextlib.suppress(FileNotFoundError):
            seg.path.unlink()
        self._segments.pop(seg.number, None)

    def _prune_done_files(self) -> None:
        limit = time.time() - self.settings.results_seconds
        for path in self.directory.glob("seg-*.done"):
            if not path.with_suffix(".log").exists() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)

    # -- appends ------------------------------------------------------------------------
    def append(
        self,
        *,
        user: str,
        leads: list[dict[str, str]],
        meta: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Record:
        """Queue one request's record for the disk; its `durable` future resolves once written
        and synced (the sync thread writes every record queued meanwhile with one write and one
        `fdatasync`: group commit).

        Raises:
            SpoolFullError: the undrained records already fill `max_pending_bytes`.
        """
        request_id = request_id or self._ids.new()
        with self._lock:
            if self.closed:
                msg = "the spool is closed: the server is shutting down"
                raise SpoolFullError(msg, retry_after=5)
            seg = self._active
            assert seg is not None
            body = {
                "id": request_id,
                "user": user,
                "first_row": seg.next_row,
                "leads": leads,
                "meta": meta or {},
            }
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            size = len(payload) + _HEADER.size
            if self.pending_bytes and self.pending_bytes + size > self.settings.max_pending_bytes:
                msg = (
                    f"spool `{self.directory}` holds {self.pending_bytes} undrained bytes "
                    f"(limit {self.settings.max_pending_bytes}): retry later"
                )
                raise SpoolFullError(msg, retry_after=self._retry_after())
            record = Record(
                request_id, seg.number, seg.size, size, seg.next_row, user, leads, meta or {}
            )
            record.done.set_running_or_notify_cancel()
            record.durable.set_running_or_notify_cancel()
            seg.size += size
            seg.next_row += len(leads)
            seg.records += 1
            self.pending_bytes += size
            self._in_flight[request_id] = record
            self._written.append(
                (record, _HEADER.pack(len(payload), zlib.crc32(payload)) + payload)
            )
            self._unsynced.notify()
        return record

    def _retry_after(self) -> int:
        return max(1, min(60, self.pending_bytes // max(1, self.settings.max_pending_bytes // 10)))

    def _sync_loop(self) -> None:
        """Write and sync queued records in groups; rotate the segment between groups."""
        while True:
            with self._lock:
                while not self._written and not self.closed:
                    self._unsynced.wait(timeout=1.0)
                    if not self._written and self._rotate_due():  # an idle, aged segment
                        self._rotate(self._fd)
                if not self._written and self.closed:
                    return
                batch, self._written = self._written, []
                fd = self._fd
                old = self._active if self._rotate_due() else None
                if old is not None:  # later appends go to a new segment; this group ends the old
                    self._open_segment()
            error: OSError | None = None
            try:
                _write_all(fd, b"".join(frame for _record, frame in batch))
                os.fdatasync(fd)
            except OSError as exc:
                error = exc
                log.error("spool write failed: %s", exc)
            with self._lock:
                if old is not None:
                    self._retire(old, fd)
                for record, _frame in batch:
                    if error is None:
                        self._pending.append(record)
                    else:  # never acknowledged: the client is told to retry
                        self.pending_bytes -= record.size
                        self._in_flight.pop(record.request_id, None)
                self._ready.notify_all()
            for record, _frame in batch:
                if error is None:
                    record.durable.set_result(record)
                else:
                    record.durable.set_exception(error)

    def _rotate(self, fd: int) -> None:
        old = self._active
        assert old is not None
        self._open_segment()
        self._retire(old, fd)

    def _retire(self, seg: _Segment, fd: int) -> None:
        os.close(fd)
        seg.active = False
        if seg.finished == seg.records:
            self._drop_segment(seg)

    # -- the drainer's side -------------------------------------------------------------
    def take(self, *, max_rows: int, wait_first: float, wait_more: float) -> list[Record]:
        """Durable records for one micro-batch: wait for a first one, then for more, bounded."""
        taken: list[Record] = []
        rows = 0
        with self._lock:
            deadline = time.monotonic() + wait_first
            while not self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return taken
                self._ready.wait(timeout=left)
            more_until = time.monotonic() + wait_more
            while True:
                while self._pending and (
                    not taken or rows + len(self._pending[0].leads) <= max_rows
                ):
                    record = self._pending.popleft()
                    taken.append(record)
                    rows += len(record.leads)
                left = more_until - time.monotonic()
                if rows >= max_rows or left <= 0 or (self._pending and taken):
                    return taken
                self._ready.wait(timeout=left)

    def give_back(self, records: list[Record]) -> None:
        """Return records whose load failed temporarily to the front of the queue."""
        with self._lock:
            self._pending.extendleft(reversed(records))
            self._ready.notify_all()

    def complete(self, done: Iterable[tuple[Record, Results]]) -> None:
        """Record drained records durably, resolve their waiters and free their space."""
        by_segment: dict[int, list[tuple[Record, Results]]] = {}
        for record, results in done:
            by_segment.setdefault(record.segment, []).append(
                (record, merge_skipped(record, results))
            )
        for number, items in by_segment.items():
            lines = b"".join(
                json.dumps(
                    {"offset": r.offset, "id": r.request_id, "results": res},
                    ensure_ascii=False,
                    separators=(",", ":"),
                ).encode("utf-8")
                + b"\n"
                for r, res in items
            )
            path = self.directory / f"{_segment_name(number)}.done"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                _write_all(fd, lines)
                os.fdatasync(fd)
            finally:
                os.close(fd)
        with self._lock:
            for items in by_segment.values():
                for record, results in items:
                    self.pending_bytes -= record.size
                    self._in_flight.pop(record.request_id, None)
                    self._remember(record.request_id, results)
                    seg = self._segments.get(record.segment)
                    if seg is not None:
                        seg.finished += 1
                        if not seg.active and seg.finished == seg.records:
                            self._drop_segment(seg)
        for items in by_segment.values():
            for record, results in items:
                if not record.done.done():
                    record.done.set_result(results)

    def _remember(self, request_id: str, results: Results) -> None:
        self._results[request_id] = results
        self._results.move_to_end(request_id)
        while len(self._results) > self.settings.results_kept:
            self._results.popitem(last=False)

    # -- look-ups -----------------------------------------------------------------------
    def result(self, request_id: str) -> tuple[str, Results | None]:
        """`('done', results)`, `('pending', None)` or `('unknown', None)` for a request id."""
        with self._lock:
            if request_id in self._in_flight:
                return "pending", None
            if request_id in self._results:
                return "done", self._results[request_id]
        return "unknown", None

    def stats(self) -> dict[str, Any]:
        """Counts for the health endpoint."""
        with self._lock:
            return {
                "pending_records": len(self._in_flight),
                "pending_bytes": self.pending_bytes,
                "max_pending_bytes": self.settings.max_pending_bytes,
                "segments": len(self._segments),
            }

    def idle(self) -> bool:
        """True when every written record has been drained."""
        with self._lock:
            return not self._in_flight

    def close(self) -> None:
        """Stop accepting records, write the queued ones and release the directory."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._unsynced.notify_all()
            self._ready.notify_all()
        self._syncer.join(timeout=30)
        with self._lock:
            seg = self._active
            if seg is not None:
                self._retire(seg, self._fd)
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)


class _RequestIds:
    """Unguessable request ids (they fetch results), from one `os.urandom` call per 256 ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = b""

    def new(self) -> str:
        with self._lock:
            if not self._pool:
                self._pool = os.urandom(12 * 256)
            chunk, self._pool = self._pool[:12], self._pool[12:]
        return chunk.hex()


def _read_records(path: Path, number: int) -> list[Record]:
    """Every intact record of a segment; a torn tail (a write cut by a crash) is cut off."""
    data = path.read_bytes()
    records: list[Record] = []
    pos = 0
    while pos + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        payload = data[pos + _HEADER.size : end]
        if length > _MAX_RECORD or end > len(data) or zlib.crc32(payload) != crc:
            break
        body = json.loads(payload)
        records.append(
            Record(
                body["id"],
                number,
                pos,
                end - pos,
                int(body["first_row"]),
                body["user"],
                body["leads"],
                body.get("meta", {}),
            )
        )
        pos = end
    if pos != len(data):
        log.warning(
            "spool segment %s: cutting %d bytes of a torn record at offset %d",
            path,
            len(data) - pos,
            pos,
        )
        with path.open("r+b") as handle:
            handle.truncate(pos)
            os.fsync(handle.fileno())
    return records


def _read_done(path: Path) -> dict[int, dict[str, Any]]:
    entries: dict[int, dict[str, Any]] = {}
    with path.open("rb") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a crash: its records are drained again
                continue
            entries[int(entry["offset"])] = entry
    return entries


# -- loading ------------------------------------------------------------------------------
def _frame(rows: list[tuple[int, dict[str, str]]]) -> pl.DataFrame:
    """The leads as a frame of String columns plus `source_row`, as the runner reads files."""
    columns: dict[str, None] = {"phone_number": None}  # absent means empty, as in add_lead
    for _row, lead in rows:
        columns.update(dict.fromkeys(lead))
    columns.pop("user", None)  # the authenticated user travels in `LoadSettings.user`
    data: dict[str, Any] = {name: [lead.get(name, "") for _row, lead in rows] for name in columns}
    data["source_row"] = [row for row, _lead in rows]
    return pl.DataFrame(data, schema={**dict.fromkeys(columns, pl.String), "source_row": pl.Int64})


Batch = list[tuple[int, int, str, list[dict[str, str]]]]
"""A micro-batch as plain data: (segment, first_row, user, leads) per record."""


def _as_batch(records: list[Record]) -> Batch:
    return [(r.segment, r.first_row, r.user, r.leads) for r in records]


def _load_batch(
    batch: Batch, *, input_hashes: dict[int, str], engine: sa.Engine, clock: Clock
) -> dict[tuple[int, int], dict[str, Any]]:
    """Run a micro-batch through `load_frames` per (segment, user); results by (segment, row)."""
    groups: dict[tuple[int, str], list[tuple[int, dict[str, str]]]] = {}
    for segment, first_row, user, leads in batch:
        for i, lead in enumerate(leads):
            groups.setdefault((segment, lead.get("user") or user), []).append((first_row + i, lead))
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for (segment, user), rows in groups.items():
        settings = LoadSettings(
            user=user, options={"source": ""}, keep_results=True, pipeline="webhook"
        )
        summary = load_frames(
            [_frame(rows)],
            name=f"webhook:{_segment_name(segment)}",
            input_hash=input_hashes[segment],
            engine=engine,
            settings=settings,
            clock=clock,
            on_rows=_quiet,
        )
        assert summary.results is not None
        mine = {row for row, _lead in rows}
        for row in summary.results.iter_rows(named=True):
            # NOTE: the runner also reports ledger rows between the batch's first and last
            # source_row that it did not receive (another user's leads of the same segment).
            if row["source_row"] in mine:
                found[(segment, row["source_row"])] = {
                    "status": row["status"],
                    "lead_id": row["lead_id"],
                    "reject_reason": row["reject_reason"],
                    "response": list(row["response"]),
                }
    return found


def _by_record(
    records: list[Record], found: dict[tuple[int, int], dict[str, Any]]
) -> list[tuple[Record, Results]]:
    return [
        (record, [found[(record.segment, record.first_row + i)] for i in range(len(record.leads))])
        for record in records
    ]


def load_records(
    records: list[Record],
    *,
    spool: Spool,
    engine: sa.Engine,
    clock: Clock,
) -> list[tuple[Record, Results]]:
    """Load one micro-batch through the pipeline, once per (segment, user); results per record.

    A lead's user is its record's, unless the lead names another (`user` key: a JSON batch
    whose leads logged in as different users).

    Raises:
        SinkRetryableError: the database failed temporarily; the records may be loaded again.
    """
    hashes = {r.segment: spool.input_hash(r.segment) for r in records}
    return _by_record(
        records, _load_batch(_as_batch(records), input_hashes=hashes, engine=engine, clock=clock)
    )


class ProcessLoader:
    """`load_records` in a child process, so loading never competes with the HTTP loop for the GIL.

    The child holds `DRAIN_LOCK` in the spool directory for its whole life: a child orphaned by a
    `kill -9` of its server finishes its current batch and exits (its pipe is closed) before the
    child of a restarted server may load anything, so two loaders never race on one spool.
    """

    def __init__(self, db_url: str, clock: Clock, spool_dir: Path) -> None:
        self.db_url, self.clock, self.spool_dir = db_url, clock, spool_dir
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_child_main,
            name="leadpipe-drain",
            daemon=True,
            args=(
                child,
                self.db_url,
                self.clock.fixed,
                self.clock.server_tz_name,
                str(self.spool_dir),
            ),
        )
        self._proc.start()
        child.close()
        self._conn = parent

    def __call__(
        self,
        records: list[Record],
        *,
        spool: Spool,
        engine: sa.Engine | None = None,
        clock: Clock | None = None,
    ) -> list[tuple[Record, Results]]:
        """Send a micro-batch to the child and wait for its results."""
        if self._proc is None or not self._proc.is_alive():
            self._start()
        hashes = {r.segment: spool.input_hash(r.segment) for r in records}
        try:
            self._conn.send((_as_batch(records), hashes))
            kind, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.close()
            msg = f"the drain process stopped: {exc or 'pipe closed'}"
            raise SinkRetryableError(msg) from exc
        if kind == "ok":
            return _by_record(records, payload)
        if kind == "retry":
            raise SinkRetryableError(payload)
        if kind == "refused":
            raise IngestError(payload)
        msg = f"the drain process failed: {payload}"
        raise RuntimeError(msg)

    def close(self) -> None:
        """Stop the child (it exits when its pipe closes)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            self._proc.join(timeout=30)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=5)
            self._proc = None


def _child_main(conn: Any, db_url: str, fixed: Any, tz: str | None, spool_dir: str) -> None:
    """The drain process: hold the drain lock, then load batches until the pipe closes."""
    from sinks.database import connect

    # The server decides when this process ends (it closes the pipe): a Ctrl-C or SIGTERM sent
    # to the whole process group must not cut a batch in the middle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    lock_fd = os.open(Path(spool_dir) / "DRAIN_LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)  # waits for an orphaned predecessor to finish
    engine = connect(db_url)
    clock = Clock(fixed=fixed, server_tz_name=tz)
    try:
        while True:
            try:
                batch, hashes = conn.recv()
            except (EOFError, OSError):
                return
            try:
                reply: tuple[str, Any] = (
                    "ok",
                    _load_batch(batch, input_hashes=hashes, engine=engine, clock=clock),
                )
            except _RETRYABLE as exc:
                reply = ("retry", _describe(exc))
            except Exception as exc:
                reply = ("refused" if _terminal(exc) else "error", _describe(exc))
                if reply[0] == "error":
                    log.exception("drain process: batch failed")
            try:
                conn.send(reply)
            except (EOFError, OSError):
                return
    finally:
        engine.dispose()
        os.close(lock_fd)


def _quiet(*_args: object) -> None:
    """No progress display: the server reports through `/health`."""


def merge_skipped(record: Record, results: Results) -> Results:
    """Put back, at their places, the results decided before spooling (`meta["skipped"]`)."""
    skipped: dict[str, Any] = record.meta.get("skipped") or {}
    if not skipped:
        return results
    total = int(record.meta.get("total", len(results) + len(skipped)))
    drained = iter(results)
    return [skipped[str(i)] if str(i) in skipped else next(drained) for i in range(total)]


def _failed(record: Record, exc: BaseException) -> Results:
    detail = _describe(exc)
    return [
        {
            "status": "failed",
            "lead_id": None,
            "reject_reason": "LEAD_NOT_ADDED",
            "response": [
                f"ERROR: add_lead LEAD HAS NOT BEEN ADDED - {lead.get('phone_number', '')}|"
                f"{lead.get('list_id', '')}|{detail}|{lead.get('user') or record.user}"
            ],
        }
        for lead in record.leads
    ]


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


_RETRYABLE = (SinkRetryableError, sa.exc.OperationalError, sa.exc.TimeoutError)
"""Temporary database failures: the batch goes back to the spool and is retried."""


def _terminal(exc: BaseException) -> bool:
    """A refusal about the data or the user (not a temporary failure, not a bug)."""
    return isinstance(exc, (IngestError, SinkError)) and not isinstance(exc, SinkRetryableError)


class Drainer:
    """The thread that drains the spool into VICIdial through `load_records`.

    Error policy: a temporary database failure, and any unexpected error (a bug), puts the
    micro-batch back at the head of the spool and retries it with a growing pause, so an
    acknowledged lead is never dropped (the spool fills and the server answers 503 meanwhile);
    a refusal (`IngestError`, terminal `SinkError`: e.g. the user was deactivated after the request
    was acknowledged) is isolated to its record(s), which get `failed` results.
    """

    def __init__(
        self,
        spool: Spool,
        *,
        engine: sa.Engine,
        clock: Clock,
        load: Callable[..., list[tuple[Record, Results]]] = load_records,
    ) -> None:
        self.spool, self.engine, self.clock, self._load = spool, engine, clock, load
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spool-drain", daemon=True)
        self.last_error: str | None = None
        self.batches = 0
        self.leads = 0

    def start(self) -> None:
        """Start draining."""
        self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the drain thread runs."""
        return self._thread.is_alive()

    def stop(self, *, timeout: float = 60.0) -> bool:
        """Drain what is pending (up to `timeout` seconds), then stop; True when all drained."""
        deadline = time.monotonic() + timeout
        while not self.spool.idle() and time.monotonic() < deadline and self.alive:
            time.sleep(0.02)
        self._stop.set()
        if self.alive:
            self._thread.join(timeout=max(1.0, deadline - time.monotonic()))
        return self.spool.idle()

    def _run(self) -> None:
        s = self.spool.settings
        backoff = 0.1
        while not self._stop.is_set():
            records = self.spool.take(
                max_rows=s.batch_rows, wait_first=0.2, wait_more=s.batch_ms / 1000
            )
            if not records:
                continue
            try:
                done = self._attempt(records)
            except Exception as exc:
                self.last_error = _describe(exc)
                if isinstance(exc, _RETRYABLE):
                    log.warning(
                        "webhook drain: temporary failure, retry in %.1fs: %s",
                        backoff,
                        self.last_error,
                    )
                else:
                    log.error(
                        "webhook drain: unexpected failure, retry in %.1fs", backoff, exc_info=exc
                    )
                self.spool.give_back(records)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.1
            self.spool.complete(done)
            self.batches += 1
            self.leads += sum(len(r.leads) for r in records)

    def _attempt(self, records: list[Record]) -> list[tuple[Record, Results]]:
        try:
            return self._load(records, spool=self.spool, engine=self.engine, clock=self.clock)
        except Exception as exc:
            if not _terminal(exc):
                raise
            self.last_error = _describe(exc)
            log.warning(
                "webhook drain: batch of %d records refused: %s", len(records), self.last_error
            )
        done: list[tuple[Record, Results]] = []
        for record in records:  # isolate the record(s) refused
            try:
                done.extend(
                    self._load([record], spool=self.spool, engine=self.engine, clock=self.clock)
                )
            except Exception as exc:
                if not _terminal(exc):
                    raise
                log.warning(
                    "webhook drain: request %s refused: %s", record.request_id, _describe(exc)
                )
                done.append((record, _failed(record, exc)))
        return done
