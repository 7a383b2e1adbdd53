"""Bulk equivalence (ingest.md 1) end to end: a random batch loaded at once gives exactly what the
same rows give loaded one at a time (one-row batches, i.e. N sequential add_lead calls) — the
same status, reject reason and response lines per row and the same final `vicidial_list` rows.

Batches mix in-batch duplicates, DNC hits (system, campaign, area-code wildcards) and per-row
settings columns (duplicate checks with windows and variants, DNC modes, list ids incl. the 999
default and undefined lists, phone lengths, USACAN checks, hopper).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.clock import Clock
from ingest.runner import LoadSettings, load_frames
from sinks import tables
from tests import _mariadb
from tests.conftest import mariadb_url
from tests.ingest._pipeline import NOW, prepare, snapshot

PHONES = (
    "7275551000",  # an existing lead in list 102 (older than 7 days)
    "7275551001",  # in OTHERCMP's campaign DNC
    "7275551002",
    "3125551003",
    "12345",  # too short
    "7271551234",  # 4th digit 1: USACAN prefix
    "0005551234",  # no such area code
    "7275559001",  # system DNC
    "8135551234",  # system DNC by area code wildcard
)

COLUMNS: dict[str, st.SearchStrategy[str]] = {
    "phone_number": st.sampled_from(PHONES),
    "list_id": st.sampled_from(["", "101", "102", "12", "555"]),
    "duplicate_check": st.sampled_from(
        [
            "",
            "DUPLIST",
            "DUPCAMP",
            "DUPSYS",
            "DUPLIST7DAY",
            "dupsys360days",
            "DUPPHONEALTLIST",
            "DUPPHONEALTSYS",
            "DUPNAMEPHONECAMP",
            "DUPTITLEALTPHONELIST",
            "DUPLIST-DUPNAMEPHONESYS",
        ]
    ),
    "dnc_check": st.sampled_from(["", "Y", "AREACODE", "y"]),
    "campaign_dnc_check": st.sampled_from(["", "Y", "AREACODE"]),
    "campaign_id": st.sampled_from(["", "TESTCAMP", "OTHERCMP"]),
    "usacan_prefix_check": st.sampled_from(["", "Y"]),
    "usacan_areacode_check": st.sampled_from(["", "Y"]),
    "list_exists_check": st.sampled_from(["", "Y"]),
    "first_name": st.sampled_from(["", "Ann", "ANN"]),
    "title": st.sampled_from(["", "Mr"]),
    "alt_phone": st.sampled_from(["", "7275551002", "3125551003"]),
    "add_to_hopper": st.sampled_from(["", "Y"]),
}
rows_strategy = st.lists(st.fixed_dictionaries(COLUMNS), min_size=1, max_size=6)


def _seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tables.vicidial_campaigns).values(
                campaign_id="OTHERCMP", campaign_name="Other", active="Y", local_call_time="24hours"
            )
        )
        conn.execute(
            sa.insert(tables.vicidial_dnc),
            [{"phone_number": "7275559001"}, {"phone_number": "813XXXXXXX"}],
        )
        conn.execute(
            sa.insert(tables.vicidial_campaign_dnc),
            [
                {"phone_number": "727XXXXXXX", "campaign_id": "TESTCAMP"},
                {"phone_number": "7275551001", "campaign_id": "OTHERCMP"},
            ],
        )
        conn.execute(sa.insert(tables.vicidial_list).values(
            lead_id=1, entry_date="2026-11-10 08:00:00", status="NEW", user="6666", list_id=102,
            phone_code="1", phone_number="7275551000", first_name="Ann", title="Mr",
            alt_phone="3125551003", gender="U", date_of_birth="0000-00-00",
            last_local_call_time="2026-11-10 08:00:00",
        ))  # fmt: skip


@contextmanager
def _database(backend: str) -> Iterator[sa.Engine]:
    """A fresh demo database with the DNC entries and the existing lead above."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = prepare(f"sqlite:///{Path(folder) / 'v.db'}")
            _seed(engine)
            yield engine
            engine.dispose()
        return
    url = mariadb_url()
    engine = prepare(url)
    try:
        _seed(engine)
        yield engine
    finally:
        engine.dispose()
        _mariadb.server().drop_database(url)


