"""End to end: one lead file exercising every add_lead feature, each written row checked column by
column against ingest.md 10–15 / schema.md 1, 2, 5, 7, 8, and every response line exactly.

The expected values below are written from the spec, not read back from the pipeline. Server
clock: Monday 2026-11-23 15:18:30 on a UTC server (no DST anywhere in the USA then), so a
`-5.00` lead's local time is 10:18 (inside TESTCAMP's `9am-9pm`) and a `-10.00` one's 05:18.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from sinks import tables
from tests import _mariadb
from tests.conftest import mariadb_url
from tests.ingest._pipeline import (
    NOW,
    NOW_TEXT,
    load,
    phone,
    prepare,
    results,
    settings,
    table_rows,
    write_csv,
)

_MYSQL = ("mysql", "mariadb")
LONG_LAST = "O'Neil-Smithsonian-Featherstonehaugh"
LONG_FIRST = "Abcdefghij" * 4
LONG_VENDOR = "ABCDEFGHIJKLMNOPQRSTUVWXY"
LONG_EMAIL = "a" * 75 + "@x.com"
LONG_OWNER = "owner-" * 5

# One row per feature; comments name the expected outcome (lead ids: 1 is pre-existing).
ROWS: list[dict[str, str]] = [
    # 1 → lead 2: every lead field, cleaned and truncated
    {
        "phone_number": "727-555-1001",
        "title": "Mr.xx",
        "first_name": "Jo+Ann",
        "middle_initial": "Q",
        "last_name": LONG_LAST,
        "address1": "12 Main St #4",
        "address2": "Apt+7",
        "address3": "c/o Bob@home",
        "city": "St. Petersburg",
        "state": "Florida",
        "province": "Pinellas",
        "postal_code": "33701",
        "country_code": "U.S.A.",
        "gender": "F",
        "date_of_birth": "1980-01-02",
        "alt_phone": "7275559999",
        "email": "bob+tag@x.com",
        "security_phrase": "open sesame",
        "comments": "hi; there #1",
        "rank": "5",
        "owner": "agent7",
        "vendor_lead_code": "V1#;x",
        "source_id": "src+1",
    },
    # 2 → lead 3: YYYYMMDD birth date, invalid gender, entry_list_id, three alternate phones
    {
        "phone_number": "7275551002",
        "alt_phone": "(727) 555-8888",
        "date_of_birth": "19800102",
        "gender": "MALE",
        "entry_list_id": "555",
        "multi_alt_phones": "7275551212_1_work!7275551213__sister+house!",
    },
    # 3 → lead 4: unparseable birth date, lower-case gender, callback NOW
    {
        "phone_number": "7275551003",
        "date_of_birth": "01/02/1980",
        "gender": "m",
        "callback": "Y",
        "callback_datetime": "NOW",
        "campaign_id": "TESTCAMP",
        "callback_comments": "call+back me",
    },
    # 4 → lead 5: callback in 7 days for a user
    {
        "phone_number": "7275551004",
        "callback": "Y",
        "callback_datetime": "7DAYS",
        "campaign_id": "TESTCAMP",
        "callback_type": "USERONLY",
        "callback_user": "6666",
        "callback_status": "CBXYZ12",
    },
    # 5 → lead 6: explicit callback time; ANYONE drops the user
    {
        "phone_number": "7275551005",
        "callback": "Y",
        "callback_datetime": "2026-12-01 09:30:00",
        "campaign_id": "TESTCAMP",
        "callback_type": "ANYONE",
        "callback_user": "bob",
    },
    # 6 → lead 7: USERONLY for an unknown user: NOTICE, no callback row, still CBHOLD
    {
        "phone_number": "7275551006",
        "callback": "Y",
        "callback_datetime": "NOW",
        "campaign_id": "TESTCAMP",
        "callback_type": "USERONLY",
        "callback_user": "nobody",
    },
    # 7 → lead 8: unknown campaign: NOTICE, no callback row, still CBHOLD
    {
        "phone_number": "7275551007",
        "callback": "Y",
        "callback_datetime": "NOW",
        "campaign_id": "NOCAMP",
    },
    # 8 → lead 9: hopper, local time 10:18 is inside 9am-9pm
    {
        "phone_number": "7275551008",
        "state": "FL",
        "vendor_lead_code": "V8",
        "add_to_hopper": "Y",
        "hopper_priority": "-7",
        "hopper_local_call_time_check": "Y",
    },
    # 9 → lead 10: hopper, local time 05:18 is outside
    {
        "phone_number": "8085551009",
        "add_to_hopper": "Y",
        "hopper_priority": "5",
        "hopper_local_call_time_check": "Y",
    },
    # 10 → lead 11: hopper without the local-time check, priority clamped to 99
    {"phone_number": "8085551010", "add_to_hopper": "Y", "hopper_priority": "150"},
    # 11 → lead 12: custom fields
    {
        "phone_number": "7275551011",
        "custom_fields": "Y",
        "color": "Blue",
        "size": "abcdefg",
        "birthday": "19900315",
        "notes": 'x;y"z+w\\',
    },
    # 12 → lead 13: every child at once: NOTICE order SUCCESS, alt, custom, hopper, callback
    {
        "phone_number": "7275551012",
        "multi_alt_phones": "8135550001_1_cell",
        "custom_fields": "Y",
        "color": "green",
        "add_to_hopper": "Y",
        "callback": "Y",
        "callback_datetime": "NOW",
        "campaign_id": "TESTCAMP",
    },
    # 13 → lead 14: widths; a country code missing from vicidial_phone_codes gives no offset
    {
        "phone_number": "7275551013",
        "phone_code": "123456789012",
        "vendor_lead_code": LONG_VENDOR,
        "first_name": LONG_FIRST,
        "comments": "c" * 300,
        "email": LONG_EMAIL,
        "owner": LONG_OWNER,
    },
    # 14 → lead 15: a two-digit list id becomes 999; rank clipped to SMALLINT
    {"phone_number": "7275551014", "list_id": "12", "rank": "99999"},
    # 15-30: rejected
    {"phone_number": "12345"},
    {"phone_number": "7271551234", "usacan_prefix_check": "Y"},
    {"phone_number": "0005551234", "usacan_areacode_check": "Y"},
    {"phone_number": "7275559001", "dnc_check": "Y"},
    {"phone_number": "8135551234", "dnc_check": "AREACODE"},
    {"phone_number": "7275559002", "campaign_dnc_check": "Y", "campaign_id": "TESTCAMP"},
    {"phone_number": "7275550000"},  # 21: the pre-existing lead 1
    {"phone_number": "7275551001"},  # 22: in-batch duplicate of row 1 (lead 2)
    {"phone_number": "7275551001", "list_id": "102", "duplicate_check": "DUPCAMP"},
    {"phone_number": "7275550000", "list_id": "102", "duplicate_check": "DUPSYS"},
    {"phone_number": "7275551099", "list_id": "555", "list_exists_check": "Y"},
    {"phone_number": "7275551026", "source": "x"},
    {"phone_number": "7275559999", "duplicate_check": "DUPPHONEALTLIST"},  # row 1's alt_phone
    {
        "phone_number": "7275551028",
        "title": "Mr.x",
        "alt_phone": "7275559999",
        "duplicate_check": "DUPTITLEALTPHONELIST",
    },
    {"phone_number": "7275551003", "duplicate_check": "DUPNAMEPHONELIST"},  # row 3, empty names
    {"phone_number": "7275551030", "list_id": "777", "duplicate_check": "DUPCAMP"},
    # 31 → lead 16: NANPA asked for without NANPA data: NOTICE before SUCCESS, then loaded
    {"phone_number": "7275551031", "nanpa_ac_prefix_check": "Y"},
    # 32 → lead 17: a valid area code with 11 digits passes (the 10-digit rule is not enforced)
    {"phone_number": "72755510321", "usacan_areacode_check": "Y"},
    # 33 → lead 18: custom fields asked for on a list without a custom table
    {"phone_number": "7275551033", "list_id": "102", "custom_fields": "Y"},
    # 34, 35: duplicates of rows 31 and 33 in the same batch (rows 29-35 with batch_rows=7)
    {"phone_number": "7275551031"},
    {"phone_number": "7275551033", "list_id": "102", "duplicate_check": "DUPCAMP"},
    # 36 → lead 19: New South Wales is in DST in November: +10.00 + 1, shown as a plain number
    {"phone_number": "0291234567", "phone_code": "61", "state": "NS"},
]

U = "6666"
SUCCESS = "SUCCESS: add_lead LEAD HAS BEEN ADDED - "

EXPECTED_RESPONSES: dict[int, list[str]] = {
    1: [f"{SUCCESS}7275551001|101|2|-5.00|{U}"],
    2: [
        f"{SUCCESS}7275551002|101|3|-5.00|{U}",
        "7275551212|1|work7275551213||sister house||"
        f"NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - 3|3|{U}",
    ],
    3: [
        f"{SUCCESS}7275551003|101|4|-5.00|{U}",
        f"NOTICE: add_lead SCHEDULED CALLBACK ADDED - 4|TESTCAMP|{NOW_TEXT}|ANYONE||CALLBK",
    ],
    4: [
        f"{SUCCESS}7275551004|101|5|-5.00|{U}",
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - "
        "5|TESTCAMP|2026-11-30 15:18:30|USERONLY|6666|CBXYZ12",
    ],
    5: [
        f"{SUCCESS}7275551005|101|6|-5.00|{U}",
        "NOTICE: add_lead SCHEDULED CALLBACK ADDED - 6|TESTCAMP|2026-12-01 09:30:00|ANYONE||CALLBK",
    ],
    6: [
        f"{SUCCESS}7275551006|101|7|-5.00|{U}",
        "NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, USER NOT VALID - "
        "7|TESTCAMP|nobody|USERONLY",
    ],
    7: [
        f"{SUCCESS}7275551007|101|8|-5.00|{U}",
        "NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, CAMPAIGN NOT VALID - 8|NOCAMP",
    ],
    8: [
        f"{SUCCESS}7275551008|101|9|-5.00|{U}",
        f"NOTICE: add_lead ADDED TO HOPPER - 7275551008|9|1|{U}",
    ],
    9: [
        f"{SUCCESS}8085551009|101|10|-10.00|{U}",
        f"NOTICE: add_lead NOT ADDED TO HOPPER, OUTSIDE OF LOCAL TIME - 8085551009|10|-10.00|0|{U}",
    ],
    10: [
        f"{SUCCESS}8085551010|101|11|-10.00|{U}",
        f"NOTICE: add_lead ADDED TO HOPPER - 8085551010|11|2|{U}",
    ],
    11: [
        f"{SUCCESS}7275551011|101|12|-5.00|{U}",
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551011|12|101|1",
    ],
    12: [
        f"{SUCCESS}7275551012|101|13|-5.00|{U}",
        f"8135550001|1|cellNOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - 1|13|{U}",
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551012|13|101|1",
        f"NOTICE: add_lead ADDED TO HOPPER - 7275551012|13|3|{U}",
        f"NOTICE: add_lead SCHEDULED CALLBACK ADDED - 13|TESTCAMP|{NOW_TEXT}|ANYONE||CALLBK",
    ],
    13: [f"{SUCCESS}7275551013|101|14||{U}"],
    14: [f"{SUCCESS}7275551014|999|15|-5.00|{U}"],
    15: [f"ERROR: add_lead INVALID PHONE NUMBER LENGTH - 12345|{U}"],
    16: [f"ERROR: add_lead INVALID PHONE NUMBER PREFIX - 7271551234|{U}"],
    17: [f"ERROR: add_lead INVALID PHONE NUMBER AREACODE - 0005551234|{U}"],
    18: [f"ERROR: add_lead PHONE NUMBER IN DNC - 7275559001|{U}"],
    19: [f"ERROR: add_lead PHONE NUMBER IN DNC - 8135551234|{U}"],
    20: [f"ERROR: add_lead PHONE NUMBER IN CAMPAIGN DNC - 7275559002|TESTCAMP|{U}"],
    21: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275550000|101|1"],
    22: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551001|101|2"],
    23: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - 7275551001|102|2|101"],
    24: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - 7275550000|102|1|101"],
    25: ["ERROR: add_lead NOT A DEFINED LIST ID, LIST EXISTS CHECK ENABLED - 7275551099|555"],
    26: ["ERROR: Invalid Source - x", "ERROR: Invalid Source: |x|"],
    27: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275559999|101|2|ALT"],
    28: ["ERROR: add_lead DUPLICATE TITLE ALT_PHONE IN LIST - Mr.x|7275559999|101|2"],
    29: ["ERROR: add_lead DUPLICATE NAME PHONE IN LIST - ||7275551003|101|4"],
    30: [f"ERROR: add_lead CAMPAIGN DUPLICATE CHECK NEEDS A DEFINED LIST - 7275551030|777|{U}"],
    31: [
        f"NOTICE: add_lead NANPA options disabled, NANPA prefix data not loaded - 0|{U}",
        f"{SUCCESS}7275551031|101|16|-5.00|{U}",
    ],
    32: [f"{SUCCESS}72755510321|101|17|-5.00|{U}"],
    33: [
        f"{SUCCESS}7275551033|102|18|-5.00|{U}",
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO CUSTOM FIELDS DEFINED FOR THIS LIST - "
        "7275551033|18|102",
    ],
    34: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551031|101|16"],
    35: ["ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - 7275551033|102|18|102"],
    36: [f"{SUCCESS}0291234567|101|19|11|{U}"],
}

REASONS = {
    15: "INVALID_PHONE_LENGTH",
    16: "INVALID_PHONE_PREFIX",
    17: "INVALID_PHONE_AREACODE",
    18: "DNC_SYSTEM",
    19: "DNC_SYSTEM",
    20: "DNC_CAMPAIGN",
    21: "DUPLICATE_PHONE_LIST",
    22: "DUPLICATE_PHONE_LIST",
    23: "DUPLICATE_PHONE_CAMPAIGN",
    24: "DUPLICATE_PHONE_SYSTEM",
    25: "LIST_NOT_DEFINED",
    26: "INVALID_SOURCE",
    27: "DUPLICATE_PHONEALT_LIST",
    28: "DUPLICATE_TITLE_ALTPHONE_LIST",
    29: "DUPLICATE_NAME_PHONE_LIST",
    30: "CAMPAIGN_LISTS_UNDEFINED",
    34: "DUPLICATE_PHONE_LIST",
    35: "DUPLICATE_PHONE_CAMPAIGN",
}
LEAD_OF_ROW = {**{r: r + 1 for r in range(1, 15)}, 31: 16, 32: 17, 33: 18, 36: 19}


def _lead(lead_id: int, phone: str, **changes: Any) -> dict[str, Any]:
    """A `vicidial_list` row as add_lead writes it (ingest.md 10), absent fields defaulted."""
    row: dict[str, Any] = {
        "lead_id": str(lead_id),
        "entry_date": NOW_TEXT,
        "status": "NEW",
        "user": U,
        "vendor_lead_code": "",
        "source_id": "",
        "list_id": "101",
        "gmt_offset_now": "-5.00",
        "called_since_last_reset": "N",
        "phone_code": "1",
        "phone_number": phone,
        "title": "",
        "first_name": "",
        "middle_initial": "",
        "last_name": "",
        "address1": "",
        "address2": "",
        "address3": "",
        "city": "",
        "state": "",
        "province": "",
        "postal_code": "",
        "country_code": "",
        "gender": "U",
        "date_of_birth": "0000-00-00",
        "alt_phone": "",
        "email": "",
        "security_phrase": "",
        "comments": "",
        "called_count": "0",
        "last_local_call_time": NOW_TEXT,
        "rank": "0",
        "owner": "",
        "entry_list_id": "0",
    }
    row.update({k: str(v) for k, v in changes.items()})
    return row


EXISTING = _lead(
    1, "7275550000", entry_date="2026-01-05 09:00:00", last_local_call_time="2026-01-05 09:00:00"
)

EXPECTED_LEADS = [
    EXISTING,
    _lead(
        2,
        "7275551001",
        title="Mr.x",
        first_name="Jo Ann",
        middle_initial="Q",
        last_name=LONG_LAST[:30],
        address1="12 Main St 4",
        address2="Apt 7",
        address3="c/o Bob@home",
        city="St. Petersburg",
        state="Fl",
        province="Pinellas",
        postal_code="33701",
        country_code="USA",
        gender="F",
        date_of_birth="1980-01-02",
        alt_phone="7275559999",
        email="bob tag@x.com",
        security_phrase="open sesame",
        comments="hi there 1",
        rank="5",
        owner="agent7",
        vendor_lead_code="V1x",
        source_id="src 1",
    ),
    _lead(
        3,
        "7275551002",
        alt_phone="727 555-8888",
        date_of_birth="1980-01-02",
        gender="",
        entry_list_id="555",
    ),
    _lead(4, "7275551003", status="CBHOLD"),
    _lead(5, "7275551004", status="CBHOLD"),
    _lead(6, "7275551005", status="CBHOLD"),
    _lead(7, "7275551006", status="CBHOLD"),
    _lead(8, "7275551007", status="CBHOLD"),
    _lead(9, "7275551008", state="FL", vendor_lead_code="V8"),
    _lead(10, "8085551009", gmt_offset_now="-10.00"),
    _lead(11, "8085551010", gmt_offset_now="-10.00"),
    _lead(12, "7275551011", entry_list_id="101"),
    _lead(13, "7275551012", status="CBHOLD", entry_list_id="101"),
    _lead(
        14,
        "7275551013",
        phone_code="1234567890",
        gmt_offset_now="0.00",
        vendor_lead_code=LONG_VENDOR[:20],
        first_name=LONG_FIRST[:30],
        comments="c" * 255,
        email=LONG_EMAIL[:70],
        owner=LONG_OWNER[:20],
    ),
    _lead(15, "7275551014", list_id="999", rank="32767"),
    _lead(16, "7275551031"),
    _lead(17, "72755510321"),
    _lead(18, "7275551033", list_id="102"),
    _lead(19, "0291234567", phone_code="61", state="NS", gmt_offset_now="11.00"),
]


def _alt(
    alt_id: int, lead_id: int, number: str, code: str, note: str, count: int
) -> dict[str, Any]:
    return {
        "alt_phone_id": str(alt_id),
        "lead_id": str(lead_id),
        "phone_code": code,
        "phone_number": number,
        "alt_phone_note": note,
        "alt_phone_count": str(count),
        "active": "Y",
    }


EXPECTED_ALT_PHONES = [
    _alt(1, 3, "7275551212", "1", "work", 1),
    _alt(2, 3, "7275551213", "1", "sister house", 2),
    _alt(3, 3, "", "1", "", 3),
    _alt(4, 13, "8135550001", "1", "cell", 1),
]


def _hopper(
    hopper_id: int, lead_id: int, gmt: str, priority: int, *, state: str = "", vendor: str = ""
) -> dict[str, Any]:
    return {
        "hopper_id": str(hopper_id),
        "lead_id": str(lead_id),
        "campaign_id": "TESTCAMP",
        "status": "READY",
        "user": "",
        "list_id": "101",
        "gmt_offset_now": gmt,
        "state": state,
        "alt_dial": "NONE",
        "priority": str(priority),
        "source": "P",
        "vendor_lead_code": vendor,
    }


EXPECTED_HOPPER = [
    _hopper(1, 9, "-5.00", -7, state="FL", vendor="V8"),
    _hopper(2, 11, "-10.00", 99),
    _hopper(3, 13, "-5.00", 0),
]


def _callback(callback_id: int, lead_id: int, when: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "callback_id": str(callback_id),
        "lead_id": str(lead_id),
        "list_id": "101",
        "campaign_id": "TESTCAMP",
        "status": "ACTIVE",
        "entry_time": NOW_TEXT,
        "callback_time": when,
        "user": "",
        "recipient": "ANYONE",
        "comments": "",
        "user_group": "",
        "lead_status": "CALLBK",
        "email_alert": None,
        "email_result": None,
        "customer_timezone": "",
        "customer_timezone_diff": "",
        "customer_time": None,
    }
    row.update(changes)
    return row


EXPECTED_CALLBACKS = [
    _callback(1, 4, NOW_TEXT, comments="call+back me"),
    _callback(
        2,
        5,
        "2026-11-30 15:18:30",
        user="6666",
        recipient="USERONLY",
        user_group="ADMIN",
        lead_status="CBXYZ1",
    ),
    _callback(3, 6, "2026-12-01 09:30:00"),
    _callback(4, 13, NOW_TEXT),
]

EXPECTED_CUSTOM = [
    {"lead_id": "12", "color": "blue", "size": "abcde", "birthday": "1990-03-15", "notes": "xyz w"},
    {"lead_id": "13", "color": "", "size": "", "birthday": "0000-00-00", "notes": ""},
]


def _variant(
    sqlite: sa.types.TypeEngine[Any], native: sa.types.TypeEngine[Any]
) -> sa.types.TypeEngine[Any]:
    return sqlite.with_variant(native, *_MYSQL)


def create_custom_101(conn: sa.Connection) -> None:
    """`custom_101` as VICIdial's admin screen creates it (schema.md 5) plus its definitions."""
    table = tables.custom_table(
        101,
        [
            sa.Column("color", _variant(sa.String(4), mysql.ENUM("red", "blue"))),
            sa.Column("size", mysql.VARCHAR(5)),
            sa.Column("birthday", _variant(sa.String(10), mysql.DATE())),
            sa.Column("notes", sa.Text),
        ],
    )
    table.create(conn)
    fields = [
        ("color", "SELECT", 1, None, "red,Red\nblue,Blue"),
        ("size", "TEXT", 2, 5, ""),
        ("banner", "DISPLAY", 3, None, ""),  # no column, no value
        ("birthday", "DATE", 4, None, ""),
        ("notes", "AREA", 5, None, ""),
    ]
    conn.execute(
        sa.insert(tables.vicidial_lists_fields),
        [
            {
                "list_id": 101,
                "field_label": label,
                "field_name": label,
                "field_type": ftype,
                "field_rank": rank,
                "field_max": fmax,
                "field_options": options,
                "field_order": 1,
            }
            for label, ftype, rank, fmax, options in fields
        ],
    )


