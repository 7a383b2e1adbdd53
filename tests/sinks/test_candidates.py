"""Candidate leads for the duplicate checks: one set-based query per batch, on both dialects."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from sinks import tables
from sinks.candidates import (
    CANDIDATE_SCHEMA,
    current_candidates,
    load_candidates,
    load_list_campaigns,
    prefetch_candidates,
)
from sinks.database import is_mysql
from sinks.vicidial import locked_lead_table

LEADS: list[dict[str, Any]] = [
    {
        "lead_id": 1,
        "list_id": 101,
        "phone_number": "7275550001",
        "alt_phone": "",
        "title": "Mr",
        "first_name": "Ann",
        "last_name": "Lee",
        "entry_date": "2024-05-09 12:00:00",
    },
    {
        "lead_id": 2,
        "list_id": 102,
        "phone_number": "7275550002",
        "alt_phone": "7275550001 ",
        "title": None,
        "first_name": None,
        "last_name": None,
        "entry_date": None,
    },
    {
        "lead_id": 3,
        "list_id": 103,
        "phone_number": "7275550003",
        "alt_phone": "AbC-1",
        "title": "MRS",
        "first_name": "",
        "last_name": "",
        "entry_date": "2023-01-01 00:00:00",
    },
    {
        "lead_id": 4,
        "list_id": 101,
        "phone_number": "7275550004",
        "alt_phone": "zzz",
        "title": "",
        "first_name": "",
        "last_name": "",
        "entry_date": "2024-05-01 08:30:00",
    },
]


def batch(*rows: dict[str, Any]) -> pl.DataFrame:
    base = {
        "source_row": 0,
        "phone_number": "",
        "alt_phone": "",
        "duplicate_check": "",
        "reject_reason": None,
    }
    return pl.DataFrame(
        [{**base, **row, "source_row": i} for i, row in enumerate(rows, start=1)],
        schema={
            "source_row": pl.Int64,
            "phone_number": pl.String,
            "alt_phone": pl.String,
            "duplicate_check": pl.String,
            "reject_reason": pl.String,
        },
    )


@pytest.fixture
def db(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.vicidial_list), LEADS)
        conn.execute(
            sa.insert(tables.vicidial_lists),
            [
                {"list_id": 101, "campaign_id": "C1"},
                {"list_id": 102, "campaign_id": "C1"},
                {"list_id": 103, "campaign_id": None},
            ],
        )
    return engine


@pytest.fixture
def statements(db: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends, in order."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(db, "before_cursor_execute", record)
    yield sent
    sa.event.remove(db, "before_cursor_execute", record)


def lead_ids(frame: pl.DataFrame) -> list[int]:
    return frame["lead_id"].to_list()


def selects(sent: list[str]) -> list[str]:
    return [s for s in sent if s.upper().startswith("SELECT") and "vicidial_list" in s]


CASES = [
    (
        "phone-options",
        [
            {"phone_number": "7275550001", "duplicate_check": "DUPLIST"},
            {"phone_number": "7275550003", "duplicate_check": "dupnamephonesys"},
        ],
        [1, 3],
    ),
    (
        "phonealt-also-alt",
        [{"phone_number": "7275550001", "duplicate_check": "DUPPHONEALTCAMP"}],
        [1, 2],
    ),
    ("plain-dupsys-no-alt", [{"phone_number": "7275550001", "duplicate_check": "DUPSYS"}], [1]),
    (
        "titlealt-by-alt-folded",
        [{"alt_phone": "abc-1  ", "duplicate_check": "DUPTITLEALTPHONESYS"}],
        [3],
    ),
    ("titlealt-empty-alt", [{"alt_phone": "", "duplicate_check": "DUPTITLEALTPHONELIST"}], [1]),
    (
        "rejected-rows-skipped",
        [
            {
                "phone_number": "7275550004",
                "duplicate_check": "DUPSYS",
                "reject_reason": "DNC_SYSTEM",
            },
            {"phone_number": "7275550001", "duplicate_check": "DUPSYS"},
        ],
        [1],
    ),
    (
        "long-phone-not-an-alt",
        [{"phone_number": "7275550001999", "duplicate_check": "DUPPHONEALTSYS"}],
        [],
    ),
    (
        "mixed",
        [
            {"phone_number": "7275550004", "duplicate_check": "DUPLIST"},
            {"alt_phone": "ZZZ", "duplicate_check": "DUPTITLEALTPHONECAMP"},
            {"phone_number": "7275550001", "duplicate_check": "DUPPHONEALTSYS7DAY"},
        ],
        [1, 2, 4],
    ),
]


@pytest.mark.parametrize(("rows", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_candidates(
    db: sa.Engine, statements: list[str], rows: list[dict[str, Any]], expected: list[int]
) -> None:
    with db.connect() as conn:
        got = load_candidates(conn, batch(*rows))
    assert lead_ids(got) == expected
    assert got.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert len(selects(statements)) == 1  # one set-based query per batch, whatever its size


def test_values_as_stored(db: sa.Engine) -> None:
    with db.connect() as conn:
        got = load_candidates(
            conn, batch({"phone_number": "7275550001", "duplicate_check": "DUPPHONEALTSYS"})
        )
    expected = pl.DataFrame(
        [tuple(lead.values()) for lead in LEADS[:2]], schema=CANDIDATE_SCHEMA, orient="row"
    )
    assert_frame_equal(got, expected)


def test_no_check_no_statement(db: sa.Engine, statements: list[str]) -> None:
    with db.connect() as conn:
        got = load_candidates(
            conn,
            batch(
                {"phone_number": "7275550001", "duplicate_check": "Y"},
                {"phone_number": "7275550001", "duplicate_check": None},
            ),
        )
        empty = load_candidates(conn, batch().clear())
    assert got.height == 0
    assert empty.height == 0
    assert got.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert statements == []


def test_large_batch_one_query(db: sa.Engine, statements: list[str]) -> None:
    rows = [
        {
            "phone_number": f"{7275500000 + i}",
            "duplicate_check": "DUPSYS-DUPTITLEALTPHONESYS",
            "alt_phone": f"a{i}",
        }
        for i in range(5000)
    ]
    rows.append({"phone_number": "7275550003", "duplicate_check": "DUPSYS"})
    with db.connect() as conn:
        got = load_candidates(conn, batch(*rows))
    assert lead_ids(got) == [3]
    assert len(selects(statements)) == 1


def test_mariadb_datetime_formatted(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_list),
            [
                {
                    "lead_id": 9,
                    "list_id": 101,
                    "phone_number": "7275550009",
                    "entry_date": dt.datetime(2024, 5, 9, 7, 5, 3),
                }
            ],
        )
    with db.connect() as conn:
        got = load_candidates(
            conn, batch({"phone_number": "7275550009", "duplicate_check": "DUPSYS"})
        )
    assert got["entry_date"].to_list() == ["2024-05-09 07:05:03"]


def test_under_lead_table_lock(db: sa.Engine) -> None:
    """The writer may hold `vicidial_list`'s write lock (MySQL `LOCK TABLES`) while it reads."""
    with db.begin() as conn, locked_lead_table(conn):
        got = load_candidates(
            conn,
            batch(
                {
                    "phone_number": "7275550002",
                    "alt_phone": "zzz",
                    "duplicate_check": "DUPLIST-DUPTITLEALTPHONELIST",
                }
            ),
        )
        again = load_candidates(
            conn, batch({"phone_number": "7275550001", "duplicate_check": "DUPSYS"})
        )
    assert lead_ids(got) == [2, 4]
    assert lead_ids(again) == [1]


