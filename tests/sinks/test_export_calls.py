"""recording_lookup, did_log_export, phone_number_log, lead_callback_info (spec 3, 4, 6, 10)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sinks import export_format, tables
from sinks.exports import export_text
from tests.sinks._export_data import API_USER, add_agents, add_did_calls, add_user, seeded_engine


def _recordings(conn: sa.Connection) -> None:
    # spec 3.4, first example: a call whose uniqueid prefix is in vicidial_log, two closer rows
    conn.execute(
        sa.insert(tables.vicidial_log).values(
            uniqueid="1291395601.55555",
            lead_id=876409,
            call_date="2010-12-03 12:00:00",
            phone_number="7275551212",
            status="SALE",
            user="1000",
            campaign_id="TESTCAMP",
        )
    )
    for closecallid in (5001, 5002):
        conn.execute(
            sa.insert(tables.vicidial_closer_log).values(
                closecallid=closecallid,
                lead_id=876409,
                uniqueid="1291395601.12345",
                call_date="2010-12-03 12:04:00",
                campaign_id="SALESLINE",
                status="SALE",
            )
        )
    rec = tables.recording_log
    conn.execute(
        sa.insert(rec),
        [
            {
                "recording_id": 534820,
                "start_time": "2010-12-03 12:00:01",
                "user": "1000",
                "lead_id": 876409,
                "location": "http://server/rec/a.wav",
                "vicidial_id": "1291395601.12345",
                "extension": "8300",
                "length_in_sec": 63,
                "start_epoch": 1291395601,
                "end_epoch": 1291395664,
            },
            {
                "recording_id": 534821,
                "start_time": "2010-12-03 12:05:00",
                "user": "1000",
                "lead_id": None,
                "location": "",
                "vicidial_id": "5001",
                "extension": "8300",
                "length_in_sec": None,
                "start_epoch": 1291395900,
                "end_epoch": 1291395940,
            },
            {
                "recording_id": 534822,
                "start_time": "2010-12-03 12:09:00",
                "user": "1000",
                "lead_id": None,
                "location": "x",
                "vicidial_id": "77",
                "extension": "8301",
                "length_in_sec": None,
                "start_epoch": 1291396140,
                "end_epoch": None,
            },
        ],
    )


def _phone_log(conn: sa.Connection) -> None:
    # spec 6.4: lead 823602 exists (TD, mail098), lead 900 does not
    conn.execute(
        sa.insert(tables.vicidial_list).values(
            lead_id=823602,
            list_id=82106,
            phone_number="9998887112",
            status="TD",
            source_id="mail098",
        )
    )
    conn.execute(
        sa.insert(tables.vicidial_log),
        [
            {
                "uniqueid": "1483711861.1",
                "lead_id": 823602,
                "list_id": 82106,
                "call_date": "2017-01-06 08:11:01",
                "length_in_sec": 25,
                "status": "SALE",
                "phone_number": "9998887112",
                "user": "6666",
                "term_reason": "AGENT",
            },
            {
                "uniqueid": "1483628400.2",
                "lead_id": 823602,
                "list_id": 82106,
                "call_date": "2017-01-05 10:00:00",
                "length_in_sec": 0,
                "status": "NA",
                "phone_number": "9998887112",
                "user": "VDAD",
                "term_reason": "NONE",
            },
        ],
    )
    conn.execute(
        sa.insert(tables.vicidial_closer_log),
        [
            {
                "lead_id": 823602,
                "list_id": 82106,
                "call_date": "2017-01-07 09:00:00",
                "length_in_sec": 60,
                "status": "CALLBK",
                "phone_number": "9998887112",
                "user": "6667",
                "term_reason": "CALLER",
                "uniqueid": "1483779600.3",
            },
            {
                "lead_id": 900,
                "list_id": 999,
                "call_date": "2017-01-07 11:00:00",
                "length_in_sec": 12,
                "status": "DROP",
                "phone_number": "3125551212",
                "user": "VDCL",
                "term_reason": "ABANDON",
                "uniqueid": "1483786800.4",
            },
        ],
    )


def _callbacks(conn: sa.Connection) -> None:
    # spec 10.3: one archived and one current callback of lead 846446
    common = {
        "lead_id": 846446,
        "user": "6666",
        "list_id": 107,
        "campaign_id": "TESTCAMP",
        "user_group": "ADMIN",
    }
    conn.execute(
        sa.insert(tables.vicidial_callbacks_archive).values(
            callback_id=10,
            recipient="USERONLY",
            status="INACTIVE",
            lead_status="CBTEST",
            callback_time="2018-09-01 15:00:00",
            entry_time="2018-08-27 01:06:45",
            customer_timezone="AUS-ACST-N,Northern Territory Time Zone",
            customer_time="2018-08-27 00:00:00",
            comments=None,
            **common,
        )
    )
    conn.execute(
        sa.insert(tables.vicidial_callbacks).values(
            callback_id=20,
            recipient="ANYONE",
            status="ACTIVE",
            lead_status="CBLEAD",
            callback_time="2018-12-17 10:00:00",
            entry_time="2018-12-14 16:50:56",
            customer_timezone="",
            customer_time=None,
            comments="try back",
            **common,
        )
    )
    conn.execute(
        sa.insert(tables.vicidial_lists).values(
            list_id=107, list_name="L107", campaign_id="TESTCAMP"
        )
    )
    conn.execute(
        sa.insert(tables.vicidial_user_groups).values(
            user_group="RESTRICT", group_name="restricted", allowed_campaigns=" OTHERCMP -"
        )
    )
    add_user(conn, "7100", api_list_restrict="1", user_group="RESTRICT")


def _seed(conn: sa.Connection) -> None:
    add_agents(conn)
    add_user(conn, "5555", user_level=7, vdc_agent_api_access="0")
    add_did_calls(conn)
    _recordings(conn)
    _phone_log(conn)
    _callbacks(conn)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One database with recordings, DID calls, call logs and callbacks, shared read-only."""
    with seeded_engine(request.param, tmp_path_factory.mktemp("calls"), _seed) as engine:
        yield engine


