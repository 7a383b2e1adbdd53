"""`agent_stats_export`, byte for byte as non-agent API 2.14-194 prints it (20 or 21 columns).

Spec: `shared/spec/exports.md` section 5. VICIdial walks `vicidial_agent_log` row by row in
`ORDER BY user, agent_log_id` order; here the database aggregates each group in one pass
(`GROUP BY` under VICIdial's case-insensitive collation, which yields the same groups as its
case-insensitive walk) and the group's first and last rows are fetched by primary key. Only
the per-group arithmetic runs in Python, so memory grows with the number of agents, not rows.

Reproduced on purpose (scripts parse this text): in the default mode the first row's
`dispo_sec` is counted twice and the first `pause_epoch` is taken as 0 (so the login cap never
applies); `avg_talk_time` divides the leading integer of the previous line's rendered
`total_talk_time` by this agent's calls; `pause_time` is printed raw; `H` and `HF` are equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.export_access import begin
from sinks.export_format import (
    ApiParams,
    delimiter,
    leading_int,
    math_zdc,
    php_number,
    php_round,
    sec_convert,
)
from sinks.export_sql import as_text, contains_cs, nocase

__all__ = [
    "AGENT_STATS_ROW_LIMIT",
    "HEADER",
    "AgentStatsParams",
    "agent_stats_export",
    "aggregate_agents",
]

AGENT_STATS_ROW_LIMIT = 10_000_000
"""VICIdial reads at most this many `vicidial_agent_log` rows (spec 5.2)."""

HEADER = (
    "user",
    "full_name",
    "user_group",
    "calls",
    "login_time",
    "total_talk_time",
    "avg_talk_time",
    "avg_wait_time",
    "pct_of_queue",
    "pause_time",
    "sessions",
    "avg_session",
    "pauses",
    "avg_pause_time",
    "pause_pct",
    "pauses_per_session",
    "wait_time",
    "talk_time",
    "dispo_time",
    "dead_time",
)

_LOG = tables.vicidial_agent_log
_USERS = tables.vicidial_users


class AgentStatsParams(ApiParams):
    """Parameters of `agent_stats_export` (spec 5.1)."""

    datetime_start: str = ""
    datetime_end: str = ""
    agent_user: str = ""
    campaign_id: str = ""
    group_by_campaign: str = ""
    stage: str = ""
    header: str = ""
    time_format: str = ""
    source: str = "leadpipe"


@dataclass(frozen=True)
class AgentGroup:
    """Sums and first/last-row facts of one group of `vicidial_agent_log` rows."""

    campaign_id: str | None
    user: str
    full_name: str
    user_group: str
    rows: int
    calls: int
    pauses: int
    sessions: int
    pause: int
    wait: int
    talk: int
    dispo: int
    dead: int
    first_dispo: int
    first_epoch: int
    last_epoch: int
    last_length: int
    first_event: str | None = None
    last_event: str | None = None


def _int(value: Any) -> int:
    return int(value or 0)


def _sums(t: Any, dialect: sa.Dialect) -> list[Any]:
    # NOTE: COUNT(CASE …) and SUM over a double cost MariaDB about 40% less CPU per row than
    # SUM over integers (which it adds as DECIMAL); the sums stay exact below 2**53.
    as_double: sa.ColumnElement[Any] = sa.literal_column("0e0")
    return [
        sa.func.min(t.c.agent_log_id).label("first_id"),
        sa.func.max(t.c.agent_log_id).label("last_id"),
        sa.func.count().label("n"),
        sa.func.count(sa.case((t.c.lead_id > 0, 1))).label("calls"),
        sa.func.count(t.c.pause_sec).label("pauses"),
        sa.func.count(sa.case((contains_cs(t.c.sub_status, "LOGIN", dialect), 1))).label(
            "sessions"
        ),
        *(
            sa.func.sum(t.c[f"{name}_sec"] + as_double).label(name)
            for name in ("pause", "wait", "talk", "dispo", "dead")
        ),
    ]


def _groups(
    conn: sa.Connection, source: Any, where: Sequence[Any], *, grouped: bool
) -> list[AgentGroup]:
    """Aggregate `source` (the log table or a row-limited slice) per group, in output order."""
    dialect = conn.dialect
    keys = [nocase(source.c.user, dialect)]
    if grouped:
        keys.insert(0, nocase(source.c.campaign_id, dialect))
    agg = sa.select(*_sums(source, dialect)).where(*where).group_by(*keys).subquery("g")
    first, last = _LOG.alias("f"), _LOG.alias("l")
    pause, wait, talk, dispo = (
        sa.func.coalesce(last.c[f"{n}_sec"], 0) for n in ("pause", "wait", "talk", "dispo")
    )
    last_length = pause + wait + talk + dispo
    order = [nocase(first.c.user, dialect)]
    if grouped:
        order.insert(0, nocase(first.c.campaign_id, dialect))
    query = (
        sa.select(
            agg,
            first.c.campaign_id,
            first.c.user,
            first.c.dispo_sec,
            first.c.pause_epoch,
            last.c.pause_epoch.label("last_epoch"),
            as_text(first.c.event_time, dialect).label("first_event"),
            as_text(last.c.event_time, dialect).label("last_event"),
            last_length.label("last_length"),
            _USERS.c.full_name,
            _USERS.c.user_group,
        )
        .join(first, first.c.agent_log_id == agg.c.first_id)
        .join(last, last.c.agent_log_id == agg.c.last_id)
        .outerjoin(_USERS, nocase(_USERS.c.user, dialect) == first.c.user)
        .order_by(*order)
    )
    return [
        AgentGroup(
            campaign_id=r.campaign_id,
            user=r.user or "",
            full_name=r.full_name or "",
            user_group=r.user_group or "",
            rows=_int(r.n),
            calls=_int(r.calls),
            pauses=_int(r.pauses),
            sessions=_int(r.sessions),
            pause=_int(r.pause),
            wait=_int(r.wait),
            talk=_int(r.talk),
            dispo=_int(r.dispo),
            dead=_int(r.dead),
            first_dispo=_int(r.dispo_sec),
            first_epoch=_int(r.pause_epoch),
            last_epoch=_int(r.last_epoch),
            last_length=_int(r.last_length),
            first_event=None if r.first_event is None else str(r.first_event),
            last_event=None if r.last_event is None else str(r.last_event),
        )
        for r in conn.execute(query)
    ]


def aggregate_agents(
    conn: sa.Connection, where: Sequence[Any], *, grouped: bool, row_limit: int | None = None
) -> list[AgentGroup]:
    """Groups of the rows matching `where`, cut after `row_limit` rows in VICIdial's order."""
    groups = _groups(conn, _LOG, where, grouped=grouped)
    limit = AGENT_STATS_ROW_LIMIT if row_limit is None else row_limit
    seen = 0
    for index, group in enumerate(groups):
        if seen + group.rows <= limit:
            seen += group.rows
            continue
        # the limit cuts this group: re-aggregate its first rows only, drop every later group
        same = [nocase(_LOG.c.user, conn.dialect) == group.user]
        if grouped:
            camp = _LOG.c.campaign_id
            same.append(
                camp.is_(None)
                if group.campaign_id is None
                else nocase(camp, conn.dialect) == group.campaign_id
            )
        head = (
            sa.select(_LOG)
            .where(*where, *same)
            .order_by(_LOG.c.agent_log_id)
            .limit(limit - seen)
            .subquery("head")
        )
        partial = _groups(conn, head, [], grouped=grouped) if limit > seen else []
        return groups[:index] + partial
    return groups


