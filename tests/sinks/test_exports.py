"""agent_stats_export byte for byte (spec 5), and the access checks every export shares (spec 1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sinks import export_agents
from sinks.exports import EXPORTS, export_text, is_refusal
from tests.sinks._export_data import (
    AGENT_ROWS,
    API_USER,
    add_agent_log,
    add_agents,
    add_user,
    seeded_engine,
)

WINDOW = {"datetime_start": "2012-03-26 00:00:00", "datetime_end": "2012-03-26 23:59:59"}
HEADER20 = (
    "user|full_name|user_group|calls|login_time|total_talk_time|avg_talk_time|avg_wait_time|"
    "pct_of_queue|pause_time|sessions|avg_session|pauses|avg_pause_time|pause_pct|"
    "pauses_per_session|wait_time|talk_time|dispo_time|dead_time"
)

# spec 5.7: the two agents' fields per time format (H and HF are identical; X = unknown format)
FIELDS = {
    "HF": [
        "1001|Jane Doe|AGENTS|2|0:15:25|0:03:40|0:00:00|0:00:18|66.7%|635|1|0:15:25|4|0:02:39|68.6%|4|0:00:35|0:03:55|0:00:20|0:00:15",  # noqa: E501
        "2002|Bob Roe|AGENTS|1|0:06:39|0:04:30|0:00:00|0:01:05|33.3%|14|1|0:06:39|2|0:00:07|3.5%|2|0:01:05|0:05:00|0:00:20|0:00:30",  # noqa: E501
    ],
    "S": [
        "1001|Jane Doe|AGENTS|2|925|220|0|18|66.7%|635|1|925|4|159|68.6%|4|35|235|20|15",
        "2002|Bob Roe|AGENTS|1|399|270|220|65|33.3%|14|1|399|2|7|3.5%|2|65|300|20|30",
    ],
    "M": [
        "1001|Jane Doe|AGENTS|2|15:25|3:40|0:00|0:18|66.7%|635|1|15:25|4|2:39|68.6%|4|0:35|3:55|0:20|0:15",  # noqa: E501
        "2002|Bob Roe|AGENTS|1|6:39|4:30|0:03|1:05|33.3%|14|1|6:39|2|0:07|3.5%|2|1:05|5:00|0:20|0:30",  # noqa: E501
    ],
    "X": [
        "1001|Jane Doe|AGENTS|2|925|220|0:00|18|66.7%|635|1|925|4|159|68.6%|4|35|235|20|15",
        "2002|Bob Roe|AGENTS|1|399|270|220|65|33.3%|14|1|399|2|7|3.5%|2|65|300|20|30",
    ],
}
FIELDS["H"] = FIELDS[""] = FIELDS["HF"]
DELIMS = {"pipe": "|", "csv": ",", "tab": "\t"}

SCENARIOS = {  # one day each, so the read-only database serves every case
    "2012-04-01": [("3003", None, None, None, 0, 0, 0, 0, 1332770400)],
    "2012-04-02": [
        ("4004", 9, "LOGIN", 30000, 30000, 30000, 0, 0, 1332770400),
        ("4004", 9, "", 1, 1, 3, 0, 0, 1332870400),
        ("7007", 5, "LOGIN", 0, 0, 10, 0, 30, 1000),
    ],
    "2012-04-03": [
        ("5005", 0, "LOGIN", 100, 0, 0, 10, 0, 1000000000),
        ("5005", 700, "", 0, 50, 200, 30, 0, 1000000100),
    ],
    "2012-04-04": [
        ("abc", 7, "LOGIN", 10, 5, 20, 3, 0, 1000),
        ("ABC", 8, "", 0, 5, 30, 2, 0, 1100),
        ("Abd", 9, "LOGIN", 1, 1, 1, 1, 0, 1200),
    ],
}


def day(date: str) -> dict[str, str]:
    return {"datetime_start": f"{date} 00:00:00", "datetime_end": f"{date} 23:59:59"}


def _seed(conn: sa.Connection) -> None:
    add_agents(conn)
    add_user(conn, "7777", api_allowed_functions=" recording_lookup ")
    add_user(conn, "8888", view_reports="0")
    add_user(conn, "5555", user_level=7, vdc_agent_api_access="0")
    add_agent_log(conn, AGENT_ROWS)
    for date, rows in SCENARIOS.items():
        add_agent_log(conn, rows, event_time=f"{date} 09:30:00")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One database with the spec's agent sessions, shared by the read-only tests of this module."""
    with seeded_engine(request.param, tmp_path_factory.mktemp("agents"), _seed) as engine:
        yield engine


