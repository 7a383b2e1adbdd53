"""Scheduled callbacks (ingest.md 14) and MySQL's lenient DATETIME/DATE/TIME parsing."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from rules.callbacks import (
    ROW_COLUMNS,
    ZERO_DATETIME,
    callback_rows,
    parse_mysql_date,
    parse_mysql_datetime,
    parse_mysql_time,
    resolve_callback_datetime,
)

NOW = datetime(2026, 11, 23, 10, 18, 30)

# --- callback_datetime ---------------------------------------------------------------------------

RESOLVE_CASES = [
    ("NOW", NOW, "2026-11-23 10:18:30"),
    ("now", NOW, "now"),  # NOW is exact; anything else is written as given
    ("7days", NOW, "2026-11-30 10:18:30"),
    ("7DAYS", NOW, "2026-11-30 10:18:30"),
    ("07DAYS", NOW, "2026-11-30 10:18:30"),
    ("+7DAYS", NOW, "2026-11-30 10:18:30"),
    ("-7DAYS", NOW, "2026-11-30 10:18:30"),
    ("1.5DAYS", NOW, "2026-12-08 10:18:30"),
    ("30days", NOW, "2026-12-23 10:18:30"),
    ("0DAYS", NOW, "2026-11-23 10:18:30"),
    ("in 2 weeks 3DAYS", NOW, "2026-12-16 10:18:30"),  # all digits: 23 days
    ("7DAY", NOW, "7DAY"),
    ("7 DAYS", NOW, "7 DAYS"),
    ("DAYS", NOW, "DAYS"),
    ("2026-12-01 09:00:00", NOW, "2026-12-01 09:00:00"),
    ("", NOW, ""),
    ("7DAYS", datetime(2026, 12, 28, 23, 59, 59), "2027-01-04 23:59:59"),
    ("5DAYS", datetime(2028, 2, 25, 8, 0, 0), "2028-03-01 08:00:00"),
    # US DST ends 2026-11-01: the server's wall clock time is kept across the change.
    ("7DAYS", datetime(2026, 10, 28, 10, 18, 30), "2026-11-04 10:18:30"),
    ("7DAYS", datetime(2026, 3, 5, 1, 30, 0), "2026-03-12 01:30:00"),
    ("99999999DAYS", NOW, ZERO_DATETIME),
]


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    RESOLVE_CASES,
    ids=[f"{c[0] or 'empty'}@{c[1]:%Y%m%d}" for c in RESOLVE_CASES],
)
def test_resolve_callback_datetime(value: str, now: datetime, expected: str) -> None:
    assert resolve_callback_datetime(pl.Series([value]), now=now).to_list() == [expected]


def test_resolve_callback_datetime_reads_null_as_empty() -> None:
    got = resolve_callback_datetime(pl.Series([None, "NOW"], dtype=pl.String), now=NOW)
    assert got.to_list() == ["", "2026-11-23 10:18:30"]


# --- MySQL parsing (expected values observed on MariaDB 10.11, sql_mode '') --------------------

DATETIME_CASES = [
    ("", ZERO_DATETIME),
    ("2026-11-30 10:18:30", "2026-11-30 10:18:30"),
    ("2026-11-30 10:18", "2026-11-30 10:18:00"),
    ("2026-11-30 10", "2026-11-30 10:00:00"),
    ("2026-11-30", "2026-11-30 00:00:00"),
    ("2026-11-30T10:18:30", "2026-11-30 10:18:30"),
    ("2026/11/30 10:18:30", "2026-11-30 10:18:30"),
    ("2026.11.30 10.18.30", "2026-11-30 10:18:30"),
    ("2026@11@30 10@18@30", "2026-11-30 10:18:30"),
    ("2026-2-3 1:2:3", "2026-02-03 01:02:03"),
    ("20261130101830", "2026-11-30 10:18:30"),
    ("20261130T101830", "2026-11-30 10:18:30"),
    ("20261130", "2026-11-30 00:00:00"),
    ("261130", "2026-11-30 00:00:00"),
    ("26113", "2026-11-03 00:00:00"),
    ("2611301018", "2026-11-30 10:18:00"),
    ("20261130x", "2026-11-30 00:00:00"),
    ("2026", ZERO_DATETIME),
    ("11/30/2026 10:00", ZERO_DATETIME),
    ("2026-02-30 10:00:00", ZERO_DATETIME),
    ("2023-02-29", ZERO_DATETIME),
    ("2024-02-29", "2024-02-29 00:00:00"),
    ("2026-00-00", "2026-00-00 00:00:00"),
    ("2026-11-30 24:00:00", ZERO_DATETIME),
    ("2026-11-30 10:60:00", ZERO_DATETIME),
    ("2026-11-30 10:18:30.7", "2026-11-30 10:18:30"),
    ("2026-11-30 10:18:30 PM", "2026-11-30 10:18:30"),
    ("2026-11-30 10:18:30+05:00", "2026-11-30 10:18:30"),
    ("2026-11-30foo", "2026-11-30 00:00:00"),
    ("2026-11-30 10 :18", "2026-11-30 10:00:00"),
    ("2026-11-30--10:18", "2026-11-30 00:00:00"),
    ("2026 11 30", ZERO_DATETIME),
    ("2026--11-30", ZERO_DATETIME),
    ("69-01-01", "2069-01-01 00:00:00"),
    ("70-01-01", "1970-01-01 00:00:00"),
    ("069-01-01", "0069-01-01 00:00:00"),
    ("+2026-11-30", "2026-11-30 00:00:00"),
    ("-2026-11-30", ZERO_DATETIME),
    (" 2026-11-30 10:18:30 ", "2026-11-30 10:18:30"),
    ("NOW", ZERO_DATETIME),
    ("7DAYS", ZERO_DATETIME),
]

DATE_CASES = [
    ("1980-01-02", "1980-01-02"),
    ("19800102", "1980-01-02"),
    ("01/02/1980", "0000-00-00"),
    ("01021980", "0000-00-00"),
    ("2026-11-30 25:00:00", "0000-00-00"),
    ("2026-11-30 10:18:30", "2026-11-30"),
    ("", "0000-00-00"),
]

TIME_CASES = [
    ("", "00:00:00"),
    ("12:30", "12:30:00"),
    ("9:30", "09:30:00"),
    ("12:30:45", "12:30:45"),
    ("1:2:3", "01:02:03"),
    ("  12:30", "12:30:00"),
    ("12:30abc", "12:30:00"),
    ("12:30 PM", "12:30:00"),
    ("10:18:30.6", "10:18:30"),
    ("1230", "00:12:30"),
    ("123045", "12:30:45"),
    ("7", "00:00:07"),
    ("12.30", "00:00:12"),
    ("-10:00", "-10:00:00"),
    ("- 12:30", "-12:30:00"),
    ("+12:30", "12:30:00"),
    ("1 10:00:00", "34:00:00"),
    ("3 25:00", "97:00:00"),
    ("838:59:59", "838:59:59"),
    ("900:00:00", "838:59:59"),
    ("-900:00:00", "-838:59:59"),
    ("12:60", "00:00:00"),
    ("12:30:60", "00:00:00"),
    ("abc", "00:00:00"),
    ("2026-11-30 10:18:30", "10:18:30"),
    ("2026-11-30 25:00:00", "00:00:00"),
    ("2026-11-30", "00:20:26"),
    ("20261130", "838:59:59"),
]


@pytest.mark.parametrize(
    ("value", "expected"), DATETIME_CASES, ids=[repr(c[0]) for c in DATETIME_CASES]
)
def test_parse_mysql_datetime(value: str, expected: str) -> None:
    assert parse_mysql_datetime(value) == expected


@pytest.mark.parametrize(("value", "expected"), DATE_CASES, ids=[repr(c[0]) for c in DATE_CASES])
def test_parse_mysql_date(value: str, expected: str) -> None:
    assert parse_mysql_date(value) == expected


@pytest.mark.parametrize(("value", "expected"), TIME_CASES, ids=[repr(c[0]) for c in TIME_CASES])
def test_parse_mysql_time(value: str, expected: str) -> None:
    assert parse_mysql_time(value) == expected


def _fuzz_datetimes(seed: int, count: int) -> list[str]:
    """Date-ish strings: real parts, odd delimiters, garbage, digit runs."""
    rnd = random.Random(seed)
    pieces = [
        "2026",
        "26",
        "11",
        "30",
        "10",
        "18",
        "1",
        "0",
        "00",
        "99",
        "2024",
        "02",
        "29",
        "12",
        "60",
        "24",
        "-",
        ":",
        " ",
        "/",
        "T",
        ".",
        "5",
        "x",
        "2026-11-30",
        "10:18:30",
        "+",
    ]
    alphabet = "0123456789" * 4 + "-/:. T_@+aP"
    values = set()
    for _ in range(count):
        if rnd.random() < 0.5:
            values.add("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 22))))
        else:
            values.add("".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 7))))
    return sorted(values)


@pytest.fixture(scope="module")
def mariadb_engine() -> Iterator[sa.Engine]:
    from tests.conftest import mariadb_url

    url = mariadb_url()
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.mariadb
def test_parsers_match_mariadb(mariadb_engine: sa.Engine) -> None:
    """What the parsers return is what a non-strict MariaDB stores, on the corpus and a fuzz set."""
    dt_values = [v for v, _ in DATETIME_CASES + DATE_CASES] + _fuzz_datetimes(7, 1500)
    time_values = [v for v, _ in TIME_CASES]
    with mariadb_engine.begin() as conn:
        conn.execute(sa.text("SET SESSION sql_mode = ''"))
        conn.execute(
            sa.text(
                "CREATE TEMPORARY TABLE probe (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100),"
                " dt DATETIME, d DATE, tm TIME)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO probe (v, dt, d, tm) VALUES (:v, :v, :v, :v)"),
            [{"v": v} for v in dt_values + time_values],
        )
        got = conn.execute(
            sa.text(
                "SELECT v, CAST(dt AS CHAR), CAST(d AS CHAR), CAST(tm AS CHAR)"
                " FROM probe ORDER BY id"
            )
        ).all()
    stored = got[: len(dt_values)]
    assert [(v, parse_mysql_datetime(v), parse_mysql_date(v)) for v, *_ in stored] == [
        (v, dt, d) for v, dt, d, _ in stored
    ]
    times = got[len(dt_values) :]
    assert [(v, parse_mysql_time(v)) for v, *_ in times] == [(v, tm) for v, _, _, tm in times]


# --- callback_rows -------------------------------------------------------------------------------

USERS = pl.DataFrame({"user": ["6666", "bob"], "user_group": ["ADMIN", None]})


def _lead(**over: object) -> dict[str, object]:
    lead: dict[str, object] = {
        "lead_id": 16,
        "source_row": 1,
        "list_id": "101",
        "campaign_id": "TESTCAMP",
        "callback": "Y",
        "callback_status": "",
        "callback_datetime": "7days",
        "callback_type": "",
        "callback_user": "",
        "callback_comments": "",
    }
    lead.update(over)
    return lead


def _run(*leads: dict[str, object]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return callback_rows(
        pl.DataFrame(list(leads)), campaigns={"TESTCAMP", "Other"}, users=USERS, now=NOW
    )


NOTICE_CASES = [
    (
        "spec-example",
        {},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|ANYONE||CALLBK",  # noqa: E501
    ),
    (
        "useronly",
        {"callback_type": "USERONLY", "callback_user": "6666", "callback_datetime": "NOW"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-23 10:18:30|USERONLY|6666|CALLBK",  # noqa: E501
    ),
    (
        "useronly-any-case-user",
        {"callback_type": "USERONLY", "callback_user": "BOB"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|USERONLY|BOB|CALLBK",  # noqa: E501
    ),
    (
        "user-not-valid",
        {"callback_type": "USERONLY", "callback_user": "ghost"},
        "NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, USER NOT VALID - 16|TESTCAMP|ghost|USERONLY",  # noqa: E501
    ),
    (
        "campaign-not-valid",
        {"campaign_id": "XYZ", "callback_type": "USERONLY", "callback_user": "ghost"},
        "NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, CAMPAIGN NOT VALID - 16|XYZ",
    ),
    (
        "campaign-any-case",
        {"campaign_id": "other"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|other|2026-11-30 10:18:30|ANYONE||CALLBK",
    ),
    (
        "anyone-blanks-user",
        {"callback_type": "ANYONE", "callback_user": "6666"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|ANYONE||CALLBK",  # noqa: E501
    ),
    (
        "other-type-is-anyone",
        {"callback_type": "USER", "callback_user": "ghost"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|ANYONE||CALLBK",  # noqa: E501
    ),
    (
        "datetime-as-given",
        {"callback_datetime": "2026-12-01 9:5", "callback_status": "SALECB"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-12-01 9:5|ANYONE||SALECB",
    ),
    (
        "status-untruncated-in-notice",
        {"callback_status": "CALLBACKNOW"},
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|ANYONE||CALLBACKNOW",  # noqa: E501
    ),
]


@pytest.mark.parametrize(
    ("over", "expected"), [c[1:] for c in NOTICE_CASES], ids=[c[0] for c in NOTICE_CASES]
)
def test_callback_notice(over: dict[str, object], expected: str) -> None:
    _, notices = _run(_lead(**over))
    assert notices["callback_notice"].to_list() == [expected]


def test_callback_row_has_the_spec_columns() -> None:
    rows, _ = _run(
        _lead(
            callback_type="USERONLY",
            callback_user="6666",
            callback_status="CALLBACKNOW",
            callback_comments="x" * 300,
            callback_datetime="2026-12-01 9:5",
        )
    )
    expected = pl.DataFrame(
        {
            "lead_id": [16],
            "list_id": [101],
            "campaign_id": ["TESTCAMP"],
            "status": ["ACTIVE"],
            "entry_time": ["2026-11-23 10:18:30"],
            "callback_time": ["2026-12-01 09:05:00"],
            "modify_date": ["2026-11-23 10:18:30"],
            "user": ["6666"],
            "recipient": ["USERONLY"],
            "comments": ["x" * 255],
            "user_group": ["ADMIN"],
            "lead_status": ["CALLBA"],
            "email_alert": [None],
            "email_result": [None],
            "customer_timezone": [""],
            "customer_timezone_diff": [""],
            "customer_time": [None],
            "source_row": [1],
        },
        schema_overrides={
            "email_alert": pl.String,
            "email_result": pl.String,
            "customer_time": pl.String,
        },
    )
    assert_frame_equal(rows, expected)
    assert tuple(rows.columns[:-1]) == ROW_COLUMNS


ROW_CASES = [
    ("anyone", {"callback_user": "6666"}, ("", "ANYONE", "", "2026-11-30 10:18:30")),
    (
        "useronly-null-group",
        {"callback_type": "USERONLY", "callback_user": "bob"},
        ("bob", "USERONLY", "", "2026-11-30 10:18:30"),
    ),
    ("invalid-datetime", {"callback_datetime": "11/30/2026"}, ("", "ANYONE", "", ZERO_DATETIME)),
    ("absent-datetime", {"callback_datetime": ""}, ("", "ANYONE", "", ZERO_DATETIME)),
]


@pytest.mark.parametrize(
    ("over", "expected"), [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES]
)
def test_callback_row_values(over: dict[str, object], expected: tuple[str, str, str, str]) -> None:
    rows, _ = _run(_lead(**over))
    assert rows.select("user", "recipient", "user_group", "callback_time").row(0) == expected


def test_only_callback_leads_and_failures_write_no_row() -> None:
    rows, notices = _run(
        _lead(lead_id=20, source_row=3),
        _lead(lead_id=18, source_row=2, callback="N"),
        _lead(lead_id=17, source_row=1, campaign_id="XYZ"),
        _lead(lead_id=21, source_row=4, callback_type="USERONLY", callback_user="ghost"),
    )
    assert rows["lead_id"].to_list() == [20]
    assert notices["lead_id"].to_list() == [17, 20, 21]


def test_no_callback_leads_give_empty_frames() -> None:
    rows, notices = _run(_lead(callback=""))
    assert rows.height == 0
    assert notices.height == 0
    assert tuple(rows.columns[:-1]) == ROW_COLUMNS
