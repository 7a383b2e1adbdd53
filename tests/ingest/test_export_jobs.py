"""Export jobs of `pipelines.toml`: validation of `ExportJobSpec` and `run_export_job`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from ingest.export_jobs import ExportJobSpec, ExportRefusedError, run_export_job
from sinks.warehouse import read_watermark
from tests.sinks._export_data import AGENT_ROWS, add_agent_log, add_agents, add_user

NOW = dt.datetime(2012, 3, 27, 6, 0, 0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"export": "agent_stats_exprot", "out": "x"}, "export `agent_stats_exprot` is unknown"),
        ({"export": "agent_stats", "format": "text", "out": "x"}, "use format `parquet` or `csv`"),
        ({"export": "agent_stats_export", "format": "csv", "out": "x"}, "its format is `text`"),
        ({"export": "agent_stats_export", "incremental": True, "out": "x"}, "are for feeds"),
        (
            {"export": "agent_stats", "parameters": {"stage": "csv"}, "out": "x"},
            "takes no `parameters`",
        ),
        (
            {"export": "agent_stats_export", "parameters": {"stag": "csv"}, "out": "x"},
            "has no parameter `stag`",
        ),
        (
            {"export": "agent_stats_export", "out": "x_{tomorrow}.txt"},
            "unknown placeholder {tomorrow}",
        ),
        (
            {"export": "agent_stats_export", "out": "x", "outt": "y"},
            "Extra inputs are not permitted",
        ),
    ],
    ids=[
        "typo",
        "feed-as-text",
        "export-as-csv",
        "incremental-export",
        "feed-params",
        "bad-param",
        "placeholder",
        "extra-key",
    ],
)
def test_spec_rejects_impossible_jobs(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ExportJobSpec.model_validate(values)


def _seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        add_agents(conn)
        add_user(conn, "8888", view_reports="0")
        add_agent_log(conn, AGENT_ROWS)


def test_text_job_expands_yesterday_and_writes_the_api_text(
    engine: sa.Engine, tmp_path: Path
) -> None:
    _seed(engine)
    spec = ExportJobSpec(
        export="agent_stats_export",
        out=tmp_path / "agents_{yesterday}.txt",
        parameters={
            "datetime_start": "{yesterday} 00:00:00",
            "datetime_end": "{yesterday} 23:59:59",
            "stage": "csv",
            "time_format": "S",
        },
    )
    summary = run_export_job(spec, engine=engine, read_engine=None, clock_now=NOW)
    target = tmp_path / "agents_2012-03-26.txt"
    assert summary == {
        "export": "agent_stats_export",
        "format": "text",
        "out": str(target),
        "bytes": 155,
        "status": "ok",
    }
    assert target.read_text() == (
        "1001,Jane Doe,AGENTS,2,925,220,0,18,66.7%,635,1,925,4,159,68.6%,4,35,235,20,15\n"
        "2002,Bob Roe,AGENTS,1,399,270,220,65,33.3%,14,1,399,2,7,3.5%,2,65,300,20,30\n"
    )


def test_text_job_refusal_is_written_then_raised(engine: sa.Engine, tmp_path: Path) -> None:
    _seed(engine)
    spec = ExportJobSpec(
        export="did_log_export",
        out=tmp_path / "did.txt",
        user="8888",
        parameters={"phone_number": "3125551212", "date": "{today}"},
    )
    with pytest.raises(ExportRefusedError, match="did_log_export USER DOES NOT HAVE PERMISSION"):
        run_export_job(spec, engine=engine, read_engine=engine, clock_now=NOW)
    assert (tmp_path / "did.txt").read_text().startswith("ERROR: did_log_export USER DOES NOT")


def test_feed_job_is_incremental_with_its_own_watermark_key(
    engine: sa.Engine, tmp_path: Path
) -> None:
    _seed(engine)
    spec = ExportJobSpec(
        export="agent_stats", format="parquet", out=tmp_path / "wh", incremental=True
    )
    summary = run_export_job(spec, engine=engine, read_engine=engine, clock_now=NOW)
    assert (summary["format"], summary["days"], summary["rows"]) == ("parquet", ["2012-03-26"], 2)
    assert pq.read_table(tmp_path / "wh" / "dt=2012-03-26" / "part-0.parquet").num_rows == 2
    assert read_watermark(engine, f"agent_stats:{tmp_path / 'wh'}") == "2012-03-26 10:00:00"
