"""Issue 7 benchmark: `leadpipe serve` under load on loopback.

Starts `leadpipe serve` as a subprocess on 127.0.0.1 (a fresh SQLite demo database unless `--db`),
then for `--seconds` each:

1. single add_lead requests (GET query strings) from `--connections` keep-alive connections;
2. JSON batches of `--batch` leads to `POST /leads`;

and reports requests/s, leads/s and p50/p99 latency of acknowledged requests. Afterwards it
waits for the spool to drain and checks that every acknowledged lead is in `vicidial_list`
exactly once. The load generator is asyncio over raw sockets (one process, loopback only).

    python benchmarks/bench_webhook.py                      # 60 s per phase, sync mode
    python benchmarks/bench_webhook.py --seconds 15 --mode queued
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import prepare_database  # noqa: E402
from sinks import tables  # noqa: E402
from sinks.database import connect  # noqa: E402

HOST = "127.0.0.1"
_SERVE = """
import sys, click
from ingest.cli_serve import serve
click.Group(commands={"serve": serve}).main(sys.argv[2:], obj={"db": sys.argv[1], "debug": False})
"""


@dataclass
class Phase:
    """What one load phase measured."""

    name: str
    seconds: float = 0.0
    requests: int = 0
    leads: int = 0
    errors: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(len(lat) * p))] * 1000, 2) if lat else None

        return {
            "phase": self.name,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else None,
            "leads": self.leads,
            "leads_per_s": round(self.leads / self.seconds, 1) if self.seconds else None,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "errors": self.errors,
            "refused_503": self.refused,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _health(port: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/health")
        return dict(json.loads(conn.getresponse().read()))
    finally:
        conn.close()


def start_server(
    db_url: str, spool: Path, port: int, args: argparse.Namespace, log: Path
) -> subprocess.Popen[bytes]:
    """`leadpipe serve` in a subprocess; returns once `/health` answers."""
    cmd = [
        sys.executable,
        "-c",
        _SERVE,
        db_url,
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--spool",
        str(spool),
        "--mode",
        args.mode,
        "--batch-ms",
        str(args.batch_ms),
        "--batch-rows",
        str(args.batch_rows),
        "--drain",
        args.drain,
        "--max-leads-per-request",
        str(max(args.batch, 1)),
        "--auth-cache-seconds",
        "5",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _health(port)
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"serve exited: {log.read_text()}")
            time.sleep(0.1)
    proc.kill()
    sys.exit("serve did not start within 60 s")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    i = lower.find(b"content-length:")
    length = int(lower[i + 15 : lower.find(b"\r\n", i)]) if i >= 0 else 0
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run_phase(
    phase: Phase,
    port: int,
    seconds: float,
    connections: int,
    make: Any,
    numbers: itertools.count[int],
) -> None:
    stop_at = time.monotonic() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while time.monotonic() < stop_at:
                request, phones = make(numbers)
                started = time.perf_counter()
                try:
                    status, body = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError):
                    phase.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                elapsed = time.perf_counter() - started
                if status == 503:
                    phase.refused += 1
                    await asyncio.sleep(0.05)
                    continue
                ok = _acknowledged(status, body, len(phones))
                if not ok:
                    phase.errors += 1
                    continue
                phase.requests += 1
                phase.leads += len(phones)
                phase.latencies.append(elapsed)
                phase.acked.extend(phones)
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    phase.seconds = time.monotonic() - started


def _acknowledged(status: int, body: bytes, leads: int) -> bool:
    if status == 202:
        return True
    if status != 200:
        return False
    if body.startswith(b"{"):
        results = json.loads(body)["results"]
        return len(results) == leads and all(r["status"] == "added" for r in results)
    return body.startswith(b"SUCCESS: add_lead LEAD HAS BEEN ADDED")


def _single(numbers: itertools.count[int]) -> tuple[bytes, list[str]]:
    phone = f"7{next(numbers):09d}"
    query = urlencode(
        {
            "source": "bench",
            "user": "6666",
            "pass": "1234",
            "function": "add_lead",
            "phone_number": phone,
            "list_id": "101",
            "first_name": "Ana",
            "last_name": "Smith",
        }
    )
    return f"GET /vicidial/non_agent_api.php?{query} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode(), [
        phone
    ]


def _batch_maker(size: int) -> Any:
    def make(numbers: itertools.count[int]) -> tuple[bytes, list[str]]:
        phones = [f"7{next(numbers):09d}" for _ in range(size)]
        body = json.dumps(
            {
                "user": "6666",
                "pass": "1234",
                "source": "bench",
                "list_id": "101",
                "leads": [
                    {
                        "phone_number": p,
                        "first_name": "Ana",
                        "last_name": "Smith",
                        "city": "Tampa",
                        "state": "FL",
                    }
                    for p in phones
                ],
            }
        ).encode()
        head = (
            f"POST /leads HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + body, phones

    return make


def wait_drained(port: int, timeout: float) -> float:
    """Seconds until the spool is empty."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if _health(port)["pending_records"] == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    return float("nan")


