"""Issue 4 benchmark: end-to-end loads (validation + write) into VICIdial's tables.

MariaDB: N leads (DUPLIST, 10% custom fields, 5% callbacks, 20% hopper) into `vicidial_list`
(MyISAM, 12 secondary indexes), empty and pre-filled with M leads. In the same run and on the
same table state it measures (a) a row-by-row path like VICIdial's loaders (a SELECT for the
duplicate check and an INSERT per lead, on a sample) and (b) a bare `LOAD DATA` of the same
final rows (the limit). The load and the bare `LOAD DATA` run `--repeat` times each, in turns,
from the same restored table: on a shared 2-core machine one pair can differ from the next by
a third, so every pair is printed and the median of their ratios is the figure. SQLite: the
same load against a bare `executemany` of the same rows.

    python benchmarks/bench_load.py --rows 200000 --prefill 1000000
    python benchmarks/bench_load.py --rows 50000 --prefill 200000 --skip-sqlite --repeat 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (
    bulk_fill_leads,
    lead_frame,
    mariadb_engine,
    peak_rss_mb,
    prepare_database,
    reset_peak_rss,
    timed,
)
from ingest.clock import Clock
from ingest.runner import LoadSettings, load_files
from sinks import tables
from sinks.database import connect
from sinks.vicidial import LEAD_COLUMNS, load_data_rows, write_rows

NOW = datetime(2026, 11, 23, 10, 18, 30)
OPTIONS = {"list_id": "101", "campaign_id": "TESTCAMP", "duplicate_check": "DUPLIST", "source": "bench"}


def input_file(rows: int, workdir: Path) -> Path:
    """The lead file: 10% custom fields, 5% callbacks, 20% hopper, ~2% in-file duplicates."""
    frame = lead_frame(rows, seed=11).with_row_index("_i")
    i = pl.col("_i")
    frame = frame.with_columns(
        custom_fields=pl.when(i % 10 == 0).then(pl.lit("Y")).otherwise(pl.lit("")),
        color=pl.when(i % 10 == 0).then(pl.lit("blue")).otherwise(pl.lit("")),
        size=pl.when(i % 10 == 0).then(pl.lit("L")).otherwise(pl.lit("")),
        callback=pl.when(i % 20 == 1).then(pl.lit("Y")).otherwise(pl.lit("")),
        callback_datetime=pl.when(i % 20 == 1).then(pl.lit("3DAYS")).otherwise(pl.lit("")),
        add_to_hopper=pl.when(i % 5 == 2).then(pl.lit("Y")).otherwise(pl.lit("")),
    ).drop("_i")
    path = workdir / "leads.csv"
    frame.write_csv(path)
    return path


def custom_fields(engine: sa.Engine) -> None:
    """List 101 gets two custom fields, `color` and `size`, and its `custom_101` table."""
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.vicidial_lists_fields), [
            {"list_id": 101, "field_label": "color", "field_name": "Color", "field_type": "SELECT",
             "field_options": "red,Red\nblue,Blue", "field_max": 10, "field_rank": 1, "field_order": 1},
            {"list_id": 101, "field_label": "size", "field_name": "Size", "field_type": "TEXT",
             "field_options": "", "field_max": 5, "field_rank": 2, "field_order": 1},
        ])
        conn.exec_driver_sql(
            "CREATE TABLE custom_101 (lead_id INTEGER NOT NULL PRIMARY KEY, color VARCHAR(10), size VARCHAR(5))"
        )


BATCH_ROWS = [100_000]  # --batch-rows


def run_pipeline(engine: sa.Engine, path: Path, label: str, rows: int, times: dict[str, float]) -> pl.DataFrame:
    settings = LoadSettings(user="6666", options=OPTIONS, batch_rows=BATCH_ROWS[0])
    clock = Clock(fixed=NOW, server_tz_name="UTC")
    with engine.connect() as conn:
        top = conn.execute(sa.select(sa.func.coalesce(sa.func.max(tables.vicidial_list.c.lead_id), 0))).scalar_one()
    with timed(label, rows, times):
        summary = load_files([path], engine=engine, settings=settings, clock=clock)
    print(f"   {summary.one_line()}; stages {summary.stages}")
    with engine.connect() as conn:
        result = conn.execute(sa.select(*[tables.vicidial_list.c[c] for c in LEAD_COLUMNS])
                              .where(tables.vicidial_list.c.lead_id > top))
        written = pl.DataFrame([tuple(r) for r in result], schema=list(LEAD_COLUMNS), orient="row",
                               infer_schema_length=None)
    return written.with_columns(pl.col(c).cast(pl.String) for c in ("entry_date", "last_local_call_time", "date_of_birth"))


def snapshot(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_base")
        conn.exec_driver_sql("CREATE TABLE bench_base LIKE vicidial_list")
        conn.exec_driver_sql("INSERT INTO bench_base SELECT * FROM vicidial_list")


def restore(engine: sa.Engine) -> None:
    """Put `vicidial_list` back to the snapshot (same rows, same indexes, same counter)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE vicidial_list")
        conn.exec_driver_sql("CREATE TABLE vicidial_list LIKE bench_base")
        conn.exec_driver_sql("ALTER TABLE vicidial_list DISABLE KEYS")
        conn.exec_driver_sql("INSERT INTO vicidial_list SELECT * FROM bench_base")
        conn.exec_driver_sql("ALTER TABLE vicidial_list ENABLE KEYS")
        for name in ("vicidial_list_alt_phones", "vicidial_hopper", "vicidial_callbacks", "custom_101"):
            conn.exec_driver_sql(f"DELETE FROM `{name}`")
        for name in ("leadpipe_row_ledger", "leadpipe_batch_ledger", "leadpipe_inputs"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")  # the run creates them afresh


def row_by_row(engine: sa.Engine, written: pl.DataFrame, sample: int) -> float:
    """VICIdial's loader path: per lead a duplicate SELECT and an INSERT; returns rows/s."""
    rows = written.drop("lead_id").head(sample).to_dicts()
    columns = [c for c in LEAD_COLUMNS if c != "lead_id"]
    insert = "INSERT INTO vicidial_list ({}) VALUES ({})".format(
        ", ".join(f"`{c}`" for c in columns), ", ".join(f"%({c})s" for c in columns))
    start = time.perf_counter()
    with engine.connect() as conn:
        for row in rows:
            conn.exec_driver_sql("SELECT lead_id FROM vicidial_list WHERE phone_number = %(p)s AND list_id = %(l)s",
                                 {"p": row["phone_number"], "l": row["list_id"]}).all()
            conn.exec_driver_sql(insert, row)
        conn.commit()
    return len(rows) / (time.perf_counter() - start)


def mariadb_part(rows: int, prefill: int, sample: int, workdir: Path, fills: tuple[int, ...] | None = None,
                 repeat: int = 3) -> None:
    path = input_file(rows, workdir)
    for fill in fills if fills is not None else (0, prefill):
        print(f"\n== MariaDB, vicidial_list MyISAM with {fill:,} leads before: {rows:,} new leads, "
              f"batches of {BATCH_ROWS[0]:,} ==")
        engine = mariadb_engine()
        custom_fields(engine)
        times: dict[str, float] = {}
        if fill:
            with timed(f"pre-fill {fill:,} leads (set-up)", fill, times):
                bulk_fill_leads(engine, fill, seed=5, workdir=workdir)
        snapshot(engine)
        ratios: list[float] = []
        pipeline_times: list[float] = []
        written = pl.DataFrame()
        for turn in range(1, repeat + 1):
            print(f"-- pair {turn} of {repeat}")
            restore(engine)  # every run starts from the same freshly restored table and indexes
            reset_peak_rss()  # the printed peak is this load's, not the set-up's or an earlier run's
            written = run_pipeline(engine, path, "leadpipe end to end", rows, times)
            restore(engine)
            with engine.begin() as conn, timed("bare LOAD DATA of the same final rows", written.height, times):
                load_data_rows(conn, tables.vicidial_list, written, workdir=workdir)
            # NOTE: a ratio of times, not of rates: leadpipe reads every input row, the bare LOAD
            # writes only the added ones, and a rate ratio would flatter leadpipe by the rejects
            ratios.append(times["leadpipe end to end"] / times["bare LOAD DATA of the same final rows"])
            pipeline_times.append(times["leadpipe end to end"])
            print(f"   leadpipe time / bare LOAD DATA time: {ratios[-1]:,.2f}x")
        restore(engine)
        per_row = row_by_row(engine, written, sample)
        lead = rows / statistics.median(pipeline_times)
        print(f"row-by-row (SELECT + INSERT per lead) on {sample:,} leads: {per_row:,.0f} rows/s")
        print(f"ratio leadpipe (median {lead:,.0f} rows/s) / row-by-row: {lead / per_row:,.1f}x (target >= 5x)")
        print(f"leadpipe time / bare LOAD DATA time: median {statistics.median(ratios):,.2f}x of "
              f"{', '.join(f'{r:.2f}' for r in ratios)} (target <= 1.4x)")
        engine.dispose()


def sqlite_part(rows: int, workdir: Path) -> None:
    print(f"\n== SQLite: {rows:,} new leads ==")
    path = input_file(rows, workdir)
    times: dict[str, float] = {}
    url = f"sqlite:///{workdir / 'bench.db'}"
    engine = connect(url)
    prepare_database(engine)
    custom_fields(engine)
    reset_peak_rss()
    written = run_pipeline(engine, path, "leadpipe end to end", rows, times)
    engine.dispose()
    bare_url = f"sqlite:///{workdir / 'bare.db'}"
    bare = connect(bare_url)
    tables.metadata.create_all(bare)
    with bare.begin() as conn, timed("bare executemany of the same rows", written.height, times):
        write_rows(conn, tables.vicidial_list, written, chunk_rows=written.height)
    bare.dispose()
    ratio = times["leadpipe end to end"] / times["bare executemany of the same rows"]
    print(f"leadpipe time / bare executemany time: {ratio:,.2f}x (target <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=3_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-mariadb", action="store_true")
    parser.add_argument("--batch-rows", type=int, default=100_000,
                        help="the pipeline's batch size (default: pipelines.toml's default)")
    parser.add_argument("--repeat", type=int, default=3, help="MariaDB: load/bare pairs per table state")
    parser.add_argument("--only-prefilled", action="store_true", help="MariaDB: skip the empty-table run.")
    args = parser.parse_args()
    BATCH_ROWS[0] = args.batch_rows
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            sqlite_part(args.rows, Path(tmp))
        if not args.skip_mariadb:
            fills = (args.prefill,) if args.only_prefilled else None
            mariadb_part(args.rows, args.prefill, args.sample, Path(tmp), fills, max(1, args.repeat))
    print(f"\npeak RSS of the whole run: {peak_rss_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
