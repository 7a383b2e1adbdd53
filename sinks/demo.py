"""The demo rows `leadpipe init-db --demo` writes: enough VICIdial to run every sample pipeline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sinks import tables

__all__ = ["seed_demo", "seed_installation_rows"]

# Rows VICIdial's installation creates (schema.md sections 3, 14, 15, 26).
_CALL_TIMES = [
    ("24hours", "default 24 hours calling", 0, 2400),
    ("9am-9pm", "default 9am to 9pm calling", 900, 2100),
    ("9am-5pm", "default 9am to 5pm calling", 900, 1700),
    ("12pm-5pm", "default 12pm to 5pm calling", 1200, 1700),
    ("12pm-9pm", "default 12pm to 9pm calling", 1200, 2100),
    ("5pm-9pm", "default 5pm to 9pm calling", 1700, 2100),
]

# id, state, default start, default stop, {weekday: (start, stop)}
_STATE_CALL_TIMES: list[tuple[str, str, int, int, dict[str, tuple[int, int]]]] = [
    ("alabama", "AL", 800, 2000, {"sunday": (2400, 2400)}),
    ("illinois", "IL", 800, 2100, {}),
    ("indiana", "IN", 900, 2000, {}),
    ("kentucky", "KY", 1000, 2100, {}),
    ("louisiana", "LA", 800, 2000, {"sunday": (2400, 2400)}),
    ("massachuse", "MA", 800, 2000, {}),
    ("mississipp", "MS", 800, 2000, {"sunday": (2400, 2400)}),
    ("nebraska", "NE", 800, 2100, {}),
    ("nevada", "NV", 900, 2000, {}),
    ("pennsylvan", "PA", 900, 2100, {"sunday": (1330, 2100)}),
    ("rhodeislan", "RI", 900, 1800, {"sunday": (2400, 2400), "saturday": (1000, 1700)}),
    ("sdakota", "SD", 900, 2100, {"sunday": (2400, 2400)}),
    ("tennessee", "TN", 800, 2100, {}),
    ("texas", "TX", 900, 2100, {"sunday": (1200, 2100)}),
    ("utah", "UT", 900, 2000, {}),
    ("washington", "WA", 800, 2100, {}),
    ("wyoming", "WY", 800, 2000, {}),
]


_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _empty(conn: sa.Connection, table: sa.Table) -> bool:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def seed_installation_rows(conn: sa.Connection) -> None:
    """Write the rows a fresh VICIdial installation has, where their tables are empty."""
    if _empty(conn, tables.system_settings):
        conn.execute(sa.insert(tables.system_settings).values(version="2.14b0.5", db_schema_version=1729))
    if _empty(conn, tables.vicidial_call_times):
        conn.execute(
            sa.insert(tables.vicidial_call_times),
            [
                {"call_time_id": cid, "call_time_name": name, "ct_default_start": start,
                 "ct_default_stop": stop, "ct_state_call_times": "", "ct_holidays": ""}
                for cid, name, start, stop in _CALL_TIMES
            ],
        )
    if _empty(conn, tables.vicidial_state_call_times):
        rows: list[dict[str, Any]] = []
        for sid, state, start, stop, days in _STATE_CALL_TIMES:
            row: dict[str, Any] = {
                "state_call_time_id": sid, "state_call_time_state": state,
                "state_call_time_name": f"{state} state rules",
                "sct_default_start": start, "sct_default_stop": stop,
            }
            for day in _WEEKDAYS:
                row[f"sct_{day}_start"] = 0
                row[f"sct_{day}_stop"] = 0
            for day, (d_start, d_stop) in days.items():
                row[f"sct_{day}_start"] = d_start
                row[f"sct_{day}_stop"] = d_stop
            rows.append(row)
        conn.execute(sa.insert(tables.vicidial_state_call_times), rows)
    if _empty(conn, tables.vicidial_campaigns):
        conn.execute(
            sa.insert(tables.vicidial_campaigns).values(
                campaign_id="TESTCAMP", campaign_name="Test Campaign", active="N",
                local_call_time="9am-9pm", dial_method="MANUAL",
            )
        )
    if _empty(conn, tables.vicidial_lists):
        conn.execute(
            sa.insert(tables.vicidial_lists),
            [
                {"list_id": 999, "list_name": "Default inbound list", "campaign_id": "TESTCAMP", "active": "N"},
                {"list_id": 998, "list_name": "Default Manual list", "campaign_id": "TESTCAMP", "active": "N"},
            ],
        )
    if _empty(conn, tables.vicidial_inbound_dids):
        conn.execute(
            sa.insert(tables.vicidial_inbound_dids).values(
                did_pattern="default", did_description="Default DID", did_route="EXTEN",
                extension="9998811112", exten_context="default",
            )
        )


def seed_demo(conn: sa.Connection) -> None:
    """Write the demo campaign TESTCAMP, lists 101/102, call times and API user 6666/1234."""
    seed_installation_rows(conn)
    conn.execute(
        sa.update(tables.vicidial_campaigns)
        .where(tables.vicidial_campaigns.c.campaign_id == "TESTCAMP")
        .values(active="Y", dial_method="RATIO", hopper_level=100, use_other_campaign_dnc="")
    )
    conn.execute(sa.update(tables.system_settings).values(custom_fields_enabled="1"))
    existing = set(conn.execute(sa.select(tables.vicidial_lists.c.list_id)).scalars())
    for list_id, name in ((101, "Demo list 101"), (102, "Demo list 102")):
        if list_id not in existing:
            conn.execute(
                sa.insert(tables.vicidial_lists).values(
                    list_id=list_id, list_name=name, campaign_id="TESTCAMP", active="Y",
                    list_description="created by leadpipe init-db --demo",
                )
            )
    users = set(conn.execute(sa.select(tables.vicidial_users.c.user)).scalars())
    if "6666" not in users:
        conn.execute(
            sa.insert(tables.vicidial_users).values(
                {
                    "user": "6666", "pass": "1234", "full_name": "Admin", "user_level": 9,
                    "user_group": "ADMIN", "load_leads": "1", "modify_leads": "1",
                    "modify_lists": "1", "delete_lists": "1", "modify_campaigns": "1",
                    "view_reports": "1", "custom_fields_modify": "1", "vdc_agent_api_access": "1",
                    "active": "Y", "api_list_restrict": "0",
                    "api_allowed_functions": " ALL_FUNCTIONS ", "two_factor_override": "DISABLED",
                }
            )
        )
    groups = set(conn.execute(sa.select(tables.vicidial_user_groups.c.user_group)).scalars())
    if "ADMIN" not in groups:
        conn.execute(
            sa.insert(tables.vicidial_user_groups).values(
                user_group="ADMIN", group_name="VICIDIAL ADMINISTRATORS",
                allowed_campaigns=" -ALL-CAMPAIGNS- - -",
            )
        )
