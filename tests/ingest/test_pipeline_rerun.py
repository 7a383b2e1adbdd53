"""Reruns of one input (issue 4, item 7): nothing twice, `--force-reload` on purpose, `--dry-run`
writes nothing yet predicts every outcome of the real run, across batch boundaries."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.indexes import disabled_indexes
from sinks.ledger import (
    batch_ledger,
    decode_runs,
    encode_runs,
    ensure_ledger_tables,
    expand_reservations,
    file_hash,
    input_key,
    inputs,
    ledger,
    ledger_rows,
    record_done,
    record_reserved,
    record_rows,
)
from tests.ingest._pipeline import (
    NOW_TEXT,
    WRITTEN_TABLES,
    counts,
    create_custom_fields,
    feature_rows,
    load,
    phone,
    prepare,
    rerun_view,
    results,
    settings,
    snapshot,
    write_csv,
)

DUPLIST = {"duplicate_check": "DUPLIST"}
ALL_TABLES = (*WRITTEN_TABLES, "custom_101")


def _engine(url: str) -> sa.Engine:
    engine = prepare(url)
    with engine.begin() as conn:
        create_custom_fields(conn)
    return engine


def _key(engine: sa.Engine, path: Path) -> int:
    key = input_key(engine, file_hash(path))
    assert key is not None
    return key


def _ledger_rows(engine: sa.Engine) -> list[tuple[int, int, str]]:
    """Every input's ledger rows (both tables), by source row."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(ledger.name):
            return []
        keys = conn.execute(sa.select(inputs.c.input_id)).scalars().all()
        rows = [tuple(r) for key in keys for r in ledger_rows(conn, key).iter_rows()]
        return sorted(rows)  # type: ignore[return-value]


def test_second_run_adds_nothing_and_reports_already_loaded(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(40, dup_every=6, bad_every=13))
    first = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=20))
    first_results = results(tmp_path / "results.jsonl")
    assert (first.added, first.rejected) == (31, 9)
    before = snapshot(engine, extra=["custom_101"])
    assert {n: len(v) for n, v in before.items()} == {
        "vicidial_list": 31,
        "vicidial_list_alt_phones": 14,
        "vicidial_hopper": 5,
        "vicidial_callbacks": 3,
        "custom_101": 6,
    }
    ledger_before = _ledger_rows(engine)
    assert [(row, lead, stage) for row, lead, stage in ledger_before] == [
        (r["row"], r["lead_id"], "done") for r in first_results if r["status"] == "added"
    ]

    second = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=20))
    assert (second.read, second.added, second.rejected, second.already_loaded) == (40, 0, 9, 31)
    assert second.reconciles()
    assert second.reasons == first.reasons
    assert results(tmp_path / "results.jsonl") == rerun_view(first_results)
    assert snapshot(engine, extra=["custom_101"]) == before
    assert _ledger_rows(engine) == ledger_before

    # the same bytes under another name are the same input
    copy = shutil.copy(path, tmp_path / "renamed.csv")
    third = load(engine, [Path(copy)], settings(tmp_path, options=DUPLIST, batch_rows=40))
    assert (third.added, third.already_loaded) == (0, 31)
    assert snapshot(engine, extra=["custom_101"]) == before
    engine.dispose()


def test_force_reload_loads_again(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(20))
    first = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=10))
    first_results = results(tmp_path / "results.jsonl")
    assert first.added == 20
    once = counts(engine, ALL_TABLES)

    # with DUPLIST a forced reload meets the leads it loaded before
    forced = load(
        engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=10, force_reload=True)
    )
    assert (forced.added, forced.rejected, forced.already_loaded) == (0, 20, 0)
    assert [r["response"] for r in results(tmp_path / "results.jsonl")] == [
        [f"ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - {phone(r['row'])}|101|{r['lead_id']}"]
        for r in first_results
    ]
    assert counts(engine, ALL_TABLES) == once

    # without a duplicate check it writes every lead and child again, with new ids
    again = load(engine, [path], settings(tmp_path, batch_rows=10, force_reload=True))
    assert (again.added, again.rejected, again.already_loaded) == (20, 0, 0)
    assert [r["lead_id"] for r in results(tmp_path / "results.jsonl")] == list(range(21, 41))
    assert counts(engine, ALL_TABLES) == {name: 2 * n for name, n in once.items()}
    assert [lead for _, lead, _ in _ledger_rows(engine)] == list(range(21, 41))

    # and the ledger now points at the new leads
    rerun = load(engine, [path], settings(tmp_path, batch_rows=10))
    assert (rerun.added, rerun.already_loaded) == (0, 20)
    assert [r["lead_id"] for r in results(tmp_path / "results.jsonl")] == list(range(21, 41))
    engine.dispose()