def seed_fixture_rows(conn: sa.Connection) -> None:
    """The pre-existing lead 1 and the DNC entries the fixture hits."""
    conn.execute(
        sa.insert(tables.vicidial_list).values(
            {k: v for k, v in EXISTING.items() if k not in ("lead_id", "called_count")}
            | {"lead_id": 1}
        )
    )
    conn.execute(
        sa.insert(tables.vicidial_dnc),
        [{"phone_number": "7275559001"}, {"phone_number": "813XXXXXXX"}],
    )
    conn.execute(
        sa.insert(tables.vicidial_campaign_dnc).values(
            phone_number="7275559002", campaign_id="TESTCAMP"
        )
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sa.Engine, Path, Any]]:
    """The fixture file loaded once per database with DUPLIST into list 101 (row columns override).

    Module-scoped (the `db_url` fixture's two databases, once each): every test below reads the
    same finished load.
    """
    tmp = tmp_path_factory.mktemp(f"pipeline-{request.param}")
    url = f"sqlite:///{tmp / 'vicidial.db'}" if request.param == "sqlite" else mariadb_url()
    engine = prepare(url)
    with engine.begin() as conn:
        create_custom_101(conn)
        seed_fixture_rows(conn)
    path = write_csv(tmp / "leads.csv", [{"source": "", **r} for r in ROWS])
    summary = load(
        engine, [path], settings(tmp, options={"duplicate_check": "DUPLIST"}, batch_rows=7)
    )
    yield engine, tmp, summary
    engine.dispose()
    if request.param == "mariadb":
        _mariadb.server().drop_database(url)


