"""Steps A15–A18: the child rows of accepted leads and their NOTICE lines (ingest.md 11–14)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import sqlalchemy as sa

from rules.altphones import alt_phone_rows
from rules.callbacks import callback_rows
from rules.custom import custom_field_plan, custom_rows
from rules.hopper import hopper_added_notice, hopper_rows
from sinks import tables
from sinks.children import (
    custom_tables_present,
    delete_children,
    hopper_context,
    insert_hopper_rows,
    load_list_fields,
    set_entry_list_ids,
    users_and_campaigns,
    write_custom_rows,
)
from sinks.vicidial import bulk_insert

__all__ = ["custom_entry_list_ids", "write_children"]

_NOTICES = ("alt_notice", "custom_notice", "hopper_notice", "callback_notice")


def _asking(leads: pl.DataFrame, column: str) -> pl.DataFrame:
    return leads.filter(pl.col(column) == "Y") if column in leads.columns else leads.clear()


def _custom(conn: sa.Connection, custom: pl.DataFrame, *, custom_fields_enabled: bool
            ) -> tuple[dict[int, pl.DataFrame], pl.DataFrame]:
    list_ids = custom.get_column("list_id").cast(pl.Int64, strict=False).drop_nulls().unique().to_list()
    fields = load_list_fields(conn, list_ids)
    plans = {lid: custom_field_plan(fields.filter(pl.col("list_id") == lid), list_id=lid) for lid in list_ids}
    return custom_rows(custom, plans=plans, tables_present=custom_tables_present(conn, list_ids),
                       custom_fields_enabled=custom_fields_enabled)


def custom_entry_list_ids(conn: sa.Connection, leads: pl.DataFrame, *, custom_fields_enabled: bool
                          ) -> pl.DataFrame:
    """`source_row`, `entry_list_id` of the leads whose custom values step A16 will write.

    add_lead inserts the lead, then sets its `entry_list_id` to the list id once the custom row
    is in; leadpipe inserts the lead with that value already (the same final row), so that no
    UPDATE of `vicidial_list` waits for the table lock of the next batch. Called before the
    lead ids are known (outside that lock).
    """
    custom = _asking(leads, "custom_fields")
    if custom.height == 0:
        return pl.DataFrame(schema={"source_row": pl.Int64, "entry_list_id": pl.Int64})
    if "lead_id" not in custom.columns:
        custom = custom.with_columns(lead_id=pl.col("source_row"))
    _rows, notices = _custom(conn, custom, custom_fields_enabled=custom_fields_enabled)
    return notices.filter(pl.col("entry_list_id").is_not_null()).select(
        pl.col("source_row").cast(pl.Int64), pl.col("entry_list_id").cast(pl.Int64)
    )


def write_children(
    conn: sa.Connection,
    leads: pl.DataFrame,
    *,
    now: datetime,
    utc_now: datetime,
    user: str,
    custom_fields_enabled: bool,
    dry_run: bool,
    redo: list[int],
    dry_next_ids: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Write the child rows of the accepted leads; returns `source_row` and one column per NOTICE.

    `redo` names leads whose children an interrupted run may have half written: their child rows
    are deleted first, then written again, so a rerun leaves each lead's children exactly once.
    `dry_next_ids` carries a dry run's simulated ids from batch to batch (table name → next free
    id, updated here), so the `hopper_id`s it reports are those a real run would get.
    """
    out = leads.select("source_row")
    if leads.height == 0:
        return out.with_columns([pl.lit(None, pl.String).alias(c) for c in _NOTICES])
    if redo and not dry_run:
        delete_children(conn, redo, leads.get_column("list_id").cast(pl.Int64, strict=False).drop_nulls().unique().to_list())
    notices: list[pl.DataFrame] = []

    alt, alt_notices = alt_phone_rows(leads, user=user)  # A15
    if not dry_run:
        bulk_insert(conn, tables.vicidial_list_alt_phones, alt.drop("source_row"))
    notices.append(alt_notices.select("source_row", "alt_notice"))

    custom = _asking(leads, "custom_fields")  # A16
    if custom.height:
        rows_by_list, custom_notices = _custom(conn, custom, custom_fields_enabled=custom_fields_enabled)
        if not dry_run:
            for list_id, rows in rows_by_list.items():
                write_custom_rows(conn, list_id, rows.drop("source_row"))
            # new leads were inserted with it (`custom_entry_list_ids`); a recovered one may not
            updates = custom_notices.filter(pl.col("entry_list_id").is_not_null() & pl.col("lead_id").is_in(redo))
            set_entry_list_ids(conn, updates.select("lead_id", "entry_list_id"))
        notices.append(custom_notices.select("source_row", "custom_notice"))

    hop = _asking(leads, "add_to_hopper")  # A17
    if hop.height:
        ctx = hopper_context(conn)
        rows, hop_notices = hopper_rows(hop, utc_now=utc_now, user=user, **ctx)
        added = rows.join(hop_notices.filter(pl.col("hopper_added")).select("source_row"), on="source_row")
        simulated = dry_next_ids if dry_run and dry_next_ids is not None else {}
        ids = insert_hopper_rows(conn, added.drop("source_row"), simulate=dry_run,
                                 first_free=simulated.get("vicidial_hopper", 0))
        if ids.height:
            simulated["vicidial_hopper"] = int(ids.get_column("hopper_id").max()) + 1  # type: ignore[arg-type]
        notices.append(hopper_added_notice(hop_notices, ids).select("source_row", "hopper_notice"))

    callbacks = _asking(leads, "callback")  # A18
    if callbacks.height:
        campaigns, users = users_and_campaigns(conn)
        rows, cb_notices = callback_rows(callbacks, campaigns=campaigns, users=users, now=now)
        if not dry_run:
            bulk_insert(conn, tables.vicidial_callbacks, rows.drop("source_row"))
        notices.append(cb_notices.select("source_row", "callback_notice"))

    for frame in notices:
        out = out.join(frame, on="source_row", how="left")
    return out.with_columns([pl.lit(None, pl.String).alias(c) for c in _NOTICES if c not in out.columns])