def test_list_campaigns(db: sa.Engine) -> None:
    with db.connect() as conn:
        got = load_list_campaigns(conn)
    expected = pl.DataFrame(
        {"list_id": [101, 102, 103], "campaign_id": ["C1", "C1", None]},
        schema={"list_id": pl.Int64, "campaign_id": pl.String},
    )
    assert_frame_equal(got, expected)


def test_mysql_compares_with_collation(db: sa.Engine) -> None:
    """MariaDB's collation (not leadpipe) folds case and trailing spaces in the join."""
    with db.connect() as conn:
        got = load_candidates(
            conn, batch({"alt_phone": "ABC-1", "duplicate_check": "DUPTITLEALTPHONESYS"})
        )
    assert lead_ids(got) == [3]
    if is_mysql(db):
        with db.connect() as conn:
            collation = conn.exec_driver_sql("SELECT @@collation_database").scalar()
        assert str(collation).endswith("_ci")


# -- read ahead of the lock, brought up to date under it ----------------------------------


def lead(lead_id: int, phone: str, **values: Any) -> dict[str, Any]:
    return {"lead_id": lead_id, "list_id": 101, "phone_number": phone, "alt_phone": "",
            "title": "", "first_name": "", "last_name": "", "entry_date": "2026-11-23 10:00:00", **values}


def test_prefetch_sees_leads_up_to_its_horizon(db: sa.Engine) -> None:
    with db.connect() as conn:
        got = prefetch_candidates(conn, batch({"phone_number": "7275550001", "duplicate_check": "DUPSYS"}))
    assert got.horizon == 4
    assert lead_ids(got.rows) == [1]


