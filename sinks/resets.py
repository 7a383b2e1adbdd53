"""Scheduled list resets for a cron job: `reset_time`, weekday resets, the daily counter.

Follows lists.md 5.

VICIdial's keepalive resets a list only in the very minute its `reset_time` names; a minute it
misses is lost. `reset_due` instead catches up: run every few minutes, it resets each list whose
latest reset minute of today (5.2 substring rule, 5.4 weekday rule) has passed and has not been
handled yet, once. What was handled is kept per list in `leadpipe_list_schedule`. The daily
counter (`resets_today=0` on every list, `QUEUE…` users cleared) is handled the same way at
`system_settings.timeclock_end_of_day`, before the list resets of the same run (5.3).

Run it where VICIdial's keepalive process 5 does not reset lists, or lists get reset twice.
"""

from __future__ import annotations

import datetime as dt
import re
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
from sinks.jobs import Job, JobStore, jobs_metadata, stamp
from sinks.lists import add_count, admit_reset, counts_of, reset_leads, run_job

__all__ = ["latest_slot", "leadpipe_list_schedule", "reset_due", "weekday_slot"]

LISTS = tables.vicidial_lists
VL = tables.vicidial_list
SYSTEM_USER = "VDAD"
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_END_OF_DAY = 0  # list id of the end-of-day record

