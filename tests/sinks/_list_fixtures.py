"""A small VICIdial with lists, leads and everything hanging off leads, for the list-job tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.jobs import jobs_metadata


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One database per test module and backend (creating the tables on MariaDB takes seconds)."""
    from sinks.database import connect
    from tests import _mariadb
    from tests.conftest import mariadb_url

    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('lists')) / 'vicidial.db'}"
    else:
        url = mariadb_url()
    eng = connect(url)
    tables.metadata.create_all(eng)
    yield eng
    eng.dispose()
    if request.param == "mariadb":
        _mariadb.server().drop_database(url)


NOW = dt.datetime(2026, 3, 2, 10, 30, 0)  # a Monday
CSR_CYCLE = ["Y", "N", "Y1", "D", "Y10", "N", None]
LIST_CYCLE = [101, 101, 102, 201, 103, 101, 201]

custom_meta = sa.MetaData()
CUSTOM_101 = tables.custom_table(101, [sa.Column("note", sa.String(20))], custom_meta)
CUSTOM_555 = tables.custom_table(555, [sa.Column("note", sa.String(20))], custom_meta)

SNAPSHOT_TABLES = {
    "vicidial_list": ("lead_id", "list_id", "called_since_last_reset", "status", "phone_number"),
    "vicidial_lists": ("list_id", "campaign_id", "resets_today", "list_changedate"),
    "vicidial_callbacks": ("callback_id", "lead_id"),
    "vicidial_callbacks_archive": ("callback_id", "lead_id", "status", "comments"),
    "vicidial_list_alt_phones": ("alt_phone_id", "lead_id"),
    "vicidial_hopper": ("hopper_id", "lead_id", "campaign_id", "list_id", "status"),
    "vicidial_dnc": ("phone_number",),
    "vicidial_campaign_dnc": ("phone_number", "campaign_id"),
    "custom_101": ("lead_id", "note"),
    "custom_555": ("lead_id", "note"),
}


def lead_rows(count: int = 42) -> list[dict[str, Any]]:
    """Leads 1..count spread over lists 101-103 and 201, with every kind of reset flag."""
    rows = []
    for lead_id in range(1, count + 1):
        rows.append(
            {
                "lead_id": lead_id,
                "list_id": LIST_CYCLE[lead_id % len(LIST_CYCLE)],
                "called_since_last_reset": CSR_CYCLE[lead_id % len(CSR_CYCLE)],
                "status": "NEW",
                "phone_number": f"727555{lead_id:04d}",
                "entry_list_id": 555 if lead_id == 8 else 0,
                "modify_date": "2026-03-01 00:00:00",
                "entry_date": "2026-03-01 00:00:00",
            }
        )
    return rows


