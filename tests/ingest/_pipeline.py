"""Helpers of the end-to-end load tests: a demo database, lead files, normalised table rows."""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ingest.clock import Clock
from ingest.runner import LoadSettings, RunSummary, load_files
from sinks import tables
from sinks.database import connect
from sinks.demo import seed_demo
from sinks.reference import load_reference_data
from tests import _mariadb

NOW = dt.datetime(2026, 11, 23, 15, 18, 30)
"""A Monday; with the server on UTC a `-5.00` lead's local time is 10:18, a `-10.00` one's 05:18."""
NOW_TEXT = NOW.strftime("%Y-%m-%d %H:%M:%S")

WRITTEN_TABLES = (
    "vicidial_list",
    "vicidial_list_alt_phones",
    "vicidial_hopper",
    "vicidial_callbacks",
)
"""The VICIdial tables a load writes (plus `custom_<list>` tables)."""


_TEMPLATES: dict[str, str] = {}
"""Backend → URL of a database prepared once per session, copied for each test."""


def _prepare_fresh(url: str) -> sa.Engine:
    engine = connect(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
        seed_demo(conn)
    return engine


def _template(url: str) -> str:
    backend = "sqlite" if url.startswith("sqlite") else "mariadb"
    if backend not in _TEMPLATES:
        if backend == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="leadpipe-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            template = f"sqlite:///{folder / 'template.db'}"
        else:
            template = _mariadb.server().new_database("template")
        _prepare_fresh(template).dispose()
        _TEMPLATES[backend] = template
    return _TEMPLATES[backend]


def prepare(url: str) -> sa.Engine:
    """Every VICIdial table, the reference data and the demo rows (TESTCAMP, lists, user 6666).

    The database is a copy of one prepared once per session and backend (the reference data
    takes seconds to load).
    """
    template = _template(url)
    if url.startswith("sqlite"):
        shutil.copyfile(sa.make_url(template).database or "", sa.make_url(url).database or "")
        return connect(url)
    source = sa.make_url(template).database
    engine = connect(url)
    with engine.begin() as conn:
        names = [r[0] for r in conn.exec_driver_sql(f"SHOW TABLES FROM `{source}`")]
        for name in names:
            conn.exec_driver_sql(f"CREATE TABLE `{name}` LIKE `{source}`.`{name}`")
            conn.exec_driver_sql(f"INSERT INTO `{name}` SELECT * FROM `{source}`.`{name}`")
    return engine


def write_csv(
    path: Path, rows: Sequence[dict[str, str]], columns: Sequence[str] | None = None
) -> Path:
    """Write lead rows as CSV with the union of their keys (or `columns`) as the header."""
    names: list[str] = list(columns or [])
    if not names:
        for row in rows:
            names.extend(k for k in row if k not in names)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in names})
    return path


def settings(tmp: Path, *, options: dict[str, str] | None = None, **kw: Any) -> LoadSettings:
    """Load settings writing results, rejects and the report under `tmp`."""
    defaults: dict[str, Any] = {
        "user": "6666",
        "options": {"list_id": "101", **(options or {})},
        "results": tmp / "results.jsonl",
        "rejects": tmp / "rejects.csv",
        "report": tmp / "report.json",
    }
    defaults.update(kw)
    return LoadSettings(**defaults)


def load(
    engine: sa.Engine,
    paths: Iterable[Path],
    load_settings: LoadSettings,
    *,
    now: dt.datetime = NOW,
) -> RunSummary:
    """Run `load_files` at a fixed server time on a UTC server."""
    return load_files(
        list(paths),
        engine=engine,
        settings=load_settings,
        clock=Clock(fixed=now, server_tz_name="UTC"),
    )


def results(path: Path) -> list[dict[str, Any]]:
    """The objects of a `--results` file, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def norm(value: Any) -> Any:
    """A stored value as text the way both databases print it; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float | Decimal):
        return f"{float(value):.2f}"
    return str(value)