def test_summary_counts_every_row(loaded: tuple[sa.Engine, Path, Any]) -> None:
    _, _, summary = loaded
    assert (summary.read, summary.added, summary.rejected, summary.already_loaded) == (
        36,
        18,
        18,
        0,
    )
    assert summary.reconciles()
    assert dict(summary.reasons) == {
        code: list(REASONS.values()).count(code) for code in set(REASONS.values())
    }


def test_response_lines_exactly(loaded: tuple[sa.Engine, Path, Any]) -> None:
    _, tmp, _ = loaded
    got = results(tmp / "results.jsonl")
    assert [r["row"] for r in got] == list(range(1, 37))
    for r in got:
        assert r["response"] == EXPECTED_RESPONSES[r["row"]], r["row"]
        if r["row"] in REASONS:
            assert (r["status"], r["lead_id"], r["reject_reason"]) == (
                "rejected",
                None,
                REASONS[r["row"]],
            )
        else:
            assert (r["status"], r["lead_id"], r["reject_reason"]) == (
                "added",
                LEAD_OF_ROW[r["row"]],
                None,
            )


def test_vicidial_list_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    engine, _, _ = loaded
    got = table_rows(engine, tables.vicidial_list, order_by=["lead_id"])
    assert all(g.pop("modify_date") for g in got)  # the database's automatic stamp (schema.md 0.3)
    assert [g["lead_id"] for g in got] == [e["lead_id"] for e in EXPECTED_LEADS]
    for g, e in zip(got, EXPECTED_LEADS, strict=True):
        assert g == e, g["lead_id"]


