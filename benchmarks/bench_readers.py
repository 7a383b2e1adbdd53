"""Read rate of `ingest.readers` (+ mapping) against a bare `polars.read_csv` of the same file.

Generates a lead CSV (10,000,000 rows by default; quoted fields, leading zeros, one malformed
line per million), then measures, each in a fresh process so that peak RSS is its own:

* `stream`: `read_file` + `map_columns` batch by batch, as a pipeline run reads;
* `bare`: `polars.read_csv(path, infer_schema=False)`, the whole file at once.

Usage:
    python benchmarks/bench_readers.py --rows 2000000
    python benchmarks/bench_readers.py --rows 10000000 --keep /tmp/leads10m.csv --repeat 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADER = (
    "Phone Number,phone_code,First Name,Last Name,Address,City,State,Zip Code,vendor_lead_code,"
    "source_id,E-mail,comments,Alt Phone,DOB,gender"
)


def generate(path: Path, rows: int, *, chunk: int = 1_000_000) -> None:
    """Write `rows` leads; the first line of each million has one field too many (malformed)."""
    with path.open("wb") as out:
        out.write((HEADER + "\n").encode())
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            i = pl.int_range(start, start + n, eager=True)
            frame = pl.DataFrame({"i": i}).select(
                phone=(2_002_000_000 + (pl.col("i") * 7_919) % 7_897_999_999).cast(pl.String),
                code=pl.lit("1"),
                first=pl.format("Name{}", pl.col("i") % 997),
                last=pl.lit("Smith, Jr"),
                addr=pl.format("{} Main St", pl.col("i") % 9_999),
                city=pl.lit("Tampa"),
                state=pl.lit("FL"),
                zip=(pl.col("i") % 99_999).cast(pl.String).str.pad_start(5, "0"),
                vendor=pl.format("V{}", pl.col("i")),
                source=pl.lit("bench"),
                email=pl.format("lead{}@example.com", pl.col("i")),
                comments=pl.lit('said "call me"'),
                alt=pl.lit(""),
                dob=pl.format(
                    "{}/{}/19{}", pl.col("i") % 12 + 1, pl.col("i") % 28 + 1, pl.col("i") % 90 + 10
                ),
                gender=pl.lit("U"),
            )
            text = frame.write_csv(include_header=False)
            if n:
                first_newline = text.index("\n")
                text = text[:first_newline] + ",EXTRA" + text[first_newline:]
            out.write(text.encode())


def measure_stream(path: Path, batch_rows: int) -> dict[str, float]:
    from ingest.mapping import MappingOptions, map_columns
    from ingest.readers import ReadOptions, read_file

    options = MappingOptions(dob_format="MM/DD/YYYY", constants={"source_id": "BENCH"})
    started = time.perf_counter()
    rows = malformed = batches = 0
    for batch in read_file(path, ReadOptions(batch_rows=batch_rows)):
        mapped = map_columns(batch.rows, options)
        rows += mapped.height
        malformed += batch.malformed.height
        batches += 1
    seconds = time.perf_counter() - started
    return {"rows": rows, "malformed": malformed, "batches": batches, "seconds": seconds}


def measure_bare(path: Path) -> dict[str, float]:
    started = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
    seconds = time.perf_counter() - started
    return {"rows": frame.height, "malformed": 0, "batches": 1, "seconds": seconds}


def _child(kind: str, path: Path, batch_rows: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            kind,
            "--keep",
            str(path),
            "--batch-rows",
            str(batch_rows),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="CSV path to reuse (generated when missing)")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs of each")
    parser.add_argument("--measure", choices=["stream", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = (
            measure_stream(args.keep, args.batch_rows)
            if args.measure == "stream"
            else measure_bare(args.keep)
        )
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "leads.csv"
        if not path.exists():
            started = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) "
                  f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
        runs: dict[str, list[dict[str, float]]] = {"stream": [], "bare": []}
        for _ in range(args.repeat):  # interleaved, so that a busy machine hurts both alike
            for kind, found in runs.items():
                found.append(_child(kind, path, args.batch_rows))
        stream, bare = (min(runs[k], key=lambda r: r["seconds"]) for k in ("stream", "bare"))
    for name, r in (("read_file + map_columns", stream), ("polars.read_csv (bare)", bare)):
        rate = r["rows"] / r["seconds"]
        print(
            f"{name:<24} {int(r['rows']):>11,} rows {int(r['malformed']):>4} malformed "
            f"{r['seconds']:7.2f}s {rate:>12,.0f} rows/s  peak RSS {r['peak_rss_mb']:,.0f} MiB"
        )
    ratio = (stream["rows"] / stream["seconds"]) / (bare["rows"] / bare["seconds"])
    print(f"stream / bare read rate: {ratio:.2f}")


if __name__ == "__main__":
    main()
