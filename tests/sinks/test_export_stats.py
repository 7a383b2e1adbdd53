"""call_status_stats and call_dispo_report (spec 7 and 8), from counted call logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.exports import export_text
from tests.sinks._export_data import (
    API_USER,
    CAMPAIGN_STATUSES,
    STATUSES,
    add_agents,
    add_did_calls,
    add_inbound,
    add_outbound,
    add_status_tables,
    add_user,
    seeded_engine,
)


def _seed(conn: sa.Connection) -> None:
    add_agents(conn)
    add_user(conn, "5555", user_level=8)
    add_status_tables(conn)
    conn.execute(
        sa.insert(STATUSES),
        [
            {"status": "SALE", "human_answered": "Y", "category": "CONTACT"},
            {"status": "DROP", "human_answered": "Y", "category": "UNDEFINED"},
            {"status": "NA", "human_answered": "N", "category": "NOCONTACT"},
        ],
    )
    conn.execute(
        sa.insert(CAMPAIGN_STATUSES),
        [
            {
                "status": "NI",
                "campaign_id": "TESTCAMP",
                "human_answered": "Y",
                "category": "CONTACT",
            },
        ],
    )
    conn.execute(
        sa.insert(tables.vicidial_campaigns),
        [
            {"campaign_id": "TESTCAMP", "campaign_name": "Test"},
            {"campaign_id": "OTHERCMP", "campaign_name": "Other"},
        ],
    )
    conn.execute(
        sa.text(
            "UPDATE vicidial_campaigns SET closer_campaigns = ' SALESLINE AGENTDIRECT -' "
            "WHERE campaign_id = 'TESTCAMP'"
        )
    )
    # spec 7.4 (2017-11-24)
    add_outbound(
        conn,
        [
            ("TESTCAMP", "NA", "2017-11-24 09:15:00", 3),
            ("TESTCAMP", "SALE", "2017-11-24 10:01:00", 2),
            ("TESTCAMP", "SALE", "2017-11-24 14:59:59", 1),
            ("GONECAMP", "NI", "2017-11-24 08:00:00", 1),
            ("TESTCAMP", "SALE", "2017-11-25 00:00:00", 4),
        ],
        prefix="css",
    )
    add_inbound(
        conn,
        [
            ("SALESLINE", "DROP", "2017-11-24 11:00:00", 1),
            ("SALESLINE", "SALE", "2017-11-24 11:30:00", 2),
        ],
    )
    # spec 8.4 (2018-02-05 .. 2018-02-07)
    add_outbound(
        conn,
        [
            ("OTHERCMP", "SALE", "2018-02-05 10:00:00", 2),
            ("TESTCAMP", "NA", "2018-02-06 10:00:00", 1),
            ("TESTCAMP", "SALE", "2018-02-07 10:00:00", 3),
        ],
        prefix="cdr",
    )
    add_inbound(
        conn,
        [
            ("TEST_IN", "DROP", "2018-02-05 12:00:00", 1),
            ("TEST_IN", "SALE", "2018-02-06 12:00:00", 3),
        ],
    )
    add_did_calls(conn)  # 2010-12-03


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One database with counted outbound, inbound and DID calls, shared read-only."""
    with seeded_engine(request.param, tmp_path_factory.mktemp("stats"), _seed) as engine:
        yield engine


def run(
    engine: sa.Engine,
    name: str,
    user: str = API_USER,
    now: dt.datetime | None = None,
    **params: str,
) -> str:
    return export_text(engine, name, params, user=user, now=now)


def hours(**counts: int) -> str:
    return ",".join(f"{h:02d}-{counts.get(f'h{h:02d}', 0)}" for h in range(24))


def test_call_status_stats_worked_example(seeded: sa.Engine) -> None:
    assert run(seeded, "call_status_stats", campaigns="TESTCAMP", query_date="2017-11-24") == (
        f"TESTCAMP|6|3|{hours(h09=3, h10=2, h14=1)}|NA-3,SALE-3|\n"
        f"AGENTDIRECT|0|0|{hours()}||\n"
        f"SALESLINE|3|3|{hours(h11=3)}|DROP-1,SALE-2|\n"
    )


def test_call_status_stats_defaults_to_today_and_lists_requested_campaigns(
    seeded: sa.Engine,
) -> None:
    text = run(
        seeded,
        "call_status_stats",
        now=dt.datetime(2017, 11, 25, 8, 0),
        campaigns="TESTCAMP-NOCAMP",
        ingroups="SALESLINE",
        statuses="SALE",
    )
    assert text == (
        f"NOCAMP|0|0|{hours()}||\nTESTCAMP|4|4|{hours(h00=4)}|SALE-4|\nSALESLINE|0|0|{hours()}||\n"
    )


