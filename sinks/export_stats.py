"""`call_status_stats` as non-agent API 2.14-194 prints it, and helpers of `call_dispo_report`.

Spec: `shared/spec/exports.md` section 7. The database counts calls per (id, status, hour);
Python only arranges those counts into lines. Kept as VICIdial prints them: per-hour and
per-status tallies shared by a campaign and an in-group of the same id, and a trailing `|`
on every line.

`vicidial_statuses`, `vicidial_campaign_statuses` and `vicidial_campaigns.closer_campaigns`
are read when the database has them (every VICIdial install does); when missing they count
as empty.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.export_access import begin
from sinks.export_format import ApiParams
from sinks.export_sql import existing_columns, has_table, hour_of

__all__ = [
    "CAMPAIGN_STATUSES_TABLE",
    "INBOUND",
    "OUTBOUND",
    "STATUSES_TABLE",
    "StatusStatsParams",
    "call_status_stats",
    "call_window",
    "missing_lines",
    "php_ksort",
    "status_counts",
]

STATUSES_TABLE = sa.table(
    "vicidial_statuses", sa.column("status"), sa.column("human_answered"), sa.column("category")
)
CAMPAIGN_STATUSES_TABLE = sa.table(
    "vicidial_campaign_statuses",
    sa.column("status"),
    sa.column("campaign_id"),
    sa.column("human_answered"),
    sa.column("category"),
)
_CAMPAIGNS = tables.vicidial_campaigns
OUTBOUND = tables.vicidial_log
INBOUND = tables.vicidial_closer_log


class StatusStatsParams(ApiParams):
    """Parameters of `call_status_stats` (spec 7.1); `stage`/`header` are accepted and ignored."""

    campaigns: str = ""
    ingroups: str = ""
    statuses: str = ""
    query_date: str = ""
    query_time: str = ""
    end_date: str = ""
    end_time: str = ""
    stage: str = ""
    header: str = ""
    source: str = "leadpipe"


INBOUNDT_KEY = re.compile(r"^(0|-?[1-9][0-9]{0,18})$")
_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")


def _key(text: str) -> int | str:
    """A PHP array key: canonical integer strings become integers."""
    return int(text) if INBOUNDT_KEY.match(text) and -(2**63) <= int(text) < 2**63 else text


def _num(text: str) -> float | None:
    return float(text) if _NUMERIC.match(text) else None


def _sign(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _php_compare(a: int | str, b: int | str) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return _sign(a, b)
    if isinstance(a, str) and isinstance(b, str):
        na, nb = _num(a), _num(b)
        if na is not None and nb is not None:
            return _sign(na, nb)
        return _sign(a.encode(), b.encode())
    number, text, flip = (a, b, 1) if isinstance(a, int) else (b, a, -1)
    as_number = _num(str(text))
    if as_number is not None:
        return flip * _sign(number, as_number)
    return flip * _sign(str(number).encode(), str(text).encode())


def php_ksort(keys: Iterable[str]) -> list[str]:
    """Keys in PHP 8 `ksort` order: byte order for text, numbers for numeric keys.

    >>> php_ksort(["SALE", "NA", "DROP", "10", "9"])
    ['9', '10', 'DROP', 'NA', 'SALE']
    """
    decorated: list[tuple[int | str, str]] = [(_key(k), k) for k in keys]

    def compare(x: tuple[int | str, str], y: tuple[int | str, str]) -> int:
        return _php_compare(x[0], y[0])

    decorated.sort(key=functools.cmp_to_key(compare))
    return [k for _, k in decorated]


def _items(value: str) -> list[str]:
    """Dash-separated list items, empty ones dropped and repeats removed."""
    return list(dict.fromkeys(item for item in value.split("-") if item))


def call_window(p: dict[str, str], now: dt.datetime | None) -> tuple[str, str]:
    """The inclusive call_date window of spec 7.1 step 6 (no format check, as in VICIdial)."""
    today = (now or dt.datetime.now()).strftime("%Y-%m-%d")  # server wall clock
    start_day = p["query_date"] or today
    return (
        f"{start_day} {p['query_time'] or '00:00:00'}",
        f"{p['end_date'] or start_day} {p['end_time'] or '23:59:59'}",
    )


def missing_lines(reason: str, source: str) -> list[str]:
    return [f"ERROR: {reason} - {source}\n", f"ERROR: Invalid Source: |{source}|\n"]


def _human_statuses(conn: sa.Connection, campaigns: list[str] | None) -> set[str]:
    found: set[str] = set()
    if has_table(conn, "vicidial_statuses"):
        found |= set(
            conn.execute(
                sa.select(STATUSES_TABLE.c.status).where(STATUSES_TABLE.c.human_answered == "Y")
            ).scalars()
        )
    if has_table(conn, "vicidial_campaign_statuses"):
        query = sa.select(CAMPAIGN_STATUSES_TABLE.c.status).where(
            CAMPAIGN_STATUSES_TABLE.c.human_answered == "Y"
        )
        if campaigns is not None:
            query = query.where(CAMPAIGN_STATUSES_TABLE.c.campaign_id.in_(campaigns))
        found |= set(conn.execute(query).scalars())
    return found


def _closer_campaigns(conn: sa.Connection, campaigns: list[str] | None) -> list[str]:
    """In-groups from `closer_campaigns` of the campaigns (all when None), in order, once each."""
    if "closer_campaigns" not in existing_columns(conn, "vicidial_campaigns"):
        return []
    col: sa.ColumnClause[Any] = sa.column("closer_campaigns")
    query = sa.select(col).select_from(_CAMPAIGNS).order_by(_CAMPAIGNS.c.campaign_id)
    if campaigns is not None:
        query = query.where(_CAMPAIGNS.c.campaign_id.in_(campaigns))
    groups: list[str] = []
    for value in conn.execute(query).scalars():
        text = (value or "").strip()
        text = text.removesuffix(" -") if text != "-" else ""
        groups.extend(item for item in text.split(" ") if item)
    return list(dict.fromkeys(groups))


def status_counts(
    conn: sa.Connection,
    log: sa.Table,
    window: tuple[str, str],
    ids: list[str] | None,
    statuses: list[str] | None,
    *,
    by_hour: bool,
    users: list[str] | None = None,
) -> Any:
    cols = [log.c.campaign_id, log.c.status]
    if by_hour:
        cols.append(hour_of(log.c.call_date, conn.dialect).label("hour"))
    query = sa.select(*cols, sa.func.count().label("n")).where(log.c.call_date.between(*window))
    if ids is not None:
        query = query.where(log.c.campaign_id.in_(ids))
    if statuses is not None:
        query = query.where(log.c.status.in_(statuses))
    if users is not None:
        query = query.where(log.c.user.in_(users))
    keys = list(range(1, len(cols) + 1))
    return conn.execute(query.group_by(*cols).order_by(*(sa.literal_column(str(k)) for k in keys)))


def call_status_stats(
    engine: sa.Engine, params: StatusStatsParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `call_status_stats`: calls per campaign and in-group, hour, status."""
    with engine.connect() as conn:

        def precheck(p: dict[str, str]) -> list[str]:
            if len(p["campaigns"]) < 2:
                return missing_lines("call_status_stats INVALID OR MISSING CAMPAIGNS", p["source"])
            return []

        request, errors = begin(
            conn, "call_status_stats", params, user, check_source=False, precheck=precheck
        )
        if request is None:
            yield from errors
            return
        p = request.params
        requested = _items(p["campaigns"])
        all_mode = "ALLCAMPAIGNS" in requested or "---ALL---" in p["campaigns"]
        known = list(conn.execute(sa.select(_CAMPAIGNS.c.campaign_id)).scalars())
        campaigns = known if all_mode else requested
        ingroups = _items(p["ingroups"]) or _closer_campaigns(conn, None if all_mode else campaigns)
        statuses = _items(p["statuses"]) or None
        window = call_window(p, now)
        human = _human_statuses(conn, None if all_mode else campaigns)
        totals: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        hours: dict[str, Counter[str]] = defaultdict(Counter)
        by_status: dict[str, Counter[str]] = defaultdict(Counter)
        seen_out: list[str] = []
        blocks = [("out", OUTBOUND, None if all_mode else campaigns)]
        if ingroups:
            blocks.append(("in", INBOUND, ingroups))
        for direction, log, ids in blocks:
            for camp, status, hour, n in status_counts(
                conn, log, window, ids, statuses, by_hour=True
            ):
                camp, status = camp or "", status or ""
                if direction == "out" and camp not in seen_out:
                    seen_out.append(camp)
                totals[(direction, camp)]["total"] += n
                totals[(direction, camp)]["human"] += n if status in human else 0
                hours[camp][hour or ""] += n  # NOTE: keyed by id only, shared across directions
                by_status[camp][status] += n
    lines = [("out", c) for c in php_ksort(campaigns)]
    if all_mode:
        lines += [("out", c) for c in seen_out if c not in set(known)]
    lines += [("in", g) for g in php_ksort(ingroups)]
    for direction, ident in lines:
        tally = totals[(direction, ident)]
        hour_text = ",".join(f"{h:02d}-{hours[ident][f'{h:02d}']}" for h in range(24))
        status_text = ",".join(f"{s}-{by_status[ident][s]}" for s in php_ksort(by_status[ident]))
        yield f"{ident}|{tally['total']}|{tally['human']}|{hour_text}|{status_text}|\n"