def test_alt_phone_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    engine, _, _ = loaded
    assert (
        table_rows(engine, tables.vicidial_list_alt_phones, order_by=["alt_phone_id"])
        == EXPECTED_ALT_PHONES
    )


def test_hopper_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    engine, _, _ = loaded
    assert table_rows(engine, tables.vicidial_hopper, order_by=["hopper_id"]) == EXPECTED_HOPPER


def test_callback_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    engine, _, _ = loaded
    got = table_rows(
        engine, tables.vicidial_callbacks, order_by=["callback_id"], skip=("modify_date",)
    )
    assert got == EXPECTED_CALLBACKS


def test_custom_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    engine, _, _ = loaded
    assert table_rows(engine, "custom_101", order_by=["lead_id"]) == EXPECTED_CUSTOM


def test_rejects_file_keeps_input_rows(loaded: tuple[sa.Engine, Path, Any]) -> None:
    _, tmp, _ = loaded
    with (tmp / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert [int(r["source_row"]) for r in rejected] == sorted(REASONS)
    for r in rejected:
        row = int(r["source_row"])
        assert r["phone_number"] == ROWS[row - 1]["phone_number"]  # unchanged input
        assert r["reject_reason"] == REASONS[row]
        assert r["response"] == "\n".join(EXPECTED_RESPONSES[row])


def _user(user: str, **changes: str) -> dict[str, Any]:
    row = {
        "user": user,
        "pass": "x",
        "full_name": user,
        "user_level": 8,
        "user_group": "ADMIN",
        "active": "Y",
        "vdc_agent_api_access": "1",
        "modify_leads": "1",
        "api_allowed_functions": " ALL_FUNCTIONS ",
        "api_list_restrict": "0",
    }
    return row | changes


def test_user_checks_nanpa_lookup_state_and_custom_notices(db_url: str, tmp_path: Path) -> None:
    """Steps G7/A2/A3/A4 per user, A6/A7 NANPA with data, A8 lookup_state, A12 NANPA time zone,
    and the custom-field NOTICEs for a disabled feature and a table without definitions."""
    engine = prepare(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_users),
            [
                _user("nofunc", api_allowed_functions=" version add_leads "),
                _user("noadd", modify_leads="5"),
                _user("ghost", api_list_restrict="1", user_group="GHOST"),
                _user("narrow", api_list_restrict="1", user_group="NARROW"),
            ],
        )
        conn.execute(
            sa.insert(tables.vicidial_user_groups).values(
                user_group="NARROW", group_name="narrow", allowed_campaigns=" OTHERCMP -"
            )
        )
        conn.execute(
            sa.insert(tables.vicidial_nanpa_prefix_codes),
            [
                {"areacode": "727", "prefix": f"{p:03d}", "GMT_offset": "-6.00", "DST": "N"}
                for p in range(550, 560)
            ],
        )
        tables.custom_table(102, [sa.Column("color", mysql.VARCHAR(10))]).create(conn)
    rows = [
        {"phone_number": "7275551234", "nanpa_ac_prefix_check": "Y"},
        {"phone_number": "7279991234", "nanpa_ac_prefix_check": "Y"},
        {"phone_number": "7275551235", "tz_method": "NANPA"},
        {
            "phone_number": "7275551236",
            "tz_method": "NANPA",
            "usacan_prefix_check": "Y",
        },  # 5.2: NANPA tz off
        {"phone_number": "3125551000", "lookup_state": "Y"},
        {"phone_number": "3125551001", "list_id": "102", "custom_fields": "Y"},
    ]
    path = write_csv(tmp_path / "nanpa.csv", rows)
    summary = load(engine, [path], settings(tmp_path))
    assert (summary.added, summary.rejected) == (5, 1)
    assert [r["response"] for r in results(tmp_path / "results.jsonl")] == [
        [f"{SUCCESS}7275551234|101|1|-5.00|{U}"],
        [f"ERROR: add_lead INVALID PHONE NUMBER NANPA AREACODE PREFIX - 7279991234|{U}"],
        [f"{SUCCESS}7275551235|101|2|-6.00|{U}"],
        [f"{SUCCESS}7275551236|101|3|-5.00|{U}"],
        [f"{SUCCESS}3125551000|101|4|-6.00|{U}"],
        [
            f"{SUCCESS}3125551001|102|5|-6.00|{U}",
            "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO FIELDS DEFINED - 3125551001|5|102",
        ],
    ]
    leads = table_rows(engine, tables.vicidial_list, order_by=["lead_id"], skip=("modify_date",))
    assert [(r["gmt_offset_now"], r["state"], r["entry_list_id"]) for r in leads] == [
        ("-5.00", "", "0"),
        ("-6.00", "", "0"),
        ("-5.00", "", "0"),
        ("-6.00", "IL", "0"),
        ("-6.00", "", "0"),
    ]

    with engine.begin() as conn:
        conn.execute(sa.update(tables.system_settings).values(custom_fields_enabled="0"))
    path = write_csv(
        tmp_path / "disabled.csv", [{"phone_number": "7275552001", "custom_fields": "Y"}]
    )
    load(engine, [path], settings(tmp_path))
    assert results(tmp_path / "results.jsonl")[0]["response"] == [
        f"{SUCCESS}7275552001|101|6|-5.00|{U}",
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, CUSTOM FIELDS DISABLED - 7275552001|6|Y|0",
    ]

    expected = {
        "nofunc": (
            "NO_FUNCTION_PERMISSION",
            "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |nofunc|add_lead|",
        ),
        "noadd": (
            "NO_ADD_PERMISSION",
            "ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM: |noadd|0|",
        ),
        "ghost": ("USER_GROUP_MISSING", "ERROR: user_group DOES NOT EXIST: |ghost|GHOST|"),
        "narrow": ("LIST_NOT_ALLOWED", "ERROR: add_lead NOT AN ALLOWED LIST ID - 7275553001|101"),
    }
    path = write_csv(tmp_path / "user.csv", [{"phone_number": "7275553001"}])
    for user, (code, line) in expected.items():
        summary = load(engine, [path], settings(tmp_path, user=user))
        assert (summary.added, dict(summary.reasons)) == (0, {code: 1}), user
        assert results(tmp_path / "results.jsonl")[0]["response"] == [line]
    engine.dispose()


