"""Warehouse feeds: typed Parquet/CSV day partitions, atomic replacement, incremental watermark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.errors import SinkConfigError
from sinks.warehouse import parquet_schema, read_watermark, run_feed, watermarks, write_partition
from sinks.warehouse_feeds import AGENT_STATS
from sinks.warehouse_logs import DID_LOG
from tests.sinks._export_data import AGENT_ROWS, add_agent_log, add_agents, add_did_calls

NOW = dt.datetime(2026, 11, 2, 6, 0, 0)


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_agent_stats_feed_is_typed_and_corrects_the_quirks(
    engine: sa.Engine, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "out"
    with engine.begin() as conn:
        add_agents(conn)
        add_agent_log(conn, AGENT_ROWS)
        add_agent_log(
            conn,
            [
                ("5005", 0, "LOGIN", 100, 0, 0, 10, 0, 1000000000),
                ("5005", 700, "", 0, 50, 200, 30, 0, 1000000100),
            ],
            event_time="2012-03-27 08:00:00",
        )
    result = run_feed(engine, "agent_stats", tmp_path, now=NOW)
    assert result.days == ["2012-03-26", "2012-03-27"]
    assert files(tmp_path) == ["dt=2012-03-26/part-0.parquet", "dt=2012-03-27/part-0.parquet"]
    table = pq.read_table(tmp_path / "dt=2012-03-27" / "part-0.parquet")
    assert table.schema == parquet_schema(AGENT_STATS)
    assert table.schema.field("calls").type == pa.int64()
    assert table.schema.field("avg_talk_sec").type == pa.decimal128(12, 2)
    assert table.schema.field("first_event").type == pa.timestamp("ms")
    row = table.to_pylist()[0]
    # the API prints dispo 50 and login 400 here (first dispo twice, no cap): corrected 40 and 380
    assert (row["dispo_sec"], row["login_sec"], row["pause_pct"]) == (40, 380, Decimal("26.32"))
    first = pq.read_table(tmp_path / "dt=2012-03-26" / "part-0.parquet").to_pylist()
    # 2002's true average talk: 270 s customer talk over 1 call (the API prints 0:00:00)
    assert [(r["user"], r["avg_talk_sec"], r["pct_of_queue"]) for r in first] == [
        ("1001", Decimal("110.00"), Decimal("66.67")),
        ("2002", Decimal("270.00"), Decimal("33.33")),
    ]
    assert first[0]["first_event"] == dt.datetime(2012, 3, 26, 10, 0)


def test_did_log_feed_in_parquet_and_csv(engine: sa.Engine, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    with engine.begin() as conn:
        add_did_calls(conn)
    run_feed(engine, "did_log", tmp_path, now=NOW)
    dataset = ds.dataset(tmp_path, format="parquet", partitioning="hive")
    assert dataset.schema.remove(dataset.schema.get_field_index("dt")) == parquet_schema(DID_LOG)
    rows = dataset.to_table().to_pylist()
    assert [
        (
            r["did_number"],
            r["caller_id_number"],
            r["call_date"],
            r["call_length_sec"],
            r["in_group"],
        )
        for r in rows
    ] == [
        ("3125551212", "7275551212", dt.datetime(2010, 12, 3, 12, 0, 1), 105, "SALESLINE"),
        ("3125551212", "", dt.datetime(2010, 12, 3, 12, 1, 40), None, None),
        ("3125559999", "3125550000", dt.datetime(2010, 12, 3, 12, 3, 20), 40, "SUPPORT"),
    ]

    run_feed(engine, "did_log", tmp_path / "csv", now=NOW, fmt="csv", incremental=False)
    lines = (tmp_path / "csv" / "dt=2010-12-03" / "part-0.csv").read_text().splitlines()
    assert lines[0] == (
        '"call_date","uniqueid","did_number","did_id","did_route","caller_id_number",'
        '"caller_id_name","in_group","closer_status","call_length_sec"'
    )
    assert lines[1] == (
        '2010-12-03 12:00:01,"1291395601.100","3125551212","7","IN_GROUP","7275551212",'
        ',"SALESLINE","SALE",105'
    )
    assert pacsv.read_csv(tmp_path / "csv" / "dt=2010-12-03" / "part-0.csv").num_rows == 3


def test_a_failed_write_keeps_the_old_partition_and_leaves_no_temp_file(tmp_path: Path) -> None:
    schema = pa.schema([("n", pa.int64())])
    ok = iter([pa.record_batch([pa.array([1, 2])], schema=schema)])
    assert write_partition(tmp_path, "2026-11-01", ok, schema) == 2

    def broken() -> Iterator[pa.RecordBatch]:
        yield pa.record_batch([pa.array([3])], schema=schema)
        msg = "lost connection"
        raise ConnectionError(msg)

    with pytest.raises(ConnectionError):
        write_partition(tmp_path, "2026-11-01", broken(), schema)
    assert files(tmp_path) == ["dt=2026-11-01/part-0.parquet"]
    assert pq.read_table(tmp_path / "dt=2026-11-01" / "part-0.parquet")["n"].to_pylist() == [1, 2]


def test_rerun_replaces_the_day_and_incremental_runs_only_new_days(
    engine: sa.Engine, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "out"
    with engine.begin() as conn:
        add_agents(conn)
        for day in ("2026-10-30", "2026-10-31"):
            add_agent_log(conn, AGENT_ROWS, event_time=f"{day} 10:00:00")
        add_agent_log(conn, AGENT_ROWS[:1], event_time="2026-11-02 07:00:00")  # after `now`
    first = run_feed(engine, "agent_stats", tmp_path, now=NOW)
    assert (first.days, first.previous_watermark, first.watermark) == (
        ["2026-10-30", "2026-10-31"],
        None,
        "2026-10-31 10:00:00",
    )
    assert read_watermark(engine, "agent_stats") == "2026-10-31 10:00:00"
    old = (tmp_path / "dt=2026-10-30" / "part-0.parquet").stat()

    with engine.begin() as conn:  # a late row of the watermark's day and a new day
        add_agent_log(
            conn, [("3003", 9, "", 0, 1, 2, 3, 0, 1332870400)], event_time="2026-10-31 23:00:00"
        )
        add_agent_log(conn, AGENT_ROWS[4:], event_time="2026-11-01 09:00:00")
    second = run_feed(engine, "agent_stats", tmp_path, now=NOW)
    assert second.days == ["2026-10-31", "2026-11-01"]
    assert (tmp_path / "dt=2026-10-30" / "part-0.parquet").stat().st_mtime_ns == old.st_mtime_ns
    users = pq.read_table(tmp_path / "dt=2026-10-31" / "part-0.parquet")["user"].to_pylist()
    assert users == ["1001", "2002", "3003"]
    assert files(tmp_path) == [
        f"dt={d}/part-0.parquet" for d in ("2026-10-30", "2026-10-31", "2026-11-01")
    ]

    full = run_feed(engine, "agent_stats", tmp_path, now=NOW, full=True)
    assert full.days == ["2026-10-30", "2026-10-31", "2026-11-01"]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(watermarks.c.feed, watermarks.c.watermark)).all()
    assert [tuple(r) for r in stored] == [("agent_stats", "2026-11-01 09:00:00")]


def test_non_incremental_runs_leave_no_watermark(engine: sa.Engine, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    with engine.begin() as conn:
        add_did_calls(conn)
    result = run_feed(engine, "calls", tmp_path, now=NOW, incremental=False)
    assert result.days == ["2010-12-03"]
    assert read_watermark(engine, "calls") is None
    assert not sa.inspect(engine).has_table(watermarks.name)
    assert "leadpipe_watermarks" not in tables.metadata.tables


def test_unknown_feed_and_format_are_config_errors(tmp_path: Path) -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(SinkConfigError, match="feed `nope` is unknown"):
        run_feed(engine, "nope", tmp_path, now=NOW)
    with pytest.raises(SinkConfigError, match="use `parquet` or `csv`"):
        run_feed(engine, "calls", tmp_path, now=NOW, fmt="xlsx")  # type: ignore[arg-type]
