"""`call_dispo_report`, as non-agent API 2.14-194 prints it (spec section 8).

The database counts calls per (campaign, status), (in-group, status) or (closer campaign,
status) of DID calls; Python arranges the counts. Kept as VICIdial prints it: the header lists
statuses in first-seen order while the values follow sorted order (so columns can be
mislabelled, and the DID block can repeat a status in the header), percentages use C
`printf("%.1f")` rounding, and the TOTAL line has no newline.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.export_access import begin
from sinks.export_format import ApiParams
from sinks.export_sql import has_table
from sinks.export_stats import (
    CAMPAIGN_STATUSES_TABLE,
    INBOUND,
    OUTBOUND,
    STATUSES_TABLE,
    call_window,
    missing_lines,
    php_ksort,
    status_counts,
)

__all__ = ["DispoParams", "call_dispo_report"]


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
            sa.select(STATUSES_TABLE.c.status).where(STATUSES_TABLE.c.category.in_(categories))
        ).scalars()
    if categories and has_table(conn, "vicidial_campaign_statuses"):
        query = sa.select(CAMPAIGN_STATUSES_TABLE.c.status).where(
            CAMPAIGN_STATUSES_TABLE.c.category.in_(categories)
        )
        if campaigns is not None:
            query = query.where(CAMPAIGN_STATUSES_TABLE.c.campaign_id.in_(campaigns))
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
        sa.select(sa.func.min(did.c.extension), INBOUND.c.status, sa.func.count())
        .select_from(did.join(INBOUND, INBOUND.c.uniqueid == did.c.uniqueid))
        .where(did.c.call_date.between(*window))
    )
    if ids is not None:
        query = query.where(did.c.did_id.in_(ids))
    if statuses is not None:
        query = query.where(INBOUND.c.status.in_(statuses))
    if users is not None:
        query = query.where(INBOUND.c.user.in_(users))
    return conn.execute(
        query.group_by(INBOUND.c.campaign_id, INBOUND.c.status).order_by(
            INBOUND.c.campaign_id, INBOUND.c.status
        )
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
                return missing_lines(
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
        window = call_window(p, now)
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
                for c, s, n in status_counts(
                    conn, OUTBOUND, window, campaigns, statuses, by_hour=False, users=users
                )
            ]
        if p["ingroups"]:
            rows += [
                (c or "", s or "", n, "in")
                for c, s, n in status_counts(
                    conn, INBOUND, window, ingroups, statuses, by_hour=False, users=users
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
