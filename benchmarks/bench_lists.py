"""Benchmark: a big list reset and a big DNC load on MariaDB, chunked (leadpipe) against a baseline.

Starts a throwaway MariaDB server (`tests/_mariadb.py`), creates VICIdial's tables, fills
`vicidial_list` with `--leads` leads of list 101 (plus a tenth as many of list 102, interleaved)
and writes a DNC file of `--numbers` numbers, with `LOAD DATA LOCAL INFILE` / polars. Then, each
operation in its own process:

* reset of list 101: `leadpipe` (`reset_lists`, chunked) vs one big `UPDATE … WHERE list_id=101`;
* DNC load of the file into the empty `vicidial_dnc`: `leadpipe` (`run_list_job` dnc_load, file
  reading included) vs row-by-row `INSERT IGNORE` (on the first `--row-sample` numbers, since it
  would take hours on all of them), then a `leadpipe` `replace` with a file that differs by 10%.

Printed per operation: rows, seconds, rows/s, longest single statement, and the longest wait
of a "dialer" probe that meanwhile touches the same table every 20 ms (one-row UPDATE of a lead
of another list, or one-number DNC lookup) — the longest time the dialer was locked out — and
the peak RSS of the process doing the work (its `VmHWM`).

    python benchmarks/bench_lists.py --leads 1000000 --numbers 5000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pymysql
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.list_jobs import ListJobSpec, run_list_job
from sinks import tables
from sinks.database import connect
from sinks.lists import reset_lists
from tests import _mariadb

NOW = dt.datetime(2026, 3, 2, 10, 30)


def _load_file(url: str, table: str, columns: list[str], frame: pl.DataFrame) -> None:
    with tempfile.NamedTemporaryFile(suffix=".tsv", delete=False) as tmp:
        path = tmp.name
    frame.write_csv(path, separator="\t", include_header=False)
    engine = connect(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} ({', '.join(columns)})", (path,)
        )
    engine.dispose()
    Path(path).unlink()


def fill(url: str, leads: int) -> None:
    """Leads 1..n of list 101 plus n/10 leads of list 102 spread among them; users and lists."""
    engine = connect(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_campaigns).values(campaign_id="TESTCAMP", active="Y")
        )
        conn.execute(
            sa.insert(tables.vicidial_lists),
            [{"list_id": i, "list_name": f"List {i}", "campaign_id": "TESTCAMP", "active": "Y"}
             for i in (101, 102)],
        )  # fmt: skip
        user = {"user": "6666", "pass": "x", "user_level": 9, "user_group": "ADMIN",
                "modify_lists": "1", "vdc_agent_api_access": "1", "active": "Y",
                "api_allowed_functions": " ALL_FUNCTIONS "}  # fmt: skip
        conn.execute(sa.insert(tables.vicidial_users).values(user))
        group = {"user_group": "ADMIN", "group_name": "Admins",
                 "allowed_campaigns": " -ALL-CAMPAIGNS- - -"}  # fmt: skip
        conn.execute(sa.insert(tables.vicidial_user_groups).values(group))
    total = leads + leads // 10
    ids = pl.int_range(1, total + 1, eager=True)
    frame = pl.DataFrame({
        "lead_id": ids,
        "list_id": (ids % 11 == 0).cast(pl.Int64) + 101,
        "csr": pl.Series(["Y"] * total),
        "phone": (ids + 7_270_000_000).cast(pl.String),
        "status": pl.Series(["NA"] * total),
    })  # fmt: skip
    _load_file(url, "vicidial_list", ["lead_id", "list_id", "called_since_last_reset",
                                      "phone_number", "status"], frame)  # fmt: skip
    engine.dispose()


def write_dnc(path: Path, numbers: int, *, seed: int, keep_from: Path | None = None) -> None:
    """`numbers` random 10-digit numbers (a few duplicates), or 90% of `keep_from` plus 10% new."""
    batch = 5_000_000
    with path.open("wb") as out:
        if keep_from is None:
            for start in range(0, numbers, batch):
                n = min(batch, numbers - start)
                s = pl.Series(pl.int_range(0, n, eager=True)).shuffle(seed=seed + start)
                nums = (s * 7919 + start * 7919 + 2_000_000_000) % 8_000_000_000 + 2_000_000_000
                pl.DataFrame({"n": nums.cast(pl.String)}).write_csv(out, include_header=False)
        else:
            old = pl.scan_csv(keep_from, has_header=False, new_columns=["n"], infer_schema=False)
            kept = old.filter(pl.int_range(pl.len()) % 10 != 0).collect()
            kept.write_csv(out, include_header=False)
            new = (pl.int_range(0, numbers // 10, eager=True) + 1_000_000_000).cast(pl.String)
            pl.DataFrame({"n": new}).write_csv(out, include_header=False)


def _probe(url: str, kind: str, stop: Any, out: Any) -> None:
    """The dialer: touch the table every 20 ms and record how long each touch waited."""
    parts = sa.engine.make_url(url)
    conn = pymysql.connect(host=parts.host, port=parts.port, user=parts.username,
                           database=parts.database, autocommit=True)  # fmt: skip
    waits = []
    with conn.cursor() as cur:
        while not stop.is_set():
            start = time.perf_counter()
            if kind == "list":  # lead 11 is in list 102: the dialer updates another list's lead
                cur.execute("UPDATE vicidial_list SET status='NA' WHERE lead_id=11")
            else:
                cur.execute("SELECT 1 FROM vicidial_dnc WHERE phone_number='2000000000'")
                cur.fetchall()
            waits.append(time.perf_counter() - start)
            time.sleep(0.02)
    conn.close()
    waits.sort()
    out.put({"probes": len(waits), "probe_max_s": waits[-1] if waits else 0.0,
             "probe_p99_s": waits[int(len(waits) * 0.99)] if waits else 0.0})  # fmt: skip


def _peak_rss_mb() -> float:
    """This process's peak RSS: `VmHWM` (`ru_maxrss` also counts the parent's pages at fork)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(fn: Any, *args: Any, **kwargs: Any) -> None:
    """Run a preparation step in its own process, so that this one stays small."""
    proc = mp.get_context("spawn").Process(target=fn, args=args, kwargs=kwargs)
    proc.start()
    proc.join()
    if proc.exitcode:
        msg = f"{fn.__name__} failed (exit {proc.exitcode})"
        raise RuntimeError(msg)


