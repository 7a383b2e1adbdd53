"""`leadpipe load`: exit codes, the summary it prints, the JSON run report, results and rejects."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ingest.cli import cli
from tests.ingest._pipeline import NOW_TEXT, counts, prepare, results, write_csv

ROWS = [
    {"phone_number": "7275551001", "first_name": "Ann", "vendor_lead_code": "V1"},
    {"phone_number": "7275551002", "first_name": "Bob", "vendor_lead_code": "V2"},
    {"phone_number": "12345", "first_name": "Cy", "vendor_lead_code": "V3"},
    {"phone_number": "7275551001", "first_name": "Di", "vendor_lead_code": "V4"},
    {"phone_number": "7275559001", "first_name": "Ed", "vendor_lead_code": "V5"},
]
RUN_LINE = re.compile(r"^run \d{8}T\d{6}Z-[0-9a-f]{6}$")
ONE_LINE = re.compile(
    r"read (\d+), added (\d+), rejected (\d+), already loaded (\d+) in \d+\.\d\ds\n"
)


@pytest.fixture
def db(db_url: str) -> str:
    engine = prepare(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO vicidial_dnc (phone_number) VALUES ('7275559001')"))
    engine.dispose()
    return db_url


def _load(db: str, path: Path, *args: str) -> Result:
    base = [
        "--db",
        db,
        "load",
        str(path),
        "--list-id",
        "101",
        "--now",
        NOW_TEXT,
        "--server-tz",
        "UTC",
    ]
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def test_every_row_added_exits_0(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good.csv", ROWS[:2])
    result = _load(db, path, "--duplicate-check", "DUPLIST")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert RUN_LINE.match(lines[0]), lines[0]
    assert lines[1:] == [
        "read            2",
        "added           2",
        "rejected        0",
        "already loaded  0",
    ]
    assert ONE_LINE.search(result.stderr).groups() == ("2", "2", "0", "0")  # type: ignore[union-attr]


def test_rejected_rows_exit_3_with_reasons(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mixed.csv", ROWS)
    result = _load(db, path, "--duplicate-check", "DUPLIST", "--dnc-check", "Y")
    assert result.exit_code == 3, result.output
    assert result.stdout.splitlines()[1:] == [
        "read            5",
        "added           2",
        "rejected        3",
        "already loaded  0",
        "  DNC_SYSTEM                         1",
        "  DUPLICATE_PHONE_LIST               1",
        "  INVALID_PHONE_LENGTH               1",
    ]


def test_rerun_reports_already_loaded_and_exits_by_the_rejects(db: str, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", ROWS[:2])
    assert _load(db, good).exit_code == 0
    again = _load(db, good)
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1:] == [
        "read            2", "added           0", "rejected        0", "already loaded  2",
    ]  # fmt: skip
    mixed = write_csv(tmp_path / "mixed.csv", ROWS)
    assert _load(db, mixed, "--duplicate-check", "DUPLIST").exit_code == 3
    assert (
        _load(db, mixed, "--duplicate-check", "DUPLIST").exit_code == 3
    )  # the rejects stay rejected


def test_dry_run_says_so_and_writes_nothing(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mixed.csv", ROWS)
    result = _load(
        db,
        path,
        "--duplicate-check",
        "DUPLIST",
        "--dry-run",
        "--results",
        str(tmp_path / "r.jsonl"),
    )
    assert result.exit_code == 3
    assert result.stdout.splitlines()[0].endswith(" (dry run: nothing written)")
    assert result.stdout.splitlines()[1:4] == [
        "read            5",
        "added           3",
        "rejected        2",
    ]
    assert [r["status"] for r in results(tmp_path / "r.jsonl")] == [
        "added",
        "added",
        "rejected",
        "rejected",
        "added",
    ]
    engine = sa.create_engine(db)
    assert counts(engine, ["vicidial_list"]) == {"vicidial_list": 0}
    engine.dispose()


def test_report_results_and_rejects_files(db: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mixed.csv", ROWS)
    out = tmp_path / "out"
    result = _load(
        db, path, "--duplicate-check", "DUPLIST", "--dnc-check", "Y", "--batch-rows", "2",
        "--results", str(out / "results.jsonl"), "--rejects", str(out / "rejects.csv"),
        "--report", str(out / "report.json"),
    )  # fmt: skip
    assert result.exit_code == 3

    report = json.loads((out / "report.json").read_text())
    assert set(report) == {
        "run_id", "read", "added", "rejected", "already_loaded", "reasons", "seconds", "stages",
        "files", "dry_run", "rows_per_second",
    }  # fmt: skip
    assert RUN_LINE.match(f"run {report['run_id']}")
    assert (report["read"], report["added"], report["rejected"], report["already_loaded"]) == (
        5,
        2,
        3,
        0,
    )
    assert report["reasons"] == {
        "DNC_SYSTEM": 1,
        "DUPLICATE_PHONE_LIST": 1,
        "INVALID_PHONE_LENGTH": 1,
    }
    assert report["dry_run"] is False
    assert {"read", "rules", "duplicates", "write_leads", "outputs"} <= set(report["stages"])
    assert all(isinstance(v, float) and v >= 0 for v in report["stages"].values())
    [entry] = report["files"]
    assert entry["path"] == str(path)
    assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    assert (entry["read"], entry["added"], entry["rejected"], entry["already_loaded"]) == (
        5,
        2,
        3,
        0,
    )

    assert results(out / "results.jsonl") == [
        {"row": 1, "status": "added", "lead_id": 1, "reject_reason": None,
         "response": ["SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551001|101|1|-5.00|6666"]},
        {"row": 2, "status": "added", "lead_id": 2, "reject_reason": None,
         "response": ["SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551002|101|2|-5.00|6666"]},
        {"row": 3, "status": "rejected", "lead_id": None, "reject_reason": "INVALID_PHONE_LENGTH",
         "response": ["ERROR: add_lead INVALID PHONE NUMBER LENGTH - 12345|6666"]},
        {"row": 4, "status": "rejected", "lead_id": None, "reject_reason": "DUPLICATE_PHONE_LIST",
         "response": ["ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551001|101|1"]},
        {"row": 5, "status": "rejected", "lead_id": None, "reject_reason": "DNC_SYSTEM",
         "response": ["ERROR: add_lead PHONE NUMBER IN DNC - 7275559001|6666"]},
    ]  # fmt: skip

    with (out / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rejected = list(reader)
    assert header is not None
    assert header[0] == "source_row"
    assert header[-2:] == ["reject_reason", "response"]
    assert set(ROWS[0]) <= set(header)
    assert [(r["source_row"], r["reject_reason"]) for r in rejected] == [
        ("3", "INVALID_PHONE_LENGTH"), ("4", "DUPLICATE_PHONE_LIST"), ("5", "DNC_SYSTEM"),
    ]  # fmt: skip
    for r in rejected:
        assert {k: r[k] for k in ROWS[0]} == ROWS[
            int(r["source_row"]) - 1
        ]  # the input row unchanged
    assert (
        rejected[1]["response"]
        == "ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551001|101|1"
    )
