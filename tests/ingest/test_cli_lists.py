"""`leadpipe lists …` and `ListJobSpec`: options, output, exit codes, on SQLite and MariaDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pydantic
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ingest.cli import IngestGroup
from ingest.cli_lists import lists
from ingest.errors import ConfigError, InputError
from ingest.list_jobs import ListJobSpec, read_dnc_file, run_list_job
from sinks import tables
from sinks.errors import SinkError
from tests.sinks._list_fixtures import NOW, seed, shared_engine, snapshot

__all__ = ["shared_engine"]

AT = ["--now", "2026-03-02 10:30:00"]
RESET_101 = [
    "NOTICE: update_list NO UPDATES DEFINED: |6666|",
    "NOTICE: update_list LEADS IN LIST HAVE BEEN RESET - 6666|101|",
]
FAILED_102 = [
    "NOTICE: update_list NO UPDATES DEFINED: |6666|",
    "NOTICE: update_list LIST RESET FAILED, daily reset limit reached: 2 / 2 - 6666|102",
]


@pytest.fixture
def engine(shared_engine: sa.Engine) -> sa.Engine:
    seed(shared_engine)
    return shared_engine


def invoke(engine: sa.Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(lists, list(args), obj={"db": url, "debug": False})


@pytest.mark.parametrize(
    "ids",
    [
        ["--list-id", "101", "102"],
        ["--list-id", "101,102"],
        ["--list-id", "101", "--list-id", "102"],
    ],
    ids=["spaced", "comma", "repeated"],
)
def test_reset_takes_list_ids_every_way(engine: sa.Engine, ids: list[str]) -> None:
    result = invoke(engine, "reset", *ids, *AT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [*RESET_101, *FAILED_102, "101: matched 18, changed 6"]
    assert "reset: job 1, 1 chunks" in result.stderr


def test_reset_dry_run_by_campaign_prints_would_and_writes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = invoke(
        engine, "reset", "--campaign", "TESTCAMP", "--dry-run", "--chunk-rows", "2", *AT
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "would 101: matched 18, changed 6",
        "would 103: matched 6, changed 6",
    ]
    assert "reset (dry run): 12 chunks" in result.stderr
    assert snapshot(engine) == before


def test_reset_due_runs_the_scheduled_resets(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(tables.vicidial_lists)
            .where(tables.vicidial_lists.c.list_id == 101)
            .values(reset_time="0900")
        )
    result = invoke(engine, "reset", "--due", *AT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "ADMIN END OF DAY - VDAD|2026-03-02 00:00:00|4 list counters cleared, "
        "QUEUE users cleared: 0",
        "ADMIN RESET LIST - VDAD|101|18 leads reset, list resets today: 1",
    ]


def test_permission_refusal_exits_1(engine: sa.Engine) -> None:
    result = invoke(engine, "delete-list", "201", "--yes", "--with-leads", "--user", "7777", *AT)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "NOTICE: update_list NO UPDATES DEFINED: |7777|",
        "NOTICE: update_list USER DOES NOT HAVE PERMISSION TO DELETE LISTS: |7777|0",
    ]


def test_delete_leads_needs_yes(engine: sa.Engine) -> None:
    result = invoke(engine, "delete-leads", "--list-id", "101", *AT)
    assert isinstance(result.exception, SinkError)
    assert str(result.exception) == (
        "refusing to delete leads without confirmation: pass `--yes` (see first with `--dry-run`)"
    )
    root = IngestGroup("leadpipe", callback=click.pass_context(lambda ctx: ctx.ensure_object(dict)))
    root.add_command(lists)
    url = engine.url.render_as_string(hide_password=False)
    through = CliRunner().invoke(root, ["lists", "delete-leads", "101"], obj={"db": url})
    assert through.exit_code == 1
    assert through.output.strip().splitlines()[-1] == (
        "Error: refusing to delete leads without confirmation: pass `--yes` "
        "(see first with `--dry-run`)"
    )


def test_delete_leads_with_yes_reports_related_rows(engine: sa.Engine) -> None:
    result = invoke(engine, "delete-leads", "--list-id", "101", "--yes", *AT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - 6666|101|18",
        "101: deleted 18",
    ]
    assert "callbacks_archived 1, callbacks 1, alt_phones 2, hopper 1, custom_rows 2" in (
        result.stderr
    )


def test_reset_hopper_json(engine: sa.Engine) -> None:
    result = invoke(engine, "reset-hopper", "--campaign", "TESTCAMP", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lines"][-1] == "NOTICE: update_campaign HOPPER HAS BEEN RESET - 6666|TESTCAMP|"
    assert data["totals"] == {"hopper": 3}


def test_dnc_load_and_scrub(engine: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text('phone_number\n"727-555-0001",x\n\n813XXXXXXX ; area\n7275550002\n')
    result = invoke(engine, "dnc-load", str(path), "--mode", "replace", *AT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "SYSTEM: read 4, invalid 1, unique 3, added 3, removed 0",
    ]
    report = tmp_path / "hits.csv"
    scrub = invoke(
        engine, "dnc-scrub", "101", "102", "--report", str(report), "--set-status", "DNCL", *AT
    )
    assert scrub.exit_code == 0, scrub.output
    assert scrub.stdout.splitlines() == [
        "101: on_dnc 1, status_set 1",
        "102: on_dnc 1, status_set 1",
    ]
    assert report.read_text().splitlines() == [
        "lead_id,list_id,phone_number,status,dnc",
        "1,101,7275550001,NEW,SYSTEM",
        "2,102,7275550002,NEW,SYSTEM",
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["reset"], "give the lists to reset: `--list-id 101 102`, `--campaign TESTCAMP` or"),
        (["dnc-scrub"], "give the lists to scrub: `--list-id 101 102`"),
        (["reset", "--due", "101"], "`--due` resets the lists that are due"),
        (["dnc-load", "nope.txt"], "cannot read DNC file `nope.txt`: no such file"),
    ],
    ids=["no-target", "scrub-no-target", "due-with-ids", "missing-file"],
)
def test_known_failures_raise_one_error(engine: sa.Engine, args: list[str], error: str) -> None:
    result = invoke(engine, *args)
    assert isinstance(result.exception, (ConfigError, InputError))
    assert error in str(result.exception)


def test_bad_list_id_is_a_usage_error(engine: sa.Engine) -> None:
    result = invoke(engine, "reset", "--list-id", "10x")
    assert result.exit_code == 2
    assert "list id `10x` is not a number" in result.output


@pytest.mark.parametrize("command", sorted(lists.commands))
def test_every_command_has_help_with_an_example(engine: sa.Engine, command: str) -> None:
    result = invoke(engine, command, "-h")
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_spec_rejects_unknown_keys_and_missing_targets() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        ListJobSpec.model_validate({"operation": "reset", "list_ids": [101], "lists": [1]})
    with pytest.raises(pydantic.ValidationError, match="needs `campaign_id`"):
        ListJobSpec(operation="reset_hopper")
    with pytest.raises(pydantic.ValidationError, match="only for operation `dnc_load`"):
        ListJobSpec(operation="reset", list_ids=(101,), file=Path("x"))


def test_run_list_job_runs_a_spec(engine: sa.Engine) -> None:
    spec = ListJobSpec.model_validate({"operation": "reset", "campaign_id": "TESTCAMP"})
    result: Any = run_list_job(spec, engine=engine, now=NOW)
    assert result.totals["changed"] == 12


def test_read_dnc_file_keeps_the_first_field(tmp_path: Path) -> None:
    path = tmp_path / "dnc.txt"
    path.write_text('7275551234\n"813-555-0000",x\n\n  212XXXXXXX ; c\n727555\t1\n')
    batches = [s.to_list() for s in read_dnc_file(path, batch_rows=2)]
    assert batches == [["7275551234", "813-555-0000"], ["212XXXXXXX", "727555"]]
