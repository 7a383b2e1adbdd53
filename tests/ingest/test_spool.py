"""The webhook spool: durable appends, recovery after a crash, exactly-once draining, bounds."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.clock import Clock
from ingest.spool import (
    Drainer,
    Record,
    Spool,
    SpoolBusyError,
    SpoolFullError,
    SpoolSettings,
    load_records,
)
from sinks import tables
from sinks.database import connect
from sinks.demo import seed_demo
from sinks.reference import load_reference_data

CLOCK = Clock(fixed=datetime(2026, 11, 23, 10, 18, 30), server_tz_name="America/New_York")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spooldb") / "vicidial.db"
    engine = connect(f"sqlite:///{path}")
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
        seed_demo(conn)
    engine.dispose()
    return path


@pytest.fixture
def engine(template_db: Path, tmp_path: Path) -> Iterator[sa.Engine]:
    path = tmp_path / "vicidial.db"
    shutil.copy(template_db, path)
    eng = connect(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def _lead(phone: str, **extra: str) -> dict[str, str]:
    return {"phone_number": phone, "list_id": "101", "source": "test", **extra}


def _phones(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(tables.vicidial_list.c.phone_number)).scalars())


def test_append_is_durable_and_recovered_after_a_crash(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    first = spool.append(user="6666", leads=[_lead("7275550001"), _lead("7275550002")])
    second = spool.append(user="6666", leads=[_lead("7275550003")])
    assert first.durable.result(timeout=5) is first
    assert second.durable.result(timeout=5) is second
    assert (first.first_row, second.first_row) == (1, 3)
    assert spool.result(first.request_id) == ("pending", None)
    spool.close()  # a crash leaves the same files: nothing is drained yet

    again = Spool(tmp_path / "spool")
    taken = again.take(max_rows=100, wait_first=1, wait_more=0)
    assert [(r.request_id, r.first_row, r.leads) for r in taken] == [
        (first.request_id, 1, first.leads),
        (second.request_id, 3, second.leads),
    ]
    assert again.input_hash(taken[0].segment) == spool.input_hash(first.segment)
    again.close()


def test_torn_tail_is_cut_and_later_records_get_a_new_segment(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    record = spool.append(user="6666", leads=[_lead("7275550001")])
    record.durable.result(timeout=5)
    spool.close()
    segment = tmp_path / "spool" / f"seg-{record.segment:012d}.log"
    intact = segment.stat().st_size
    with segment.open("ab") as handle:
        handle.write(b"\x00\x00\x01\x00garbage")  # a record cut by a crash mid-write

    again = Spool(tmp_path / "spool")
    assert segment.stat().st_size == intact
    taken = again.take(max_rows=10, wait_first=1, wait_more=0)
    assert [r.request_id for r in taken] == [record.request_id]
    later = again.append(user="6666", leads=[_lead("7275550002")])
    assert later.segment > record.segment  # never appends after a recovered segment
    again.close()


def test_completed_records_are_not_drained_again_and_keep_their_results(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    record = spool.append(
        user="6666",
        leads=[_lead("7275550001")],
        meta={"skipped": {"0": {"status": "x"}}, "total": 2},
    )
    record.durable.result(timeout=5)
    taken = spool.take(max_rows=10, wait_first=1, wait_more=0)
    spool.complete(
        [(taken[0], [{"status": "added", "lead_id": 7, "reject_reason": None, "response": ["ok"]}])]
    )
    merged = [
        {"status": "x"},
        {"status": "added", "lead_id": 7, "reject_reason": None, "response": ["ok"]},
    ]
    assert record.done.result(timeout=1) == merged
    assert spool.result(record.request_id) == ("done", merged)
    spool.close()

    again = Spool(tmp_path / "spool")
    assert again.take(max_rows=10, wait_first=0.1, wait_more=0) == []
    assert again.result(record.request_id) == ("done", merged)
    assert not list((tmp_path / "spool").glob("seg-*.log"))[:-1]  # the drained segment is gone
    again.close()


def test_one_owner_per_directory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    with pytest.raises(SpoolBusyError, match="in use by another"):
        Spool(tmp_path / "spool")
    spool.close()


def test_full_spool_refuses_with_a_retry_hint(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", SpoolSettings(max_pending_bytes=400))
    spool.append(user="6666", leads=[_lead("7275550001")]).durable.result(timeout=5)

    def fill() -> None:
        for n in range(20):
            spool.append(user="6666", leads=[_lead(f"72755501{n:02d}")])

    with pytest.raises(SpoolFullError, match="undrained bytes") as info:
        fill()
    assert info.value.retry_after >= 1
    spool.close()


def test_segments_rotate_by_size_and_drained_ones_are_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", SpoolSettings(segment_bytes=150))
    records = []
    for n in range(6):  # one sync group each: a segment closes after the group that fills it
        records.append(spool.append(user="6666", leads=[_lead(f"72755500{n:02d}")]))
        records[-1].durable.result(timeout=5)
    assert len({r.segment for r in records}) == 6
    assert all(r.first_row == 1 for r in records)  # each segment numbers its own rows
    taken = spool.take(max_rows=100, wait_first=1, wait_more=0)
    spool.complete([(r, [{"status": "added"}]) for r in taken])
    logs = sorted(p.name for p in (tmp_path / "spool").glob("seg-*.log"))
    assert logs == [f"seg-{records[-1].segment + 1:012d}.log"]  # only the new, empty active one
    spool.close()


def test_redrain_after_a_crash_writes_nothing_twice(tmp_path: Path, engine: sa.Engine) -> None:
    spool = Spool(tmp_path / "spool")
    record = spool.append(
        user="6666", leads=[_lead("7275550001"), _lead("7275550002"), _lead("12")]
    )
    record.durable.result(timeout=5)
    taken = spool.take(max_rows=10, wait_first=1, wait_more=0)
    done = load_records(taken, spool=spool, engine=engine, clock=CLOCK)
    first = done[0][1]
    assert [r["status"] for r in first] == ["added", "added", "rejected"]
    assert first[0]["response"] == [
        f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275550001|101|{first[0]['lead_id']}|-5.00|6666"
    ]
    assert first[2]["response"] == ["ERROR: add_lead INVALID PHONE NUMBER LENGTH - 12|6666"]
    spool.close()  # crash: the leads are in, the `.done` line is not

    again = Spool(tmp_path / "spool")
    taken = again.take(max_rows=10, wait_first=1, wait_more=0)
    assert [r.request_id for r in taken] == [record.request_id]
    redo = load_records(taken, spool=again, engine=engine, clock=CLOCK)[0][1]
    assert [(r["status"], r["lead_id"]) for r in redo[:2]] == [
        ("already_loaded", first[0]["lead_id"]),
        ("already_loaded", first[1]["lead_id"]),
    ]
    assert _phones(engine) == ["7275550001", "7275550002"]
    again.close()


def test_leads_of_other_users_in_one_record_load_as_those_users(
    tmp_path: Path, engine: sa.Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_users).values(
                user="7777",
                **{"pass": "x"},
                user_level=9,
                user_group="ADMIN",
                modify_leads="1",
                vdc_agent_api_access="1",
                active="Y",
                api_allowed_functions=" ALL_FUNCTIONS ",
            )
        )
    spool = Spool(tmp_path / "spool")
    record = spool.append(
        user="6666", leads=[_lead("7275550001"), {**_lead("7275550002"), "user": "7777"}]
    )
    record.durable.result(timeout=5)
    done = load_records(
        spool.take(max_rows=10, wait_first=1, wait_more=0), spool=spool, engine=engine, clock=CLOCK
    )
    lines = [r["response"][0] for r in done[0][1]]
    assert lines[0].endswith("|6666")
    assert lines[1].endswith("|7777")
    with engine.connect() as conn:
        users = dict(
            conn.execute(
                sa.select(tables.vicidial_list.c.phone_number, tables.vicidial_list.c.user)
            ).all()
        )
    assert users == {"7275550001": "6666", "7275550002": "7777"}
    spool.close()


def test_drainer_retries_temporary_failures_and_never_drops_a_lead(tmp_path: Path) -> None:
    calls: list[int] = []

    def flaky(records: list[Record], **_kw: object) -> list[tuple[Record, list[dict[str, object]]]]:
        calls.append(len(records))
        if len(calls) < 3:
            msg = "database is locked"
            locked = Exception(msg)
            statement = "insert"
            raise sa.exc.OperationalError(statement, {}, locked)
        return [(r, [{"status": "added"} for _ in r.leads]) for r in records]

    spool = Spool(tmp_path / "spool", SpoolSettings(batch_ms=0))
    drainer = Drainer(spool, engine=None, clock=CLOCK, load=flaky)  # type: ignore[arg-type]
    drainer.start()
    record = spool.append(user="6666", leads=[_lead("7275550001")])
    assert record.done.result(timeout=10) == [{"status": "added"}]
    assert len(calls) == 3
    assert "database is locked" in (drainer.last_error or "")
    assert drainer.stop(timeout=5)
    spool.close()


def test_drainer_isolates_a_refused_record(tmp_path: Path) -> None:
    from ingest.errors import ConfigError

    def picky(records: list[Record], **_kw: object) -> list[tuple[Record, list[dict[str, object]]]]:
        if any(r.user == "gone" for r in records):
            msg = "user `gone` cannot log in to the VICIdial API"
            raise ConfigError(msg)
        return [(r, [{"status": "added"} for _ in r.leads]) for r in records]

    spool = Spool(tmp_path / "spool", SpoolSettings(batch_ms=200))
    good = spool.append(user="6666", leads=[_lead("7275550001")])
    bad = spool.append(user="gone", leads=[_lead("7275550002")])
    for r in (good, bad):
        r.durable.result(timeout=5)
    drainer = Drainer(spool, engine=None, clock=CLOCK, load=picky)  # type: ignore[arg-type]
    drainer.start()
    assert good.done.result(timeout=10) == [{"status": "added"}]
    refused = bad.done.result(timeout=10)
    assert refused[0]["status"] == "failed"
    assert refused[0]["response"] == [
        "ERROR: add_lead LEAD HAS NOT BEEN ADDED - 7275550002|101|ConfigError: user `gone` "
        "cannot log in to the VICIdial API|gone"
    ]
    deadline = time.monotonic() + 5
    while not spool.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert drainer.stop(timeout=5)
    spool.close()
