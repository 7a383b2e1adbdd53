"""Bulk list jobs with `update_list` / `update_campaign` semantics (lists.md 2.5, 2.8-2.10, 4.2).

Every job walks `vicidial_list` in short primary-key windows (`sinks.chunks`), so the dialer's
MyISAM tables are never locked for long, and resumes after a crash from its last finished window.
Each list gets the lines the API would print for `update_list list_id=<id>&reset_list=Y` (or
`delete_list=Y`, `delete_leads=Y`); the admin-log rows the API would write are returned in
`ListResult.admin_log`.

Deleting leads goes beyond the API by default: VICIdial leaves the leads' callbacks, alt phones,
hopper rows and custom-field rows behind (2.10); leadpipe moves the callbacks to
`vicidial_callbacks_archive` (as `update_lead delete_lead=Y` does, ingest.md 16.4) and deletes the
rest. `keep_related=True` does exactly what the API does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from sinks import tables
from sinks.api_users import ApiUser, load_api_user
from sinks.chunks import (
    DEFAULT_CHUNK_ROWS,
    ListResult,
    OnChunk,
    StatementTimer,
    Window,
    WindowScan,
    run_windows,
)
from sinks.database import is_sqlite
from sinks.errors import SinkError
from sinks.jobs import Job, JobStore, job_session, stamp

__all__ = [
    "NO_UPDATES",
    "add_count",
    "admit_reset",
    "counts_of",
    "gate_lists",
    "reset_hopper",
    "reset_leads",
    "reset_lists",
    "resolve_lists",
    "run_job",
]

VL = tables.vicidial_list
LISTS = tables.vicidial_lists
CSR = VL.c.called_since_last_reset
NO_UPDATES = "NOTICE: update_list NO UPDATES DEFINED: |{user}|"


def counts_of(state: dict[str, Any], list_id: int | str) -> dict[str, int]:
    """The counts of `list_id` in a job's state (created empty)."""
    counts: dict[str, int] = state.setdefault("counts", {}).setdefault(str(list_id), {})
    return counts


def add_count(counts: dict[str, int], key: str, value: int) -> None:
    counts[key] = counts.get(key, 0) + value


def _list_rows(conn: sa.Connection, list_ids: Sequence[int]) -> dict[int, sa.RowMapping]:
    cols = (LISTS.c.list_id, LISTS.c.campaign_id, LISTS.c.daily_reset_limit, LISTS.c.resets_today)
    rows = conn.execute(sa.select(*cols).where(LISTS.c.list_id.in_(list_ids))).mappings()
    return {int(r["list_id"]): r for r in rows}


def gate_lists(conn: sa.Connection, api: ApiUser, list_ids: Sequence[int]) -> dict[int, str | None]:
    """`update_list` steps 1-5 for every list: its error line, or None when it may go on."""
    first = api.group_error() or api.update_list_error()
    found = _list_rows(conn, [i for i in list_ids if 2 <= len(str(i)) <= 14])
    verdicts: dict[int, str | None] = {}
    for list_id in list_ids:
        row = found.get(list_id)
        verdicts[list_id] = first or api.list_gate(
            list_id, row["campaign_id"] if row else None, exists=row is not None
        )
    return verdicts


def resolve_lists(
    engine: sa.Engine, list_ids: Sequence[int] | None, campaign_id: str | None
) -> list[int]:
    """The given list ids (deduplicated, in order) plus every list of `campaign_id`."""
    ids = list(dict.fromkeys(int(i) for i in (list_ids or ())))
    if campaign_id:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(LISTS.c.list_id)
                .where(LISTS.c.campaign_id == campaign_id)
                .order_by(LISTS.c.list_id)
            ).scalars()
            ids.extend(int(r) for r in rows if int(r) not in ids)
    if not ids:
        msg = (
            f"no lists to work on: campaign `{campaign_id}` has none"
            if campaign_id
            else "no list ids given"
        )
        raise SinkError(msg)
    return ids


def admit_reset(
    conn: sa.Connection,
    list_id: int,
    *,
    now: dt.datetime | None,
    dry_run: bool,
    timer: StatementTimer,
) -> tuple[bool, int, int]:
    """Count one reset against the daily limit (2.5 step 2); return (allowed, resets_today, limit).

    `resets_today` is the value after the reset when allowed. With `now`, `list_changedate` is
    set too (API resets; scheduled resets leave it). One conditional UPDATE, so a concurrent
    scheduled reset cannot slip past the limit.
    """
    allowed_expr = sa.or_(
        LISTS.c.daily_reset_limit > LISTS.c.resets_today, LISTS.c.daily_reset_limit < 0
    )
    applied = 0
    if not dry_run:
        values: dict[str, Any] = {"resets_today": LISTS.c.resets_today + 1}
        if now is not None:
            values["list_changedate"] = stamp(now)
        stmt = sa.update(LISTS).where(LISTS.c.list_id == list_id, allowed_expr).values(**values)
        applied = timer.run(conn, stmt).rowcount
    row = _list_rows(conn, [list_id]).get(list_id)
    if row is None:
        return False, 0, 0
    limit, today = int(row["daily_reset_limit"]), int(row["resets_today"])
    if dry_run:
        allowed = limit > today or limit < 0
        return allowed, today + int(allowed), limit
    return applied == 1, today, limit


