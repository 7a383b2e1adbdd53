"""The walking skeleton end to end: init-db, load, run, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ingest.cli import cli
from sinks import tables
from sinks.database import connect, missing_tables


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = _invoke("--version")
    assert code == 0
    assert out.startswith("leadpipe, version ")


def test_init_db_creates_every_table_and_reference_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    code, out, _ = _invoke("--db", url, "init-db")
    assert code == 0, out
    engine = connect(url)
    assert missing_tables(engine) == []
    with engine.connect() as conn:
        codes = conn.execute(sa.select(sa.func.count()).select_from(tables.vicidial_phone_codes)).scalar()
        postal = conn.execute(sa.select(sa.func.count()).select_from(tables.vicidial_postal_codes)).scalar()
        users = conn.execute(sa.select(sa.func.count()).select_from(tables.vicidial_users)).scalar()
    assert codes and codes > 1074
    assert postal == 42_499
    assert users == 0  # the demo user only with --demo


def test_init_db_demo_has_testcamp_lists_and_api_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert _invoke("--db", url, "init-db", "--demo")[0] == 0
    with connect(url).connect() as conn:
        lists = set(conn.execute(sa.select(tables.vicidial_lists.c.list_id)).scalars())
        user = conn.execute(
            sa.select(tables.vicidial_users).where(tables.vicidial_users.c.user == "6666")
        ).mappings().one()
    assert {101, 102, 998, 999} <= lists
    assert (user["pass"], user["user_level"], user["modify_leads"]) == ("1234", 9, "1")


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["--db", "foo://x", "load", "a.csv"], 4, "Error: database `foo://x` uses `foo`; leadpipe supports sqlite and mysql/mariadb\n"),
        (["load", "missing.csv"], 5, "Error: cannot read `missing.csv`: no such file\n"),
        (["run", "nope"], 4, "Error: cannot read config `pipelines.toml`: No such file or directory\n"),
    ],
    ids=["bad-url", "missing-file", "missing-config"],
)
def test_clear_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], exit_code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke(*args)
    assert code == exit_code
    assert err.endswith(message)
    assert "Traceback" not in err


def test_unreachable_mysql_is_a_temporary_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke("--db", "mysql+pymysql://u:secret@127.0.0.1:1/x", "load", "a.csv")
    assert code == 75
    assert "cannot connect to `mysql+pymysql://u:***@127.0.0.1:1/x" in err
    assert "secret" not in err


def test_csv_without_phone_number_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_text("first_name,last_name\nAna,Lee\n")
    code, _, err = _invoke("load", "bad.csv", "--list-id", "101")
    assert code == 5
    assert err.endswith("Error: `bad.csv` has no `phone_number` column (header: first_name, last_name); add_lead needs one\n")
