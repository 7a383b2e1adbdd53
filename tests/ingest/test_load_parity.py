"""The same load on SQLite and on MariaDB leaves the same `vicidial_list` rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ingest.cli import cli
from sinks import tables
from sinks.database import connect
from sinks.demo import seed_demo
from sinks.reference import load_reference_data
from tests.conftest import mariadb_url

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "leads.csv"
NOW = "2026-11-23 10:18:30"


def _prepare(url: str) -> None:
    engine = connect(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
        seed_demo(conn)
    engine.dispose()


def _load_rows(url: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["--db", url, "load", str(SAMPLE), "--list-id", "101", "--now", NOW, "--server-tz", "UTC"],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 3), result.output
    engine = connect(url)
    cols = [c for c in tables.vicidial_list.columns if c.name != "modify_date"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*cols).order_by(tables.vicidial_list.c.lead_id)).mappings().all()
    engine.dispose()
    return [{k: _norm(v) for k, v in row.items()} for row in rows]


def _norm(value: Any) -> str:
    """Compare stored values as text the way both databases print them."""
    if value is None:
        return "NULL"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "hour") else value.strftime("%Y-%m-%d")
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        return f"{float(value):.2f}"
    return str(value)


@pytest.mark.mariadb
def test_sqlite_and_mariadb_store_identical_leads(tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'v.db'}"
    maria = mariadb_url()
    for url in (sqlite_url, maria):
        _prepare(url)
    lite, real = _load_rows(sqlite_url), _load_rows(maria)
    assert len(lite) > 30
    assert lite == real