def test_dry_run_writes_nothing_and_predicts_the_real_run(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(18, dup_every=4, bad_every=10))
    empty = counts(engine, ALL_TABLES)

    # batch_rows=3: every duplicate (row i repeats row i-3) sits in the next batch
    dry = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=3, dry_run=True))
    predicted = results(tmp_path / "results.jsonl")
    assert dry.dry_run
    assert counts(engine, ALL_TABLES) == empty
    assert _ledger_rows(engine) == []
    assert dry.reasons == {"DUPLICATE_PHONE_LIST": 4, "INVALID_PHONE_LENGTH": 1}
    assert dry.reconciles()

    real = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=3))
    assert results(tmp_path / "results.jsonl") == predicted
    assert (real.added, real.rejected, real.reasons) == (dry.added, dry.rejected, dry.reasons)
    loaded = counts(engine, ALL_TABLES)

    # a dry run of the loaded input predicts the rerun: already loaded, nothing written
    dry_again = load(
        engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=3, dry_run=True)
    )
    assert (dry_again.added, dry_again.already_loaded) == (0, real.added)
    assert results(tmp_path / "results.jsonl") == rerun_view(predicted)
    assert counts(engine, ALL_TABLES) == loaded
    engine.dispose()


REPO = Path(__file__).resolve().parents[2]
CRASH_ROWS = 2_000
CRASH_BATCH = 200


def _cli_load(url: str, path: Path, tmp: Path) -> subprocess.Popen[str]:
    """`python -m ingest load` in its own process; progress lines (one per batch) on stderr."""
    args = [
        sys.executable,
        "-m",
        "ingest",
        "--db",
        url,
        "load",
        str(path),
        "--list-id",
        "101",
        "--duplicate-check",
        "DUPLIST",
        "--batch-rows",
        str(CRASH_BATCH),
        "--now",
        NOW_TEXT,
        "--server-tz",
        "UTC",
        "--quiet",
        "--results",
        str(tmp / "results.jsonl"),
        "--report",
        str(tmp / "report.json"),
    ]
    return subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _kill_during_load(url: str, path: Path, tmp: Path, *, after_batches: int, pause: float) -> int:
    """Start a load and SIGKILL it `pause` s after its `after_batches`-th batch; its exit code."""
    proc = _cli_load(url, path, tmp)
    assert proc.stderr is not None
    assert proc.stdout is not None
    seen = 0
    for line in proc.stderr:
        seen += "rows done" in line
        if seen >= after_batches:
            break
    time.sleep(pause)
    proc.send_signal(signal.SIGKILL)  # no-op when it has already finished
    code = proc.wait(timeout=60)
    proc.stderr.close()
    proc.stdout.close()
    return code


def _expected_leads(rows: list[dict[str, str]]) -> dict[str, int]:
    """Phone number → the input row (1-based) that add_lead would have loaded (DUPLIST)."""
    out: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        if len(row["phone_number"]) >= 6:
            out.setdefault(row["phone_number"], i)
    return out


