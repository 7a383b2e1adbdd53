"""Benchmark agent_stats_export and did_log_export on MariaDB against a row-by-row baseline.

Starts a throwaway MariaDB server (`tests/_mariadb.py`), creates the VICIdial tables, fills
`vicidial_agent_log` (default 10,000,000 rows: 1,000 agents, 7 campaigns, one day) and
`vicidial_did_log` (default 5,000,000 rows over 30 days, one DID with 100,000 calls on the
measured day, one with 10,000) with `INSERT … SELECT` from MariaDB's sequence engine, then
times leadpipe's exports and a straightforward row-by-row Python implementation of the same
report (VICIdial's own algorithm: walk the rows in `ORDER BY user, agent_log_id` order, or
query the closer log once per DID call). The baseline runs on a sample (a prefix of the day
for agent_stats, the 10,000-call DID for did_log); both outputs must be identical there.

    python benchmarks/bench_exports.py                       # 10M + 5M rows
    python benchmarks/bench_exports.py --rows 1000000 --did-rows 500000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymysql
import pymysql.cursors
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sinks import tables
from sinks.database import connect
from sinks.export_agents import HEADER, AgentGroup, agent_line
from sinks.exports import export_text
from tests import _mariadb

DAY = "2026-11-01"
BIG_DID, SAMPLE_DID = "3125550001", "3125550002"
BIG_CALLS, SAMPLE_CALLS = 100_000, 10_000
CHUNK = 1_000_000


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SERVER_PID: int | None = None


def server_cpu() -> float:
    """CPU seconds used so far by the benchmark's mariadbd (user + system)."""
    if SERVER_PID is None:
        return 0.0
    fields = Path(f"/proc/{SERVER_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu() -> float:
    """CPU seconds used so far by this Python process (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


LAST_CPU: tuple[float, float] = (0.0, 0.0)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run `fn`; return its value and wall seconds (CPU seconds of both sides in `LAST_CPU`)."""
    global LAST_CPU
    server0, client0 = server_cpu(), client_cpu()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    LAST_CPU = (server_cpu() - server0, client_cpu() - client0)
    return value, seconds


def raw(url: str) -> pymysql.connections.Connection:
    parsed = sa.make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username or "root",
        password=parsed.password or "",
        database=parsed.database,
        cursorclass=pymysql.cursors.SSCursor,
        local_infile=True,
    )


def fill_agent_log(cur: Any, rows: int) -> None:
    """`rows` agent events over one day, 1,000 agents, 7 campaigns, a LOGIN every 50 rows."""
    cur.execute("ALTER TABLE vicidial_agent_log DISABLE KEYS")
    for first in range(1, rows + 1, CHUNK):
        last = min(first + CHUNK - 1, rows)
        cur.execute(f"""
            INSERT INTO vicidial_agent_log (user, server_ip, event_time, lead_id, campaign_id,
                pause_epoch, pause_sec, wait_sec, talk_sec, dispo_sec, sub_status, dead_sec)
            SELECT CONCAT('agent', LPAD(seq % 1000, 4, '0')), '10.0.0.1',
                '{DAY} 00:00:00' + INTERVAL FLOOR(seq * 86399 / {rows}) SECOND,
                IF(seq % 3 = 0, 0, seq), CONCAT('CAMP', seq % 7), 1793500000 + seq,
                seq % 120, seq % 60, IF(seq % 3 = 0, 0, seq % 600), seq % 30,
                CASE seq % 50 WHEN 0 THEN 'LOGIN' WHEN 1 THEN 'BREAK' WHEN 2 THEN NULL ELSE '' END,
                seq % 7
            FROM seq_{first}_to_{last}""")
    cur.execute("ALTER TABLE vicidial_agent_log ENABLE KEYS")
    cur.execute(
        "INSERT INTO vicidial_users (user, pass, full_name, user_level, user_group) "
        "SELECT CONCAT('agent', LPAD(seq, 4, '0')), 'x', CONCAT('Agent ', seq), 1, 'AGENTS' "
        "FROM seq_0_to_998"
    )  # agent0999 has no vicidial_users row