def table_rows(
    engine: sa.Engine, table: sa.Table | str, *, order_by: Sequence[str], skip: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Every row of a table as `{column: norm(value)}`, ordered, without the `skip` columns."""
    with engine.connect() as conn:
        if isinstance(table, str):
            table = sa.Table(table, sa.MetaData(), autoload_with=conn)
        cols = [c for c in table.columns if c.name not in skip]
        stmt = sa.select(*cols).order_by(*[table.c[name] for name in order_by])
        rows = conn.execute(stmt).mappings().all()
    return [{k: norm(v) for k, v in row.items()} for row in rows]


def counts(engine: sa.Engine, names: Iterable[str] = WRITTEN_TABLES) -> dict[str, int]:
    """Row count of each named table."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name in names:
            out[name] = int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one())
    return out


def snapshot(engine: sa.Engine, extra: Sequence[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Every row of the written tables (without automatic `modify_date` stamps)."""
    keys = {
        "vicidial_list": ["lead_id"],
        "vicidial_list_alt_phones": ["alt_phone_id"],
        "vicidial_hopper": ["hopper_id"],
        "vicidial_callbacks": ["callback_id"],
    }
    out = {
        name: table_rows(engine, getattr(tables, name), order_by=order, skip=("modify_date",))
        for name, order in keys.items()
    }
    for name in extra:
        out[name] = table_rows(engine, name, order_by=["lead_id"])
    return out


def create_custom_fields(conn: sa.Connection, list_id: int = 101) -> None:
    """A `custom_<list_id>` table with two TEXT fields, `color` (10) and `size` (5), defined."""
    tables.custom_table(
        list_id, [sa.Column("color", sa.String(10)), sa.Column("size", sa.String(5))]
    ).create(conn)
    conn.execute(
        sa.insert(tables.vicidial_lists_fields),
        [
            {
                "list_id": list_id,
                "field_label": "color",
                "field_type": "TEXT",
                "field_rank": 1,
                "field_max": 10,
            },
            {
                "list_id": list_id,
                "field_label": "size",
                "field_type": "TEXT",
                "field_rank": 2,
                "field_max": 5,
            },
        ],
    )


def phone(i: int) -> str:
    """The `i`-th test phone number (10 digits, area code 727)."""
    return f"727{5_500_000 + i:07d}"


FEATURE_COLUMNS = (
    "phone_number",
    "first_name",
    "multi_alt_phones",
    "add_to_hopper",
    "callback",
    "callback_datetime",
    "campaign_id",
    "custom_fields",
    "color",
    "size",
)


def feature_rows(count: int, *, dup_every: int = 0, bad_every: int = 0) -> list[dict[str, str]]:
    """Lead rows with children of every kind mixed in (alt phones, hopper, callbacks, custom).

    Every `dup_every`-th row repeats the phone number of the row three before it (an in-batch
    duplicate under DUPLIST), every `bad_every`-th row has a too short phone number.
    """
    rows: list[dict[str, str]] = []
    for i in range(1, count + 1):
        row = dict.fromkeys(FEATURE_COLUMNS, "")
        row["phone_number"] = phone(i)
        row["first_name"] = f"Lead{i}"
        if dup_every and i % dup_every == 0 and i > 3:
            row["phone_number"] = rows[i - 4]["phone_number"]
        if bad_every and i % bad_every == 0:
            row["phone_number"] = "123"
        if i % 5 == 0:
            row["multi_alt_phones"] = f"{phone(i + 100_000)}_1_work!{phone(i + 200_000)}"
        if i % 7 == 0:
            row["add_to_hopper"] = "Y"
        if i % 11 == 0:
            row |= {"callback": "Y", "callback_datetime": "NOW", "campaign_id": "TESTCAMP"}
        if i % 3 == 0:
            row |= {"custom_fields": "Y", "color": f"c{i}", "size": "large"}
        rows.append(row)
    return rows


def rerun_view(first: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a rerun of an input must report: loaded rows `already_loaded`, the rest as before."""
    out = []
    for r in first:
        if r["status"] == "added":
            out.append({**r, "status": "already_loaded", "response": []})
        else:
            out.append(r)
    return out