def _assert_exactly_once(engine: sa.Engine, rows: list[dict[str, str]]) -> None:
    """Every loadable row is one lead with its own children, once; the ledger agrees."""
    expected = _expected_leads(rows)
    snap = snapshot(engine, extra=["custom_101"])
    leads = snap["vicidial_list"]
    by_phone = {r["phone_number"]: r for r in leads}
    assert len(by_phone) == len(leads), "a phone number is in list 101 twice"
    assert set(by_phone) == set(expected)
    row_of_lead = {}
    for number, r in by_phone.items():
        source = expected[number]
        assert r["first_name"] == f"Lead{source}"  # the first row with that number, not a later one
        row_of_lead[r["lead_id"]] = source

    def children(name: str) -> dict[int, list[dict[str, Any]]]:
        grouped: dict[int, list[dict[str, Any]]] = {}
        for child in snap[name]:
            grouped.setdefault(row_of_lead[child["lead_id"]], []).append(child)
        return grouped

    alts = children("vicidial_list_alt_phones")
    assert alts == {i: alts[i] for i in expected.values() if i % 5 == 0}
    for i, got in alts.items():
        assert [(a["phone_number"], a["alt_phone_count"]) for a in got] == [
            (phone(i + 100_000), "1"),
            (phone(i + 200_000), "2"),
        ]
    assert sorted(children("vicidial_hopper")) == sorted(i for i in expected.values() if i % 7 == 0)
    assert all(len(v) == 1 for v in children("vicidial_hopper").values())
    assert sorted(children("vicidial_callbacks")) == sorted(
        i for i in expected.values() if i % 11 == 0
    )
    assert all(len(v) == 1 for v in children("vicidial_callbacks").values())
    custom = children("custom_101")
    assert sorted(custom) == sorted(i for i in expected.values() if i % 3 == 0)
    assert all([c["color"] for c in v] == [f"c{i}"] for i, v in custom.items())
    ledger_rows = _ledger_rows(engine)
    assert [(row, stage) for row, _, stage in ledger_rows] == [
        (i, "done") for i in sorted(expected.values())
    ]
    assert all(row_of_lead[str(lead)] == row for row, lead, _ in ledger_rows)


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_loads_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    engine = _engine(db_url)
    rows = feature_rows(CRASH_ROWS, dup_every=9, bad_every=50)
    path = write_csv(tmp_path / "leads.csv", rows)
    batches = CRASH_ROWS // CRASH_BATCH
    seed = random.randrange(1 << 30)  # a new kill plan each run; the seed is in every failure
    rng = random.Random(seed)
    started = time.monotonic()
    plan: list[tuple[int, float, int]] = []
    for _ in range(3):  # bounded: at most 3 kills, no new one after 45 s
        after, pause = rng.randint(1, batches - 1), round(rng.uniform(0.0, 0.6), 3)
        code = _kill_during_load(db_url, path, tmp_path, after_batches=after, pause=pause)
        plan.append((after, pause, code))
        if time.monotonic() - started > 45:
            break
    context = f"seed {seed}, kills (after batch, pause s, exit code): {plan}"
    assert any(code == -signal.SIGKILL for *_, code in plan), context

    proc = _cli_load(db_url, path, tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, f"{context}\n{err}"  # the bad and duplicate rows are rejected
    report = json.loads((tmp_path / "report.json").read_text())
    bad = sum(1 for r in rows if len(r["phone_number"]) < 6)
    loadable = len(_expected_leads(rows))
    assert report["read"] == CRASH_ROWS, context
    assert report["read"] == report["added"] + report["rejected"] + report["already_loaded"], (
        context
    )
    assert report["added"] + report["already_loaded"] == loadable, context
    assert report["reasons"] == {
        "DUPLICATE_PHONE_LIST": CRASH_ROWS - bad - loadable,
        "INVALID_PHONE_LENGTH": bad,
    }, context
    try:
        _assert_exactly_once(engine, rows)
    except AssertionError as exc:
        raise AssertionError(context) from exc
    with engine.connect() as conn:  # MariaDB: the first kill hit a load with the indexes off
        assert disabled_indexes(conn) == [], context

    again = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=CRASH_ROWS))
    assert (again.added, again.already_loaded) == (0, len(_expected_leads(rows)))
    engine.dispose()


