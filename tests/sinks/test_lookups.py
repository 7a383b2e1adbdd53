"""Set-based lookup reads on SQLite and MariaDB (ingest.md 5-8, schema.md 9-13)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from sinks import lookups, tables
from sinks.database import connect
from sinks.lookups import (
    load_campaign_dnc,
    load_campaign_dnc_source,
    load_dnc,
    load_nanpa,
    load_phone_codes,
    load_postal_codes,
    nanpa_row_count,
)
from tests import _mariadb
from tests.conftest import mariadb_url


def _phone_code(cc: int, area: str, state: str | None, offset: str) -> dict[str, Any]:
    return {
        "country_code": cc, "country": "USA" if cc == 1 else "MEX", "areacode": area,
        "state": state, "GMT_offset": offset, "DST": "Y", "DST_range": "SSM-FSN",
        "geographic_description": None, "tz_code": "", "php_tz": "",
    }


def _postal(code: str, offset: str, cc: int = 1) -> dict[str, Any]:
    return {
        "postal_code": code, "state": "FL", "GMT_offset": offset, "DST": "Y",
        "DST_range": "SSM-FSN", "country": "USA", "country_code": cc,
    }


def _nanpa(area: str, prefix: str) -> dict[str, Any]:
    return {
        "areacode": area, "prefix": prefix, "GMT_offset": "-5.00", "DST": "Y", "latitude": "1",
        "longitude": "2", "city": "X", "state": "FL", "postal_code": "33701", "country": "US",
        "lata_type": "",
    }


PHONE_CODE_ROWS = [
    _phone_code(1, "813", "FL", "-5.00"),
    _phone_code(1, "727", "FL", "-5.00"),
    _phone_code(1, "727", "XX", "+1.00"),  # a second row for 727: the first one counts
    _phone_code(52, "55", None, "-6.00"),
]
POSTAL_ROWS = [
    _postal("33701-1234", "-5.00"),
    _postal("33701", "-5.00"),
    _postal("33701", "-6.00"),
    _postal("K1A 0B1", "-5.00", cc=2),
    _postal("33702", "-5.00"),
    _postal("90210", "-8.00"),
]
NANPA_ROWS = [_nanpa("727", str(prefix)) for prefix in range(550, 562)]
BULK_DNC = [f"555{n:07d}" for n in range(0, 40_000, 1000)]
DNC_ROWS = ["7275551212", "813xXxxxxx", "212XXXXXXX", "9995550000", "305XXXXXX", *BULK_DNC]
CAMPAIGN_DNC_ROWS = [
    ("3055550000", "TESTCAMP"), ("305xxxxxxx", "TESTCAMP"), ("4045550000", "OTHER"),
    ("3055550000", "THIRD"), ("5055550000", "lowcamp"), ("606XXXXXXX", ""),
]
CAMPAIGN_ROWS = [
    {"campaign_id": "TESTCAMP", "use_other_campaign_dnc": ""},
    {"campaign_id": "USESOTHR", "use_other_campaign_dnc": "OTHER"},
]


def _seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.vicidial_phone_codes), PHONE_CODE_ROWS)
        conn.execute(sa.insert(tables.vicidial_postal_codes), POSTAL_ROWS)
        conn.execute(sa.insert(tables.vicidial_nanpa_prefix_codes), NANPA_ROWS)
        conn.execute(sa.insert(tables.vicidial_dnc), [{"phone_number": p} for p in DNC_ROWS])
        conn.execute(
            sa.insert(tables.vicidial_campaign_dnc),
            [{"phone_number": p, "campaign_id": c} for p, c in CAMPAIGN_DNC_ROWS],
        )
        conn.execute(sa.insert(tables.vicidial_campaigns), CAMPAIGN_ROWS)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """One database per dialect holding every lookup row above; the tests only read it.

    Module-scoped, unlike conftest's `engine`, because creating the schema on MariaDB takes
    seconds and every test here but the first is read-only.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('lookups') / 'vicidial.db'}"
    else:
        url = mariadb_url()
    engine = connect(url)
    tables.metadata.create_all(engine)
    _seed(engine)
    yield engine
    engine.dispose()
    if request.param == "mariadb":
        _mariadb.server().drop_database(url)


@pytest.fixture
def conn(seeded: sa.Engine) -> Iterator[sa.Connection]:
    with seeded.connect() as connection:
        yield connection


@pytest.fixture(params=["default", "tiny"], ids=["one_chunk", "chunks_of_3"])
def chunking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test once with the dialect's parameter limit and once with 3 parameters a chunk."""
    if request.param == "tiny":
        monkeypatch.setattr(lookups, "_param_limit", lambda _conn: 3)