def _pct(value: Decimal | int) -> str:
    return php_number(value) + "%"


def agent_line(
    g: AgentGroup, *, grouped: bool, time_format: str, total_calls: int, previous_total_talk: str
) -> list[str]:
    """The output fields of one group (spec 5.4-5.6), VICIdial's arithmetic bugs included."""
    dispo = g.dispo if grouped else g.dispo + g.first_dispo  # default mode: first dispo twice
    first_epoch = g.first_epoch if grouped else 0  # default mode: never recorded
    login = min(g.pause + g.wait + g.talk + dispo, (g.last_epoch - first_epoch) + g.last_length)
    sessions = max(g.sessions, 1)
    avg_session = php_round(math_zdc(login, sessions))
    avg_pause = php_round(math_zdc(g.pause, g.pauses))
    pauses_per_session = php_round(math_zdc(g.pauses, sessions))
    pause_pct: Decimal | int = (
        100 if g.pauses < 1 or login < 1 else php_round(math_zdc(g.pause, login) * 100, 1)
    )
    avg_wait = php_round(math_zdc(g.wait, g.calls))
    pct_of_queue = php_round(math_zdc(g.calls, total_calls) * 100, 1)
    # NOTE: VICIdial divides the previous line's rendered total talk, not this agent's (5.5 step 11)
    avg_talk = php_round(math_zdc(leading_int(previous_total_talk), g.calls))
    if g.calls < 1:
        cust_talk = wait = talk = dispo_out = dead = 0
    else:
        cust_talk, wait, talk, dispo_out, dead = g.talk - g.dead, g.wait, g.talk, dispo, g.dead

    def t(seconds: float | int | Decimal) -> str:
        return sec_convert(seconds, time_format)

    fields = [
        g.user,
        g.full_name,
        g.user_group,
        str(g.calls),
        t(login),
        t(cust_talk),
        t(avg_talk),
        t(avg_wait),
        _pct(pct_of_queue),
        str(g.pause),
        str(sessions),
        t(avg_session),
        str(g.pauses),
        t(avg_pause),
        _pct(pause_pct),
        php_number(pauses_per_session),
        t(wait),
        t(talk),
        t(dispo_out),
        t(dead),
    ]
    if grouped:
        fields.insert(0, g.campaign_id or "")
    return fields