def run(engine: sa.Engine, name: str, user: str = API_USER, **params: str) -> str:
    return export_text(engine, name, params, user=user)


# --- recording_lookup -------------------------------------------------------------------------


def test_recording_lookup_by_uniqueid_agent_and_date_tab_header(seeded: sa.Engine) -> None:
    text = run(
        seeded,
        "recording_lookup",
        agent_user="1000",
        date="2010-12-03",
        uniqueid="1291395601.12345",
        stage="tab",
        header="YES",
    )
    assert text == (
        "start_time\tuser\trecording_id\tlead_id\tlocation\n"
        "2010-12-03 12:00:01\t1000\t534820\t876409\thttp://server/rec/a.wav\n"
        "2010-12-03 12:05:00\t1000\t534821\t\t\n"
    )


def test_recording_duration_adds_a_sixth_value_but_no_header_name(seeded: sa.Engine) -> None:
    text = run(
        seeded,
        "recording_lookup",
        agent_user="1000",
        date="2010-12-03",
        stage="pipe",
        header="YES",
        duration="Y",
    )
    assert text == (
        "start_time|user|recording_id|lead_id|location\n"
        "2010-12-03 12:00:01|1000|534820|876409|63|http://server/rec/a.wav\n"
        "2010-12-03 12:05:00|1000|534821||40|\n"
        "2010-12-03 12:09:00|1000|534822||0|x\n"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"agent_user": "1000"},
            "ERROR: recording_lookup INVALID SEARCH PARAMETERS: 6666|1000|||\n",
        ),
        (
            {"agent_user": "10", "date": "2010-12-03"},
            "ERROR: recording_lookup INVALID SEARCH PARAMETERS: 6666|10||2010-12-03|\n",
        ),
        (
            {"uniqueid": "9999999999.1"},
            "ERROR: recording_lookup INVALID SEARCH PARAMETERS: 6666||||9999999999.1\n",
        ),
        ({"lead_id": "876400"}, "ERROR: recording_lookup NO RECORDINGS FOUND - 6666||876400||\n"),
        (
            {"extension": "8301", "date": "2010-12-03", "stage": "csv"},
            "2010-12-03 12:09:00,1000,534822,,x\n",
        ),
        ({"lead_id": "876409"}, "2010-12-03 12:00:01|1000|534820|876409|http://server/rec/a.wav\n"),
    ],
    ids=[
        "agent-alone",
        "two-char-agent",
        "uniqueid-not-found",
        "no-recordings",
        "extension-date",
        "lead",
    ],
)
def test_recording_lookup_readiness_points(
    seeded: sa.Engine, params: dict[str, str], expected: str
) -> None:
    assert run(seeded, "recording_lookup", **params) == expected


