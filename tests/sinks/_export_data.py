"""Call-log fixtures for the export tests: users, agent sessions, DID calls, recordings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.database import connect
from tests import _mariadb

API_USER = "6666"

AGENT_ROWS = [  # user, lead_id, sub_status, pause, wait, talk, dispo, dead, pause_epoch (spec 5.7)
    ("1001", 0, "LOGIN", 30, 5, 0, 0, 0, 1332770400),
    ("1001", 501, None, 2, 10, 95, 8, 15, 1332770435),
    ("1001", 502, "", 3, 20, 140, 12, 0, 1332770565),
    ("1001", 0, "BREAK", 600, 0, 0, 0, 0, 1332770740),
    ("2002", 0, "LOGIN", 10, 40, 0, 0, 0, 1332771000),
    ("2002", 601, "", 4, 25, 300, 20, 30, 1332771050),
]


def add_user(conn: sa.Connection, user: str, **values: Any) -> None:
    """Insert one `vicidial_users` row (an API user with every report right unless overridden)."""
    row = {
        "user": user,
        "pass": "1234",
        "full_name": f"User {user}",
        "user_level": 9,
        "user_group": "ADMIN",
        "view_reports": "1",
        "vdc_agent_api_access": "1",
        "active": "Y",
        "api_allowed_functions": " ALL_FUNCTIONS ",
    }
    row.update(values)
    conn.execute(sa.insert(tables.vicidial_users).values(**row))


def add_agents(conn: sa.Connection) -> None:
    """The API user 6666 and the two agents of the spec's worked example."""
    add_user(conn, API_USER, full_name="Admin")
    add_user(
        conn, "1001", full_name="Jane Doe", user_level=1, user_group="AGENTS", view_reports="0"
    )
    add_user(conn, "2002", full_name="Bob Roe", user_level=1, user_group="AGENTS", view_reports="0")


def add_agent_log(
    conn: sa.Connection,
    rows: list[tuple[Any, ...]],
    *,
    event_time: str = "2012-03-26 10:00:00",
    campaign_id: str | None = "TESTCAMP",
) -> None:
    """Insert `vicidial_agent_log` rows.

    Rows are (user, lead, sub_status, pause, wait, talk, dispo, dead, pause_epoch).
    """
    conn.execute(
        sa.insert(tables.vicidial_agent_log),
        [
            {
                "user": u,
                "server_ip": "10.0.0.1",
                "event_time": event_time,
                "lead_id": lead,
                "campaign_id": campaign_id,
                "sub_status": sub,
                "pause_sec": pause,
                "wait_sec": wait,
                "talk_sec": talk,
                "dispo_sec": dispo,
                "dead_sec": dead,
                "pause_epoch": epoch,
            }
            for (u, lead, sub, pause, wait, talk, dispo, dead, epoch) in rows
        ],
    )