def agent_stats_export(
    engine: sa.Engine, params: AgentStatsParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `agent_stats_export`: per-agent time totals over a time window."""
    del now
    with engine.connect() as conn:
        request, errors = begin(conn, "agent_stats_export", params, user)
        if request is None:
            yield from errors
            return
        p = request.params
        start, end, agent, campaign = (
            p["datetime_start"],
            p["datetime_end"],
            p["agent_user"],
            p["campaign_id"],
        )
        if len(start) != 19 or len(end) != 19:
            yield (
                "ERROR: agent_stats_export INVALID SEARCH PARAMETERS: "
                f"{request.user}|{agent}|{start}|{end}|{campaign}\n"
            )
            return
        start, end = start.replace("+", " "), end.replace("+", " ")
        where: list[Any] = [_LOG.c.event_time >= start, _LOG.c.event_time <= end]
        if 1 <= len(agent) <= 20:
            where.append(_LOG.c.user == agent)
        if 1 <= len(campaign) <= 8:
            where.append(_LOG.c.campaign_id == campaign)
        grouped = p["group_by_campaign"] == "YES"
        groups = aggregate_agents(conn, where, grouped=grouped)
    if not groups:
        yield (
            "ERROR: agent_stats_export NO RECORDS FOUND - "
            f"{request.user}|{agent}|{start}|{end}|{campaign}\n"
        )
        return
    dl = delimiter(p["stage"])
    if p["header"] == "YES":
        yield dl.join((("campaign_id",) if grouped else ()) + HEADER) + "\n"
    total_calls = sum(g.calls for g in groups)
    previous = ""
    for group in groups:
        fields = agent_line(
            group,
            grouped=grouped,
            time_format=p["time_format"],
            total_calls=total_calls,
            previous_total_talk=previous,
        )
        previous = fields[6 if grouped else 5]
        yield dl.join(fields) + "\n"