def _work(name: str, url: str, args: dict[str, Any], out: Any) -> None:
    start = time.perf_counter()
    engine = connect(url)
    longest = 0.0
    if name == "reset_leadpipe":
        result = reset_lists(engine, [101], user="6666", now=NOW, chunk_rows=args["chunk_rows"])
        rows, longest = result.totals["changed"], result.longest_statement_s
    elif name == "reset_one_update":
        with engine.begin() as conn:
            rows = conn.exec_driver_sql(
                "UPDATE vicidial_list SET called_since_last_reset='N' WHERE list_id=101 "
                "AND called_since_last_reset <> 'N'"
            ).rowcount
        longest = time.perf_counter() - start
    elif name.startswith("dnc_leadpipe"):
        spec = ListJobSpec(operation="dnc_load", file=Path(args["file"]), mode=args["mode"],
                           chunk_rows=args["chunk_rows"])  # fmt: skip
        result = run_list_job(spec, engine=engine, now=NOW)
        rows = result.totals["added"] + result.totals["removed"]
        longest = result.longest_statement_s
        args["detail"] = dict(result.totals) | result.timings
    else:  # row-by-row baseline, autocommit, one statement per number
        raw = engine.raw_connection()
        cur = raw.cursor()
        rows = 0
        with Path(args["file"]).open() as fh:
            for i, line in enumerate(fh):
                if i >= args["row_sample"]:
                    break
                t = time.perf_counter()
                rows += cur.execute("INSERT IGNORE INTO vicidial_dnc (phone_number) VALUES (%s)",
                                    (line.strip(),))  # fmt: skip
                raw.commit()
                longest = max(longest, time.perf_counter() - t)
        raw.close()
    engine.dispose()
    seconds = time.perf_counter() - start
    out.put({"rows": int(rows), "seconds": seconds, "longest_statement_s": longest,
             "peak_rss_mb": _peak_rss_mb(),
             "detail": args.get("detail", "")})  # fmt: skip