def _load(backend: str, rows: list[dict[str, str]], *, one_by_one: bool) -> tuple[Any, ...]:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).with_columns(
        source_row=pl.int_range(1, len(rows) + 1, dtype=pl.Int64)
    )
    batches = [frame.slice(i, 1) for i in range(frame.height)] if one_by_one else [frame]
    with _database(backend) as engine:
        summary = load_frames(
            batches, name="property", input_hash=secrets.token_hex(8), engine=engine,
            settings=LoadSettings(options={"source": "test"}, keep_results=True),
            clock=Clock(fixed=NOW, server_tz_name="UTC"),
        )  # fmt: skip
        state = snapshot(engine)
    assert summary.results is not None
    return summary.results.sort("source_row").to_dicts(), state, dict(summary.reasons)


def _check(backend: str, rows: list[dict[str, str]]) -> None:
    at_once = _load(backend, rows, one_by_one=False)
    one_by_one = _load(backend, rows, one_by_one=True)
    assert at_once[0] == one_by_one[0]  # per row: status, reason, lead id, response lines
    assert at_once[1] == one_by_one[1]  # vicidial_list and child tables, column by column
    assert at_once[2] == one_by_one[2]


_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "derandomize": False,
}


@settings(max_examples=12, **_SETTINGS)
@given(rows=rows_strategy)
def test_one_batch_equals_sequential_add_lead_calls_sqlite(rows: list[dict[str, str]]) -> None:
    _check("sqlite", rows)


@pytest.mark.mariadb
@settings(max_examples=3, **_SETTINGS)
@given(rows=rows_strategy)
def test_one_batch_equals_sequential_add_lead_calls_mariadb(rows: list[dict[str, str]]) -> None:
    _check("mariadb", rows)


def _row(number: str, **settings: str) -> dict[str, str]:
    return {**dict.fromkeys(COLUMNS, ""), "phone_number": number, **settings}


def test_a_batch_with_every_kind_of_hit_sqlite() -> None:
    """A fixed example that holds every outcome at once (the random ones may miss some)."""
    rows = [
        _row("7275551002", duplicate_check="DUPLIST", first_name="Ann"),
        _row("7275551002", duplicate_check="DUPLIST"),  # in-batch duplicate
        _row("7275551000", duplicate_check="DUPSYS"),  # existing lead 1
        _row("7275551000", list_id="102", duplicate_check="DUPLIST7DAY"),  # lead 1 is too old
        _row("3125551003", duplicate_check="DUPPHONEALTSYS"),  # lead 1's alt_phone
        _row("7275559001", dnc_check="Y"),
        _row("8135551234", dnc_check="AREACODE"),
        _row("7275551001", campaign_dnc_check="Y", campaign_id="OTHERCMP"),
        _row("7275551002", campaign_dnc_check="AREACODE", campaign_id="TESTCAMP"),
        _row("12345"),
        _row("7271551234", usacan_prefix_check="Y"),
        _row("0005551234", usacan_areacode_check="Y"),
        _row("3125551003", list_id="555", list_exists_check="Y"),
        _row("3125551003", list_id="12", add_to_hopper="Y"),
        _row("7275551002", list_id="102", duplicate_check="DUPNAMEPHONECAMP", first_name="ANN"),
    ]
    at_once = _load("sqlite", rows, one_by_one=False)
    assert at_once[2] == {
        "DUPLICATE_PHONE_LIST": 1, "DUPLICATE_PHONE_SYSTEM": 1, "DUPLICATE_PHONEALT_SYSTEM": 1,
        "DNC_SYSTEM": 2, "DNC_CAMPAIGN": 2, "INVALID_PHONE_LENGTH": 1, "INVALID_PHONE_PREFIX": 1,
        "INVALID_PHONE_AREACODE": 1, "LIST_NOT_DEFINED": 1, "DUPLICATE_NAME_PHONE_CAMPAIGN": 1,
    }  # fmt: skip
    assert at_once == _load("sqlite", rows, one_by_one=True)