def seed(engine: sa.Engine, *, leads: int = 42) -> None:
    """Empty every table the list jobs touch and fill them with the fixture rows."""
    jobs_metadata.drop_all(engine)
    custom_meta.drop_all(engine)
    custom_meta.create_all(engine)
    with engine.begin() as conn:
        for name in (
            "vicidial_list",
            "vicidial_lists",
            "vicidial_callbacks",
            "vicidial_callbacks_archive",
            "vicidial_list_alt_phones",
            "vicidial_hopper",
            "vicidial_users",
            "vicidial_user_groups",
            "vicidial_campaigns",
            "vicidial_dnc",
            "vicidial_campaign_dnc",
            "system_settings",
            "vicidial_settings_containers",
        ):
            conn.execute(sa.delete(tables.metadata.tables[name]))
        conn.execute(
            sa.insert(tables.system_settings).values(
                version="2.14b0.5", timeclock_end_of_day="0000"
            )
        )
        conn.execute(
            sa.insert(tables.vicidial_campaigns),
            [
                {"campaign_id": "TESTCAMP", "campaign_name": "Test campaign", "active": "Y"},
                {"campaign_id": "OTHER", "campaign_name": "Other campaign", "active": "Y"},
            ],
        )
        conn.execute(
            sa.insert(tables.vicidial_lists),
            [
                {
                    "list_id": list_id,
                    "list_name": f"List {list_id}",
                    "campaign_id": camp,
                    "active": "Y",
                    "daily_reset_limit": limit,
                    "resets_today": today,
                    "reset_time": "",
                    "weekday_resets_container": "DISABLED",
                }
                for list_id, camp, limit, today in (
                    (101, "TESTCAMP", -1, 0),
                    (102, "TESTCAMP", 2, 2),
                    (103, "TESTCAMP", 3, 1),
                    (201, "OTHER", -1, 0),
                )
            ],
        )
        full = {
            "api_list_restrict": "0",
            "pass": "x",
            "user_level": 9,
            "user_group": "ADMIN",
            "modify_leads": "1",
            "modify_lists": "1",
            "delete_lists": "1",
            "modify_campaigns": "1",
            "vdc_agent_api_access": "1",
            "active": "Y",
            "api_allowed_functions": " ALL_FUNCTIONS ",
        }
        conn.execute(
            sa.insert(tables.vicidial_users),
            [
                {**full, "user": "6666"},
                {**full, "user": "7777", "delete_lists": "0"},
                {**full, "user": "7778", "modify_leads": "0"},
                {**full, "user": "8888", "user_group": "LIMITED", "api_list_restrict": "1"},
                {**full, "user": "9999", "modify_lists": "0", "modify_campaigns": "0"},
                {**full, "user": "5555", "api_allowed_functions": " add_lead "},
            ],
        )
        conn.execute(
            sa.insert(tables.vicidial_user_groups),
            [
                {
                    "user_group": "ADMIN",
                    "group_name": "Admins",
                    "allowed_campaigns": " -ALL-CAMPAIGNS- - -",
                },
                {"user_group": "LIMITED", "group_name": "Limited", "allowed_campaigns": " OTHER -"},
            ],
        )
        conn.execute(sa.insert(tables.vicidial_list), lead_rows(leads))
        list_of = {r["lead_id"]: r["list_id"] for r in lead_rows(leads)}
        conn.execute(
            sa.insert(tables.vicidial_callbacks),
            [
                {
                    "callback_id": i,
                    "lead_id": lead,
                    "list_id": list_of[lead],
                    "campaign_id": "TESTCAMP",
                    "status": "ACTIVE",
                    "comments": f"cb {i}",
                    "modify_date": "2026-03-01 00:00:00",
                }
                for i, lead in enumerate((1, 2, 3, 6, 6, 13), start=1)
            ],
        )
        conn.execute(
            sa.insert(tables.vicidial_list_alt_phones),
            [
                {
                    "alt_phone_id": i,
                    "lead_id": lead,
                    "phone_number": f"81355500{i:02d}",
                    "alt_phone_count": 1,
                }
                for i, lead in enumerate((1, 3, 6, 8, 13), start=1)
            ],
        )
        conn.execute(
            sa.insert(tables.vicidial_hopper),
            [
                {
                    "hopper_id": i,
                    "lead_id": lead,
                    "campaign_id": camp,
                    "list_id": list_of[lead],
                    "status": status,
                }
                for i, (lead, camp, status) in enumerate(
                    (
                        (1, "TESTCAMP", "READY"),
                        (6, "TESTCAMP", "INCALL"),
                        (3, "OTHER", "READY"),
                        (4, "TESTCAMP", "DONE"),
                        (10, "OTHER", "QUEUE"),
                    ),
                    start=1,
                )
            ],
        )
        conn.execute(
            sa.insert(CUSTOM_101), [{"lead_id": lead, "note": f"n{lead}"} for lead in (1, 6, 13, 3)]
        )
        conn.execute(
            sa.insert(CUSTOM_555),
            [{"lead_id": 8, "note": "entry list"}, {"lead_id": 9, "note": "x"}],
        )


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of every table list jobs touch (without automatic timestamps), sorted."""
    meta = sa.MetaData()
    out = {}
    with engine.connect() as conn:
        for name, cols in SNAPSHOT_TABLES.items():
            table = sa.Table(name, meta, autoload_with=conn)
            rows = conn.execute(sa.select(*[table.c[c] for c in cols])).all()
            out[name] = sorted(tuple("" if v is None else str(v) for v in r) for r in rows)
    return out


def leads_by_list(engine: sa.Engine) -> dict[int, list[int]]:
    """Lead ids per list."""
    out: dict[int, list[int]] = {}
    with engine.connect() as conn:
        for lead_id, list_id in conn.execute(
            sa.select(tables.vicidial_list.c.lead_id, tables.vicidial_list.c.list_id).order_by(
                tables.vicidial_list.c.lead_id
            )
        ):
            out.setdefault(int(list_id), []).append(int(lead_id))
    return out