def measure(name: str, url: str, probe: str, **args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out, probe_out, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    prober = ctx.Process(target=_probe, args=(url, probe, stop, probe_out))
    prober.start()
    time.sleep(0.5)
    worker = ctx.Process(target=_work, args=(name, url, args, out))
    worker.start()
    result = out.get()
    worker.join()
    stop.set()
    result |= probe_out.get()
    prober.join()
    result["rows_per_s"] = result["rows"] / result["seconds"] if result["seconds"] else 0.0
    print(f"{name:<22} rows {result['rows']:>11,}  {result['seconds']:8.2f} s  "
          f"{result['rows_per_s']:>11,.0f} rows/s  "
          f"longest statement {result['longest_statement_s']:7.3f} s  "
          f"dialer waited max {result['probe_max_s']:7.3f} s (p99 {result['probe_p99_s']:.3f} s, "
          f"{result['probes']} probes)  peak RSS {result['peak_rss_mb']:,.0f} MB"
          + (f"  {result['detail']}" if result["detail"] else ""), flush=True)  # fmt: skip
    return result


def _sql(url: str, statement: str) -> None:
    engine = connect(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5_000_000)
    parser.add_argument("--numbers", type=int, default=50_000_000)
    parser.add_argument("--chunk-rows", type=int, default=10_000)
    parser.add_argument("--row-sample", type=int, default=100_000,
                        help="numbers the row-by-row baseline inserts")  # fmt: skip
    parser.add_argument("--skip", choices=["reset", "dnc", "replace"], action="append", default=[],
                        help="leave out a part (repeatable)")  # fmt: skip
    opts = parser.parse_args()
    url = _mariadb.server().new_database("bench")
    work = Path(tempfile.mkdtemp(prefix="leadpipe-bench-"))
    print(f"MariaDB {url}; chunk rows {opts.chunk_rows}", flush=True)
    if "reset" not in opts.skip:
        t = time.perf_counter()
        _in_child(fill, url, opts.leads)
        print(f"filled vicidial_list with {opts.leads + opts.leads // 10:,} leads "
              f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
        measure("reset_leadpipe", url, "list", chunk_rows=opts.chunk_rows)
        _sql(url, "UPDATE vicidial_list SET called_since_last_reset='Y' WHERE list_id=101")
        measure("reset_one_update", url, "list")
    if "dnc" not in opts.skip:
        if "reset" in opts.skip:
            engine = connect(url)
            tables.metadata.create_all(engine)
            engine.dispose()
        first, second = work / "dnc.txt", work / "dnc2.txt"
        t = time.perf_counter()
        _in_child(write_dnc, first, opts.numbers, seed=1)
        if "replace" not in opts.skip:
            _in_child(write_dnc, second, opts.numbers, seed=2, keep_from=first)
        print(f"wrote DNC files of {opts.numbers:,} numbers in {time.perf_counter() - t:.1f} s",
              flush=True)  # fmt: skip
        measure("dnc_row_by_row", url, "dnc", file=str(first), row_sample=opts.row_sample)
        _sql(url, "DELETE FROM vicidial_dnc")
        measure(
            "dnc_leadpipe_add", url, "dnc", file=str(first), mode="add", chunk_rows=opts.chunk_rows
        )
        if "replace" not in opts.skip:
            measure("dnc_leadpipe_replace", url, "dnc", file=str(second), mode="replace",
                    chunk_rows=opts.chunk_rows)  # fmt: skip
    for path in work.iterdir():
        path.unlink()
    work.rmdir()
    _mariadb.server().drop_database(url)


if __name__ == "__main__":
    main()
