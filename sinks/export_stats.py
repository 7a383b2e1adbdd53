"""`call_status_stats` and `call_dispo_report`, as non-agent API 2.14-194 prints them.

Spec: `shared/spec/exports.md` sections 7 and 8. The database counts calls per (id, status,
hour) or (id, status); Python only arranges those counts into lines. Kept as VICIdial prints
them: per-hour and per-status tallies shared by a campaign and an in-group of the same id, a
trailing `|` on every call_status_stats line, call_dispo_report's header listing statuses in
first-seen order over values in sorted order, and no newline after its TOTAL line.

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
    "DispoParams",
    "StatusStatsParams",
    "call_dispo_report",
    "call_status_stats",
    "php_ksort",
]

_STATUSES = sa.table(
    "vicidial_statuses", sa.column("status"), sa.column("human_answered"), sa.column("category")
)
_CAMP_STATUSES = sa.table(
    "vicidial_campaign_statuses",
    sa.column("status"),
    sa.column("campaign_id"),
    sa.column("human_answered"),
    sa.column("category"),
)
_CAMPAIGNS = tables.vicidial_campaigns
_OUT = tables.vicidial_log
_IN = tables.vicidial_closer_log


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


class DispoParams(ApiParams):
    """Parameters of `call_dispo_report` (spec 8.1)."""

    campaigns: str = ""
    ingroups: str = ""
    did_ids: str = ""
    did_patterns: str = ""
    statuses: str = ""
    categories: str = ""
    users: str = ""
    user_groups: str = ""
    query_date: str = ""
    query_time: str = ""
    end_date: str = ""
    end_time: str = ""
    status_breakdown: str = ""
    show_percentages: str = ""
    file_download: str = ""
    source: str = "leadpipe"


_INT_KEY = re.compile(r"^(0|-?[1-9][0-9]{0,18})$")
_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")


def _key(text: str) -> int | str:
    """A PHP array key: canonical integer strings become integers."""
    return int(text) if _INT_KEY.match(text) and -(2**63) <= int(text) < 2**63 else text


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


def _window(p: dict[str, str], now: dt.datetime | None) -> tuple[str, str]:
    """The inclusive call_date window of spec 7.1 step 6 (no format check, as in VICIdial)."""
    today = (now or dt.datetime.now()).strftime("%Y-%m-%d")  # server wall clock
    start_day = p["query_date"] or today
    return (
        f"{start_day} {p['query_time'] or '00:00:00'}",
        f"{p['end_date'] or start_day} {p['end_time'] or '23:59:59'}",
    )


def _two_lines(reason: str, source: str) -> list[str]:
    return [f"ERROR: {reason} - {source}\n", f"ERROR: Invalid Source: |{source}|\n"]


def _human_statuses(conn: sa.Connection, campaigns: list[str] | None) -> set[str]:
    found: set[str] = set()
    if has_table(conn, "vicidial_statuses"):
        found |= set(
            conn.execute(
                sa.select(_STATUSES.c.status).where(_STATUSES.c.human_answered == "Y")
            ).scalars()
        )
    if has_table(conn, "vicidial_campaign_statuses"):
        query = sa.select(_CAMP_STATUSES.c.status).where(_CAMP_STATUSES.c.human_answered == "Y")
        if campaigns is not None:
            query = query.where(_CAMP_STATUSES.c.campaign_id.in_(campaigns))
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


def _counts(
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
                return _two_lines("call_status_stats INVALID OR MISSING CAMPAIGNS", p["source"])
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
        window = _window(p, now)
        human = _human_statuses(conn, None if all_mode else campaigns)
        totals: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        hours: dict[str, Counter[str]] = defaultdict(Counter)
        by_status: dict[str, Counter[str]] = defaultdict(Counter)
        seen_out: list[str] = []
        blocks = [("out", _OUT, None if all_mode else campaigns)]
        if ingroups:
            blocks.append(("in", _IN, ingroups))
        for direction, log, ids in blocks:
            for camp, status, hour, n in _counts(conn, log, window, ids, statuses, by_hour=True):
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


def _has_all(values: Iterable[str], *markers: str) -> bool:
    return any(marker in value for value in values for marker in markers)


def _status_filter(
    conn: sa.Connection, p: dict[str, str], campaigns: list[str] | None
) -> list[str] | None:
    """Statuses to keep: `statuses` plus those of `categories`; None when unfiltered (spec 8.2)."""
    if _has_all((p["statuses"], p["categories"]), "ALLSTATUSES", "ALLCATEGORIES", "---ALL---"):
        return None
    if not p["statuses"] and not p["categories"]:
        return None
    wanted = p["statuses"].split("-")
    categories = [c for c in p["categories"].split("-") if c]
    if categories and has_table(conn, "vicidial_statuses"):
        wanted += conn.execute(
            sa.select(_STATUSES.c.status).where(_STATUSES.c.category.in_(categories))
        ).scalars()
    if categories and has_table(conn, "vicidial_campaign_statuses"):
        query = sa.select(_CAMP_STATUSES.c.status).where(_CAMP_STATUSES.c.category.in_(categories))
        if campaigns is not None:
            query = query.where(_CAMP_STATUSES.c.campaign_id.in_(campaigns))
        wanted += conn.execute(query).scalars()
    return list(dict.fromkeys(wanted))


def _user_filter(conn: sa.Connection, p: dict[str, str]) -> list[str] | None:
    """Users to keep: `users` plus members of `user_groups`; None when unfiltered (spec 8.2)."""
    if _has_all((p["users"], p["user_groups"]), "ALLUSERS", "ALLGROUPS", "---ALL---"):
        return None
    if not p["users"] and not p["user_groups"]:
        return None
    wanted = p["users"].split("-")
    groups = [g for g in p["user_groups"].split("-") if g]
    if groups:
        users = tables.vicidial_users
        wanted += conn.execute(
            sa.select(users.c.user).where(users.c.user_group.in_(groups))
        ).scalars()
    return list(dict.fromkeys(wanted))


def _did_ids(conn: sa.Connection, p: dict[str, str]) -> list[str] | None:
    """DID ids to keep (`did_ids` plus ids of `did_patterns`); None when unfiltered."""
    if _has_all((p["did_ids"], p["did_patterns"]), "ALLDIDS", "ALLPATTERNS", "---ALL---"):
        return None
    ids = [i for i in p["did_ids"].split(",") if i]
    patterns = [x for x in p["did_patterns"].split(",") if x]
    if patterns:
        dids = tables.vicidial_inbound_dids
        ids += [
            str(i)
            for i in conn.execute(
                sa.select(dids.c.did_id).where(dids.c.did_pattern.in_(patterns))
            ).scalars()
        ]
    return ids


def _did_counts(
    conn: sa.Connection,
    window: tuple[str, str],
    ids: list[str] | None,
    statuses: list[str] | None,
    users: list[str] | None,
) -> Any:
    did = tables.vicidial_did_log
    query = (
        sa.select(sa.func.min(did.c.extension), _IN.c.status, sa.func.count())
        .select_from(did.join(_IN, _IN.c.uniqueid == did.c.uniqueid))
        .where(did.c.call_date.between(*window))
    )
    if ids is not None:
        query = query.where(did.c.did_id.in_(ids))
    if statuses is not None:
        query = query.where(_IN.c.status.in_(statuses))
    if users is not None:
        query = query.where(_IN.c.user.in_(users))
    return conn.execute(
        query.group_by(_IN.c.campaign_id, _IN.c.status).order_by(_IN.c.campaign_id, _IN.c.status)
    )


def _cell(count: int, total: int, *, percentages: bool) -> str:
    if not percentages:
        return str(count)
    share = 100 * count / total if total else 0.0
    return f"{count} ({share:.1f}%)"  # C printf rounding, not PHP round (spec 8.3)


def call_dispo_report(
    engine: sa.Engine, params: DispoParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `call_dispo_report`: calls per campaign, in-group or DID by status."""
    with engine.connect() as conn:

        def precheck(p: dict[str, str]) -> list[str]:
            if (
                len(p["campaigns"]) < 2
                and len(p["ingroups"]) < 2
                and len(p["did_patterns"]) < 2
                and not p["did_ids"]
            ):
                return _two_lines(
                    "call_dispo_report INVALID OR MISSING CAMPAIGNS, INGROUPS, OR DIDS", p["source"]
                )
            return []

        request, errors = begin(
            conn, "call_dispo_report", params, user, check_source=False, precheck=precheck
        )
        if request is None:
            yield from errors
            return
        p = request.params
        window = _window(p, now)
        camp_items = p["campaigns"].split("-")
        campaigns = (
            None if ("ALLCAMPAIGNS" in camp_items or "---ALL---" in p["campaigns"]) else camp_items
        )
        group_items = p["ingroups"].split("-")
        ingroups = (
            None if ("ALLGROUPS" in group_items or "---ALL---" in p["ingroups"]) else group_items
        )
        statuses = _status_filter(conn, p, campaigns)
        users = _user_filter(conn, p)
        rows: list[tuple[str, str, int, str]] = []  # (label, status, count, block)
        if p["campaigns"]:
            rows += [
                (c or "", s or "", n, "out")
                for c, s, n in _counts(
                    conn, _OUT, window, campaigns, statuses, by_hour=False, users=users
                )
            ]
        if p["ingroups"]:
            rows += [
                (c or "", s or "", n, "in")
                for c, s, n in _counts(
                    conn, _IN, window, ingroups, statuses, by_hour=False, users=users
                )
            ]
        elif p["did_ids"] or p["did_patterns"]:
            rows += [
                (e or "", s or "", n, "did")
                for e, s, n in _did_counts(conn, window, _did_ids(conn, p), statuses, users)
            ]
    breakdown = bool(p["status_breakdown"])
    percentages = breakdown and bool(p["show_percentages"])
    header_statuses: list[str] = []
    before_did: set[str] = set()
    for _, status, _, block in rows:
        if block == "did":
            # NOTE: the DID block checks only statuses seen before it, so it can repeat one (8.3)
            if status not in before_did:
                header_statuses.append(status)
        elif status not in header_statuses:
            header_statuses.append(status)
            before_did.add(status)
    order = php_ksort(dict.fromkeys(header_statuses))
    per_label: dict[tuple[str, str], Counter[str]] = {}
    for label, status, n, block in rows:
        per_label.setdefault((block, label), Counter())[status] += n
    grand: Counter[str] = Counter()
    header = "CAMPAIGN,TOTAL CALLS" + "".join(f",{s}" for s in header_statuses if breakdown)
    out = [header + "\n"]
    for (_, label), counts in per_label.items():
        total = sum(counts.values())
        grand.update(counts)
        cells = (
            "".join(f",{_cell(counts[s], total, percentages=percentages)}" for s in order)
            if breakdown
            else ""
        )
        out.append(f"{label},{total}{cells}\n")
    total = sum(grand.values())
    cells = (
        "".join(f",{_cell(grand[s], total, percentages=percentages)}" for s in order)
        if breakdown
        else ""
    )
    out.append(f"TOTAL,{total}{cells}")  # no newline after the TOTAL line
    yield from out