def fill_did_log(cur: Any, rows: int) -> None:
    """DID calls: 100,000 on the big DID, 10,000 on the sample DID that day, the rest in 30 days."""
    cur.execute("ALTER TABLE vicidial_did_log DISABLE KEYS")
    small = BIG_CALLS + SAMPLE_CALLS
    for first in range(1, rows + 1, CHUNK):
        last = min(first + CHUNK - 1, rows)
        cur.execute(f"""
            INSERT INTO vicidial_did_log (uniqueid, channel, server_ip, caller_id_number,
                caller_id_name, extension, call_date, did_id, did_route)
            SELECT CONCAT(1793500000 + seq, '.', seq), 'SIP/trunk', '10.0.0.1',
                CONCAT('555', LPAD(seq % 10000000, 7, '0')), 'CALLER',
                CASE WHEN seq <= {BIG_CALLS} THEN '{BIG_DID}'
                     WHEN seq <= {small} THEN '{SAMPLE_DID}'
                     ELSE CONCAT('31255', LPAD(seq % 1000 + 100, 5, '0')) END,
                IF(seq <= {small}, '{DAY} 00:00:00' + INTERVAL (seq * 7) % 86400 SECOND,
                   '2026-10-01 00:00:00' + INTERVAL seq % 2592000 SECOND),
                seq % 1000, 'IN_GROUP'
            FROM seq_{first}_to_{last}""")
    cur.execute("ALTER TABLE vicidial_did_log ENABLE KEYS")
    # every tenth call gets an older closer-log row (the export must take the latest), then a
    # closer-log row for every other call of the measured DIDs and every fifth call elsewhere
    cur.execute("""
        INSERT INTO vicidial_closer_log (lead_id, campaign_id, call_date, length_in_sec, status,
            uniqueid, user, phone_number)
        SELECT 1, 'OLDER', call_date + INTERVAL 2 SECOND, 3, 'DROP', uniqueid, 'VDCL',
            caller_id_number
        FROM vicidial_did_log
        WHERE CAST(SUBSTRING_INDEX(uniqueid, '.', -1) AS UNSIGNED) % 10 = 0""")
    cur.execute(f"""
        INSERT INTO vicidial_closer_log (lead_id, campaign_id, call_date, length_in_sec, status,
            uniqueid, user, phone_number)
        SELECT 1, 'INGRP', call_date + INTERVAL 5 SECOND,
            CAST(SUBSTRING_INDEX(uniqueid, '.', -1) AS UNSIGNED) % 300, 'SALE', uniqueid,
            'agent0001',
            caller_id_number
        FROM vicidial_did_log
        WHERE (extension IN ('{BIG_DID}', '{SAMPLE_DID}')
               AND CAST(SUBSTRING_INDEX(uniqueid, '.', -1) AS UNSIGNED) % 2 = 0)
           OR CAST(SUBSTRING_INDEX(uniqueid, '.', -1) AS UNSIGNED) % 5 = 0""")


# --- the row-by-row baselines (VICIdial's algorithm, one Python object per row) --------------