def test_empty_tables(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert nanpa_row_count(conn) == 0
        frames = {
            "phone_codes": load_phone_codes(conn),
            "postal": load_postal_codes(conn, ["33701"]),
            "nanpa": load_nanpa(conn, [("727", "555")]),
            "dnc": load_dnc(conn, ["7275551212"]),
            "campaign_dnc": load_campaign_dnc(conn, ["7275551212"], ["TESTCAMP"]),
            "source": load_campaign_dnc_source(conn),
        }
    assert {name: frame.height for name, frame in frames.items()} == dict.fromkeys(frames, 0)
    assert frames["phone_codes"].schema["_order"] == pl.Int64
    assert frames["dnc"].schema == pl.Schema({"phone_number": pl.String})


def test_load_phone_codes_keeps_table_order(conn: sa.Connection) -> None:
    out = load_phone_codes(conn)
    assert out.columns == [c.name for c in tables.vicidial_phone_codes.columns] + ["_order"]
    assert {out.schema[c] for c in out.columns[:-1]} == {pl.String}
    assert out.schema["_order"] == pl.Int64
    assert out.select("country_code", "areacode", "state", "GMT_offset", "_order").rows() == [
        ("1", "813", "FL", "-5.00", 0),
        ("1", "727", "FL", "-5.00", 1),
        ("1", "727", "XX", "+1.00", 2),
        ("52", "55", None, "-6.00", 3),
    ]


@pytest.mark.usefixtures("chunking")
@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (["33701"], [("33701-1234", "-5.00"), ("33701", "-5.00"), ("33701", "-6.00")]),
        (["33701-1234"], [("33701-1234", "-5.00")]),
        (["33701-12345"], []),
        (["k1a 0b1"], [("K1A 0B1", "-5.00")]),
        (["k1a"], [("K1A 0B1", "-5.00")]),
        (
            ["3370"],
            [("33701-1234", "-5.00"), ("33701", "-5.00"), ("33701", "-6.00"), ("33702", "-5.00")],
        ),
        (["90210", "33702", "90210", ""], [("33702", "-5.00"), ("90210", "-8.00")]),
        (["33701 "], []),
        ([], []),
    ],
    ids=[
        "five", "zip_plus_4", "longer_than_any", "case", "short_prefix", "four",
        "dups_and_empty", "trailing_space", "none",
    ],
)
def test_load_postal_codes_prefix_match(
    conn: sa.Connection, requested: list[str], expected: list[tuple[str, str]]
) -> None:
    out = load_postal_codes(conn, requested)
    assert out.columns == [c.name for c in tables.vicidial_postal_codes.columns] + ["_order"]
    assert out.sort("_order").select("postal_code", "GMT_offset").rows() == expected
    assert out["_order"].is_unique().all()


@pytest.mark.usefixtures("chunking")
def test_load_postal_codes_first_row_for_every_code(conn: sa.Connection) -> None:
    requested = ["33701-1234", "90210", "33701", "3370", "33702"]
    out = load_postal_codes(conn, requested)
    table_order = [r["postal_code"] + r["GMT_offset"] for r in POSTAL_ROWS]
    for code in requested:
        rows = out.filter(pl.col("postal_code").str.starts_with(code)).sort("_order")
        got = [a + b for a, b in rows.select("postal_code", "GMT_offset").rows()]
        assert got == [k for k in table_order if k.startswith(code)], code


@pytest.mark.usefixtures("chunking")
def test_nanpa(conn: sa.Connection) -> None:
    assert nanpa_row_count(conn) == 12
    pairs = [
        ("727", "555"), ("727", "556"), ("727", "555"), ("813", "555"), ("727", "999"),
        ("727", "561"),
    ]
    out = load_nanpa(conn, pairs)
    assert out.columns == [c.name for c in tables.vicidial_nanpa_prefix_codes.columns] + ["_order"]
    assert sorted(out.select("areacode", "prefix").rows()) == [
        ("727", "555"), ("727", "556"), ("727", "561"),
    ]
    assert out["_order"].to_list() == [0, 1, 2]
    assert load_nanpa(conn, []).height == 0


@pytest.mark.usefixtures("chunking")
def test_load_dnc_numbers_and_area_wildcards(conn: sa.Connection) -> None:
    phones = ["7275551212", "8135550000", "3055550000", "7275551212", "4045550000", "72,555"]
    out = load_dnc(conn, phones)
    assert out.columns == ["phone_number"]
    assert sorted(out["phone_number"].to_list()) == ["7275551212", "813xXxxxxx"]
    assert load_dnc(conn, []).height == 0


@pytest.mark.parametrize(
    ("phones", "campaigns", "expected"),
    [
        (["3055550000"], ["TESTCAMP"], [("3055550000", "TESTCAMP"), ("305xxxxxxx", "TESTCAMP")]),
        (["3055551111"], ["testcamp"], [("305xxxxxxx", "TESTCAMP")]),
        (["3055550000", "4045550000"], ["OTHER"], [("4045550000", "OTHER")]),
        (
            ["5055550000", "3055550000"],
            ["LOWCAMP", "third", "Third"],
            [("3055550000", "THIRD"), ("5055550000", "lowcamp")],
        ),
        (["6065550000"], [""], [("606XXXXXXX", "")]),
        (["6065550000"], [], []),
        ([], ["TESTCAMP"], []),
    ],
    ids=[
        "number_and_wildcard", "case_insensitive", "other_campaign", "many", "empty_id",
        "no_ids", "no_phones",
    ],
)
@pytest.mark.usefixtures("chunking")
def test_load_campaign_dnc(
    conn: sa.Connection, phones: list[str], campaigns: list[str], expected: list[tuple[str, str]]
) -> None:
    out = load_campaign_dnc(conn, phones, campaigns)
    assert out.columns == ["phone_number", "campaign_id"]
    assert sorted(out.rows()) == expected


def test_load_campaign_dnc_source(conn: sa.Connection) -> None:
    out = load_campaign_dnc_source(conn)
    expected = pl.DataFrame(
        {"campaign_id": ["TESTCAMP", "USESOTHR"], "use_other_campaign_dnc": ["", "OTHER"]}
    )
    assert_frame_equal(out.sort("campaign_id"), expected)


def test_param_limit_is_positive_and_bounded(conn: sa.Connection) -> None:
    assert 1 <= lookups._param_limit(conn) <= 32_766


def test_forty_thousand_phones_in_one_call(conn: sa.Connection) -> None:
    phones = [f"555{n:07d}" for n in range(40_000)]
    out = load_dnc(conn, phones)
    assert sorted(out["phone_number"].to_list()) == BULK_DNC