def verify(db_url: str, acked: list[str]) -> dict[str, int]:
    """Acknowledged leads missing from `vicidial_list`, or present more than once."""
    engine = connect(db_url)
    t = tables.vicidial_list
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(t.c.phone_number, sa.func.count()).group_by(t.c.phone_number)
            ).all()
        )
    engine.dispose()
    return {
        "acknowledged": len(acked),
        "rows_in_vicidial_list": sum(counts.values()),
        "missing": sum(1 for p in acked if p not in counts),
        "duplicated": sum(1 for c in counts.values() if c > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="Length of each phase.")
    parser.add_argument("--mode", choices=["sync", "queued"], default="sync")
    parser.add_argument(
        "--connections", type=int, default=64, help="Connections for single add_lead calls."
    )
    parser.add_argument(
        "--batch-connections", type=int, default=8, help="Connections for JSON batches."
    )
    parser.add_argument("--batch", type=int, default=500, help="Leads per JSON batch.")
    parser.add_argument("--batch-ms", type=int, default=50)
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--drain", choices=["process", "thread"], default="process")
    parser.add_argument("--db", help="Database URL (default: a fresh SQLite demo database).")
    parser.add_argument("--skip", choices=["single", "batch"], action="append", default=[])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_webhook_") as tmp:
        work = Path(tmp)
        db_url = args.db or f"sqlite:///{work / 'vicidial.db'}"
        if not args.db:
            engine = connect(db_url)
            prepare_database(engine)
            engine.dispose()
        port = _free_port()
        load_before = os.getloadavg()
        proc = start_server(db_url, work / "spool", port, args, work / "serve.log")
        numbers = itertools.count(int(time.time()) % 100_000 * 1000)
        phases: list[Phase] = []
        try:
            if "single" not in args.skip:
                phase = Phase("add_lead single requests")
                asyncio.run(
                    _run_phase(phase, port, args.seconds, args.connections, _single, numbers)
                )
                phases.append(phase)
                print(json.dumps(phase.report()), flush=True)
            if "batch" not in args.skip:
                phase = Phase(f"POST /leads batches of {args.batch}")
                asyncio.run(
                    _run_phase(
                        phase,
                        port,
                        args.seconds,
                        args.batch_connections,
                        _batch_maker(args.batch),
                        numbers,
                    )
                )
                phases.append(phase)
                print(json.dumps(phase.report()), flush=True)
            drain = wait_drained(port, timeout=max(600.0, args.seconds * 10))
            health = _health(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        acked = [p for phase in phases for p in phase.acked]
        check = verify(db_url, acked)
        summary = {
            "mode": args.mode,
            "drain": args.drain,
            "cpus": os.cpu_count(),
            "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "phases": [p.report() for p in phases],
            "drain_after_load_s": round(drain, 2),
            "drained_leads": health.get("drained_leads"),
            "verify": check,
            "ok": check["missing"] == 0 and check["duplicated"] == 0,
        }
        print(json.dumps(summary, indent=2))
        if not summary["ok"]:
            sys.exit(1)


if __name__ == "__main__":
    main()