LOOKUP_TABLES = ("vicidial_dnc", "vicidial_campaign_dnc", "vicidial_postal_codes", "vicidial_nanpa_prefix_codes")


@pytest.mark.parametrize(
    ("options", "asked"),
    [
        ({}, set()),
        ({"dnc_check": "Y"}, {"vicidial_dnc"}),
        ({"campaign_dnc_check": "AREACODE"}, {"vicidial_campaign_dnc"}),
        ({"tz_method": "POSTAL"}, {"vicidial_postal_codes"}),
        ({"nanpa_ac_prefix_check": "Y"}, {"vicidial_nanpa_prefix_codes"}),
        ({"tz_method": "nanpa"}, {"vicidial_nanpa_prefix_codes"}),
    ],
)
def test_lookup_tables_read_only_when_an_option_uses_them(
    tmp_path: Path, options: dict[str, str], asked: set[str]
) -> None:
    """A look-up table is queried only for batches with rows whose options read it."""
    engine = prepare(f"sqlite:///{tmp_path / 'vicidial.db'}")
    with engine.begin() as conn:  # NANPA data counts as loaded from 10 rows on
        conn.execute(sa.insert(tables.vicidial_nanpa_prefix_codes), [
            {"areacode": "727", "prefix": f"{550 + i}", "GMT_offset": "-5.00", "DST": "Y"} for i in range(10)
        ])
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    rows = [{"phone_number": f"72755500{i:02d}", "postal_code": "33701"} for i in range(5)]
    load(engine, [write_csv(tmp_path / "leads.csv", rows)], settings(tmp_path, options=options))
    rows_read = [s for s in sent if "count(" not in s.lower()]  # the NANPA table's size is read once
    read = {name for name in LOOKUP_TABLES if any(f"FROM {name}" in s for s in rows_read)}
    assert read == asked
    engine.dispose()


