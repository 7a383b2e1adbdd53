"""Folder pipelines: files taken once, list ids from names or new lists, done/ and failed/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ingest.config import FolderPipelineSpec, load_config
from ingest.errors import InputError
from ingest.folder import find_files, list_id_from_filename, run_folder
from ingest.mapping import map_columns
from ingest.readers import read_file
from sinks import tables

NOW = datetime(2019, 1, 2, 3, 4, 5)


def _spec(incoming: Path, **extra: Any) -> FolderPipelineSpec:
    return FolderPipelineSpec.model_validate(
        {"kind": "folder", "incoming": incoming, "stable_seconds": 0, **extra}
    )


class Loader:
    """A stand-in for the runner: reads the file for real and reports what it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, path: Path, list_id: str | None) -> Mapping[str, Any]:
        self.calls.append((path.name, list_id))
        batches = list(read_file(path))
        return {
            "read": sum(b.rows.height for b in batches),
            "malformed": sum(b.malformed.height for b in batches),
        }


def _drop(folder: Path, name: str, text: str = "phone_number\n7275551212\n7275551213\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("XYZ_1234.txt", "1234"),
        ("leads.2019_5001.txt", None),
        ("LEADS_1101.csv.gz", "1101"),
        ("a_b_7x7.csv", "77"),
        ("LEADS.txt", None),
        ("LEADS2.txt", "2"),
    ],
)
def test_list_id_from_filename(name: str, expected: str | None) -> None:
    assert list_id_from_filename(name) == expected


def test_second_run_finds_nothing_new(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "LEADS_1101.csv")
    _drop(incoming, "LEADS_1102.csv", "phone_number\n1\n2\n3\n")
    spec = _spec(incoming, list_id_from_filename=True)
    loader = Loader()
    first = run_folder(spec, loader, now=NOW)
    assert loader.calls == [("LEADS_1101.csv", "1101"), ("LEADS_1102.csv", "1102")]
    assert [(r.status, r.path) for r in first] == [
        ("done", incoming / "done" / "LEADS_1101.csv"),
        ("done", incoming / "done" / "LEADS_1102.csv"),
    ]
    report = json.loads((incoming / "done" / "LEADS_1102.csv.report.json").read_text())
    assert report == {
        "file": "LEADS_1102.csv",
        "folder": str(incoming),
        "started": "2019-01-02 03:04:05",
        "list_id": "1102",
        "read": 3,
        "malformed": 0,
        "status": "done",
    }
    assert run_folder(spec, loader, now=NOW) == []
    assert len(loader.calls) == 2
    assert sorted(p.name for p in incoming.iterdir()) == ["done"]


def test_unreadable_file_goes_to_failed_with_the_reason(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "LEADS_1.csv", "")
    _drop(incoming, "LEADS_2.csv")
    spec = _spec(incoming, list_id="101", failed_dir=incoming / "rejected")
    [failed, done] = run_folder(spec, Loader(), now=NOW)
    assert (failed.status, failed.path) == ("failed", incoming / "rejected" / "LEADS_1.csv")
    assert failed.error == f"cannot read `{incoming / 'LEADS_1.csv'}`: the file is empty (0 bytes)"
    report = json.loads(failed.path.with_name("LEADS_1.csv.report.json").read_text())
    assert report["status"] == "failed"
    assert report["error"] == failed.error
    assert (done.status, done.list_id) == ("done", "101")


def test_glob_prefix_hidden_and_growing_files(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    for name in ("LEADS_1.txt", "LEADS_2.csv", "OTHER_3.txt", ".LEADS_4.txt", "LEADS_5.txt"):
        _drop(incoming, name)
    (incoming / "LEADS_6.txt").mkdir()

    def sleep(seconds: float) -> None:
        assert seconds == 1.5
        with (incoming / "LEADS_5.txt").open("a") as f:  # still being uploaded
            f.write("7275550000\n")

    spec = _spec(incoming, glob="*.txt", prefix="LEADS_", stable_seconds=1.5)
    assert find_files(spec, sleep=sleep) == [incoming / "LEADS_1.txt"]


def test_missing_incoming_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"incoming folder `.*nowhere` does not exist"):
        run_folder(_spec(tmp_path / "nowhere"), Loader(), now=NOW)


