"""Shared pieces of the benchmarks: synthetic leads, database set-up, timing and peak memory."""

from __future__ import annotations

import contextlib
import random
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.demo import seed_demo
from sinks.reference import load_reference_data

AREAS = ["201", "212", "305", "312", "415", "503", "602", "713", "727", "808", "907", "416", "604"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it started or since `reset_peak_rss`, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start peak RSS afresh (Linux `clear_refs` 5), so a set-up's peak does not count."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@contextmanager
def timed(label: str, rows: int, into: dict[str, float]) -> Iterator[None]:
    """Time a block and print rows/s for it."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    into[label] = seconds
    print(f"{label:<44} {seconds:9.2f} s  {rows / seconds:12,.0f} rows/s  peak RSS {peak_rss_mb():,.0f} MiB")


def phones(n: int, *, seed: int, start: int = 0) -> list[str]:
    """`n` distinct 10-digit NANP numbers (deterministic per seed and start)."""
    rng = random.Random(seed)
    return [f"{rng.choice(AREAS)}{200 + (i // 10_000) % 800:03d}{i % 10_000:04d}" for i in range(start, start + n)]


def lead_frame(n: int, *, seed: int = 1, dup_share: float = 0.02, start: int = 0) -> pl.DataFrame:
    """`n` synthetic leads with add_lead field names, a share of in-file duplicate phones."""
    rng = random.Random(seed)
    numbers = phones(n, seed=seed, start=start)
    for i in range(n):
        if i and rng.random() < dup_share:
            numbers[i] = numbers[rng.randrange(i)]
    first = ["Ana", "Bob", "Carla", "Dmitri", "Erin", "Farid", "Grace", "Hector"]
    last = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Brown", "Rossi"]
    return pl.DataFrame({
        "phone_number": numbers,
        "first_name": [first[i % len(first)] for i in range(n)],
        "last_name": [last[i % len(last)] for i in range(n)],
        "address1": [f"{i % 999 + 1} Main St" for i in range(n)],
        "city": ["Tampa"] * n,
        "state": ["FL"] * n,
        "postal_code": [f"{33700 + i % 90:05d}" for i in range(n)],
        "vendor_lead_code": [f"V{start + i}" for i in range(n)],
        "source_id": ["bench"] * n,
        "email": [f"lead{start + i}@example.com" for i in range(n)],
    })


def prepare_database(engine: sa.Engine) -> None:
    """Every VICIdial table, reference data and the demo campaign, lists and user."""
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
        seed_demo(conn)


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """Write a frame as the CSV lead file the benchmark loads."""
    frame.write_csv(path)
    return path


def mariadb_engine() -> sa.Engine:
    """A fresh database on a private MariaDB server (tests/_mariadb.py), with every table."""
    from sinks.database import connect
    from tests import _mariadb

    engine = connect(_mariadb.server().new_database("bench"))
    prepare_database(engine)
    return engine


def bulk_fill_leads(engine: sa.Engine, n: int, *, seed: int, workdir: Path, days_old: int = 30) -> None:
    """Append `n` existing leads to `vicidial_list` (set-up only: keys rebuilt once at the end)."""
    from sinks.vicidial import load_data_rows

    frame = lead_frame(n, seed=seed, dup_share=0.0, start=10_000_000)
    stamp = f"2026-10-{max(1, 28 - days_old % 28):02d} 12:00:00"
    frame = frame.with_columns(
        list_id=pl.Series([101, 102, 998][i % 3] for i in range(n)),
        entry_date=pl.lit(stamp), status=pl.lit("NEW"), user=pl.lit("6666"),
        gmt_offset_now=pl.lit(-5.0), called_since_last_reset=pl.lit("N"), phone_code=pl.lit("1"),
        gender=pl.lit("U"), date_of_birth=pl.lit("0000-00-00"), alt_phone=pl.lit(""),
        last_local_call_time=pl.lit(stamp), rank=pl.lit(0), owner=pl.lit(""), entry_list_id=pl.lit(0),
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE vicidial_list DISABLE KEYS")
        for part in frame.iter_slices(1_000_000):
            load_data_rows(conn, tables.vicidial_list, part, workdir=workdir)
        conn.exec_driver_sql("ALTER TABLE vicidial_list ENABLE KEYS")
