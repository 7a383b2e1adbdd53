"""Issue 5 benchmark: a 10,000,000-row CSV through a folder pipeline into SQLite and MariaDB.

Generates the lead CSV of `bench_readers.py` (10,000,000 rows by default; headers such as
`Phone Number`, `Zip Code`, `E-mail`, `DOB`; one malformed line per million), then for each
target:

* makes a fresh database: SQLite through `leadpipe init-db --demo`, MariaDB on a private
  server (`_common.mariadb_engine()`: every table, reference data, demo campaign and lists);
* writes a `pipelines.toml` with a `kind = "folder"` job (`LEADS_101.csv` in its inbox, list id
  from the file name, DUPLIST, US dates of birth) and runs `python -m ingest --db URL run
  bench_folder --quiet --now ...` in a fresh process, whose own peak RSS is read from `wait4`
  (target < 1.5 GiB; the MariaDB server's memory is not counted);
* checks that the run reconciles: the file sits in `done/`, read = added + rejected + already
  loaded, and `vicidial_list` grew by exactly the added count.

Last, a bare `polars.read_csv(path, infer_schema=False)` of the same file in a fresh process
(`bench_readers.py`'s `bare` measurement) gives the read rate the pipeline is compared with:
its `read` stage (reader alone, batch by batch) and its whole run.

The malformed lines are rejected (`MALFORMED_ROW`), so a run ends with exit code 3 (rejects
present). The script exits 1 when a check fails.

Usage:
    python benchmarks/bench_folder.py --rows 100000
    python benchmarks/bench_folder.py --keep /tmp/leads10m.csv --targets mariadb --batch-rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks._common import mariadb_engine
from benchmarks.bench_readers import HEADER, _child, generate
from ingest.mapping import MappingOptions, resolve_columns
from rules.fields import LEAD_FIELDS
from sinks import tables
from sinks.database import connect

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-23 10:18:30"
PIPELINE = "bench_folder"
FILE_NAME = "LEADS_101.csv"  # list 101 (a demo list) from the file name
RSS_TARGET_MB = 1536.0
MAPPING = MappingOptions(dob_format="MM/DD/YYYY")

CONFIG = """\
# written by benchmarks/bench_folder.py
[pipelines.{name}]
description = "Benchmark drop folder: list id from the file name (LEADS_101.csv -> list 101)"
kind = "folder"
incoming = "in"
glob = "*.csv"
prefix = "LEADS_"
list_id_from_filename = true
user = "6666"
duplicate_check = "DUPLIST"
dob_format = "MM/DD/YYYY"
batch_rows = {batch_rows}
stable_seconds = 0  # the file is complete before the run starts; no 2 s growth check
"""


def check_mapping() -> dict[str, str]:
    """Every header of the generated file must land on an add_lead field (no custom columns)."""
    mapped = resolve_columns(HEADER.split(","), MAPPING)
    stray = [col for col, target in mapped.items() if target not in LEAD_FIELDS]
    if stray:
        msg = f"headers {stray} map to no add_lead field: add them to the `column_map`"
        raise SystemExit(msg)
    return mapped


def lead_count(url: str) -> int:
    engine = connect(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(tables.vicidial_list)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def fresh_database(target: str, workdir: Path) -> str:
    """A new database with every table, the reference data and the demo rows; its URL."""
    if target == "sqlite":
        url = f"sqlite:///{workdir / 'vicidial.db'}"
        subprocess.run(
            [sys.executable, "-m", "ingest", "--db", url, "init-db", "--demo"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return url
    # a VICIdial server holding 10M leads gives MyISAM a key cache that holds the lead table's
    # indexes (about 1.5 GB here); the tests' 256M would make this a benchmark of disk reads
    os.environ.setdefault("LEADPIPE_MARIADB_KEY_BUFFER", "2G")
    print(f"MariaDB key_buffer_size: {os.environ['LEADPIPE_MARIADB_KEY_BUFFER']}")
    engine = mariadb_engine()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return url


def drop_file(source: Path, inbox: Path) -> Path:
    """Put the CSV in the inbox; a hard link when possible (the job moves it to done/)."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / FILE_NAME
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def run_child(cmd: list[str], workdir: Path) -> dict[str, Any]:
    """Run `cmd` in a fresh process; its exit code, wall time, own peak RSS and output."""
    out, err = workdir / "stdout.txt", workdir / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
        )
        # NOTE: wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in init-db and
        # the bare read (it keeps the largest of every child waited for).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting
    return {
        "exit": proc.returncode,
        "wall": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stdout": out.read_text(errors="replace"),
        "stderr": err.read_text(errors="replace"),
    }


