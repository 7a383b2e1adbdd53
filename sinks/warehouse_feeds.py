"""The warehouse feeds: the exports' data, typed, with VICIdial's quirks corrected.

Each feed turns one day of rows into Arrow record batches of a fixed `pyarrow` schema
(integers as integers, averages and percentages as decimals, datetimes as timestamps,
`NULL` where VICIdial prints `0` for "unknown"). `sinks.warehouse` writes them as partitions.

Corrections against the API text (the API exports themselves stay byte-exact):

* `agent_stats` — one row per day, campaign and agent; `dispo_sec` counted once; the login
  cap uses the group's real first `pause_epoch` (login = min(pause+wait+talk+dispo, session
  span)); `avg_talk_sec` is this agent's customer talk ÷ calls (not the previous line's text);
  wait/talk/dispo/dead are the real sums even without calls; averages over nothing are NULL;
  `sessions` is the real count of LOGIN rows (the API forces at least 1).
* `did_log` — columns under their own names (`caller_id_number`, `call_date`); the DID number
  from the log row; `call_length_sec` NULL (not 0) when no closer-log row exists.
* `recordings` — `length_sec` NULL (not 0) when neither the length nor the epochs give one.
* `calls` — outbound and inbound rows with a `direction` column; `lead_status` is the lead's
  status or NULL (the API substitutes the call status for outbound rows).
* `call_status` — counts per direction, id, hour and status; a campaign and an in-group of
  the same id are not merged.
* `callbacks` — current and archived callbacks, partitioned by `entry_time`, re-exported when
  `modify_date` changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

from sinks import tables
from sinks.export_agents import AgentGroup, aggregate_agents
from sinks.export_sql import has_table, hour_of
from sinks.warehouse_arrow import DEC, PCT, TS, DaySource, Feed, from_rows, ratio
from sinks.warehouse_logs import (
    CALLBACKS,
    CALLS,
    DID_LOG,
    RECORDINGS,
    call_batches,
    callback_batches,
    did_batches,
    recording_batches,
)

__all__ = ["AGENT_STATS", "CALL_STATUS", "FEEDS"]


# --- agent_stats ------------------------------------------------------------------------------

AGENT_STATS = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("user", pa.string()),
        ("full_name", pa.string()),
        ("user_group", pa.string()),
        ("calls", pa.int64()),
        ("sessions", pa.int64()),
        ("pauses", pa.int64()),
        ("login_sec", pa.int64()),
        ("pause_sec", pa.int64()),
        ("wait_sec", pa.int64()),
        ("talk_sec", pa.int64()),
        ("dispo_sec", pa.int64()),
        ("dead_sec", pa.int64()),
        ("customer_talk_sec", pa.int64()),
        ("avg_talk_sec", DEC),
        ("avg_wait_sec", DEC),
        ("avg_pause_sec", DEC),
        ("avg_session_sec", DEC),
        ("pauses_per_session", DEC),
        ("pause_pct", PCT),
        ("pct_of_queue", PCT),
        ("first_event", TS),
        ("last_event", TS),
    ]
)


def _agent_row(g: AgentGroup, total_calls: int) -> dict[str, Any]:
    login = min(g.pause + g.wait + g.talk + g.dispo, g.last_epoch - g.first_epoch + g.last_length)
    login = max(login, 0)
    cust = max(g.talk - g.dead, 0)
    return {
        "campaign_id": g.campaign_id,
        "user": g.user,
        "full_name": g.full_name or None,
        "user_group": g.user_group or None,
        "calls": g.calls,
        "sessions": g.sessions,
        "pauses": g.pauses,
        "login_sec": login,
        "pause_sec": g.pause,
        "wait_sec": g.wait,
        "talk_sec": g.talk,
        "dispo_sec": g.dispo,
        "dead_sec": g.dead,
        "customer_talk_sec": cust,
        "avg_talk_sec": ratio(cust, g.calls),
        "avg_wait_sec": ratio(g.wait, g.calls),
        "avg_pause_sec": ratio(g.pause, g.pauses),
        "avg_session_sec": ratio(login, g.sessions),
        "pauses_per_session": ratio(g.pauses, g.sessions),
        "pause_pct": ratio(g.pause, login, 100),
        "pct_of_queue": ratio(g.calls, total_calls, 100),
        "first_event": g.first_event,
        "last_event": g.last_event,
    }


def _agent_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    log = tables.vicidial_agent_log
    window = [log.c.event_time >= start, log.c.event_time <= end]
    groups = aggregate_agents(conn, window, grouped=True, row_limit=2**62)
    total = sum(g.calls for g in groups)
    rows = [_agent_row(g, total) for g in groups]
    if rows:
        yield from_rows(rows, AGENT_STATS)


# --- call_status ------------------------------------------------------------------------------

CALL_STATUS = pa.schema(
    [
        ("direction", pa.string()),
        ("campaign_id", pa.string()),
        ("hour", pa.int8()),
        ("status", pa.string()),
        ("calls", pa.int64()),
        ("human_answered", pa.bool_()),
    ]
)
_STATUS_TABLE = sa.table("vicidial_statuses", sa.column("status"), sa.column("human_answered"))
_CAMP_STATUS_TABLE = sa.table(
    "vicidial_campaign_statuses",
    sa.column("status"),
    sa.column("campaign_id"),
    sa.column("human_answered"),
)


def _human(conn: sa.Connection) -> tuple[set[str], set[tuple[str, str]]]:
    system: set[str] = set()
    per_campaign: set[tuple[str, str]] = set()
    if has_table(conn, "vicidial_statuses"):
        system = set(
            conn.execute(
                sa.select(_STATUS_TABLE.c.status).where(_STATUS_TABLE.c.human_answered == "Y")
            ).scalars()
        )
    if has_table(conn, "vicidial_campaign_statuses"):
        per_campaign = {
            (c, s)
            for s, c in conn.execute(
                sa.select(_CAMP_STATUS_TABLE.c.status, _CAMP_STATUS_TABLE.c.campaign_id).where(
                    _CAMP_STATUS_TABLE.c.human_answered == "Y"
                )
            )
        }
    return system, per_campaign


def _status_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    system, per_campaign = _human(conn)
    rows = []
    for direction, log in (("OUT", tables.vicidial_log), ("IN", tables.vicidial_closer_log)):
        hour = hour_of(log.c.call_date, conn.dialect)
        query = (
            sa.select(log.c.campaign_id, hour, log.c.status, sa.func.count())
            .where(log.c.call_date >= start, log.c.call_date <= end)
            .group_by(log.c.campaign_id, hour, log.c.status)
            .order_by(log.c.campaign_id, hour, log.c.status)
        )
        for campaign, hh, status, n in conn.execute(query):
            rows.append(
                {
                    "direction": direction,
                    "campaign_id": campaign,
                    "hour": int(hh) if hh and str(hh).isdigit() else None,
                    "status": status,
                    "calls": int(n),
                    "human_answered": status in system or (campaign, status) in per_campaign,
                }
            )
    if rows:
        yield from_rows(rows, CALL_STATUS)


def _source(table: sa.Table, day_col: str, change_col: str | None = None) -> DaySource:
    return DaySource(table, day_col, change_col or day_col)


FEEDS: dict[str, Feed] = {
    f.name: f
    for f in (
        Feed(
            "agent_stats",
            "Agent time per day, campaign and agent (agent_stats_export).",
            AGENT_STATS,
            (_source(tables.vicidial_agent_log, "event_time"),),
            _agent_batches,
        ),
        Feed(
            "did_log",
            "Calls per DID with in-group and talk length (did_log_export).",
            DID_LOG,
            (_source(tables.vicidial_did_log, "call_date"),),
            did_batches,
        ),
        Feed(
            "recordings",
            "Recording log with lengths (recording_lookup).",
            RECORDINGS,
            (_source(tables.recording_log, "start_time"),),
            recording_batches,
        ),
        Feed(
            "calls",
            "Outbound and inbound calls with lead status (phone_number_log).",
            CALLS,
            (
                _source(tables.vicidial_log, "call_date"),
                _source(tables.vicidial_closer_log, "call_date"),
            ),
            call_batches,
        ),
        Feed(
            "call_status",
            "Calls per id, hour and status (call_status_stats, call_dispo_report).",
            CALL_STATUS,
            (
                _source(tables.vicidial_log, "call_date"),
                _source(tables.vicidial_closer_log, "call_date"),
            ),
            _status_batches,
        ),
        Feed(
            "callbacks",
            "Current and archived callbacks (lead_callback_info).",
            CALLBACKS,
            (
                _source(tables.vicidial_callbacks, "entry_time", "modify_date"),
                _source(tables.vicidial_callbacks_archive, "entry_time", "modify_date"),
            ),
            callback_batches,
        ),
    )
}
