"""Concurrent writers on one list (issue 4, item 1): two leadpipe processes and a row-by-row
inserter that behaves like an atomic add_lead, all loading overlapping phone numbers into list 101
with DUPLIST at once → no phone twice in the list, no lead id collision, every row accounted for.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.ledger import file_hash, inputs, read_ledger
from tests.ingest._pipeline import NOW_TEXT, phone, prepare, results, write_csv

REPO = Path(__file__).resolve().parents[2]
PHONES = 900
FILES = {"A": range(0, 600), "B": range(300, 900)}
INSERTER = list(range(0, PHONES, 3))


def _leadpipe(url: str, path: Path, tmp: Path, name: str) -> subprocess.Popen[str]:
    args = [
        sys.executable, "-m", "ingest", "--db", url, "load", str(path), "--list-id", "101",
        "--duplicate-check", "DUPLIST", "--batch-rows", "50", "--now", NOW_TEXT,
        "--server-tz", "UTC", "--quiet", "--results", str(tmp / f"results_{name}.jsonl"),
    ]  # fmt: skip
    return subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


_SELECT = (
    "SELECT lead_id FROM vicidial_list WHERE phone_number = {m} AND list_id = {m} "
    "ORDER BY lead_id LIMIT 1"
)
_INSERT = (
    "INSERT INTO vicidial_list (entry_date, status, user, list_id, phone_code, phone_number, "
    "first_name, called_since_last_reset, gender, date_of_birth, last_local_call_time) "
    "VALUES ({m}, 'NEW', '6666', 101, '1', {m}, 'inserter', 'N', 'U', '0000-00-00', {m})"
)


class _RowByRow:
    """add_lead's own way, one lead at a time: lock, look for the phone in the list, insert."""

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self.inserted: dict[str, int] = {}
        self.found: dict[str, int] = {}
        self.error: BaseException | None = None

    def _connect(self) -> Any:
        if self.url.get_backend_name() == "sqlite":
            return sqlite3.connect(self.url.database or "", timeout=60, isolation_level=None)
        return pymysql.connect(
            host=self.url.host, port=self.url.port, user=self.url.username,
            database=self.url.database, autocommit=True,
        )  # fmt: skip

    def run(self, numbers: list[str], start: threading.Event) -> None:
        try:
            start.wait(timeout=120)
            conn = self._connect()
            sqlite = isinstance(conn, sqlite3.Connection)
            mark = "?" if sqlite else "%s"
            cur = conn.cursor()
            for number in numbers:
                cur.execute("BEGIN IMMEDIATE" if sqlite else "LOCK TABLES vicidial_list WRITE")
                cur.execute(_SELECT.format(m=mark), (number, 101))
                row = cur.fetchone()
                if row is None:
                    cur.execute(_INSERT.format(m=mark), (NOW_TEXT, number, NOW_TEXT))
                    self.inserted[number] = int(cur.lastrowid)
                else:
                    self.found[number] = int(row[0])
                cur.execute("COMMIT" if sqlite else "UNLOCK TABLES")
                time.sleep(0.02)  # spread the inserts over the leadpipe runs
            conn.close()
        except BaseException as exc:  # reported by the test thread
            self.error = exc


def _pump(proc: subprocess.Popen[str], lines: list[str], first_batch: threading.Event) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if "rows done" in line:
            first_batch.set()