def test_recording_lookup_respects_the_result_limit(
    seeded: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_format, "RESULT_LIMIT", 2)
    text = run(seeded, "recording_lookup", agent_user="1000", date="2010-12-03")
    assert text.count("\n") == 2


# --- did_log_export ---------------------------------------------------------------------------


def test_did_log_export_swaps_caller_id_and_call_date(seeded: sa.Engine) -> None:
    text = run(
        seeded,
        "did_log_export",
        phone_number="3125551212",
        date="2010-12-03",
        stage="csv",
        header="YES",
    )
    assert text == (
        "did_number,call_date,caller_id_number,length_in_sec\n"
        "3125551212,7275551212,2010-12-03 12:00:01,105\n"
        "3125551212,,2010-12-03 12:01:40,0\n"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"date": "2010-12-03"},
            "ERROR: did_log_export INVALID SEARCH PARAMETERS: 6666||2010-12-03\n",
        ),
        (
            {"phone_number": "3125551212", "date": "2010-12-3"},
            "ERROR: did_log_export INVALID SEARCH PARAMETERS: 6666|3125551212|2010-12-3\n",
        ),
        (
            {"phone_number": "3125551212", "date": "2010-12-04", "agent_user": "1000"},
            "ERROR: did_log_export NO RECORDS FOUND - 6666|1000||2010-12-04\n",
        ),
    ],
    ids=["no-number", "short-date", "empty-day"],
)
def test_did_log_export_errors(seeded: sa.Engine, params: dict[str, str], expected: str) -> None:
    assert run(seeded, "did_log_export", **params) == expected


def test_did_log_export_result_limit(seeded: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_format, "RESULT_LIMIT", 1)
    assert run(seeded, "did_log_export", phone_number="3125551212", date="2010-12-03") == (
        "3125551212|7275551212|2010-12-03 12:00:01|105\n"
    )


def test_did_log_export_permission(seeded: sa.Engine) -> None:
    assert run(
        seeded, "did_log_export", user="5555", phone_number="3125551212", date="2010-12-03"
    ) == ("ERROR: did_log_export USER DOES NOT HAVE PERMISSION TO GET DID INFO: |5555|0|\n")


# --- phone_number_log -------------------------------------------------------------------------