def add_did_calls(conn: sa.Connection) -> None:
    """The DID calls of spec 4.4 and their closer-log rows."""
    did = tables.vicidial_did_log
    conn.execute(
        sa.insert(did),
        [
            {
                "uniqueid": "1291395601.100",
                "channel": "SIP/a",
                "server_ip": "10.0.0.1",
                "caller_id_number": "7275551212",
                "extension": "3125551212",
                "call_date": "2010-12-03 12:00:01",
                "did_id": "7",
                "did_route": "IN_GROUP",
            },
            {
                "uniqueid": "1291395700.200",
                "channel": "SIP/b",
                "server_ip": "10.0.0.1",
                "caller_id_number": "",
                "extension": "3125551212",
                "call_date": "2010-12-03 12:01:40",
                "did_id": "7",
                "did_route": "IN_GROUP",
            },
            {
                "uniqueid": "1291395800.300",
                "channel": "SIP/c",
                "server_ip": "10.0.0.1",
                "caller_id_number": "3125550000",
                "extension": "3125559999",
                "call_date": "2010-12-03 12:03:20",
                "did_id": "8",
                "did_route": "IN_GROUP",
            },
        ],
    )
    closer = tables.vicidial_closer_log
    conn.execute(
        sa.insert(closer),
        [
            # an older closer row of the same call: only the latest (highest closecallid) counts
            {
                "lead_id": 876409,
                "campaign_id": "SALESLINE",
                "call_date": "2010-12-03 12:00:05",
                "length_in_sec": 5,
                "status": "DROP",
                "uniqueid": "1291395601.100",
                "user": "VDCL",
                "phone_number": "7275551212",
            },
            {
                "lead_id": 876409,
                "campaign_id": "SALESLINE",
                "call_date": "2010-12-03 12:00:11",
                "length_in_sec": 95,
                "status": "SALE",
                "uniqueid": "1291395601.100",
                "user": "1001",
                "phone_number": "7275551212",
            },
            {
                "lead_id": 876410,
                "campaign_id": "SUPPORT",
                "call_date": "2010-12-03 12:03:30",
                "length_in_sec": 30,
                "status": "NI",
                "uniqueid": "1291395800.300",
                "user": "2002",
                "phone_number": "3125550000",
            },
        ],
    )


AUX = sa.MetaData()
"""VICIdial tables the exports read that `sinks.tables` does not declare (yet)."""
STATUSES = sa.Table(
    "vicidial_statuses",
    AUX,
    sa.Column("status", sa.String(6)),
    sa.Column("status_name", sa.String(30)),
    sa.Column("human_answered", sa.String(1)),
    sa.Column("category", sa.String(20)),
)
CAMPAIGN_STATUSES = sa.Table(
    "vicidial_campaign_statuses",
    AUX,
    sa.Column("status", sa.String(6)),
    sa.Column("campaign_id", sa.String(8)),
    sa.Column("human_answered", sa.String(1)),
    sa.Column("category", sa.String(20)),
)


def add_status_tables(conn: sa.Connection) -> None:
    """Create the status tables and `vicidial_campaigns.closer_campaigns`, as VICIdial has them."""
    AUX.create_all(conn)
    conn.execute(sa.text("ALTER TABLE vicidial_campaigns ADD COLUMN closer_campaigns TEXT"))


def add_outbound(conn: sa.Connection, rows: list[tuple[Any, ...]], *, prefix: str) -> None:
    """`vicidial_log` rows given as (campaign, status, call_date, count)."""
    values = []
    for n, (campaign, status, call_date, count) in enumerate(rows):
        values += [
            {
                "uniqueid": f"{prefix}.{n}.{i}",
                "lead_id": 1,
                "campaign_id": campaign,
                "call_date": call_date,
                "status": status,
                "phone_number": "5550000000",
                "user": "1001",
                "length_in_sec": 10,
            }
            for i in range(count)
        ]
    conn.execute(sa.insert(tables.vicidial_log), values)


def add_inbound(conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
    """`vicidial_closer_log` rows given as (in-group, status, call_date, count)."""
    conn.execute(
        sa.insert(tables.vicidial_closer_log),
        [
            {
                "lead_id": 1,
                "campaign_id": group,
                "call_date": call_date,
                "status": status,
                "phone_number": "5550000000",
                "user": "1001",
                "length_in_sec": 10,
                "uniqueid": "",
            }
            for group, status, call_date, count in rows
            for _ in range(count)
        ],
    )


@contextlib.contextmanager
def seeded_engine(
    backend: str, folder: Path, seed: Callable[[sa.Connection], None]
) -> Iterator[sa.Engine]:
    """A database (SQLite in `folder`, or MariaDB) with every VICIdial table, filled by `seed`."""
    from tests.conftest import mariadb_url

    url = f"sqlite:///{folder / 'vicidial.db'}" if backend == "sqlite" else mariadb_url()
    engine = connect(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        seed(conn)
    try:
        yield engine
    finally:
        engine.dispose()
        if backend == "mariadb":
            _mariadb.server().drop_database(url)
