"""Issue 3 benchmark: add_lead's validation stage, vectorised, against one-row-at-a-time.

Part 1 (in memory): N synthetic leads through every in-memory rule (cleaning, defaults, phone
checks, state lookup, system and campaign DNC, DUPLIST in-batch duplicates, time zone by area
code and postal code) with look-up frames built from the shipped reference data.
Part 2 (MariaDB): N leads with DUPCAMP90DAY + system and campaign DNC against M existing leads,
through the real pipeline in dry-run (set-based look-ups, nothing written).
Each part prints rows/s, peak RSS and the ratio to a row-at-a-time reference measured in the
same run on a sample.

    python benchmarks/bench_rules.py --rows 1000000 --existing 5000000
    python benchmarks/bench_rules.py --rows 100000 --skip-mariadb
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (
    bulk_fill_leads,
    lead_frame,
    mariadb_engine,
    peak_rss_mb,
    phones,
    reset_peak_rss,
    timed,
)
from ingest.clock import Clock
from ingest.runner import LoadSettings, load_files, settle_columns, settled_constants
from rules.addlead import Actor, Lookups, check_duplicates, prepare, screen
from sinks.reference import read_shipped

NOW = datetime(2026, 11, 23, 10, 18, 30)
OPTIONS = {
    "list_id": "101", "campaign_id": "TESTCAMP", "duplicate_check": "DUPLIST", "dnc_check": "Y",
    "campaign_dnc_check": "Y", "usacan_prefix_check": "Y", "usacan_areacode_check": "Y",
    "lookup_state": "Y", "tz_method": "POSTAL", "source": "bench",
}


def _with_order(frame: pl.DataFrame) -> pl.LazyFrame:
    return frame.with_row_index("_order").with_columns(pl.col("_order").cast(pl.Int64)).lazy()


def _lookups(numbers: list[str]) -> tuple[Lookups, pl.LazyFrame]:
    dnc = pl.DataFrame({"phone_number": numbers[::100]})  # 1% of the leads are on the DNC list
    lookups = Lookups(
        phone_codes=_with_order(read_shipped("vicidial_phone_codes")),
        postal_codes=_with_order(read_shipped("vicidial_postal_codes")),
        nanpa=None, nanpa_count=0,
        system_dnc=dnc.lazy(),
        campaign_dnc=pl.DataFrame({"phone_number": numbers[50::200], "campaign_id": "TESTCAMP"}).lazy(),
        campaign_dnc_source=pl.DataFrame({"campaign_id": ["TESTCAMP"], "use_other_campaign_dnc": [""]}).lazy(),
        defined_lists=frozenset({101, 102, 998, 999}),
    )
    list_campaigns = pl.DataFrame({"list_id": [101, 102, 998, 999], "campaign_id": ["TESTCAMP"] * 4}).lazy()
    return lookups, list_campaigns


_EXISTING = pl.DataFrame(schema={
    "lead_id": pl.Int64, "list_id": pl.Int64, "phone_number": pl.String, "alt_phone": pl.String,
    "title": pl.String, "first_name": pl.String, "last_name": pl.String, "entry_date": pl.String,
})


def validate_frame(raw: pl.DataFrame, lookups: Lookups, list_campaigns: pl.LazyFrame) -> pl.DataFrame:
    """Every in-memory rule over one frame, as the runner chains them."""
    settled = settle_columns(raw, OPTIONS, "bench")
    screened = screen(prepare(settled.lazy(), cleaned=settled_constants(raw)), lookups=lookups, actor=Actor(user="6666"),
                      server_now=NOW, server_offset=0.0)
    return check_duplicates(screened, existing=_EXISTING.lazy(), list_campaigns=list_campaigns,
                            server_now=NOW).collect()


def part_in_memory(rows: int, sample: int) -> None:
    print(f"\n== in-memory rules: {rows:,} leads ==")
    raw = lead_frame(rows, seed=3).with_row_index("source_row", offset=1).with_columns(
        pl.col("source_row").cast(pl.Int64)
    )
    lookups, list_campaigns = _lookups(raw.get_column("phone_number").to_list())
    times: dict[str, float] = {}
    with timed("vectorised (whole batch)", rows, times):
        out = validate_frame(raw, lookups, list_campaigns)
    verdicts = out.get_column("reject_reason").value_counts(sort=True)
    print("verdicts:", dict(verdicts.iter_rows()))
    head = raw.head(sample)
    start = time.perf_counter()
    for i in range(sample):  # the same rules, one lead per call, as add_lead runs them
        validate_frame(head.slice(i, 1), lookups, list_campaigns)
    per_row = sample / (time.perf_counter() - start)
    vector = rows / times["vectorised (whole batch)"]
    print(f"row-at-a-time reference on {sample:,} leads: {per_row:,.0f} rows/s")
    print(f"ratio vectorised / row-at-a-time: {vector / per_row:,.0f}x   (target: >= 500,000 rows/s)")


def part_mariadb(rows: int, existing: int, sample: int, workdir: Path, batch_rows: int) -> None:
    print(f"\n== MariaDB: {rows:,} leads, DUPCAMP90DAY + DNC, against {existing:,} existing ==")
    engine = mariadb_engine()
    times: dict[str, float] = {}
    with timed(f"fill {existing:,} existing leads (set-up)", existing, times):
        bulk_fill_leads(engine, existing, seed=5, workdir=workdir, days_old=20)
    new = lead_frame(rows, seed=9)
    # a share of the new leads already exist (other list of the campaign) or are on a DNC list
    old = phones(existing, seed=5, start=10_000_000)
    new = new.with_columns(pl.Series("phone_number", [
        old[i * 37 % existing] if i % 10 == 0 else p for i, p in enumerate(new.get_column("phone_number"))
    ]))
    numbers = new.get_column("phone_number").to_list()
    gc.collect()
    reset_peak_rss()  # the fill above is set-up: the pipeline's peak is what counts
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT IGNORE INTO vicidial_dnc (phone_number) VALUES " + ",".join(
            f"('{p}')" for p in numbers[1::50]))
        conn.exec_driver_sql("INSERT IGNORE INTO vicidial_campaign_dnc (phone_number, campaign_id) VALUES " + ",".join(
            f"('{p}','TESTCAMP')" for p in numbers[3::50]))
    path = workdir / "new.csv"
    new.write_csv(path)
    settings = LoadSettings(user="6666", options={**OPTIONS, "duplicate_check": "DUPCAMP90DAY"},
                            batch_rows=batch_rows, dry_run=True)
    clock = Clock(fixed=NOW, server_tz_name="UTC")
    with timed("pipeline, set-based look-ups (dry run)", rows, times):
        summary = load_files([path], engine=engine, settings=settings, clock=clock)
    print("summary:", summary.one_line(), dict(summary.reasons))
    print("stages (s; the screen of one batch overlaps the duplicate check of the one before):",
          {k: round(v, 1) for k, v in summary.stages.items()})
    # reference: what add_lead does per lead — one SELECT per check (DNC, campaign DNC, DUPCAMP)
    start = time.perf_counter()
    with engine.connect() as conn:
        lists = [r[0] for r in conn.exec_driver_sql(
            "SELECT list_id FROM vicidial_lists WHERE campaign_id = 'TESTCAMP'")]
        in_lists = ",".join(str(x) for x in lists)
        for phone in numbers[:sample]:
            conn.exec_driver_sql("SELECT count(*) FROM vicidial_dnc WHERE phone_number = %s", (phone,)).all()
            conn.exec_driver_sql("SELECT count(*) FROM vicidial_campaign_dnc WHERE phone_number = %s "
                                 "AND campaign_id = 'TESTCAMP'", (phone,)).all()
            conn.exec_driver_sql(
                f"SELECT lead_id, list_id FROM vicidial_list WHERE phone_number = %s AND list_id IN ({in_lists}) "
                "AND entry_date > %s LIMIT 1", (phone, "2026-08-25 10:18:30")).all()
    per_row = sample / (time.perf_counter() - start)
    vector = rows / times["pipeline, set-based look-ups (dry run)"]
    print(f"row-at-a-time reference (3 SELECTs per lead) on {sample:,} leads: {per_row:,.0f} rows/s")
    print(f"ratio pipeline / row-at-a-time: {vector / per_row:,.1f}x   (target: >= 30x)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--existing", type=int, default=5_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--skip-mariadb", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--batch-rows", type=int, default=50_000, help="pipeline batch size (MariaDB part)")
    args = parser.parse_args()
    if not args.skip_memory:
        part_in_memory(args.rows, args.sample)
    if not args.skip_mariadb:
        with tempfile.TemporaryDirectory() as tmp:
            part_mariadb(args.rows, args.existing, args.sample, Path(tmp), args.batch_rows)
    print(f"\npeak RSS (of the MariaDB pipeline when it ran, its fill excluded): {peak_rss_mb():,.0f} MiB (target < 2 GB)")


if __name__ == "__main__":
    main()