def test_phone_number_log_outbound_then_inbound_per_number(seeded: sa.Engine) -> None:
    text = run(
        seeded,
        "phone_number_log",
        phone_number="9998887112,312,3125551212",
        type="ALL",
        header="YES",
    )
    assert text == (
        "phone_number|call_date|list_id|length_in_sec|lead_status|hangup_reason|call_status|source_id|user\n"
        "9998887112|2017-01-06 08:11:01|82106|25|TD|AGENT|SALE|mail098|6666\n"
        "9998887112|2017-01-05 10:00:00|82106|0|TD|NONE|NA|mail098|VDAD\n"
        "9998887112|2017-01-07 09:00:00|82106|60|TD|CALLER|CALLBK|mail098|6667\n"
        "3125551212|2017-01-07 11:00:00|999|12||ABANDON|DROP||VDCL\n"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"phone_number": "9998887112", "type": "in", "detail": "LAST", "stage": "csv"},
            "9998887112,2017-01-06 08:11:01,82106,25,TD,AGENT,SALE,mail098,6666\n",
        ),
        (
            {"phone_number": "9998887112", "type": "ALL", "detail": "LAST"},
            "9998887112|2017-01-06 08:11:01|82106|25|TD|AGENT|SALE|mail098|6666\n"
            "9998887112|2017-01-07 09:00:00|82106|60|TD|CALLER|CALLBK|mail098|6667\n",
        ),
        (
            {"phone_number": "312,45", "date": "2017-01-06"},
            "ERROR: phone_number_log NO VALID PHONE NUMBERS DEFINED: 6666|312,45|2017-01-06\n",
        ),
        (
            {"phone_number": "5550001111"},
            "NOTICE: phone_number_log NO RECORDS FOUND FOR THIS PHONE NUMBER - 6666|5550001111||\n",
        ),
        (
            {"phone_number": "3125551212", "type": "IN", "archived_lead": "Y"},
            "3125551212|2017-01-07 11:00:00|999|12||ABANDON|DROP||VDCL\n",
        ),
    ],
    ids=["lowercase-type-is-out", "last-per-table", "too-short", "notice", "archive-missing"],
)
def test_phone_number_log_options(seeded: sa.Engine, params: dict[str, str], expected: str) -> None:
    assert run(seeded, "phone_number_log", **params) == expected


# --- lead_callback_info -----------------------------------------------------------------------

CALLBACK_HEADER = (
    "lead_id|callback_type|recipient|callback_status|lead_status|callback_date|entry_date|"
    "user|list_id|campaign_id|user_group|customer_timezone|customer_time|comments\n"
)
ARCHIVED = (
    "846446|ARCHIVE|USERONLY|INACTIVE|CBTEST|2018-09-01 15:00:00|2018-08-27 01:06:45|6666|107|"
    "TESTCAMP|ADMIN|AUS-ACST-N-Northern Territory Time Zone|2018-08-27 00:00:00|\n"
)
CURRENT = (
    "846446|CURRENT|ANYONE|ACTIVE|CBLEAD|2018-12-17 10:00:00|2018-12-14 16:50:56|6666|107|"
    "TESTCAMP|ADMIN|||try back\n"
)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search_location": "ALL", "header": "YES"}, CALLBACK_HEADER + ARCHIVED + CURRENT),
        ({}, CURRENT),
        ({"search_location": "ARCHIVE", "stage": "csv"}, ARCHIVED.replace("|", ",")),
        ({"stage": "newline"}, CURRENT.replace("|", "\n")),
        ({"header": "Y"}, "ERROR: lead_callback_info CALLBACK NOT FOUND: 6666|846446|pipe|\n"),
        (
            {"search_location": "OTHER", "stage": "xyz"},
            "ERROR: lead_callback_info CALLBACK NOT FOUND: 6666|846446|pipe|OTHER\n",
        ),
    ],
    ids=[
        "all-with-header",
        "current",
        "archive-csv",
        "newline",
        "header-Y-never",
        "unknown-location",
    ],
)
def test_lead_callback_info(seeded: sa.Engine, params: dict[str, str], expected: str) -> None:
    assert run(seeded, "lead_callback_info", lead_id="846446", **params) == expected


def test_lead_callback_info_errors(seeded: sa.Engine) -> None:
    assert run(seeded, "lead_callback_info", lead_id="") == (
        "ERROR: lead_callback_info INVALID SEARCH PARAMETERS: 6666|\n"
    )
    assert run(seeded, "lead_callback_info", lead_id="1", header="YES", stage="csv") == (
        "ERROR: lead_callback_info CALLBACK NOT FOUND: 6666|1|csv|\n"
    )
    assert run(seeded, "lead_callback_info", user="7100", lead_id="846446") == (
        "ERROR: lead_callback_info LEAD NOT FOUND: |7100|1|\n"
    )