@pytest.mark.slow
def test_two_leadpipes_and_a_row_by_row_inserter_share_a_list(db_url: str, tmp_path: Path) -> None:
    engine = prepare(db_url)
    paths = {
        name: write_csv(
            tmp_path / f"{name}.csv",
            [{"phone_number": phone(i), "first_name": f"{name}{i}"} for i in span],
        )
        for name, span in FILES.items()
    }
    inserter_numbers = [phone(i) for i in INSERTER]
    random.Random(7).shuffle(inserter_numbers)
    inserter = _RowByRow(db_url)
    first_batch = threading.Event()
    procs = {name: _leadpipe(db_url, path, tmp_path, name) for name, path in paths.items()}
    stderr: dict[str, list[str]] = {name: [] for name in procs}
    pumps = [
        threading.Thread(target=_pump, args=(p, stderr[n], first_batch)) for n, p in procs.items()
    ]
    worker = threading.Thread(target=inserter.run, args=(inserter_numbers, first_batch))
    for thread in (*pumps, worker):
        thread.start()
    for name, proc in procs.items():
        assert proc.wait(timeout=300) in (0, 3), "".join(stderr[name])
    for thread in (*pumps, worker):
        thread.join(timeout=300)
    for proc in procs.values():
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert inserter.error is None, repr(inserter.error)

    with engine.connect() as conn:
        t = tables.vicidial_list
        leads = conn.execute(
            sa.select(t.c.lead_id, t.c.phone_number, t.c.first_name).where(t.c.list_id == 101)
        ).all()
        ledger_rows = [
            (input_hash, *row)
            for input_id, input_hash in conn.execute(sa.select(inputs.c.input_id, inputs.c.input_hash))
            for row in read_ledger(conn, input_id, 0, 2**62).iter_rows()
        ]
    by_id = {int(lead): (number, first) for lead, number, first in leads}
    numbers = [number for number, _ in by_id.values()]
    assert len(by_id) == len(leads), "lead id collision"
    assert len(set(numbers)) == len(numbers), "a phone number is in list 101 twice"
    assert set(numbers) == {phone(i) for i in range(PHONES)}

    # every row of each file: added as its own lead, or a duplicate of the lead holding its phone
    added_total = 0
    for name, span in FILES.items():
        got = results(tmp_path / f"results_{name}.jsonl")
        assert [r["row"] for r in got] == list(range(1, len(span) + 1))
        for r, i in zip(got, span, strict=True):
            if r["status"] == "added":
                assert by_id[r["lead_id"]] == (phone(i), f"{name}{i}")
                added_total += 1
            else:
                assert r["reject_reason"] == "DUPLICATE_PHONE_LIST"
                prefix = f"ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - {phone(i)}|101|"
                assert r["response"][0].startswith(prefix)
                holder = int(r["response"][0].removeprefix(prefix))
                assert by_id[holder][0] == phone(i)
                assert by_id[holder][1] != f"{name}{i}"
        mine = {
            int(lead)
            for h, _, lead, stage in ledger_rows
            if h == file_hash(paths[name]) and stage == "done"
        }
        assert mine == {r["lead_id"] for r in got if r["status"] == "added"}
    for number, lead in inserter.inserted.items():
        assert by_id[lead] == (number, "inserter")
    for number, lead in inserter.found.items():
        assert by_id[lead][0] == number
    assert added_total + len(inserter.inserted) == PHONES
    # the three writers really interleaved: the inserter both won and lost races
    assert 0 < len(inserter.inserted) < len(INSERTER), (len(inserter.inserted), len(inserter.found))
    engine.dispose()


def test_two_runs_of_the_same_file_at_once_load_it_once(db_url: str, tmp_path: Path) -> None:
    """A cron job started while the last run of the same file still loads it: without a duplicate
    check only the ledger can tell, so the second run waits for the first, then finds every row
    already loaded."""
    engine = prepare(db_url)
    rows = [{"phone_number": phone(i), "first_name": f"Same{i}"} for i in range(400)]
    path = write_csv(tmp_path / "same.csv", rows)

    def run(name: str) -> subprocess.Popen[str]:
        args = [
            sys.executable, "-m", "ingest", "--db", db_url, "load", str(path), "--list-id", "101",
            "--batch-rows", "20", "--now", NOW_TEXT, "--server-tz", "UTC", "--quiet",
            "--results", str(tmp_path / f"same_{name}.jsonl"),
        ]  # fmt: skip
        return subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    procs = {name: run(name) for name in ("first", "second")}
    for proc in procs.values():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    with engine.connect() as conn:
        t = tables.vicidial_list
        numbers = [r[0] for r in conn.execute(sa.select(t.c.phone_number).where(t.c.list_id == 101))]
    assert sorted(numbers) == sorted(phone(i) for i in range(400))
    statuses = {name: [r["status"] for r in results(tmp_path / f"same_{name}.jsonl")] for name in procs}
    assert sorted(tuple(sorted(set(s))) for s in statuses.values()) == [("added",), ("already_loaded",)]
    engine.dispose()