def stats(engine: sa.Engine, user: str = API_USER, **params: str) -> str:
    return export_text(engine, "agent_stats_export", {**WINDOW, **params}, user=user)


@pytest.mark.parametrize("time_format", ["", "H", "HF", "M", "S", "X"])
@pytest.mark.parametrize("header", ["YES", "NO"])
@pytest.mark.parametrize("stage", ["pipe", "csv", "tab"])
def test_worked_example_for_every_stage_header_and_time_format(
    seeded: sa.Engine, stage: str, header: str, time_format: str
) -> None:
    lines = ([HEADER20] if header == "YES" else []) + FIELDS[time_format]
    expected = "".join(line.replace("|", DELIMS[stage]) + "\n" for line in lines)
    assert stats(seeded, stage=stage, header=header, time_format=time_format) == expected


def test_header_is_case_sensitive_and_unknown_stage_is_pipe(seeded: sa.Engine) -> None:
    assert stats(seeded, stage="CSV", header="yes") == "".join(f"{line}\n" for line in FIELDS["HF"])


def test_group_by_campaign_prepends_campaign_id(seeded: sa.Engine) -> None:
    expected = f"campaign_id|{HEADER20}\n" + "".join(f"TESTCAMP|{line}\n" for line in FIELDS["HF"])
    assert stats(seeded, stage="pipe", header="YES", group_by_campaign="YES") == expected


def test_agent_filter_makes_pct_of_queue_100(seeded: sa.Engine) -> None:
    expected = "2002,Bob Roe,AGENTS,1,399,270,0,65,100%,14,1,399,2,7,3.5%,2,65,300,20,30\n"
    assert stats(seeded, stage="csv", time_format="S", agent_user="2002") == expected


def test_plus_signs_in_datetimes_become_spaces(seeded: sa.Engine) -> None:
    text = stats(seeded, datetime_start="2012-03-26+00:00:00", datetime_end="2012-03-26+23:59:59")
    assert text == "".join(f"{line}\n" for line in FIELDS["HF"])


def test_empty_range_prints_no_records_found(seeded: sa.Engine) -> None:
    text = stats(
        seeded,
        datetime_start="2012-03-30+00:00:00",
        datetime_end="2012-03-30 23:59:59",
        agent_user="5005",
    )
    assert text == (
        "ERROR: agent_stats_export NO RECORDS FOUND - "
        "6666|5005|2012-03-30 00:00:00|2012-03-30 23:59:59|\n"
    )


def test_unknown_campaign_prints_no_records_found(seeded: sa.Engine) -> None:
    text = stats(seeded, campaign_id="NOPE")
    assert text == (
        "ERROR: agent_stats_export NO RECORDS FOUND - "
        "6666||2012-03-26 00:00:00|2012-03-26 23:59:59|NOPE\n"
    )


def test_short_datetime_is_invalid_even_with_agent(seeded: sa.Engine) -> None:
    text = stats(
        seeded, datetime_start="2012-03-26+00:00", agent_user="1001", campaign_id="TESTCAMP"
    )
    assert text == (
        "ERROR: agent_stats_export INVALID SEARCH PARAMETERS: "
        "6666|1001|2012-03-26+00:00|2012-03-26 23:59:59|TESTCAMP\n"
    )