def baseline_agent_stats(url: str, start: str, end: str) -> str:
    """agent_stats_export the way non_agent_api.php computes it: walk every row in Python."""
    conn = raw(url)
    cur = conn.cursor()
    cur.execute(
        "SELECT user, lead_id, sub_status, pause_sec, wait_sec, talk_sec, dispo_sec, dead_sec, "
        "pause_epoch, campaign_id, event_time FROM vicidial_agent_log "
        "WHERE event_time >= %s AND event_time <= %s ORDER BY user, agent_log_id LIMIT 10000000",
        (start, end),
    )
    groups: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for user, lead, sub, pause, wait, talk, dispo, dead, epoch, campaign, _ in cur:
        if current is None or current["user"].lower() != (user or "").lower():
            current = {
                "user": user or "",
                "campaign": campaign,
                "calls": 0,
                "pauses": 0,
                "sessions": 0,
                "pause": 0,
                "wait": 0,
                "talk": 0,
                "dispo": 0,
                "dead": 0,
                "first_dispo": dispo or 0,
                "rows": 0,
            }
            groups.append(current)
        current["rows"] += 1
        current["calls"] += 1 if (lead or 0) > 0 else 0
        current["pauses"] += 1 if pause is not None else 0
        current["sessions"] += 1 if sub is not None and "LOGIN" in sub else 0
        for key, value in (
            ("pause", pause),
            ("wait", wait),
            ("talk", talk),
            ("dispo", dispo),
            ("dead", dead),
        ):
            current[key] += value or 0
        current["last_epoch"] = epoch or 0
        current["last_length"] = (pause or 0) + (wait or 0) + (talk or 0) + (dispo or 0)
    cur.close()
    names = conn.cursor()
    lines = []
    total = sum(g["calls"] for g in groups)
    previous = ""
    for g in groups:
        names.execute(
            "SELECT full_name, user_group FROM vicidial_users WHERE user = %s", (g["user"],)
        )
        found = names.fetchall()
        full, group_name = found[0] if found else ("", "")
        agent = AgentGroup(
            campaign_id=g["campaign"],
            user=g["user"],
            full_name=full or "",
            user_group=group_name or "",
            rows=g["rows"],
            calls=g["calls"],
            pauses=g["pauses"],
            sessions=g["sessions"],
            pause=g["pause"],
            wait=g["wait"],
            talk=g["talk"],
            dispo=g["dispo"],
            dead=g["dead"],
            first_dispo=g["first_dispo"],
            first_epoch=0,
            last_epoch=g["last_epoch"],
            last_length=g["last_length"],
        )
        fields = agent_line(
            agent, grouped=False, time_format="", total_calls=total, previous_total_talk=previous
        )
        previous = fields[5]
        lines.append(",".join(fields) + "\n")
    conn.close()
    return ",".join(HEADER) + "\n" + "".join(lines)


def baseline_did_log(url: str, did: str, day: str) -> str:
    """did_log_export the way non_agent_api.php does it: one closer-log query per DID call."""
    conn = raw(url)
    cur = conn.cursor(pymysql.cursors.Cursor)
    cur.execute(
        "SELECT uniqueid, caller_id_number, call_date, UNIX_TIMESTAMP(call_date) "
        "FROM vicidial_did_log WHERE extension = %s AND call_date >= %s AND call_date <= %s "
        "ORDER BY call_date LIMIT 100000",
        (did, f"{day} 00:00:00", f"{day} 23:59:59"),
    )
    lines = ["did_number,call_date,caller_id_number,length_in_sec\n"]
    closer = conn.cursor(pymysql.cursors.Cursor)
    for uniqueid, caller, call_date, start in cur.fetchall():
        closer.execute(
            "SELECT UNIX_TIMESTAMP(call_date), length_in_sec FROM vicidial_closer_log "
            "WHERE uniqueid = %s ORDER BY closecallid DESC LIMIT 1",
            (uniqueid,),
        )
        found = closer.fetchall()
        length = (found[0][0] or 0) + (found[0][1] or 0) - start if found else 0
        lines.append(f"{did},{caller or ''},{call_date:%Y-%m-%d %H:%M:%S},{length}\n")
    conn.close()
    return "".join(lines)