def reset_leads(
    engine: sa.Engine,
    list_ids: Sequence[int],
    state: dict[str, Any],
    *,
    now: dt.datetime,
    dry_run: bool,
    job: Job | None,
    store: JobStore | None,
    timer: StatementTimer,
    chunk_rows: int,
    on_chunk: OnChunk | None,
    operation: str,
) -> int:
    """Set `called_since_last_reset='N'` on every lead of `list_ids`, window by window (2.5).

    Counts per list go to `state["counts"]`: `matched` (leads of the list) and `changed`. Returns
    the number of windows that held leads.
    """
    if not list_ids:
        return 0
    ids = [int(i) for i in list_ids]
    dirty = sa.or_(CSR.is_(None), CSR != "N")
    scan = WindowScan(VL, VL.c.lead_id, (VL.c.list_id.in_(ids),), chunk_rows,
                      group_by=(VL.c.list_id,), sums=(sa.case((dirty, 1), else_=0),))  # fmt: skip

    def body(conn: sa.Connection, window: Window) -> tuple[int, int]:
        matched = changed = 0
        for list_id, n, d in window.groups:
            add_count(counts_of(state, int(list_id)), "matched", n)
            add_count(counts_of(state, int(list_id)), "changed", d)
            matched, changed = matched + n, changed + d
        if changed and not dry_run:
            values: dict[str, Any] = {"called_since_last_reset": "N"}
            if is_sqlite(conn):  # MySQL refreshes modify_date itself (schema.md 0.3)
                values["modify_date"] = stamp(now)
            stmt = (
                sa.update(VL)
                .where(window.key_range(VL.c.lead_id), VL.c.list_id.in_(ids), dirty)
                .values(**values)
            )
            timer.run(conn, stmt)
        return matched, changed

    return run_windows(
        engine,
        scan,
        body,
        operation=operation,
        job=job,
        store=store,
        timer=timer,
        on_chunk=on_chunk,
    )


def _result(operation: str, state: dict[str, Any], *, dry_run: bool, job: Job | None) -> ListResult:
    result = ListResult(
        operation,
        dry_run=dry_run,
        job_id=job.job_id if job else None,
        resumed=bool(job and job.resumed),
    )
    for key, entry in state.get("lists", {}).items():
        outcome = result.outcome(int(key) if key.isdigit() else key)
        counts = state.get("counts", {}).get(key, {})
        outcome.counts.update(counts)
        for text, count_key in entry["lines"]:
            outcome.lines.append(text + (str(counts.get(count_key, 0)) if count_key else ""))
    for counts in state.get("counts", {}).values():
        result.totals.update(counts)
    result.totals.update(state.get("totals", {}))
    result.admin_log = list(state.get("admin_log", []))
    return result


def run_job(
    engine: sa.Engine,
    operation: str,
    params: dict[str, Any],
    *,
    now: dt.datetime,
    dry_run: bool,
    steps: Any,
) -> ListResult:
    """Run `steps(job, store, state, timer)` as a resumable job (once, writing nothing, if dry)."""
    timer = StatementTimer()
    if dry_run:
        state: dict[str, Any] = {}
        chunks = steps(None, None, state, timer)
        result = _result(operation, state, dry_run=True, job=None)
    else:
        store = JobStore(engine, now=now)
        with job_session(store, operation, params) as job:
            chunks = steps(job, store, job.state, timer)
        result = _result(operation, job.state, dry_run=False, job=job)
    result.chunks = chunks
    result.take_timer(timer)
    return result


