"""Reads and writes for the child tables of a lead: alternate phones, custom fields, hopper, callbacks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlalchemy as sa

from sinks import tables
from sinks.database import is_mysql
from sinks.vicidial import bulk_insert, next_id

__all__ = [
    "custom_tables_present",
    "delete_children",
    "hopper_context",
    "insert_hopper_rows",
    "load_list_fields",
    "set_entry_list_ids",
    "users_and_campaigns",
    "write_custom_rows",
]

_CHUNK = 5_000


def _frame(result: sa.CursorResult[Any], schema: dict[str, Any] | None = None) -> pl.DataFrame:
    names = list(result.keys())
    rows = [tuple(r) for r in result]
    frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None) if rows else pl.DataFrame(
        schema=dict.fromkeys(names, pl.String)
    )
    return frame.cast(schema) if schema else frame


def load_list_fields(conn: sa.Connection, list_ids: Iterable[int]) -> pl.DataFrame:
    """`vicidial_lists_fields` rows of the given lists (every column, as stored)."""
    ids = sorted(set(list_ids))
    t = tables.vicidial_lists_fields
    if not ids:
        frame = pl.DataFrame(schema={c.name: pl.String for c in t.columns})
    else:
        frame = _frame(conn.execute(sa.select(t).where(t.c.list_id.in_(ids))))
    # NOTE: an empty result has String columns; `list_id` is compared with ints either way
    return frame.with_columns(pl.col("list_id").cast(pl.Int64))


def custom_tables_present(conn: sa.Connection, list_ids: Iterable[int]) -> set[int]:
    """Which lists have a `custom_<list_id>` table."""
    names = set(sa.inspect(conn).get_table_names())
    return {int(i) for i in list_ids if f"custom_{int(i)}" in names}


def write_custom_rows(conn: sa.Connection, list_id: int, rows: pl.DataFrame) -> int:
    """Insert rows into `custom_<list_id>`, only into columns the real table has."""
    if rows.height == 0:
        return 0
    table = sa.Table(f"custom_{int(list_id)}", sa.MetaData(), autoload_with=conn)
    keep = [c for c in rows.columns if c in table.c]
    return bulk_insert(conn, table, rows.select(keep))


def set_entry_list_ids(conn: sa.Connection, updates: pl.DataFrame) -> int:
    """Set `vicidial_list.entry_list_id` per (`lead_id`, `entry_list_id`), one statement per list."""
    done = 0
    t = tables.vicidial_list
    for (list_id,), part in updates.group_by("entry_list_id"):
        ids = part.get_column("lead_id").to_list()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            done += conn.execute(
                sa.update(t).where(t.c.lead_id.in_(chunk)).values(entry_list_id=int(list_id))  # type: ignore[arg-type]
            ).rowcount
    return done


def hopper_context(conn: sa.Connection) -> dict[str, pl.DataFrame]:
    """Lists, campaigns, call times and state call times, as the hopper rule reads them."""
    lists = tables.vicidial_lists
    camps = tables.vicidial_campaigns
    return {
        "lists": _frame(conn.execute(sa.select(lists.c.list_id, lists.c.campaign_id, lists.c.local_call_time))),
        "campaigns": _frame(conn.execute(sa.select(camps.c.campaign_id, camps.c.local_call_time))),
        "call_times": _frame(conn.execute(sa.select(tables.vicidial_call_times))),
        "state_call_times": _frame(conn.execute(sa.select(tables.vicidial_state_call_times))),
    }


def users_and_campaigns(conn: sa.Connection) -> tuple[set[str], pl.DataFrame]:
    """Every campaign id, and `user`/`user_group` of every user (callbacks)."""
    camps = {str(c) for c in conn.execute(sa.select(tables.vicidial_campaigns.c.campaign_id)).scalars()}
    u = tables.vicidial_users
    users = _frame(conn.execute(sa.select(u.c.user, u.c.user_group)), {"user": pl.String, "user_group": pl.String})
    return camps, users


@contextmanager
def _locked(conn: sa.Connection, table: str) -> Iterator[None]:
    if is_mysql(conn):
        conn.exec_driver_sql(f"LOCK TABLES `{table}` WRITE")
        try:
            yield
        finally:
            conn.exec_driver_sql("UNLOCK TABLES")
    else:
        yield


def insert_hopper_rows(
    conn: sa.Connection, rows: pl.DataFrame, *, simulate: bool = False, first_free: int = 0
) -> pl.DataFrame:
    """Insert hopper rows with ids allocated under the table's lock; returns `lead_id`, `hopper_id`.

    `simulate` only allocates the ids; `first_free` is the lowest id to hand out (a dry run's
    earlier batches simulated the ids below it).
    """
    if rows.height == 0:
        return pl.DataFrame(schema={"lead_id": pl.Int64, "hopper_id": pl.Int64})
    t = tables.vicidial_hopper
    with _locked(conn, t.name):
        first = max(next_id(conn, t, "hopper_id"), first_free)
        rows = rows.with_columns(hopper_id=pl.int_range(first, first + rows.height, dtype=pl.Int64))
        if not simulate:
            bulk_insert(conn, t, rows.select([c for c in rows.columns if c in t.c]))
    return rows.select(pl.col("lead_id").cast(pl.Int64), "hopper_id")


def delete_children(conn: sa.Connection, lead_ids: list[int], list_ids: Iterable[int]) -> None:
    """Remove child rows of leads whose children are being written again after a crash."""
    if not lead_ids:
        return
    targets = [tables.vicidial_list_alt_phones, tables.vicidial_hopper, tables.vicidial_callbacks]
    present = custom_tables_present(conn, list_ids)
    for start in range(0, len(lead_ids), _CHUNK):
        chunk = lead_ids[start : start + _CHUNK]
        for table in targets:
            conn.execute(sa.delete(table).where(table.c.lead_id.in_(chunk)))
        for list_id in present:
            custom = sa.table(f"custom_{list_id}", sa.column("lead_id"))
            conn.execute(sa.delete(custom).where(custom.c.lead_id.in_(chunk)))