def test_leads_inserted_after_the_prefetch_are_added(db: sa.Engine) -> None:
    with db.connect() as conn:
        ahead = prefetch_candidates(conn, batch({"phone_number": "7275550009", "duplicate_check": "DUPLIST"}))
    assert ahead.rows.height == 0
    with db.begin() as conn:  # another session: VICIdial's API, another leadpipe run
        conn.execute(sa.insert(tables.vicidial_list), [lead(5, "7275550009"), lead(6, "7275550010")])
    with db.begin() as conn, locked_lead_table(conn):
        got = current_candidates(conn, ahead)
    assert lead_ids(got) == [5]


def test_prefetched_leads_are_read_again(db: sa.Engine) -> None:
    """A lead changed or deleted between the prefetch and the lock counts as it is now."""
    keys = batch({"phone_number": "7275550001", "alt_phone": "zzz", "duplicate_check": "DUPSYS-DUPTITLEALTPHONESYS"})
    with db.connect() as conn:
        ahead = prefetch_candidates(conn, keys)
    assert lead_ids(ahead.rows) == [1, 4]
    vl = tables.vicidial_list
    with db.begin() as conn:
        conn.execute(sa.update(vl).where(vl.c.lead_id == 1).values(first_name="Zed"))
        conn.execute(sa.delete(vl).where(vl.c.lead_id == 4))
    with db.begin() as conn, locked_lead_table(conn):
        got = current_candidates(conn, ahead)
    assert lead_ids(got) == [1]
    assert got["first_name"].to_list() == ["Zed"]


def test_own_leads_come_from_memory(db: sa.Engine) -> None:
    """Ranges the process wrote itself are not read back; those at or under the horizon are
    the prefetch's already."""
    with db.connect() as conn:
        ahead = prefetch_candidates(conn, batch({"phone_number": "7275550011 ", "duplicate_check": "DUPLIST"}))
    with db.begin() as conn:
        conn.execute(sa.insert(tables.vicidial_list), [lead(5, "7275550011"), lead(6, "7275550012")])
    mine = pl.DataFrame([lead(5, "7275550011", first_name="memory"), lead(6, "7275550012")])
    below = pl.DataFrame([lead(3, "7275550011", first_name="old")])
    with db.begin() as conn, locked_lead_table(conn):
        got = current_candidates(conn, ahead, own=[(3, 3, below), (5, 6, mine)])
    assert lead_ids(got) == [5]
    assert got["first_name"].to_list() == ["memory"]
    assert got.schema == pl.Schema(CANDIDATE_SCHEMA)


def test_no_check_nothing_to_bring_up_to_date(db: sa.Engine, statements: list[str]) -> None:
    with db.connect() as conn:
        ahead = prefetch_candidates(conn, batch({"phone_number": "7275550001"}))
        got = current_candidates(conn, ahead)
    assert got.height == 0
    assert selects(statements) == []


def test_prefetch_runs_while_a_writer_holds_the_lead_table(db: sa.Engine) -> None:
    """MariaDB: the writer's `WRITE CONCURRENT` lets the prefetch's `READ LOCAL` in (SQLite's
    WAL lets readers in anyway): the next batch's candidates are read during this batch's load."""
    done = threading.Event()
    got: list[Any] = []

    def read() -> None:
        with db.connect() as conn:
            got.append(prefetch_candidates(conn, batch({"phone_number": "7275550001", "duplicate_check": "DUPLIST"})))
        done.set()

    with db.begin() as conn, locked_lead_table(conn):
        conn.execute(sa.insert(tables.vicidial_list), [lead(7, "7275550001")])
        reader = threading.Thread(target=read)
        reader.start()
        finished = done.wait(timeout=10)
    reader.join()
    assert finished, "the prefetch waited for the writer's lock"
    assert got[0].horizon == 4  # the lead being written is not seen, and is above the horizon


def test_a_run_that_began_on_an_empty_table_reads_nothing_ahead(db: sa.Engine, statements: list[str]) -> None:
    """Every lead came after the run began: its own from memory, the others by lead id (and
    the table's indexes may be off, which would make the candidate query a scan)."""
    with db.connect() as conn:
        ahead = prefetch_candidates(
            conn, batch({"phone_number": "7275550001", "duplicate_check": "DUPPHONEALTSYS"}), started_empty=True
        )
    assert ahead.horizon == 0
    assert selects(statements) == []
    mine = pl.DataFrame([lead(1, "7275550001", first_name="memory")])
    with db.begin() as conn, locked_lead_table(conn):
        got = current_candidates(conn, ahead, own=[(1, 1, mine)])
    # lead 1 from memory; lead 2 (alt_phone, someone else's) from the range query
    assert lead_ids(got) == [1, 2]
    assert got["first_name"].to_list() == ["memory", None]