def test_call_status_stats_all_campaigns_appends_unknown_ones(seeded: sa.Engine) -> None:
    text = run(
        seeded,
        "call_status_stats",
        campaigns="ALLCAMPAIGNS",
        query_date="2017-11-24",
        ingroups="NONE",
    )
    assert text == (
        f"OTHERCMP|0|0|{hours()}||\n"
        f"TESTCAMP|6|3|{hours(h09=3, h10=2, h14=1)}|NA-3,SALE-3|\n"
        f"GONECAMP|1|1|{hours(h08=1)}|NI-1|\n"
        f"NONE|0|0|{hours()}||\n"
    )


def test_call_status_stats_errors(seeded: sa.Engine) -> None:
    assert run(seeded, "call_status_stats", campaigns="T", source="cron") == (
        "ERROR: call_status_stats INVALID OR MISSING CAMPAIGNS - cron\n"
        "ERROR: Invalid Source: |cron|\n"
    )
    assert run(seeded, "call_status_stats", user="5555", campaigns="TESTCAMP", source="x") == (
        "ERROR: call_status_stats USER DOES NOT HAVE PERMISSION TO VIEW STATS: |5555|0|\n"
    )


DISPO = {
    "campaigns": "TESTCAMP",
    "ingroups": "TEST_IN",
    "query_date": "2018-02-05",
    "end_date": "2018-02-07",
}


def test_call_dispo_report_worked_example_mislabels_columns(seeded: sa.Engine) -> None:
    text = run(seeded, "call_dispo_report", status_breakdown="1", show_percentages="1", **DISPO)
    assert text == (
        "CAMPAIGN,TOTAL CALLS,NA,SALE,DROP\n"
        "TESTCAMP,4,0 (0.0%),1 (25.0%),3 (75.0%)\n"
        "TEST_IN,4,1 (25.0%),0 (0.0%),3 (75.0%)\n"
        "TOTAL,8,1 (12.5%),1 (12.5%),6 (75.0%)"
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "CAMPAIGN,TOTAL CALLS\nTESTCAMP,4\nTEST_IN,4\nTOTAL,8"),
        (
            {"status_breakdown": "Y"},
            "CAMPAIGN,TOTAL CALLS,NA,SALE,DROP\nTESTCAMP,4,0,1,3\nTEST_IN,4,1,0,3\nTOTAL,8,1,1,6",
        ),
        ({"show_percentages": "1"}, "CAMPAIGN,TOTAL CALLS\nTESTCAMP,4\nTEST_IN,4\nTOTAL,8"),
        (
            {"campaigns": "ALLCAMPAIGNS", "ingroups": ""},
            "CAMPAIGN,TOTAL CALLS\nOTHERCMP,2\nTESTCAMP,4\nTOTAL,6",
        ),
        (
            {"statuses": "", "categories": "CONTACT"},
            "CAMPAIGN,TOTAL CALLS\nTESTCAMP,3\nTEST_IN,3\nTOTAL,6",
        ),
        ({"users": "nobody"}, "CAMPAIGN,TOTAL CALLS\nTOTAL,0"),
        ({"query_date": "2019-01-01", "end_date": ""}, "CAMPAIGN,TOTAL CALLS\nTOTAL,0"),
    ],
    ids=[
        "totals",
        "breakdown",
        "percentages-need-breakdown",
        "all-campaigns",
        "categories",
        "users",
        "no-rows",
    ],
)
def test_call_dispo_report_options(
    seeded: sa.Engine, params: dict[str, str], expected: str
) -> None:
    assert run(seeded, "call_dispo_report", **{**DISPO, **params}) == expected


def test_call_dispo_report_did_block_labels_by_extension(seeded: sa.Engine) -> None:
    text = run(
        seeded, "call_dispo_report", did_ids="7,8", query_date="2010-12-03", status_breakdown="1"
    )
    assert text == (
        "CAMPAIGN,TOTAL CALLS,DROP,SALE,NI\n3125551212,2,1,0,1\n3125559999,1,0,1,0\nTOTAL,3,1,1,1"
    )


def test_call_dispo_report_errors(seeded: sa.Engine) -> None:
    assert run(seeded, "call_dispo_report", campaigns="T") == (
        "ERROR: call_dispo_report INVALID OR MISSING CAMPAIGNS, INGROUPS, OR DIDS - leadpipe\n"
        "ERROR: Invalid Source: |leadpipe|\n"
    )
    assert run(seeded, "call_dispo_report", user="5555", **DISPO) == (
        "ERROR: call_status_stats USER DOES NOT HAVE PERMISSION TO VIEW STATS: |5555|0|\n"
    )