leadpipe_list_schedule = sa.Table(
    "leadpipe_list_schedule",
    jobs_metadata,
    sa.Column("list_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("last_slot", sa.String(19), nullable=False),
    mysql_engine="InnoDB",
)
"""The latest scheduled minute handled per list and kind (`timed`, `weekday`; 0: `end_of_day`)."""


def latest_slot(text: str | None, now: dt.datetime) -> dt.datetime | None:
    """The latest minute of today up to `now` whose `HHMM` occurs in `text` (5.2 substring rule).

    >>> latest_slot("0800-1700", dt.datetime(2026, 3, 2, 16, 59))
    datetime.datetime(2026, 3, 2, 8, 0)
    >>> latest_slot("09001700", dt.datetime(2026, 3, 2, 0, 30))  # `0017` matches too
    datetime.datetime(2026, 3, 2, 0, 17)
    """
    if not text or len(text) < 4:
        return None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for minute in range(now.hour * 60 + now.minute, -1, -1):
        if f"{minute // 60:02d}{minute % 60:02d}" in text:
            return midnight + dt.timedelta(minutes=minute)
    return None


def weekday_slot(container: str | None, now: dt.datetime) -> dt.datetime | None:
    """The latest minute of today up to `now` that a weekday-reset container names (5.4).

    >>> weekday_slot("monday=0900,1700 ; comment\\ntuesday=1000", dt.datetime(2026, 3, 2, 12, 0))
    datetime.datetime(2026, 3, 2, 9, 0)
    """
    day = _DAYS[now.weekday()]
    lines = []
    for raw in (container or "").replace("\\", "").split("\n"):
        line = re.sub(r"[\r\t ]", "", raw.split(";", 1)[0])
        if len(line) > 5 and line.lower().startswith(day):
            lines.append(line)
    slots = [slot for line in lines if (slot := latest_slot(line[len(day) :], now)) is not None]
    return max(slots) if slots else None


def _handled(conn: sa.Connection) -> dict[tuple[int, str], str]:
    if not sa.inspect(conn).has_table(leadpipe_list_schedule.name):
        return {}
    t = leadpipe_list_schedule
    return {
        (int(r[0]), r[1]): r[2]
        for r in conn.execute(sa.select(t.c.list_id, t.c.kind, t.c.last_slot))
    }


def _due(conn: sa.Connection, now: dt.datetime) -> tuple[str | None, list[list[Any]]]:
    """The end-of-day slot to handle (or None) and the `[list_id, kind, slot]` resets due now."""
    handled = _handled(conn)

    def pending(list_id: int, kind: str, slot: dt.datetime) -> bool:
        return handled.get((list_id, kind), "") < stamp(slot)

    settings = conn.execute(
        sa.select(
            tables.system_settings.c.timeclock_end_of_day, tables.system_settings.c.weekday_resets
        )
    ).first()
    eod = latest_slot(settings[0], now) if settings else None
    weekday_on = settings is not None and int(settings[1] or 0) > 0
    rows = conn.execute(
        sa.select(LISTS.c.list_id, LISTS.c.reset_time, LISTS.c.weekday_resets_container).order_by(
            LISTS.c.list_id
        )
    ).all()
    timed = [
        [int(r[0]), "timed", stamp(s)]
        for r in rows
        if (s := latest_slot(r[1], now)) is not None and pending(int(r[0]), "timed", s)
    ]
    weekday: list[list[Any]] = []
    if weekday_on:
        wanted = {r[2] for r in rows if r[2] and r[2] != "DISABLED"}
        sc = tables.vicidial_settings_containers
        entries = (
            dict(
                conn.execute(
                    sa.select(sc.c.container_id, sc.c.container_entry).where(
                        sc.c.container_id.in_(wanted)
                    )
                ).all()
            )
            if wanted
            else {}
        )
        weekday = [
            [int(r[0]), "weekday", stamp(s)]
            for r in rows
            if r[2] in entries
            if (s := weekday_slot(entries[r[2]], now)) is not None
            if pending(int(r[0]), "weekday", s)
        ]
    eod_slot = stamp(eod) if eod is not None and pending(_END_OF_DAY, "end_of_day", eod) else None
    return eod_slot, timed + weekday


def _record(conn: sa.Connection, list_id: int, kind: str, slot: str) -> None:
    t = leadpipe_list_schedule
    done = conn.execute(
        sa.update(t).where(t.c.list_id == list_id, t.c.kind == kind).values(last_slot=slot)
    )
    if done.rowcount == 0:
        conn.execute(sa.insert(t).values(list_id=list_id, kind=kind, last_slot=slot))


def _clear_queue_users(
    engine: sa.Engine,
    state: dict[str, Any],
    *,
    now: dt.datetime,
    dry_run: bool,
    job: Job | None,
    store: JobStore | None,
    timer: StatementTimer,
    chunk_rows: int,
    on_chunk: OnChunk | None,
) -> int:
    """`user=''` on leads whose user starts with `QUEUE` (5.3), window by window, whole table."""
    queued = VL.c.user.like("QUEUE%")
    scan = WindowScan(VL, VL.c.lead_id, (queued,), chunk_rows)

    def body(conn: sa.Connection, window: Window) -> tuple[int, int]:
        n = window.groups[0][0] if window.groups else 0
        if n and not dry_run:
            values: dict[str, Any] = {"user": ""}
            if conn.dialect.name == "sqlite":
                values["modify_date"] = stamp(now)
            timer.run(
                conn, sa.update(VL).where(window.key_range(VL.c.lead_id), queued).values(**values)
            )
        add_count(counts_of(state, "end_of_day"), "queue_users_cleared", n)
        return n, n

    return run_windows(
        engine,
        scan,
        body,
        operation="end_of_day",
        job=job,
        store=store,
        timer=timer,
        on_chunk=on_chunk,
    )


def _admit(
    conn: sa.Connection, state: dict[str, Any], *, dry_run: bool, timer: StatementTimer
) -> None:
    """Count each due reset against its list's daily limit (5.2 step 3, 5.4 step 1), in order."""
    simulated: dict[int, int] = {}
    for list_id, kind, slot in state["due"]:
        if dry_run:
            row = conn.execute(
                sa.select(LISTS.c.daily_reset_limit, LISTS.c.resets_today).where(
                    LISTS.c.list_id == list_id
                )
            ).first()
            if row is None:
                continue
            limit = int(row[0])
            today = simulated.get(list_id, 0 if state.get("dry_counters_cleared") else int(row[1]))
            allowed = limit < 0 or limit > today
            today += int(allowed)
            simulated[list_id] = today
        else:
            allowed, today, limit = admit_reset(conn, list_id, now=None, dry_run=False, timer=timer)
            _record(conn, list_id, kind, slot)
        if kind == "weekday" and not allowed:
            continue  # 5.4 step 1: skipped without a log row
        entry = state["lists"].setdefault(str(list_id), {"lines": [], "events": []})
        entry["events"].append([kind, allowed, today, limit])
        if allowed and list_id not in state["admitted"]:
            state["admitted"].append(list_id)
            counts_of(state, list_id).update(matched=0, changed=0)


def _finish_lines(state: dict[str, Any]) -> None:
    """Lines and admin-log rows of the resets, now that the lead counts are known."""
    for key, entry in state["lists"].items():
        for kind, allowed, today, limit in entry.get("events", []):
            base = {
                "user": SYSTEM_USER,
                "ip_address": "1.1.1.1",
                "event_section": "LISTS",
                "event_type": "RESET",
                "record_id": key,
            }
            if allowed:
                matched = counts_of(state, int(key)).get("matched", 0)
                notes = f"{matched} leads reset, list resets today: {today}"
                notes += ", weekday reset" if kind == "weekday" else ""
                state["admin_log"].append(
                    {**base, "event_code": "ADMIN RESET LIST", "notes": notes}
                )
                entry["lines"].append([f"ADMIN RESET LIST - {SYSTEM_USER}|{key}|{notes}", None])
            else:
                sql = f"Reset Limit Reached {limit} / {today}"
                state["admin_log"].append(
                    {
                        **base,
                        "event_code": "ADMIN RESET LIST FAILED",
                        "event_sql": sql,
                        "notes": "Reset failed",
                    }
                )
                entry["lines"].append(
                    [f"ADMIN RESET LIST FAILED - {SYSTEM_USER}|{key}|{sql}", None]
                )
        entry["events"] = []


def reset_due(
    engine: sa.Engine,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: OnChunk | None = None,
) -> ListResult:
    """Do the scheduled resets whose minute has passed today and were not done yet (5.2-5.4).

    Per list, lines `ADMIN RESET LIST - VDAD|<list_id>|<notes>` (or `ADMIN RESET LIST FAILED -
    VDAD|<list_id>|Reset Limit Reached <limit> / <resets_today>`) mirror the keepalive's admin-log
    rows, which it does not print. Counts: `matched` (leads of the list, the keepalive's count)
    and `changed`. An unfinished earlier run is completed first, and this run then stops.
    """

    def steps(
        job: Job | None, store: JobStore | None, state: dict[str, Any], timer: StatementTimer
    ) -> int:
        chunks = 0
        if job is not None:
            jobs_metadata.create_all(engine, tables=[leadpipe_list_schedule])
        if job is None or job.phase == "":
            with engine.begin() as conn:
                eod, due = _due(conn, now)
                state.update(eod=eod, due=due, lists={}, admitted=[], admin_log=[])
                if eod is not None:
                    n = timer.run(conn, sa.select(sa.func.count()).select_from(LISTS)).scalar_one()
                    if not dry_run:
                        timer.run(conn, sa.update(LISTS).values(resets_today=0))
                        _record(conn, _END_OF_DAY, "end_of_day", eod)
                    state["lists"]["end_of_day"] = {
                        "lines": [
                            [
                                f"ADMIN END OF DAY - {SYSTEM_USER}|{eod}|{n} list counters cleared, "
                                "QUEUE users cleared: ",
                                "queue_users_cleared",
                            ]
                        ]
                    }
                    counts_of(state, "end_of_day").update(
                        counters_cleared=int(n), queue_users_cleared=0
                    )
                if job is not None and store is not None:
                    job.phase = "queue" if eod is not None else "admit"
                    store.save(conn, job)
            if job is None and eod is not None:  # dry run: the counters would now be 0
                state["dry_counters_cleared"] = True
        if state.get("eod") is not None and (job is None or job.phase == "queue"):
            chunks += _clear_queue_users(
                engine,
                state,
                now=now,
                dry_run=dry_run,
                job=job,
                store=store,
                timer=timer,
                chunk_rows=chunk_rows,
                on_chunk=on_chunk,
            )
            if job is not None and store is not None:
                job.phase, job.last_key = "admit", None
                with engine.begin() as conn:
                    store.save(conn, job)
        if job is None or job.phase == "admit":
            with engine.begin() as conn:
                _admit(conn, state, dry_run=dry_run, timer=timer)
                if job is not None and store is not None:
                    job.phase = "leads"
                    store.save(conn, job)
        chunks += reset_leads(
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
            operation="scheduled_reset",
        )
        _finish_lines(state)
        return chunks

    return run_job(
        engine, "scheduled_reset", {"scheduler": "due"}, now=now, dry_run=dry_run, steps=steps
    )