def run_target(target: str, csv: Path, workdir: Path, batch_rows: int) -> dict[str, Any]:
    """Load `csv` through a folder job into a fresh `target` database; print and check it."""
    print(f"\n== {target}: folder job, {FILE_NAME} ({csv.stat().st_size / 2**20:,.0f} MiB) ==")
    workdir.mkdir(parents=True)
    url = fresh_database(target, workdir)
    before = lead_count(url)
    inbox = workdir / "in"
    drop_file(csv, inbox)
    config = workdir / "pipelines.toml"
    config.write_text(CONFIG.format(name=PIPELINE, batch_rows=batch_rows), encoding="utf-8")
    cmd = [sys.executable, "-m", "ingest", "--db", url, "run", PIPELINE]
    cmd += ["--config", str(config), "--quiet", "--now", NOW]
    child = run_child(cmd, workdir)
    done = inbox / "done" / FILE_NAME
    report_path = done.with_name(done.name + ".report.json")
    report: dict[str, Any] = json.loads(report_path.read_text()) if report_path.exists() else {}
    after = lead_count(url)

    summary_line = next(
        (ln for ln in child["stderr"].splitlines() if ln.startswith("read ")), "(none)"
    )
    last_line = (child["stdout"].strip().splitlines() or ["(no output)"])[-1]
    read, added = int(report.get("read", 0)), int(report.get("added", 0))
    own = float(report.get("seconds", 0.0)) or child["wall"]
    stages: dict[str, float] = report.get("stages", {})
    problems = []
    if child["exit"] not in (0, 3):
        problems.append(f"exit code {child['exit']}")
    if not done.exists() or (inbox / FILE_NAME).exists():
        problems.append(f"{FILE_NAME} is not (only) in done/")
    if not report:
        problems.append("no report beside the done file")
    elif read != added + int(report["rejected"]) + int(report["already_loaded"]):
        problems.append("read != added + rejected + already loaded")
    if after - before != added:
        problems.append(
            f"vicidial_list grew by {after - before:,}, the run reported {added:,} added"
        )

    print(f"exit code            {child['exit']} (3 = rejected rows present)")
    print(f"summary              {summary_line}")
    print(f"last line            {last_line}")
    print(f"rejects by reason    {report.get('reasons', {})}")
    print(f"rows read            {read:,}")
    print(
        f"wall time            {child['wall']:,.2f} s  {read / child['wall']:>12,.0f} rows/s  "
        f"(process start to exit)"
    )
    print(f"run time             {own:,.2f} s  {read / own:>12,.0f} rows/s  (the run's own clock)")
    print("stages               " + ", ".join(f"{k} {v:,.2f}s" for k, v in stages.items()))
    verdict = "ok" if child["peak_rss_mb"] < RSS_TARGET_MB else "OVER"
    print(
        f"peak RSS             {child['peak_rss_mb']:,.0f} MiB "
        f"(target < {RSS_TARGET_MB:,.0f}: {verdict})"
    )
    print(
        f"vicidial_list        {before:,} -> {after:,} rows (+{after - before:,}; added {added:,})"
    )
    print("reconciles           " + ("yes" if not problems else "NO: " + "; ".join(problems)))
    if problems:
        print(child["stderr"][-3000:], file=sys.stderr)
    return {
        "target": target,
        "read": read,
        "seconds": own,
        "read_seconds": stages.get("read", 0.0),
        "peak_rss_mb": child["peak_rss_mb"],
        "ok": not problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--targets", default="sqlite,mariadb", help="comma-separated: sqlite, mariadb"
    )
    parser.add_argument("--keep", type=Path, help="CSV path to reuse (generated when missing)")
    parser.add_argument("--batch-rows", type=int, default=100_000, help="the job's `batch_rows`")
    args = parser.parse_args()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = sorted(set(targets) - {"sqlite", "mariadb"})
    if unknown:
        parser.error(f"unknown targets {unknown}: use sqlite, mariadb")
    mapped = check_mapping()
    print("mapping: " + ", ".join(f"{k} -> {v}" for k, v in mapped.items() if k != v))

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-folder-") as tmp:
        path = args.keep.resolve() if args.keep else Path(tmp) / "leads.csv"
        if path.exists():
            print(f"reusing {path} ({path.stat().st_size / 2**20:,.0f} MiB)")
        else:
            started = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) "
                  f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
        for target in targets:
            results.append(run_target(target, path, Path(tmp) / target, args.batch_rows))
        bare = _child("bare", path, args.batch_rows)

    bare_rate = bare["rows"] / bare["seconds"]
    print("\n== read rate against a bare polars.read_csv(infer_schema=False) of the same file ==")
    print(
        f"{'polars.read_csv (bare)':<28} {int(bare['rows']):>11,} rows {bare['seconds']:8.2f}s "
        f"{bare_rate:>12,.0f} rows/s  peak RSS {bare['peak_rss_mb']:,.0f} MiB"
    )
    for r in results:
        if not r["read_seconds"]:
            continue
        read_rate, run_rate = r["read"] / r["read_seconds"], r["read"] / r["seconds"]
        print(
            f"{r['target'] + ' read stage':<28} {r['read']:>11,} rows {r['read_seconds']:8.2f}s "
            f"{read_rate:>12,.0f} rows/s  = {read_rate / bare_rate:.2f}x bare"
        )
        print(
            f"{r['target'] + ' whole run':<28} {r['read']:>11,} rows {r['seconds']:8.2f}s "
            f"{run_rate:>12,.0f} rows/s  = {run_rate / bare_rate:.2f}x bare"
        )
    if not all(r["ok"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