def test_remembered_own_leads_are_merged_and_trimmed(tmp_path: Path) -> None:
    """The leads a run remembers for the read-ahead duplicate check stay bounded: contiguous
    ranges merge, and whatever a prefetch's horizon covers is dropped."""
    from ingest.clock import Clock
    from ingest.runner import LoadSettings, _Loader
    from sinks.candidates import CANDIDATE_SCHEMA

    engine = prepare(f"sqlite:///{tmp_path / 'vicidial.db'}")
    loader = _Loader(engine, LoadSettings(user="6666"), Clock(fixed=NOW), on_rows=lambda *_: None)

    def rows(first: int, last: int) -> Any:
        import polars as pl

        return pl.DataFrame({"lead_id": list(range(first, last + 1))}).with_columns(
            *(pl.lit(None, dtype).alias(name) for name, dtype in CANDIDATE_SCHEMA.items() if name != "lead_id")
        )

    loader._remember_own(1, rows(1, 3))
    loader._remember_own(4, rows(4, 6))
    loader._remember_own(10, rows(10, 11))
    assert [(a, b, r["lead_id"].to_list()) for a, b, r in loader._own] == [
        (1, 6, [1, 2, 3, 4, 5, 6]), (10, 11, [10, 11])
    ]
    loader._forget_own(4)
    assert [(a, b, r["lead_id"].to_list()) for a, b, r in loader._own] == [(5, 6, [5, 6]), (10, 11, [10, 11])]
    loader._forget_own(11)
    assert not loader._own
    engine.dispose()