def reset_lists(
    engine: sa.Engine,
    list_ids: Sequence[int] | None = None,
    *,
    campaign_id: str | None = None,
    user: str,
    now: dt.datetime,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: OnChunk | None = None,
) -> ListResult:
    """Reset lists as `update_list reset_list=Y` does, honouring `daily_reset_limit` (2.5).

    Counts per list: `changed` (leads set back to `N`; with `dry_run`, that would be) and `matched`.
    """
    ids = resolve_lists(engine, list_ids, campaign_id)
    params = {"lists": ids, "campaign_id": campaign_id, "user": user}

    def steps(
        job: Job | None, store: JobStore | None, state: dict[str, Any], timer: StatementTimer
    ) -> int:
        if job is None or job.phase == "":
            with engine.begin() as conn:
                api = load_api_user(conn, user)
                lists: dict[str, Any] = {}
                admitted = []
                for list_id, error in gate_lists(conn, api, ids).items():
                    if error:
                        lists[str(list_id)] = {"lines": [[error, None]]}
                        continue
                    allowed, today, limit = admit_reset(
                        conn, list_id, now=now, dry_run=dry_run, timer=timer
                    )
                    lines = [[NO_UPDATES.format(user=user), None]]
                    if allowed:
                        admitted.append(list_id)
                        counts_of(state, list_id).update(matched=0, changed=0)
                        lines.append(
                            [
                                f"NOTICE: update_list LEADS IN LIST HAVE BEEN RESET - {user}|{list_id}|",
                                None,
                            ]
                        )
                    else:
                        lines.append(
                            [
                                f"NOTICE: update_list LIST RESET FAILED, daily reset limit reached: "
                                f"{today} / {limit} - {user}|{list_id}",
                                None,
                            ]
                        )
                    lists[str(list_id)] = {
                        "lines": lines,
                        "admitted": allowed,
                        "resets_today": today,
                        "limit": limit,
                    }
                state["lists"] = lists
                state["admitted"] = admitted
                if job is not None and store is not None:
                    job.phase = "leads"
                    store.save(conn, job)
        chunks = reset_leads(
            engine,
            state["admitted"],
            state,
            now=now,
            dry_run=dry_run,
            job=job,
            store=store,
            timer=timer,
            chunk_rows=chunk_rows,
            on_chunk=on_chunk,
            operation="reset",
        )
        state["admin_log"] = [
            _reset_log(user, int(k), v, state) for k, v in state["lists"].items() if "admitted" in v
        ]
        return chunks

    return run_job(engine, "reset", params, now=now, dry_run=dry_run, steps=steps)


def _reset_log(
    user: str, list_id: int, entry: dict[str, Any], state: dict[str, Any]
) -> dict[str, str]:
    changed = counts_of(state, list_id).get("changed", 0)
    if entry["admitted"]:
        code, notes = (
            "ADMIN API RESET LIST",
            f"{changed} leads reset, list resets today: {entry['resets_today']}",
        )
    else:
        code = "ADMIN API RESET LIST FAILED"
        notes = f"daily list resets limit reached: {entry['resets_today']} / {entry['limit']}"
    return {
        "user": user,
        "event_section": "LISTS",
        "event_type": "RESET",
        "event_code": code,
        "record_id": str(list_id),
        "notes": notes,
    }


def reset_hopper(
    engine: sa.Engine, campaign_id: str, *, user: str, dry_run: bool = False
) -> ListResult:
    """Delete every hopper row of the campaign, as `update_campaign reset_hopper=Y` (4.2).

    One statement: the hopper is a small MEMORY table. Totals: `hopper` rows deleted.
    """
    campaign = re.sub(r"[^-_0-9a-zA-Z]", "", campaign_id)
    result = ListResult("reset_hopper", dry_run=dry_run)
    outcome = result.outcome(campaign)
    timer = StatementTimer()
    camps, hop = tables.vicidial_campaigns, tables.vicidial_hopper
    with engine.begin() as conn:
        api = load_api_user(conn, user)
        error = api.update_campaign_error()
        if error is None and not 2 <= len(campaign) <= 8:
            error = f"ERROR: update_campaign YOU MUST USE ALL REQUIRED FIELDS: |{user}|{campaign}||{campaign}"
        if error is None:
            found = conn.execute(
                sa.select(camps.c.campaign_id).where(camps.c.campaign_id == campaign)
            ).first()
            if found is None or not api.campaign_allowed(campaign):
                error = f"ERROR: update_campaign CAMPAIGN DOES NOT EXIST: |{user}|{campaign}"
        if error is not None:
            outcome.lines.append(error)
            return result
        pred = hop.c.campaign_id == campaign
        if dry_run:
            n = timer.run(
                conn, sa.select(sa.func.count()).select_from(hop).where(pred)
            ).scalar_one()
        else:
            n = timer.run(conn, sa.delete(hop).where(pred)).rowcount
    outcome.counts["hopper"] = int(n)
    result.totals["hopper"] = int(n)
    outcome.lines += [
        f"NOTICE: update_campaign NO UPDATES DEFINED: |{user}|",
        f"NOTICE: update_campaign HOPPER HAS BEEN RESET - {user}|{campaign}|",
    ]
    result.admin_log.append(
        {
            "user": user,
            "event_section": "CAMPAIGNS",
            "event_type": "RESET",
            "event_code": "ADMIN API RESET HOPPER",
            "record_id": campaign,
            "notes": "",
        }
    )
    result.take_timer(timer)
    return result
