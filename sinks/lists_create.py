"""A new `vicidial_lists` row per loaded file, like the CLI loader's `--new-list-for-each-file`."""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa

from sinks import tables
from sinks.errors import SinkError

__all__ = ["create_file_list", "next_list_id"]

log = logging.getLogger(__name__)

_ATTEMPTS = 50


def next_list_id(conn: sa.Connection, *, prefix: str, day: date) -> int:
    """The first unused id `<prefix><YYYYMMDD><n>` for n = 1, 2, … (loader.md 2.2 step 6).

    Raises:
        SinkError: the prefix is not digits or every id up to n = 999 is taken.
    """
    if prefix and not prefix.isdigit():
        msg = f"new list id prefix `{prefix}` must be digits"
        raise SinkError(msg)
    base = f"{prefix}{day:%Y%m%d}"
    col = tables.vicidial_lists.c.list_id
    for start in (1, 10, 100):
        candidates = [int(f"{base}{n}") for n in range(start, start * 10)]
        taken = set(conn.execute(sa.select(col).where(col.in_(candidates))).scalars())
        for candidate in candidates:
            if candidate not in taken:
                return candidate
    msg = f"no free list id `{base}<n>` for n up to 999"
    raise SinkError(msg)


def create_file_list(
    engine: sa.Engine,
    *,
    file_name: str,
    now: datetime,
    id_prefix: str = "",
    name_prefix: str = "",
    campaign_id: str | None = None,
    active: str = "N",
    reset_time: str = "",
    time_zone_setting: str = "COUNTRY_AND_AREA_CODE",
) -> int:
    """Insert the list for one file and return its id.

    Values as the loader writes them: `list_name` = `<name prefix> <file name>` (a leading space
    when there is no prefix; cut to the column's 30 characters), `list_description` =
    `Created: <now>`, `list_changedate` = `now`. Each attempt runs in its own transaction; an id
    taken meanwhile by a concurrent run is skipped.

    Raises:
        SinkError: no id could be claimed.
    """
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    for _ in range(_ATTEMPTS):
        with engine.connect() as conn:
            list_id = next_list_id(conn, prefix=id_prefix, day=now.date())
        row = {
            "list_id": list_id,
            "list_name": f"{name_prefix} {file_name}"[:30],
            "campaign_id": campaign_id or "",
            "active": active,
            "list_description": f"Created: {stamp}",
            "list_changedate": stamp,
            "reset_time": reset_time,
            "time_zone_setting": time_zone_setting,
        }
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(tables.vicidial_lists), row)
        except sa.exc.IntegrityError:
            log.info("list id %s was taken meanwhile; trying the next one", list_id)
            continue
        log.info("created list %s for %s", list_id, file_name)
        return list_id
    msg = f"could not claim a new list id for `{file_name}` after {_ATTEMPTS} attempts"
    raise SinkError(msg)