def test_a_ledger_of_the_first_layout_is_moved_and_still_counts(db_url: str, tmp_path: Path) -> None:
    """Databases loaded by the first leadpipe keep their ledger (keyed by the hash itself): the
    next run moves its rows to the current tables, and a rerun of an old input loads nothing."""
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(5))
    first = load(engine, [path], settings(tmp_path, options={}))
    assert first.added == 5
    rows = _ledger_rows(engine)
    with engine.begin() as conn:  # put the rows back in the first layout
        conn.exec_driver_sql(
            "CREATE TABLE leadpipe_ledger (input_hash VARCHAR(64) NOT NULL, source_row BIGINT NOT NULL,"
            " lead_id BIGINT NOT NULL, stage VARCHAR(10) NOT NULL, run_id VARCHAR(40) NOT NULL,"
            " PRIMARY KEY (input_hash, source_row))"
        )
        conn.execute(
            sa.text("INSERT INTO leadpipe_ledger VALUES (:h, :row, :lead, :stage, 'old-run')"),
            [{"h": file_hash(path), "row": row, "lead": lead, "stage": stage} for row, lead, stage in rows],
        )
        conn.execute(sa.delete(ledger))
        conn.execute(sa.delete(inputs))

    again = load(engine, [path], settings(tmp_path, options={}))
    assert (again.added, again.already_loaded) == (0, 5)
    assert _ledger_rows(engine) == rows
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("leadpipe_ledger")
    engine.dispose()


def test_ids_reserved_by_a_crashed_run_and_taken_by_another_writer(
    db_url: str, tmp_path: Path
) -> None:
    """A run killed between its ledger reservation and its insert (on MyISAM no transaction joins
    the two) leaves `reserved` ids free; VICIdial's own add_lead may take them before the rerun.
    The rerun must load its rows as new leads and leave the other writer's leads alone."""
    engine = _engine(db_url)
    rows = feature_rows(6)  # row 5: alternate phones; row 6: custom fields
    path = write_csv(tmp_path / "leads.csv", rows)
    ensure_ledger_tables(engine)
    with engine.begin() as conn:
        reserved = pl.DataFrame({"source_row": range(1, 7), "lead_id": range(1, 7)})
        record_reserved(conn, _key(engine, path), "killed-run", reserved)
    with engine.begin() as conn:  # add_lead inserts two leads, with auto-increment ids 1 and 2
        for number in ("3125550001", "3125550002"):
            conn.execute(sa.insert(tables.vicidial_list).values(
                phone_number=number, list_id=101, first_name="vicidial", status="NEW",
                entry_date=NOW_TEXT,
            ))  # fmt: skip
        conn.execute(
            sa.insert(tables.vicidial_hopper).values(lead_id=1, campaign_id="TESTCAMP", list_id=101)
        )
        conn.execute(
            sa.insert(tables.vicidial_list_alt_phones).values(lead_id=2, phone_number="3125550009")
        )
    theirs = snapshot(engine)

    summary = load(engine, [path], settings(tmp_path, options=DUPLIST))
    assert (summary.added, summary.already_loaded, summary.rejected) == (6, 0, 0)
    got = results(tmp_path / "results.jsonl")
    assert [r["lead_id"] for r in got] == [3, 4, 5, 6, 7, 8]
    after = snapshot(engine)
    assert after["vicidial_list"][:2] == theirs["vicidial_list"]
    assert [(r["lead_id"], r["first_name"]) for r in after["vicidial_list"][2:]] == [
        (str(i + 2), f"Lead{i}") for i in range(1, 7)
    ]
    assert after["vicidial_hopper"][0] == theirs["vicidial_hopper"][0]
    assert after["vicidial_list_alt_phones"][0] == theirs["vicidial_list_alt_phones"][0]
    assert [a["lead_id"] for a in after["vicidial_list_alt_phones"][1:]] == ["7", "7"]
    assert _ledger_rows(engine) == [(i, i + 2, "done") for i in range(1, 7)]
    engine.dispose()


def test_landed_reservation_between_fresh_rows_stays_in_the_ledger(
    db_url: str, tmp_path: Path
) -> None:
    """Row 2's lead landed before the kill, row 3's did not, row 1 was rejected then (say by a DNC
    entry removed since). The rerun loads rows 1 and 3, keeps row 2's lead, and the ledger then
    knows all three: a third run loads nothing, even without a duplicate check."""
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(3))
    ensure_ledger_tables(engine)
    with engine.begin() as conn:
        record_reserved(
            conn,
            _key(engine, path),
            "killed-run",
            pl.DataFrame({"source_row": [2, 3], "lead_id": [7, 8]}),
        )
        conn.execute(sa.insert(tables.vicidial_list).values(
            lead_id=7, phone_number=phone(2), list_id=101, first_name="Lead2", status="NEW",
            entry_date=NOW_TEXT,
        ))  # fmt: skip

    rerun = load(engine, [path], settings(tmp_path, options={}))
    assert (rerun.added, rerun.already_loaded) == (3, 0)
    assert [r["lead_id"] for r in results(tmp_path / "results.jsonl")] == [8, 7, 9]
    assert _ledger_rows(engine) == [(1, 8, "done"), (2, 7, "done"), (3, 9, "done")]
    third = load(engine, [path], settings(tmp_path, options={}))
    assert (third.added, third.already_loaded) == (0, 3)
    assert counts(engine, ("vicidial_list", "custom_101")) == {"vicidial_list": 3, "custom_101": 1}
    engine.dispose()