def test_same_name_twice_keeps_both_in_done(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    spec = _spec(incoming)
    _drop(incoming, "LEADS_7.csv")
    run_folder(spec, Loader(), now=NOW)
    _drop(incoming, "LEADS_7.csv")
    [again] = run_folder(spec, Loader(), now=NOW)
    assert again.path == incoming / "done" / "LEADS_7~2.csv"
    assert again.report_path == incoming / "done" / "LEADS_7~2.csv.report.json"
    assert (incoming / "done" / "LEADS_7.csv").is_file()


def test_dry_run_moves_nothing(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "LEADS_1.csv")
    _drop(incoming, "LEADS_2.csv", "")
    results = run_folder(_spec(incoming), Loader(), now=NOW, dry_run=True)
    assert [r.status for r in results] == ["dry-run", "dry-run"]
    assert results[1].error is not None
    assert sorted(p.name for p in incoming.iterdir()) == ["LEADS_1.csv", "LEADS_2.csv"]


def test_other_errors_leave_the_file_for_the_next_run(tmp_path: Path) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "LEADS_1.csv")

    def broken(path: Path, list_id: str | None) -> Mapping[str, Any]:
        msg = "database went away"
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="database went away"):
        run_folder(_spec(incoming), broken, now=NOW)
    assert (incoming / "LEADS_1.csv").is_file()


def test_new_list_per_file(tmp_path: Path, engine: sa.Engine) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "a leads.csv")
    _drop(incoming, "b.csv", "")  # unreadable: must not leave a list behind
    _drop(incoming, "c.csv")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_lists), {"list_id": 99201901021, "list_name": "taken"}
        )
    spec = _spec(
        incoming,
        new_list_per_file=True,
        new_list={
            "id_prefix": "99",
            "name_prefix": "NIGHTLY",
            "campaign_id": "TESTCAMP",
            "active": "Y",
            "reset_time": "0900-1700",
            "time_zone_setting": "POSTAL_CODE",
        },
    )
    loader = Loader()
    results = run_folder(spec, loader, now=NOW, engine=engine)
    assert loader.calls == [("a leads.csv", "99201901022"), ("c.csv", "99201901023")]
    assert [r.status for r in results] == ["done", "failed", "done"]
    cols = tables.vicidial_lists.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                cols.list_id,
                cols.list_name,
                cols.campaign_id,
                cols.active,
                cols.list_description,
                cols.list_changedate,
                cols.reset_time,
                cols.time_zone_setting,
            )
            .where(cols.list_id != 99201901021)
            .order_by(cols.list_id)
        ).all()
    when = "2019-01-02 03:04:05"
    assert [tuple(str(v) for v in r) for r in rows] == [
        (
            "99201901022",
            "NIGHTLY a leads.csv",
            "TESTCAMP",
            "Y",
            f"Created: {when}",
            when,
            "0900-1700",
            "POSTAL_CODE",
        ),
        (
            "99201901023",
            "NIGHTLY c.csv",
            "TESTCAMP",
            "Y",
            f"Created: {when}",
            when,
            "0900-1700",
            "POSTAL_CODE",
        ),
    ]


def test_new_list_name_without_prefix_starts_with_a_space(
    tmp_path: Path, engine: sa.Engine
) -> None:
    incoming = tmp_path / "in"
    _drop(incoming, "leads.csv")
    run_folder(_spec(incoming, new_list_per_file=True), Loader(), now=NOW, engine=engine)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                tables.vicidial_lists.c.list_id,
                tables.vicidial_lists.c.list_name,
                tables.vicidial_lists.c.active,
            )
        ).one()
    assert (str(row.list_id), row.list_name, row.active) == ("201901021", " leads.csv", "N")


def test_shipped_folder_sample_is_found_and_readable() -> None:
    root = Path(__file__).resolve().parents[2]
    spec = load_config(root / "pipelines.toml").pipelines["leads_in"]
    assert isinstance(spec, FolderPipelineSpec)
    seen: list[tuple[str | None, list[str]]] = []

    def process(path: Path, list_id: str | None) -> Mapping[str, Any]:
        for batch in read_file(path, spec.read_options()):
            rows = map_columns(batch.rows, spec.mapping_options())
            seen.append((list_id, rows["phone_number"].to_list()))
        return {}

    results = run_folder(
        spec.model_copy(update={"stable_seconds": 0}), process, now=NOW, dry_run=True
    )
    assert [r.source.name for r in results] == ["LEADS_102.txt"]
    assert seen == [("102", ["2065550301", "2065550302", "2065550301"])]
