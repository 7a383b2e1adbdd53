"""Reruns of one input (issue 4, item 7): nothing twice, `--force-reload` on purpose, `--dry-run`
writes nothing yet predicts every outcome of the real run, across batch boundaries."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from sinks.ledger import ledger
from tests.ingest._pipeline import (
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


def _ledger_rows(engine: sa.Engine) -> list[tuple[int, int, str]]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(ledger.name):
            return []
        stmt = sa.select(ledger.c.source_row, ledger.c.lead_id, ledger.c.stage).order_by(
            ledger.c.source_row
        )
        return [tuple(r) for r in conn.execute(stmt)]


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