def test_a_lead_inserted_before_the_kill_stays_added_when_a_check_would_fail_now(
    db_url: str, tmp_path: Path
) -> None:
    """Row 1's lead landed (stage `added`) before the kill; its number went on the DNC list before
    the rerun. The lead exists, so the rerun reports it added (and writes its children), as the
    run after it reports it already loaded."""
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(3))
    ensure_ledger_tables(engine)
    with engine.begin() as conn:
        record_rows(conn, _key(engine, path), "killed-run",
                    pl.DataFrame({"source_row": [1], "lead_id": [1]}), "added")
        conn.execute(sa.insert(tables.vicidial_list).values(
            lead_id=1, phone_number=phone(1), list_id=101, first_name="Lead1", status="NEW",
            entry_date=NOW_TEXT,
        ))  # fmt: skip
        conn.execute(sa.insert(tables.vicidial_dnc).values(phone_number=phone(1)))

    rerun = load(engine, [path], settings(tmp_path, options={"dnc_check": "Y"}))
    assert (rerun.added, rerun.rejected, rerun.already_loaded) == (3, 0, 0)
    assert results(tmp_path / "results.jsonl")[0] == {
        "row": 1, "status": "added", "lead_id": 1, "reject_reason": None,
        "response": [f"SUCCESS: add_lead LEAD HAS BEEN ADDED - {phone(1)}|101|1|-5.00|6666"],
    }  # fmt: skip
    third = load(engine, [path], settings(tmp_path, options={"dnc_check": "Y"}))
    assert (third.added, third.rejected, third.already_loaded) == (0, 0, 3)
    engine.dispose()


def _batches(engine: sa.Engine) -> list[tuple[int, int, str, str, str]]:
    with engine.connect() as conn:
        b = batch_ledger.c
        stmt = sa.select(b.first_row, b.last_row, b.source_rows, b.lead_ids, b.stage).order_by(b.first_row)
        return [tuple(r) for r in conn.execute(stmt)]  # type: ignore[misc]


def _row_ledger(engine: sa.Engine) -> list[tuple[int, int, str]]:
    with engine.connect() as conn:
        stmt = sa.select(ledger.c.source_row, ledger.c.lead_id, ledger.c.stage).order_by(ledger.c.source_row)
        return [tuple(r) for r in conn.execute(stmt)]  # type: ignore[misc]


def test_the_ledger_holds_one_row_per_batch(db_url: str, tmp_path: Path) -> None:
    """Each batch's rows and lead ids are one ledger row, `done` once its child rows are in; the
    row ledger stays empty when no run was interrupted."""
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(12, dup_every=4, bad_every=10))
    summary = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=5))
    # row 10 is a bad number, rows 4, 8 and 12 repeat rows 1, 5 and 9
    assert _batches(engine) == [
        (1, 5, "1-3,5", "1-4", "done"), (6, 9, "6-7,9", "5-7", "done"), (11, 11, "11", "8", "done"),
    ]
    assert _row_ledger(engine) == []
    assert _ledger_rows(engine) == [(r, i, "done") for i, r in enumerate([1, 2, 3, 5, 6, 7, 9, 11], start=1)]
    assert summary.added == 8
    again = load(engine, [path], settings(tmp_path, options=DUPLIST, batch_rows=5))
    assert (again.added, again.already_loaded) == (0, 8)
    engine.dispose()


