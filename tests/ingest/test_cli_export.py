"""`leadpipe export`: API exports to stdout or a file, refusals, warehouse feeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ingest.cli_export import export
from tests.sinks._export_data import AGENT_ROWS, add_agent_log, add_agents, add_user, seeded_engine

EXPECTED = (
    "user|full_name|user_group|calls|login_time|total_talk_time|avg_talk_time|avg_wait_time|"
    "pct_of_queue|pause_time|sessions|avg_session|pauses|avg_pause_time|pause_pct|"
    "pauses_per_session|wait_time|talk_time|dispo_time|dead_time\n"
    "1001|Jane Doe|AGENTS|2|0:15:25|0:03:40|0:00:00|0:00:18|66.7%|635|1|0:15:25|4|0:02:39|68.6%|4|"
    "0:00:35|0:03:55|0:00:20|0:00:15\n"
    "2002|Bob Roe|AGENTS|1|0:06:39|0:04:30|0:00:00|0:01:05|33.3%|14|1|0:06:39|2|0:00:07|3.5%|2|"
    "0:01:05|0:05:00|0:00:20|0:00:30\n"
)
WINDOW = ["--datetime-start", "2012-03-26 00:00:00", "--datetime-end", "2012-03-26 23:59:59"]


@click.group()
@click.option("--db")
@click.option("--debug", is_flag=True)
@click.pass_context
def root(ctx: click.Context, db: str | None, *, debug: bool) -> None:
    """Stand-in for the `leadpipe` group: `--db` and `--debug` into `ctx.obj`."""
    ctx.obj = {"db": db, "debug": debug}


root.add_command(export)


def _seed(conn: sa.Connection) -> None:
    add_agents(conn)
    add_user(conn, "8888", view_reports="0")
    add_agent_log(conn, AGENT_ROWS)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a database with the spec's agent sessions and a user without report rights."""
    with seeded_engine(request.param, tmp_path_factory.mktemp("cli"), _seed) as engine:
        yield engine.url.render_as_string(hide_password=False)


def leadpipe(*args: str) -> click.testing.Result:
    return CliRunner().invoke(root, list(args))


def test_agent_stats_to_stdout_is_byte_exact(url: str) -> None:
    result = leadpipe(
        "--db", url, "export", "agent_stats_export", *WINDOW, "--stage", "pipe", "--header", "YES"
    )
    assert (result.exit_code, result.stdout) == (0, EXPECTED)


def test_out_writes_the_file_through_a_temporary_name(url: str, tmp_path: Path) -> None:
    target = tmp_path / "exports" / "agents.txt"
    result = leadpipe(
        "--db",
        url,
        "export",
        "agent_stats_export",
        *WINDOW,
        "--stage",
        "pipe",
        "--header",
        "YES",
        "--out",
        str(target),
    )
    assert (result.exit_code, result.stdout) == (0, "")
    assert target.read_bytes() == EXPECTED.encode()
    assert [p.name for p in target.parent.iterdir()] == ["agents.txt"]


def test_read_db_reads_from_another_database(url: str, tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = leadpipe(
        "--db",
        empty,
        "export",
        "agent_stats_export",
        *WINDOW,
        "--read-db",
        url,
        "--stage",
        "pipe",
        "--header",
        "YES",
    )
    assert (result.exit_code, result.stdout) == (0, EXPECTED)


def test_no_records_is_printed_and_exits_zero(url: str) -> None:
    result = leadpipe(
        "--db",
        url,
        "export",
        "did_log_export",
        "--phone-number",
        "3125551212",
        "--date",
        "2010-12-04",
    )
    assert (result.exit_code, result.stdout) == (
        0,
        "ERROR: did_log_export NO RECORDS FOUND - 6666|||2010-12-04\n",
    )


def test_refusal_prints_the_api_line_then_fails(url: str) -> None:
    result = leadpipe("--db", url, "export", "agent_stats_export", *WINDOW, "--user", "8888")
    line = "ERROR: agent_stats_export USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |8888|0|"
    assert (result.exit_code, result.stdout) == (1, line + "\n")
    assert result.stderr == f"Error: `agent_stats_export` answered: {line}\n"


def test_feed_writes_partitions_and_reports_them(url: str, tmp_path: Path) -> None:
    out = tmp_path / "warehouse"
    args = (
        "--db",
        url,
        "export",
        "feed",
        "agent_stats",
        "--out",
        str(out),
        "--now",
        "2026-11-02 06:00:00",
    )
    first = leadpipe(*args)
    assert (first.exit_code, first.stdout) == (
        0,
        f"agent_stats: 1 days, 2 rows -> {out / 'agent_stats'}, watermark 2012-03-26 10:00:00\n",
    )
    assert (out / "agent_stats" / "dt=2012-03-26" / "part-0.parquet").is_file()
    again = leadpipe(*args, "--json")
    assert json.loads(again.stdout)["previous_watermark"] == "2012-03-26 10:00:00"


def test_feed_without_watermark_writes_csv_and_keeps_no_state(url: str, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = leadpipe(
        "--db",
        url,
        "export",
        "feed",
        "calls",
        "agent_stats",
        "--out",
        str(out),
        "--format",
        "csv",
        "--no-watermark",
        "--now",
        "2026-11-02 06:00:00",
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"calls: 0 days, 0 rows -> {out / 'calls'}"
    header = (out / "agent_stats" / "dt=2012-03-26" / "part-0.csv").read_text().splitlines()[0]
    assert header.startswith('"campaign_id","user","full_name"')


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export", "feed", "nope", "--out", "x"], 2, "'nope' is not one of 'all', 'agent_stats'"),
        (
            ["export", "agent_stats_export", "--now", "yesterday"],
            1,
            "Error: `--now` value `yesterday` is not a time: use `YYYY-MM-DD HH:MM:SS`\n",
        ),
        (
            ["--db", "postgresql://x/y", "export", "did_log_export"],
            1,
            "Error: database `postgresql://x/y` uses `postgresql`; leadpipe supports sqlite",
        ),
    ],
    ids=["unknown-feed", "bad-now", "bad-db"],
)
def test_bad_arguments_give_one_line(args: list[str], code: int, message: str) -> None:
    result = leadpipe(*args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_every_api_export_has_a_command_with_its_parameters() -> None:
    result = CliRunner().invoke(root, ["export", "recording_lookup", "--help"])
    for option in (
        "--agent-user",
        "--lead-id",
        "--date",
        "--uniqueid",
        "--extension",
        "--duration",
        "--stage",
        "--header",
        "--source",
        "--user",
        "--out",
        "--read-db",
    ):
        assert option in result.stdout
    assert set(export.commands) == {
        "recording_lookup",
        "did_log_export",
        "agent_stats_export",
        "phone_number_log",
        "call_status_stats",
        "call_dispo_report",
        "lead_callback_info",
        "feed",
    }
