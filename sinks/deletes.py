"""Deleting lists and leads in bulk, as `update_list delete_list=Y` / `delete_leads=Y`.

Follows lists.md 2.8-2.10.

Leads go window by window (`sinks.chunks`); a rerun resumes after the last finished window.
VICIdial leaves the deleted leads' callbacks, alt phones, hopper rows and custom-field rows behind
(2.10); leadpipe moves the callbacks to `vicidial_callbacks_archive` (as `update_lead
delete_lead=Y` does, ingest.md 16.4) and deletes the rest, unless `keep_related=True` asks for
exactly what the API does. Within a window the related rows go first and the leads last, so a
crash in between is repaired by the rerun.
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
from sinks.errors import SinkError
from sinks.jobs import Job, JobStore
from sinks.lists import NO_UPDATES, add_count, counts_of, gate_lists, run_job

__all__ = ["delete_lead_windows", "delete_leads", "delete_lists"]

VL = tables.vicidial_list
LISTS = tables.vicidial_lists


def _custom_tables(engine: sa.Engine) -> set[str]:
    return {
        name for name in sa.inspect(engine).get_table_names() if re.fullmatch(r"custom_\d+", name)
    }


def _ignore_insert(table: sa.Table, select: sa.Select[Any], names: list[str]) -> sa.Insert:
    return (
        sa.insert(table)
        .from_select(names, select)
        .prefix_with("IGNORE", dialect="mysql")
        .prefix_with("OR IGNORE", dialect="sqlite")
    )


def _delete_related(
    conn: sa.Connection,
    window: Window,
    ids: list[int],
    entry_lists: set[int],
    custom: set[str],
    *,
    dry_run: bool,
    timer: StatementTimer,
) -> dict[str, int]:
    """Archive the window's leads' callbacks; delete their alt phones, hopper and custom rows."""
    leads = sa.select(VL.c.lead_id).where(window.key_range(VL.c.lead_id), VL.c.list_id.in_(ids))
    cb, arch = tables.vicidial_callbacks, tables.vicidial_callbacks_archive
    targets: list[tuple[str, Any]] = [
        ("callbacks", cb),
        ("alt_phones", tables.vicidial_list_alt_phones),
        ("hopper", tables.vicidial_hopper),
    ]
    targets += [
        ("custom_rows", sa.table(name, sa.column("lead_id")))
        for name in sorted({f"custom_{i}" for i in (*ids, *entry_lists)} & custom)
    ]
    done: dict[str, int] = {}
    for label, table in targets:
        pred = sa.and_(window.key_range(table.c.lead_id), table.c.lead_id.in_(leads))
        if dry_run:
            n = timer.run(
                conn, sa.select(sa.func.count()).select_from(table).where(pred)
            ).scalar_one()
        else:
            if (
                label == "callbacks"
            ):  # as update_lead delete_lead=Y: copy, then delete (ingest.md 16.4)
                names = [c.name for c in cb.columns]
                copied = timer.run(
                    conn, _ignore_insert(arch, sa.select(*cb.columns).where(pred), names)
                )
                done["callbacks_archived"] = done.get("callbacks_archived", 0) + copied.rowcount
            n = timer.run(conn, sa.delete(table).where(pred)).rowcount
        done[label] = done.get(label, 0) + int(n)
    return done


def delete_lead_windows(
    engine: sa.Engine,
    list_ids: Sequence[int],
    state: dict[str, Any],
    *,
    keep_related: bool,
    dry_run: bool,
    job: Job | None,
    store: JobStore | None,
    timer: StatementTimer,
    chunk_rows: int,
    on_chunk: OnChunk | None,
    operation: str,
) -> int:
    """Delete every lead of `list_ids` window by window (2.9), with its related rows unless kept."""
    ids = [int(i) for i in list_ids]
    if not ids:
        return 0
    custom = set() if keep_related else _custom_tables(engine)
    scan = WindowScan(VL, VL.c.lead_id, (VL.c.list_id.in_(ids),), chunk_rows,
                      group_by=(VL.c.list_id, VL.c.entry_list_id))  # fmt: skip
    totals = state.setdefault("totals", {})

    def body(conn: sa.Connection, window: Window) -> tuple[int, int]:
        matched, entry_lists = 0, set()
        for list_id, entry, n in window.groups:
            add_count(counts_of(state, int(list_id)), "deleted", n)
            matched += n
            if entry is not None and int(entry) > 99:
                entry_lists.add(int(entry))
        if not matched:
            return 0, 0
        if not keep_related:
            related = _delete_related(conn, window, ids, entry_lists, custom, dry_run=dry_run,
                                      timer=timer)  # fmt: skip
            for key, n in related.items():
                add_count(totals, key, n)
        if dry_run:
            return matched, matched
        stmt = sa.delete(VL).where(window.key_range(VL.c.lead_id), VL.c.list_id.in_(ids))
        return matched, int(timer.run(conn, stmt).rowcount)

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


def _confirm(*, confirm: bool, dry_run: bool, what: str) -> None:
    if not (confirm or dry_run):
        msg = (
            f"refusing to delete {what} without confirmation: pass `--yes` "
            "(see first with `--dry-run`)"
        )
        raise SinkError(msg)


def delete_leads(
    engine: sa.Engine,
    list_ids: Sequence[int],
    *,
    user: str,
    now: dt.datetime,
    confirm: bool = False,
    keep_related: bool = False,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: OnChunk | None = None,
) -> ListResult:
    """Delete every lead of the lists, as `update_list delete_leads=Y` (2.9), and related rows.

    Counts per list: `deleted`. Totals also count `callbacks` (deleted), `callbacks_archived`,
    `alt_phones`, `hopper` and `custom_rows` (none with `keep_related`).

    Raises:
        SinkError: neither `confirm` nor `dry_run` was given.
    """
    return delete_lists(
        engine,
        list_ids,
        user=user,
        now=now,
        confirm=confirm,
        keep_related=keep_related,
        dry_run=dry_run,
        chunk_rows=chunk_rows,
        on_chunk=on_chunk,
        lists=False,
        leads=True,
    )


def delete_lists(
    engine: sa.Engine,
    list_ids: Sequence[int],
    *,
    user: str,
    now: dt.datetime,
    confirm: bool = False,
    keep_related: bool = False,
    with_leads: bool = False,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: OnChunk | None = None,
    lists: bool = True,
    leads: bool | None = None,
) -> ListResult:
    """Delete list rows as `update_list delete_list=Y` (2.8), then their leads when `with_leads`.

    Unless `keep_related`, the lists' hopper rows go too (totals `hopper_of_lists`). The list's
    custom-field definitions and `custom_<list_id>` table are left alone.

    Raises:
        SinkError: neither `confirm` nor `dry_run` was given.
    """
    leads = with_leads if leads is None else leads
    _confirm(confirm=confirm, dry_run=dry_run, what="leads" if leads and not lists else "lists")
    ids = list(dict.fromkeys(int(i) for i in list_ids))
    operation = "delete_list" if lists else "delete_leads"
    params = {
        "lists": ids,
        "user": user,
        "keep_related": keep_related,
        "delete_list": lists,
        "delete_leads": leads,
    }

    def steps(
        job: Job | None, store: JobStore | None, state: dict[str, Any], timer: StatementTimer
    ) -> int:
        if job is None or job.phase == "":
            with engine.begin() as conn:
                state["lists"], state["doomed"] = _deletegate_lists(
                    conn,
                    load_api_user(conn, user),
                    ids,
                    state,
                    lists=lists,
                    leads=leads,
                    keep_related=keep_related,
                    dry_run=dry_run,
                    timer=timer,
                )
                if job is not None and store is not None:
                    job.phase = "leads"
                    store.save(conn, job)
        return delete_lead_windows(
            engine,
            state["doomed"],
            state,
            keep_related=keep_related,
            dry_run=dry_run,
            job=job,
            store=store,
            timer=timer,
            chunk_rows=chunk_rows,
            on_chunk=on_chunk,
            operation=operation,
        )

    return run_job(engine, operation, params, now=now, dry_run=dry_run, steps=steps)


def _deletegate_lists(
    conn: sa.Connection,
    api: ApiUser,
    ids: list[int],
    state: dict[str, Any],
    *,
    lists: bool,
    leads: bool,
    keep_related: bool,
    dry_run: bool,
    timer: StatementTimer,
) -> tuple[dict[str, Any], list[int]]:
    """Checks and list-row deletes (2.8) per list; return its lines and the lists whose leads go."""
    entries: dict[str, Any] = {}
    doomed: list[int] = []
    log = state.setdefault("admin_log", [])
    for list_id, error in gate_lists(conn, api, ids).items():
        lines: list[list[Any]] = (
            [[error, None]] if error else [[NO_UPDATES.format(user=api.user), None]]
        )
        entries[str(list_id)] = {"lines": lines}
        if error:
            continue
        if lists:
            if not api.may_delete_lists():
                lines.append(
                    [
                        f"NOTICE: update_list USER DOES NOT HAVE PERMISSION TO DELETE LISTS: |{api.user}|0",
                        None,
                    ]
                )
                continue
            where = LISTS.c.list_id == list_id
            if dry_run:
                n = timer.run(
                    conn, sa.select(sa.func.count()).select_from(LISTS).where(where)
                ).scalar_one()
            else:
                n = timer.run(conn, sa.delete(LISTS).where(where)).rowcount
            lines.append(
                [f"NOTICE: update_list LIST HAS BEEN DELETED - {api.user}|{list_id}|{n}", None]
            )
            log.append(
                {
                    "user": api.user,
                    "event_section": "LISTS",
                    "event_type": "DELETE",
                    "event_code": "ADMIN API DELETE LIST",
                    "record_id": str(list_id),
                    "notes": "",
                }
            )
            if not keep_related:
                hop = tables.vicidial_hopper
                pred = hop.c.list_id == list_id
                stmt = (
                    sa.select(sa.func.count()).select_from(hop).where(pred)
                    if dry_run
                    else sa.delete(hop).where(pred)
                )
                result = timer.run(conn, stmt)
                add_count(
                    state.setdefault("totals", {}),
                    "hopper_of_lists",
                    int(result.scalar_one() if dry_run else result.rowcount),
                )
        if leads:
            if not api.may_delete_leads():
                lines.append(
                    [
                        f"NOTICE: update_list USER DOES NOT HAVE PERMISSION TO DELETE LEADS: |{api.user}|0",
                        None,
                    ]
                )
                continue
            doomed.append(list_id)
            counts_of(state, list_id).setdefault("deleted", 0)
            lines.append(
                [
                    f"NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - {api.user}|{list_id}|",
                    "deleted",
                ]
            )
            log.append(
                {
                    "user": api.user,
                    "event_section": "LISTS",
                    "event_type": "DELETE",
                    "event_code": "ADMIN API DELETE LEADS",
                    "record_id": str(list_id),
                    "notes": "",
                }
            )
    return entries, doomed
