"""add_lead's system and campaign DNC checks (ingest.md 7)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules._frame import REJECT
from rules.dnc import dnc_checks

SYSTEM = pl.LazyFrame(
    {"phone_number": ["7275551212", "813xXxxxxx", "212XXXXXX", "2125551212 ", "7275551212"]}
)
CAMPAIGN = pl.LazyFrame(
    {
        "phone_number": ["3055550000", "305XXXXXXX", "4045550000", "5055550000", "606XXXXXXX"],
        "campaign_id": ["TESTCAMP", "TESTCAMP", "OTHER", "lowcamp", ""],
    }
)
SOURCE = pl.LazyFrame(
    {
        "campaign_id": ["TESTCAMP", "USESOTHER", "LOWCAMP", "BLANKOTH", "NULLOTH"],
        "use_other_campaign_dnc": ["", "OTHER", "", "", None],
    }
)


def r(
    phone: str,
    dnc: str | None = None,
    cdnc: str | None = None,
    camp: str | None = None,
    **extra: str,
) -> dict[str, Any]:
    """A lead row: phone, `dnc_check`, `campaign_dnc_check`, `campaign_id` (absent when None)."""
    row = {"phone_number": phone, "dnc_check": dnc, "campaign_dnc_check": cdnc, "campaign_id": camp}
    return {k: v for k, v in row.items() if v is not None} | extra


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    # (id, row, expected reject_reason)
    ("off", r("7275551212"), None),
    ("system_y_listed", r("7275551212", "Y"), "DNC_SYSTEM"),
    ("system_y_not_listed", r("7275550000", "Y"), None),
    ("system_y_ignores_wildcard", r("8135550000", "Y"), None),
    ("system_areacode_number", r("7275551212", "AREACODE"), "DNC_SYSTEM"),
    ("system_areacode_wildcard_any_case", r("8135550000", "AREACODE"), "DNC_SYSTEM"),
    ("system_areacode_wildcard_needs_seven_x", r("2125550000", "AREACODE"), None),
    ("system_trailing_space_listed", r("2125551212", "Y"), "DNC_SYSTEM"),
    ("system_flag_other_value_off", r("7275551212", "N"), None),
    ("system_flag_empty_off", r("7275551212", ""), None),
    ("system_phone_code_irrelevant", r("7275551212", "Y", phone_code="44"), "DNC_SYSTEM"),
    ("campaign_y_listed", r("3055550000", cdnc="Y", camp="TESTCAMP"), "DNC_CAMPAIGN"),
    ("campaign_y_ignores_wildcard", r("3055551111", cdnc="Y", camp="TESTCAMP"), None),
    (
        "campaign_areacode_wildcard",
        r("3055551111", cdnc="AREACODE", camp="TESTCAMP"),
        "DNC_CAMPAIGN",
    ),
    ("campaign_areacode_number", r("3055550000", cdnc="AREACODE", camp="TESTCAMP"), "DNC_CAMPAIGN"),
    ("campaign_id_case_insensitive", r("3055550000", cdnc="Y", camp="testcamp"), "DNC_CAMPAIGN"),
    ("campaign_row_lower_case", r("5055550000", cdnc="Y", camp="LOWCAMP"), "DNC_CAMPAIGN"),
    ("campaign_other_campaign", r("3055550000", cdnc="Y", camp="OTHER"), None),
    ("use_other_replaces", r("4045550000", cdnc="Y", camp="USESOTHER"), "DNC_CAMPAIGN"),
    ("use_other_not_in_addition", r("3055550000", cdnc="AREACODE", camp="USESOTHER"), None),
    ("unknown_campaign_uses_own_id", r("4045550000", cdnc="Y", camp="OTHER"), "DNC_CAMPAIGN"),
    ("null_use_other_means_own", r("4045550000", cdnc="Y", camp="NULLOTH"), None),
    ("empty_campaign_rows", r("6065550000", cdnc="AREACODE", camp=""), "DNC_CAMPAIGN"),
    ("absent_campaign_is_empty", r("6065550000", cdnc="AREACODE"), "DNC_CAMPAIGN"),
    ("campaign_flag_off", r("3055550000", cdnc="", camp="TESTCAMP"), None),
    ("system_wins_over_campaign", r("7275551212", "Y", "Y", ""), "DNC_SYSTEM"),
    ("both_checked_campaign_hits", r("3055550000", "Y", "Y", "TESTCAMP"), "DNC_CAMPAIGN"),
    (
        "earlier_reject_kept",
        r("7275551212", "Y", reject_reason="INVALID_PHONE_LENGTH"),
        "INVALID_PHONE_LENGTH",
    ),
]


def _frame(rows: list[dict[str, Any]]) -> pl.LazyFrame:
    names = [
        "source_row",
        "phone_number",
        REJECT,
        *sorted({k for r in rows for k in r} - {"phone_number", REJECT}),
    ]
    data = {
        n: [(i + 1) if n == "source_row" else r.get(n) for i, r in enumerate(rows)] for n in names
    }
    schema = {n: pl.Int64 if n == "source_row" else pl.String for n in names}
    return pl.LazyFrame(data, schema=schema)


@pytest.mark.parametrize(("row", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_dnc_checks(row: dict[str, Any], expected: str | None) -> None:
    out = dnc_checks(
        _frame([row]), system_dnc=SYSTEM, campaign_dnc=CAMPAIGN, campaign_dnc_source=SOURCE
    )
    assert out.collect()[REJECT].to_list() == [expected]


def test_dnc_checks_batch_keeps_rows_and_columns() -> None:
    rows = [c[1] for c in CASES]
    lf = _frame(rows)
    out = dnc_checks(
        lf, system_dnc=SYSTEM, campaign_dnc=CAMPAIGN, campaign_dnc_source=SOURCE
    ).collect()
    expected = lf.collect().with_columns(pl.Series(REJECT, [c[2] for c in CASES]))
    assert_frame_equal(out, expected)


def test_duplicated_lookups_never_multiply_rows() -> None:
    lf = _frame(
        [
            {
                "phone_number": "3055550000",
                "dnc_check": "AREACODE",
                "campaign_dnc_check": "Y",
                "campaign_id": "TESTCAMP",
            }
        ]
    )
    twice = {
        "system_dnc": pl.concat([SYSTEM, SYSTEM]),
        "campaign_dnc": pl.concat([CAMPAIGN, CAMPAIGN]),
        "campaign_dnc_source": pl.concat(
            [SOURCE, SOURCE.with_columns(pl.col("campaign_id").str.to_lowercase())]
        ),
    }
    out = dnc_checks(lf, **twice).collect()
    assert out.height == 1
    assert out[REJECT].to_list() == ["DNC_CAMPAIGN"]


def test_empty_lookups_accept() -> None:
    lf = _frame(
        [{"phone_number": "7275551212", "dnc_check": "AREACODE", "campaign_dnc_check": "AREACODE"}]
    )
    empty = pl.LazyFrame(
        schema={
            "phone_number": pl.String,
            "campaign_id": pl.String,
            "use_other_campaign_dnc": pl.String,
        }
    )
    out = dnc_checks(
        lf,
        system_dnc=empty.select("phone_number"),
        campaign_dnc=empty.select("phone_number", "campaign_id"),
        campaign_dnc_source=empty.select("campaign_id", "use_other_campaign_dnc"),
    ).collect()
    assert out[REJECT].to_list() == [None]