def test_text_with_load_data_escapes_lands_as_sent(db_url: str, tmp_path: Path) -> None:
    """Backslashes, tabs and line ends in the fields add_lead lets through (comments, vendor
    code) land byte for byte: on MariaDB the lead rows are escaped for `LOAD DATA` before the
    lock, while the duplicate check across batches still compares the stored values."""
    engine = prepare(db_url)
    odd = ["C:\\temp\\new", "tab\there", "two\nlines", "nul\\0", "end\\", "\\N"]
    rows = [{"phone_number": phone(i), "first_name": f"Lead{i}", "comments": text,
             "vendor_lead_code": text.replace("\n", " ")} for i, text in enumerate(odd, start=1)]
    rows.append({"phone_number": phone(2), "first_name": "Again", "comments": "dup"})  # batch 3: row 2 again
    path = write_csv(tmp_path / "odd.csv", rows)
    summary = load(engine, [path], settings(tmp_path, options={"duplicate_check": "DUPLIST"}, batch_rows=3))
    assert (summary.added, summary.rejected) == (6, 1)
    assert results(tmp_path / "results.jsonl")[-1]["reject_reason"] == "DUPLICATE_PHONE_LIST"
    with engine.connect() as conn:
        t = tables.vicidial_list
        stored = conn.execute(sa.select(t.c.comments, t.c.vendor_lead_code).order_by(t.c.lead_id)).all()
    assert [tuple(r) for r in stored] == [(text, text.replace("\n", " ")) for text in odd]
    engine.dispose()
