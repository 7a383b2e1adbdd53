"""Scrubs of existing leads against the DNC lists: report them, and optionally set a status.

The leads of the given lists are walked window by window (`sinks.chunks`); each window's numbers
(and, with `areacode`, their `NNNXXXXXXX` wildcards) are looked up in `vicidial_dnc` and in the
campaign DNC list of each lead's list, with add_lead's choice of campaign (ingest.md 7). Setting
a status makes it a resumable job like the other list jobs; a report alone writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.chunks import (
    DEFAULT_CHUNK_ROWS,
    ListResult,
    OnChunk,
    StatementTimer,
    Window,
    WindowScan,
    run_windows,
)
from sinks.errors import SinkError
from sinks.jobs import Job, JobStore, stamp
from sinks.lists import add_count, counts_of, run_job

__all__ = ["scrub_dnc"]

_IN_BATCH = 5_000


def _dnc_campaigns(conn: sa.Connection, list_ids: Sequence[int]) -> dict[int, str]:
    """Each list's DNC campaign: its campaign, or its `use_other_campaign_dnc` (ingest.md 7)."""
    lists, camps = tables.vicidial_lists, tables.vicidial_campaigns
    rows = conn.execute(
        sa.select(lists.c.list_id, lists.c.campaign_id, camps.c.use_other_campaign_dnc)
        .select_from(lists.outerjoin(camps, camps.c.campaign_id == lists.c.campaign_id))
        .where(lists.c.list_id.in_(list_ids))
    ).all()
    return {int(r[0]): (r[2] or r[1] or "") for r in rows}


def _hits(
    conn: sa.Connection,
    table: sa.Table,
    numbers: list[str],
    extra: Sequence[Any],
    timer: StatementTimer,
) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    cols = [table.c.phone_number, *extra]
    for i in range(0, len(numbers), _IN_BATCH):
        part = numbers[i : i + _IN_BATCH]
        stmt = sa.select(*cols).where(table.c.phone_number.in_(part))
        found |= {tuple(str(v).upper() for v in row) for row in timer.run(conn, stmt)}
    return found


def scrub_dnc(
    engine: sa.Engine,
    list_ids: Sequence[int],
    *,
    now: dt.datetime,
    set_status: str | None = None,
    system: bool = True,
    campaign: bool = True,
    areacode: bool = True,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: OnChunk | None = None,
) -> ListResult:
    """Find the leads of `list_ids` whose number is now on a DNC list; optionally set their status.

    Lists checked: the system list (`system`) and each lead list's campaign list (`campaign`;
    the campaign's `use_other_campaign_dnc` when set), exact numbers and, with `areacode`, the
    `NNNXXXXXXX` wildcards. Counts per list: `on_dnc`, `status_set`. `details` lists every
    match found by this run (`lead_id`, `list_id`, `phone_number`, `status`, `dnc`). Without
    `set_status` nothing is written and no job is recorded.
    """
    if set_status is not None and not 1 <= len(set_status) <= 6:
        msg = f"status `{set_status}` must be 1 to 6 characters (`vicidial_list.status`)"
        raise SinkError(msg)
    ids = list(dict.fromkeys(int(i) for i in list_ids))
    vl = tables.vicidial_list
    write = set_status is not None and not dry_run
    details: list[dict[str, Any]] = []

    def steps(
        job: Job | None, store: JobStore | None, state: dict[str, Any], timer: StatementTimer
    ) -> int:
        with engine.connect() as conn:
            dnc_camp = _dnc_campaigns(conn, ids)
        state["lists"] = {str(i): {"lines": []} for i in ids}
        for i in ids:
            counts_of(state, i).setdefault("on_dnc", 0)
            counts_of(state, i).setdefault("status_set", 0)
        columns = (vl.c.list_id, vl.c.phone_number, vl.c.status)
        scan = WindowScan(vl, vl.c.lead_id, (vl.c.list_id.in_(ids),), chunk_rows, columns)

        def body(conn: sa.Connection, window: Window) -> tuple[int, int]:
            phones = {str(r[2] or "").upper() for r in window.rows}
            wild = {p[:3] + "XXXXXXX" for p in phones if len(p) >= 3} if areacode else set()
            wanted = sorted(phones | wild)
            sys_hits = _hits(conn, tables.vicidial_dnc, wanted, (), timer) if system else set()
            cdnc = tables.vicidial_campaign_dnc
            camp_hits = (
                _hits(conn, cdnc, wanted, (cdnc.c.campaign_id,), timer) if campaign else set()
            )
            matched = []
            for lead_id, list_id, phone, status in window.rows:
                number = str(phone or "").upper()
                keys = [number, number[:3] + "XXXXXXX"] if areacode else [number]
                camp = dnc_camp.get(int(list_id), "").upper()
                where = (
                    "SYSTEM"
                    if any((k,) in sys_hits for k in keys)
                    else f"CAMPAIGN:{camp}"
                    if any((k, camp) in camp_hits for k in keys)
                    else None
                )
                if where is None:
                    continue
                add_count(counts_of(state, int(list_id)), "on_dnc", 1)
                details.append(
                    {
                        "lead_id": int(lead_id),
                        "list_id": int(list_id),
                        "phone_number": phone,
                        "status": status,
                        "dnc": where,
                    }
                )
                if set_status is not None and status != set_status:
                    matched.append(int(lead_id))
                    add_count(counts_of(state, int(list_id)), "status_set", 1)
            if write and matched:
                values: dict[str, Any] = {"status": set_status}
                if conn.dialect.name == "sqlite":
                    values["modify_date"] = stamp(now)
                for i in range(0, len(matched), _IN_BATCH):
                    timer.run(
                        conn,
                        sa.update(vl)
                        .where(vl.c.lead_id.in_(matched[i : i + _IN_BATCH]))
                        .values(**values),
                    )
            return len(window.rows), len(matched)

        return run_windows(
            engine,
            scan,
            body,
            operation="dnc_scrub",
            job=job,
            store=store,
            timer=timer,
            on_chunk=on_chunk,
        )

    params = {
        "lists": ids,
        "set_status": set_status,
        "system": system,
        "campaign": campaign,
        "areacode": areacode,
    }
    result = run_job(engine, "dnc_scrub", params, now=now, dry_run=not write, steps=steps)
    result.dry_run = dry_run
    result.details = details
    return result