@pytest.mark.parametrize(
    ("user", "params", "expected"),
    [
        ("nobody", {}, "ERROR: Login incorrect, please try again: |nobody||BAD|\n"),
        ("1001", {}, "ERROR: Login incorrect, please try again: |1001||BAD|\n"),
        (API_USER, {"source": "x"}, "ERROR: Invalid Source - x\nERROR: Invalid Source: |x|\n"),
        (
            "7777",
            {},
            "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |7777|agent_stats_export|\n",  # noqa: E501
        ),
        (
            "8888",
            {},
            "ERROR: agent_stats_export USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |8888|0|\n",
        ),
        (
            "5555",
            {},
            "ERROR: agent_stats_export USER DOES NOT HAVE PERMISSION TO GET AGENT INFO: |5555|0|\n",
        ),
    ],
    ids=[
        "unknown-user",
        "agent-level",
        "short-source",
        "function-not-allowed",
        "no-view-reports",
        "no-api-access",
    ],
)
def test_access_errors(seeded: sa.Engine, user: str, params: dict[str, str], expected: str) -> None:
    assert stats(seeded, user=user, **params) == expected
    assert is_refusal(expected)


def test_row_limit_cuts_inside_a_group(seeded: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_agents, "AGENT_STATS_ROW_LIMIT", 3)
    assert stats(seeded, stage="csv", time_format="S") == (
        "1001,Jane Doe,AGENTS,2,325,220,0,18,100%,35,1,325,3,12,10.8%,3,35,235,20,15\n"
    )
    monkeypatch.setattr(export_agents, "AGENT_STATS_ROW_LIMIT", 5)
    assert stats(seeded, stage="csv", time_format="S") == (
        "1001,Jane Doe,AGENTS,2,925,220,0,18,100%,635,1,925,4,159,68.6%,4,35,235,20,15\n"
        "2002,Bob Roe,AGENTS,0,50,0,0,0,0%,10,1,50,1,10,20%,1,0,0,0,0\n"
    )


def test_degenerate_agent_divides_by_zero_safely(seeded: sa.Engine) -> None:
    assert stats(seeded, stage="tab", **day("2012-04-01")) == (
        "3003\t\t\t0\t0:00:00\t0:00:00\t0:00:00\t0:00:00\t0%\t0\t1\t0:00:00\t0\t0:00:00\t100%\t0\t"
        "0:00:00\t0:00:00\t0:00:00\t0:00:00\n"
    )


def test_hours_over_24_and_negative_customer_talk(seeded: sa.Engine) -> None:
    assert stats(seeded, time_format="H", **day("2012-04-02")) == (
        "4004|||2|25:00:05|8:20:03|0:00:00|4:10:01|66.7%|30001|1|25:00:05|2|4:10:01|33.3%|2|8:20:01|8:20:03|0:00:00|0:00:00\n"
        "7007|||1|0:00:10|0:00:00|0:00:08|0:00:00|33.3%|0|1|0:00:10|1|0:00:00|0%|1|0:00:00|0:00:10|0:00:00|0:00:30\n"
    )
    # 7007's avg_talk is 8 s: the leading "8" of 4004's rendered total talk time ÷ 1 call
    only = stats(seeded, time_format="H", agent_user="4004", **day("2012-04-02"))
    assert only.split("|")[8] == "100%"


def test_default_mode_bugs_and_grouped_mode(seeded: sa.Engine) -> None:
    assert stats(seeded, time_format="S", header="YES", **day("2012-04-03")) == (
        f"{HEADER20}\n5005|||1|400|200|0|50|100%|100|1|400|2|50|25%|2|50|200|50|0\n"
    )
    assert stats(seeded, time_format="S", group_by_campaign="YES", **day("2012-04-03")) == (
        "TESTCAMP|5005|||1|380|200|0|50|100%|100|1|380|2|50|26.3%|2|50|200|40|0\n"
    )


def test_users_group_case_insensitively_under_the_first_rows_name(seeded: sa.Engine) -> None:
    assert stats(seeded, time_format="S", **day("2012-04-04")) == (
        "abc|||2|78|50|0|5|66.7%|10|1|78|2|5|12.8%|2|10|50|8|0\n"
        "Abd|||1|5|1|50|1|33.3%|1|1|5|1|1|20%|1|1|1|2|0\n"
    )


def test_every_export_is_registered_with_a_parameter_model() -> None:
    assert set(EXPORTS) == {
        "recording_lookup",
        "did_log_export",
        "agent_stats_export",
        "phone_number_log",
        "call_status_stats",
        "call_dispo_report",
        "lead_callback_info",
    }
    assert "group_by_campaign" in EXPORTS["agent_stats_export"].params.model_fields