def test_batches_left_reserved_by_a_kill_are_checked_on_the_rerun(db_url: str, tmp_path: Path) -> None:
    """A killed run leaves one batch `done`, one `reserved` whose leads landed (child rows not
    written), and one `reserved` whose insert never landed; an older run left a stale `reserved`
    row for row 5. The rerun reports the first batch's rows as already loaded, keeps the second's
    leads (and writes their children), loads the third's rows as new; the next run loads nothing."""
    engine = _engine(db_url)
    path = write_csv(tmp_path / "leads.csv", feature_rows(6))
    ensure_ledger_tables(engine)
    key = _key(engine, path)
    with engine.begin() as conn:
        record_rows(conn, key, "older-run", pl.DataFrame({"source_row": [5], "lead_id": [40]}), "reserved")
        done = record_reserved(conn, key, "killed-run", pl.DataFrame({"source_row": [1, 2], "lead_id": [1, 2]}))
        record_done(conn, key, done, [])
        record_reserved(conn, key, "killed-run", pl.DataFrame({"source_row": [3, 4], "lead_id": [3, 4]}))
        record_reserved(conn, key, "killed-run", pl.DataFrame({"source_row": [5, 6], "lead_id": [5, 6]}))
        for row in (1, 2, 3, 4):
            conn.execute(sa.insert(tables.vicidial_list).values(
                lead_id=row, phone_number=phone(row), list_id=101, first_name=f"Lead{row}", status="NEW",
                entry_date=NOW_TEXT,
            ))  # fmt: skip
    before = _batches(engine)

    dry = load(engine, [path], settings(tmp_path, options=DUPLIST, dry_run=True))
    predicted = results(tmp_path / "results.jsonl")
    assert (dry.added, dry.already_loaded) == (4, 2)
    assert _batches(engine) == before  # a dry run writes nothing

    rerun = load(engine, [path], settings(tmp_path, options=DUPLIST))
    assert (rerun.added, rerun.already_loaded, rerun.rejected) == (4, 2, 0)
    got = results(tmp_path / "results.jsonl")
    assert got == predicted
    assert [(r["status"], r["lead_id"]) for r in got] == [
        ("already_loaded", 1), ("already_loaded", 2), ("added", 3), ("added", 4), ("added", 5), ("added", 6),
    ]
    assert [b[-1] for b in _batches(engine)] == ["done", "done"]  # the killed run's first, this run's
    assert _row_ledger(engine) == [(3, 3, "done"), (4, 4, "done")]
    assert _ledger_rows(engine) == [(i, i, "done") for i in range(1, 7)]
    assert counts(engine, ("vicidial_list", "custom_101")) == {"vicidial_list": 6, "custom_101": 2}
    third = load(engine, [path], settings(tmp_path, options={}))
    assert (third.added, third.already_loaded) == (0, 6)
    engine.dispose()


def test_expanding_reserved_batches_twice_changes_nothing(db_url: str) -> None:
    """A run stopped halfway through the expansion leaves the batches: the next one redoes it,
    and rows the row ledger knows as `done` stay so."""
    engine = _engine(db_url)
    ensure_ledger_tables(engine)
    key = input_key(engine, "x" * 64)
    assert key is not None
    pairs = pl.DataFrame({"source_row": [1, 2, 4], "lead_id": [7, 8, 9]})
    with engine.begin() as conn:
        record_reserved(conn, key, "killed-run", pairs)
        record_rows(conn, key, "later-run", pl.DataFrame({"source_row": [2], "lead_id": [8]}), "done")
    with engine.begin() as conn:
        first = expand_reservations(conn, key)
        record_reserved(conn, key, "killed-run", pairs)  # as if the batch's DELETE never ran
    with engine.begin() as conn:
        again = expand_reservations(conn, key)
    assert (first, again) == (2, 2)
    assert _row_ledger(engine) == [(1, 7, "reserved"), (2, 8, "done"), (4, 9, "reserved")]
    assert _batches(engine) == []
    engine.dispose()


def test_runs_encode_any_order() -> None:
    values = [5, 6, 7, 1, 2, 9, 11, 12, 10]
    assert encode_runs(values) == "5-7,1-2,9,11-12,10"
    assert decode_runs(encode_runs(values)) == values
    assert decode_runs(encode_runs([])) == []
