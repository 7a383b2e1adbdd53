"""Hopper rows, dialability and NOTICEs (ingest.md 13)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules.hopper import HOPPER_ID, ROW_COLUMNS, hopper_added_notice, hopper_rows

_DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _call_time(
    call_time_id: str, start: int, stop: int, states: str | None = None, **days: tuple[int, int]
) -> dict[str, object]:
    row: dict[str, object] = {
        "call_time_id": call_time_id,
        "ct_default_start": start,
        "ct_default_stop": stop,
        "ct_state_call_times": states,
    }
    for day in _DAYS:
        row[f"ct_{day}_start"], row[f"ct_{day}_stop"] = days.get(day, (0, 0))
    return row


def _state_rule(
    rule_id: str, state: str, start: int, stop: int, **days: tuple[int, int]
) -> dict[str, object]:
    row: dict[str, object] = {
        "state_call_time_id": rule_id,
        "state_call_time_state": state,
        "sct_default_start": start,
        "sct_default_stop": stop,
    }
    for day in _DAYS:
        row[f"sct_{day}_start"], row[f"sct_{day}_stop"] = days.get(day, (0, 0))
    return row


CALL_TIMES = pl.DataFrame(
    [
        _call_time("24hours", 0, 2400),
        _call_time("9am-9pm", 900, 2100),
        _call_time("9am-5pm", 900, 1700),
        _call_time("nosunday", 900, 2100, sunday=(2400, 2400)),
        _call_time("overnight", 2200, 600),
        _call_time("saturday", 900, 2100, saturday=(1000, 1400)),
        _call_time("states", 900, 2100, "|texas|florida|texas2|utah|"),
        _call_time("pipeonly", 900, 2100, "||"),
        _call_time("allnull", 900, 2100) | {"ct_monday_start": None, "ct_monday_stop": None},
    ]
)
STATE_CALL_TIMES = pl.DataFrame(
    [
        _state_rule("texas", "TX", 1200, 1300),
        _state_rule("florida", "FL", 700, 2300, sunday=(2400, 2400)),
        _state_rule("texas2", "TX", 0, 2400),  # listed too, but `texas` comes first in the table
        _state_rule("ohio", "OH", 2400, 2400),  # not listed by any call time
        _state_rule("utah", "UT", 900, 2000, monday=(1500, 1600)),
    ]
)
CAMPAIGNS = pl.DataFrame(
    {"campaign_id": ["TESTCAMP", "NIGHT"], "local_call_time": ["24hours", "9am-5pm"]}
)
_NAMED_LISTS = [
    # (list_id, campaign_id, local_call_time)
    (101, "TESTCAMP", "campaign"),
    (102, "TESTCAMP", "9am-5pm"),
    (103, "TESTCAMP", "Campaign"),
    (104, "TESTCAMP", ""),
    (105, "NOCAMP", "9am-9pm"),
    (106, "TESTCAMP", "ghost"),
    (107, "testcamp", "campaign"),
    (108, "NIGHT", "CAMPAIGN"),
]
_CALL_TIME_LISTS = [
    (200 + i, "TESTCAMP", ct) for i, ct in enumerate(CALL_TIMES["call_time_id"].to_list())
]
LISTS = pl.DataFrame(
    [*_NAMED_LISTS, *_CALL_TIME_LISTS],
    schema=["list_id", "campaign_id", "local_call_time"],
    orient="row",
)
LIST_OF = {ct: 200 + i for i, ct in enumerate(CALL_TIMES["call_time_id"].to_list())}


def _lead(**over: object) -> dict[str, object]:
    lead: dict[str, object] = {
        "lead_id": 7,
        "source_row": 1,
        "phone_number": "7275551212",
        "list_id": "101",
        "state": "",
        "vendor_lead_code": "V1",
        "add_to_hopper": "Y",
        "hopper_priority": "0",
        "hopper_local_call_time_check": "Y",
        "gmt_offset_now": 0.0,
        "gmt_offset_text": "0.00",
    }
    lead.update(over)
    return lead


def _run(*leads: dict[str, object], utc_now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = pl.DataFrame(list(leads), schema_overrides={"gmt_offset_now": pl.Float64})
    return hopper_rows(
        frame,
        lists=LISTS,
        campaigns=CAMPAIGNS,
        call_times=CALL_TIMES,
        state_call_times=STATE_CALL_TIMES,
        utc_now=utc_now,
        user="6666",
    )


def _added(call_time: str, utc_now: datetime, offset: float | None = 0.0, state: str = "") -> bool:
    _, notices = _run(
        _lead(list_id=str(LIST_OF[call_time]), gmt_offset_now=offset, state=state), utc_now=utc_now
    )
    return bool(notices["hopper_added"][0])


MON = datetime(2026, 11, 23)  # a Monday
SAT = datetime(2026, 11, 21)
SUN = datetime(2026, 11, 22)

DIALABLE_CASES = [
    # (id, call time, UTC now, offset, state, dialable)
    ("24hours-midnight", "24hours", MON.replace(hour=0), 0.0, "", True),
    ("24hours-2359", "24hours", MON.replace(hour=23, minute=59), 0.0, "", True),
    ("start-inclusive", "9am-9pm", MON.replace(hour=14), -5.0, "", True),
    ("before-start", "9am-9pm", MON.replace(hour=13, minute=59), -5.0, "", False),
    ("stop-exclusive", "9am-9pm", MON.replace(hour=21), 0.0, "", False),
    ("before-stop", "9am-9pm", MON.replace(hour=20, minute=59), 0.0, "", True),
    ("half-hour-offset-open", "9am-9pm", MON.replace(hour=3, minute=30), 5.5, "", True),
    ("half-hour-offset-closed", "9am-9pm", MON.replace(hour=3, minute=29), 5.5, "", False),
    ("negative-half-hour", "9am-9pm", MON.replace(hour=12, minute=30), -3.5, "", True),
    ("negative-half-hour-closed", "9am-9pm", MON.replace(hour=12, minute=29), -3.5, "", False),
    ("quarter-offset", "9am-9pm", MON.replace(hour=3, minute=15), 5.75, "", True),
    ("null-offset-is-utc", "9am-9pm", MON.replace(hour=10), None, "", True),
    ("null-offset-closed", "9am-9pm", MON.replace(hour=22), None, "", False),
    ("2400-blocks-sunday", "nosunday", SUN.replace(hour=12), 0.0, "", False),
    ("0-0-day-uses-default", "nosunday", MON.replace(hour=12), 0.0, "", True),
    ("offset-moves-to-sunday", "nosunday", MON.replace(hour=2), -5.0, "", False),
    ("midnight-window-late", "overnight", MON.replace(hour=23), 0.0, "", False),
    ("midnight-window-early", "overnight", MON.replace(hour=3), 0.0, "", False),
    ("weekday-window-replaces-default", "saturday", SAT.replace(hour=15), 0.0, "", False),
    ("weekday-window-open", "saturday", SAT.replace(hour=11), 0.0, "", True),
    ("other-day-default", "saturday", MON.replace(hour=15), 0.0, "", True),
    ("null-day-reads-0-0", "allnull", MON.replace(hour=15), 0.0, "", True),
    ("state-rule-narrows", "states", MON.replace(hour=10), 0.0, "TX", False),
    ("state-rule-open", "states", MON.replace(hour=12, minute=30), 0.0, "TX", True),
    ("state-rule-widens", "states", MON.replace(hour=8), 0.0, "FL", True),
    ("state-rule-weekday-2400", "states", SUN.replace(hour=12), 0.0, "FL", False),
    ("state-rule-weekday-window", "states", MON.replace(hour=15, minute=30), 0.0, "UT", True),
    ("state-rule-weekday-window-closed", "states", MON.replace(hour=10), 0.0, "UT", False),
    ("state-any-case", "states", MON.replace(hour=10), 0.0, "tx", False),
    ("state-first-table-row-wins", "states", MON.replace(hour=1), 0.0, "TX", False),
    ("state-untruncated-no-match", "states", MON.replace(hour=10), 0.0, "Texas", True),
    ("state-without-rule", "states", MON.replace(hour=10), 0.0, "CA", True),
    ("state-rule-not-listed", "states", MON.replace(hour=10), 0.0, "OH", True),
    ("state-empty", "states", MON.replace(hour=8), 0.0, "", False),
    ("state-list-too-short", "pipeonly", MON.replace(hour=10), 0.0, "TX", True),
    ("call-time-without-states", "9am-9pm", MON.replace(hour=10), 0.0, "TX", True),
]


@pytest.mark.parametrize(
    ("call_time", "utc_now", "offset", "state", "dialable"),
    [c[1:] for c in DIALABLE_CASES],
    ids=[c[0] for c in DIALABLE_CASES],
)
def test_dialable_now(
    call_time: str, utc_now: datetime, offset: float | None, state: str, *, dialable: bool
) -> None:
    assert _added(call_time, utc_now, offset, state) is dialable


RESOLUTION_CASES = [
    # (id, list_id, campaign written, added at Monday 18:00 UTC with the check on)
    ("campaign-call-time", "101", "TESTCAMP", True),
    ("list-overrides", "102", "TESTCAMP", False),
    ("list-campaign-any-case", "103", "TESTCAMP", True),
    ("list-empty-uses-campaign", "104", "TESTCAMP", True),
    ("campaign-missing", "105", "", False),
    ("call-time-row-missing", "106", "TESTCAMP", False),
    ("campaign-join-any-case", "107", "TESTCAMP", True),
    ("other-campaign", "108", "NIGHT", False),
    ("list-missing", "999", "", False),
]


@pytest.mark.parametrize(
    ("list_id", "campaign", "added"),
    [c[1:] for c in RESOLUTION_CASES],
    ids=[c[0] for c in RESOLUTION_CASES],
)
def test_campaign_and_call_time_resolution(list_id: str, campaign: str, *, added: bool) -> None:
    utc = MON.replace(hour=18)
    rows, notices = _run(_lead(list_id=list_id), utc_now=utc)
    assert notices["hopper_added"].to_list() == [added]
    # Without the check every lead is added, to the list's campaign (or '').
    rows, _ = _run(_lead(list_id=list_id, hopper_local_call_time_check=""), utc_now=utc)
    assert rows["campaign_id"].to_list() == [campaign]


def test_row_has_the_spec_columns() -> None:
    rows, notices = _run(
        _lead(
            state="Florida",
            vendor_lead_code="V" * 25,
            hopper_priority="-5",
            gmt_offset_now=-3.5,
            gmt_offset_text="-3.50",
            hopper_local_call_time_check="N",
        ),
        utc_now=MON,
    )
    expected = pl.DataFrame(
        {
            "lead_id": [7],
            "campaign_id": ["TESTCAMP"],
            "status": ["READY"],
            "user": [""],
            "list_id": [101],
            "gmt_offset_now": [-3.5],
            "state": ["Fl"],
            "alt_dial": ["NONE"],
            "priority": [-5],
            "source": ["P"],
            "vendor_lead_code": ["V" * 20],
            "source_row": [1],
        }
    )
    assert_frame_equal(rows, expected)
    assert tuple(rows.columns[:-1]) == ROW_COLUMNS
    assert notices["hopper_notice"].to_list() == [
        f"NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|{HOPPER_ID}|6666"
    ]


PRIORITY_CASES = [("", 0), ("5", 5), ("-99", -99), ("150", 99), ("-150", -99), ("x", 0)]


@pytest.mark.parametrize(
    ("given", "priority"), PRIORITY_CASES, ids=[c[0] or "empty" for c in PRIORITY_CASES]
)
def test_priority(given: str, priority: int) -> None:
    rows, _ = _run(_lead(hopper_priority=given, hopper_local_call_time_check=""), utc_now=MON)
    assert rows["priority"].to_list() == [priority]


def test_null_offset_is_stored_as_zero() -> None:
    rows, _ = _run(_lead(gmt_offset_now=None, hopper_local_call_time_check=""), utc_now=MON)
    assert rows["gmt_offset_now"].to_list() == [0.0]


def test_outside_notice_and_no_row() -> None:
    rows, notices = _run(
        _lead(list_id="102", gmt_offset_now=-5.0, gmt_offset_text="-5.00"),
        utc_now=MON.replace(hour=23),
    )
    assert rows.height == 0
    assert notices["hopper_notice"].to_list() == [
        "NOTICE: add_lead NOT ADDED TO HOPPER, OUTSIDE OF LOCAL TIME - 7275551212|7|-5.00|0|6666"
    ]


def test_only_add_to_hopper_y_in_file_order() -> None:
    rows, notices = _run(
        _lead(lead_id=3, source_row=3, hopper_local_call_time_check=""),
        _lead(lead_id=2, source_row=2, add_to_hopper="N"),
        _lead(lead_id=1, source_row=1, add_to_hopper="y"),
        _lead(lead_id=4, source_row=4, list_id="102"),
        utc_now=MON.replace(hour=23),
    )
    assert rows["lead_id"].to_list() == [3]
    assert notices.select("lead_id", "hopper_added").rows() == [(3, True), (4, False)]


def test_no_call_time_tables_with_check_means_not_dialable() -> None:
    frame = pl.DataFrame([_lead()], schema_overrides={"gmt_offset_now": pl.Float64})
    rows, notices = hopper_rows(
        frame,
        lists=LISTS,
        campaigns=CAMPAIGNS,
        call_times=pl.DataFrame(),
        state_call_times=pl.DataFrame(),
        utc_now=MON,
        user="6666",
    )
    assert rows.height == 0
    assert notices["hopper_added"].to_list() == [False]


def test_hopper_added_notice() -> None:
    notices = pl.DataFrame(
        {
            "source_row": [1, 2, 3],
            "lead_id": [7, 8, 9],
            "hopper_notice": [
                f"NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|{HOPPER_ID}|6666",
                "NOTICE: add_lead NOT ADDED TO HOPPER, OUTSIDE OF LOCAL TIME - 7275551213|8|-5.00|0|6666",  # noqa: E501
                f"NOTICE: add_lead ADDED TO HOPPER - 7275551214|9|{HOPPER_ID}|6666",
            ],
            "hopper_added": [True, False, True],
        }
    )
    filled = hopper_added_notice(
        notices, pl.DataFrame({"lead_id": [7], "hopper_id": [1677922]}), failure="lock wait timeout"
    )
    assert filled["hopper_notice"].to_list() == [
        "NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|1677922|6666",
        "NOTICE: add_lead NOT ADDED TO HOPPER, OUTSIDE OF LOCAL TIME - 7275551213|8|-5.00|0|6666",
        "NOTICE: add_lead NOT ADDED TO HOPPER - 7275551214|9|lock wait timeout|6666",
    ]
    assert filled.columns == notices.columns