def report(label: str, rows: int, seconds: float, extra: str = "") -> None:
    server, client = LAST_CPU
    print(
        f"{label:<46} {seconds:7.2f} s  {rows / seconds if seconds else 0:>10,.0f} rows/s  "
        f"cpu db {server:6.2f} s py {client:6.2f} s  peak RSS {peak_rss_mb():6.1f} MB {extra}",
        flush=True,
    )


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="vicidial_agent_log rows")
    parser.add_argument("--did-rows", type=int, default=5_000_000, help="vicidial_did_log rows")
    parser.add_argument(
        "--sample-rows",
        type=int,
        default=1_000_000,
        help="agent_stats baseline sample (a prefix of the day)",
    )
    args = parser.parse_args()
    if args.did_rows < BIG_CALLS + SAMPLE_CALLS:
        parser.error(f"--did-rows must be at least {BIG_CALLS + SAMPLE_CALLS}")

    global SERVER_PID
    server = _mariadb.server()
    SERVER_PID = server.proc.pid if server.proc is not None else None
    url = server.new_database("bench")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    engine = connect(url)
    tables.metadata.create_all(engine)
    conn = raw(url)
    cur = conn.cursor(pymysql.cursors.Cursor)
    cur.execute(
        "INSERT INTO vicidial_users (user, pass, full_name, user_level, user_group, view_reports, "
        "vdc_agent_api_access) VALUES ('6666', 'x', 'Admin', 9, 'ADMIN', '1', '1')"
    )
    _, seconds = timed(lambda: fill_agent_log(cur, args.rows))
    print(f"filled vicidial_agent_log with {args.rows:,} rows in {seconds:.1f} s", flush=True)
    _, seconds = timed(lambda: fill_did_log(cur, args.did_rows))
    cur.execute("SELECT COUNT(*) FROM vicidial_closer_log")
    closer_rows = cur.fetchall()[0][0]
    print(
        f"filled vicidial_did_log with {args.did_rows:,} rows (+{closer_rows:,} closer-log rows) "
        f"in {seconds:.1f} s",
        flush=True,
    )
    conn.close()

    window = {
        "datetime_start": f"{DAY} 00:00:00",
        "datetime_end": f"{DAY} 23:59:59",
        "stage": "csv",
        "header": "YES",
    }
    text, seconds = timed(lambda: export_text(engine, "agent_stats_export", window, user="6666"))
    report(
        f"agent_stats_export, {args.rows:,} rows",
        args.rows,
        seconds,
        f"({text.count(chr(10)) - 1} agents)",
    )

    sample = min(args.sample_rows, args.rows)
    last_second = sample * 86399 // args.rows - 1  # rows are spread evenly over the day
    end = f"{DAY} {last_second // 3600:02d}:{last_second // 60 % 60:02d}:{last_second % 60:02d}"
    sample_window = {**window, "datetime_end": end}
    with engine.connect() as c:
        sample_rows = c.execute(
            sa.text(
                "SELECT COUNT(*) FROM vicidial_agent_log "
                "WHERE event_time >= :s AND event_time <= :e"
            ),
            {"s": window["datetime_start"], "e": end},
        ).scalar_one()
    ours, fast = timed(
        lambda: export_text(engine, "agent_stats_export", sample_window, user="6666")
    )
    report(f"agent_stats_export, sample {sample_rows:,} rows", sample_rows, fast)
    theirs, slow = timed(lambda: baseline_agent_stats(url, window["datetime_start"], end))
    assert ours == theirs, "agent_stats_export differs from the row-by-row baseline"
    report(
        f"row-by-row baseline, sample {sample_rows:,} rows",
        sample_rows,
        slow,
        f"(ratio {slow / fast:.1f}x, outputs identical)",
    )

    params = {"phone_number": BIG_DID, "date": DAY, "stage": "csv", "header": "YES"}
    text, seconds = timed(lambda: export_text(engine, "did_log_export", params, user="6666"))
    report(
        f"did_log_export, {BIG_CALLS:,} calls of {args.did_rows:,}",
        BIG_CALLS,
        seconds,
        f"({text.count(chr(10)) - 1} lines)",
    )
    sample_params = {**params, "phone_number": SAMPLE_DID}
    ours, fast = timed(lambda: export_text(engine, "did_log_export", sample_params, user="6666"))
    report(f"did_log_export, sample {SAMPLE_CALLS:,} calls", SAMPLE_CALLS, fast)
    theirs, slow = timed(lambda: baseline_did_log(url, SAMPLE_DID, DAY))
    assert ours == theirs, "did_log_export differs from the row-by-row baseline"
    report(
        f"row-by-row baseline, sample {SAMPLE_CALLS:,} calls",
        SAMPLE_CALLS,
        slow,
        f"(ratio {slow / fast:.1f}x, outputs identical)",
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)
    engine.dispose()
    server.drop_database(url)


if __name__ == "__main__":
    main()
