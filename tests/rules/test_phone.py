"""add_lead's phone checks 1–4 and the NANPA presence helpers (ingest.md 5)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules._frame import REJECT
from rules.phone import nanpa_notice_needed, phone_checks, strip_nanpa_tz

AREACODES = pl.LazyFrame({"areacode": ["727", "813", "813", "212 "]})  # duplicates and CHAR padding
NANPA = pl.LazyFrame(
    {
        "areacode": ["727", "727", "212"],
        "prefix": ["555", "556", "555"],
        "GMT_offset": ["-5.00"] * 3,
    }
)

ALL_ON = {"usacan_prefix_check": "Y", "usacan_areacode_check": "Y", "nanpa_ac_prefix_check": "Y"}

CASES: list[tuple[str, dict[str, Any], bool, str | None]] = [
    # (id, row, nanpa loaded, expected reject_reason)
    ("valid_all_checks", {"phone_number": "7275551212", **ALL_ON}, True, None),
    ("no_options", {"phone_number": "0005551212"}, True, None),
    ("min_length_6", {"phone_number": "727555"}, True, None),
    ("too_short_5", {"phone_number": "72755"}, True, "INVALID_PHONE_LENGTH"),
    ("max_length_16", {"phone_number": "7" * 16}, True, None),
    ("too_long_17", {"phone_number": "7" * 17}, True, "INVALID_PHONE_LENGTH"),
    ("empty", {"phone_number": ""}, True, "INVALID_PHONE_LENGTH"),
    ("null_phone", {"phone_number": None}, True, "INVALID_PHONE_LENGTH"),
    ("commas_count_long", {"phone_number": "727,555,1212,123"}, True, None),
    ("commas_count_over", {"phone_number": "727,555,1212,1234"}, True, "INVALID_PHONE_LENGTH"),
    ("commas_make_short_long_enough", {"phone_number": "72,,,5"}, True, None),
    ("length_wins_over_prefix", {"phone_number": "72715", **ALL_ON}, True, "INVALID_PHONE_LENGTH"),
    (
        "prefix_0",
        {"phone_number": "7270551212", "usacan_prefix_check": "Y"},
        True,
        "INVALID_PHONE_PREFIX",
    ),
    (
        "prefix_1",
        {"phone_number": "7271551212", "usacan_prefix_check": "Y"},
        True,
        "INVALID_PHONE_PREFIX",
    ),
    ("prefix_2", {"phone_number": "7272551212", "usacan_prefix_check": "Y"}, True, None),
    (
        "prefix_comma",
        {"phone_number": "727,551212", "usacan_prefix_check": "Y"},
        True,
        "INVALID_PHONE_PREFIX",
    ),
    ("prefix_off", {"phone_number": "7270551212", "usacan_prefix_check": ""}, True, None),
    ("prefix_lower_y_off", {"phone_number": "7270551212", "usacan_prefix_check": "N"}, True, None),
    (
        "prefix_any_phone_code",
        {"phone_number": "4401551212", "phone_code": "44", "usacan_prefix_check": "Y"},
        True,
        "INVALID_PHONE_PREFIX",
    ),
    (
        "prefix_wins_over_areacode",
        {"phone_number": "9990551212", **ALL_ON},
        True,
        "INVALID_PHONE_PREFIX",
    ),
    (
        "areacode_unknown",
        {"phone_number": "9995551212", "usacan_areacode_check": "Y"},
        True,
        "INVALID_PHONE_AREACODE",
    ),
    ("areacode_known", {"phone_number": "8135551212", "usacan_areacode_check": "Y"}, True, None),
    (
        "areacode_padded_lookup",
        {"phone_number": "2125551212", "usacan_areacode_check": "Y"},
        True,
        None,
    ),
    (
        "areacode_any_phone_code",
        {"phone_number": "9995551212", "phone_code": "44", "usacan_areacode_check": "Y"},
        True,
        "INVALID_PHONE_AREACODE",
    ),
    (
        "areacode_no_10_digit_rule",
        {"phone_number": "7275551", "usacan_areacode_check": "Y"},
        True,
        None,
    ),
    (
        "areacode_comma",
        {"phone_number": "72,5551212", "usacan_areacode_check": "Y"},
        True,
        "INVALID_PHONE_AREACODE",
    ),
    (
        "areacode_wins_over_nanpa",
        {"phone_number": "9995551212", **ALL_ON},
        True,
        "INVALID_PHONE_AREACODE",
    ),
    (
        "nanpa_unknown_prefix",
        {"phone_number": "7275571212", "nanpa_ac_prefix_check": "Y"},
        True,
        "INVALID_PHONE_NANPA",
    ),
    ("nanpa_known", {"phone_number": "7275561212", "nanpa_ac_prefix_check": "Y"}, True, None),
    ("nanpa_other_area", {"phone_number": "2125551212", "nanpa_ac_prefix_check": "Y"}, True, None),
    (
        "nanpa_reports_after_short_number",
        {"phone_number": "7275571", **ALL_ON},
        True,
        "INVALID_PHONE_NANPA",
    ),
    ("nanpa_not_loaded", {"phone_number": "7275571212", "nanpa_ac_prefix_check": "Y"}, False, None),
    ("nanpa_off", {"phone_number": "7275571212", "nanpa_ac_prefix_check": ""}, True, None),
    (
        "earlier_reject_kept",
        {"phone_number": "1", REJECT: "INVALID_SOURCE"},
        True,
        "INVALID_SOURCE",
    ),
]


def _frame(row: dict[str, Any]) -> pl.LazyFrame:
    data = {
        "source_row": [1],
        "phone_number": [None],
        REJECT: [None],
        **{k: [v] for k, v in row.items()},
    }
    schema = {k: pl.Int64 if k == "source_row" else pl.String for k in data}
    return pl.LazyFrame(data, schema=schema)


@pytest.mark.parametrize(
    ("row", "loaded", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_phone_checks(row: dict[str, Any], *, loaded: bool, expected: str | None) -> None:
    out = phone_checks(
        _frame(row), phone_codes_us_areacodes=AREACODES, nanpa=NANPA if loaded else None
    )
    assert out.collect()[REJECT].to_list() == [expected]


def test_phone_checks_keeps_rows_columns_and_order() -> None:
    lf = pl.LazyFrame(
        {
            "source_row": [1, 2, 3, 4],
            "phone_number": ["7275551212", "9995551212", "123", "7275571212"],
            "usacan_areacode_check": ["Y", "Y", "Y", ""],
            "nanpa_ac_prefix_check": ["Y", "Y", "Y", "Y"],
            REJECT: [None, None, None, None],
        },
        schema_overrides={REJECT: pl.String},
    )
    out = phone_checks(lf, phone_codes_us_areacodes=AREACODES, nanpa=NANPA).collect()
    expected = lf.collect().with_columns(
        pl.Series(
            REJECT, [None, "INVALID_PHONE_AREACODE", "INVALID_PHONE_LENGTH", "INVALID_PHONE_NANPA"]
        )
    )
    assert_frame_equal(out, expected)


def test_phone_checks_with_empty_lookups() -> None:
    lf = _frame({"phone_number": "7275551212", **ALL_ON})
    empty = pl.LazyFrame(schema={"areacode": pl.String, "prefix": pl.String})
    out = phone_checks(lf, phone_codes_us_areacodes=empty.select("areacode"), nanpa=empty).collect()
    assert out[REJECT].to_list() == ["INVALID_PHONE_AREACODE"]


NOTICE_CASES = [
    ("check_y", {"nanpa_ac_prefix_check": "Y", "tz_method": ""}, True),
    ("tz_upper", {"nanpa_ac_prefix_check": "", "tz_method": "NANPA"}, True),
    ("tz_lower", {"nanpa_ac_prefix_check": "", "tz_method": "postalnanpa"}, True),
    ("neither", {"nanpa_ac_prefix_check": "N", "tz_method": "POSTAL"}, False),
    ("null_values", {"nanpa_ac_prefix_check": None, "tz_method": None}, False),
]


@pytest.mark.parametrize(
    ("row", "needed"), [c[1:] for c in NOTICE_CASES], ids=[c[0] for c in NOTICE_CASES]
)
def test_nanpa_notice_needed(row: dict[str, Any], *, needed: bool) -> None:
    lf = pl.LazyFrame({k: [v] for k, v in row.items()}, schema=dict.fromkeys(row, pl.String))
    assert lf.select(nanpa_notice_needed(lf)).collect().to_series().to_list() == [needed]


def test_nanpa_notice_needed_without_option_columns() -> None:
    lf = pl.LazyFrame({"phone_number": ["7275551212"]})
    assert lf.select(nanpa_notice_needed(lf)).collect().to_series().to_list() == [False]


STRIP_CASES = [
    ("check_turned_off", ("Y", ""), ("N", "")),
    ("upper_removed", ("", "NANPA"), ("N", "")),
    ("combined", ("", "POSTALNANPA"), ("N", "POSTAL")),
    ("lower_kept", ("", "nanpa"), ("N", "nanpa")),
    ("mixed_case_kept", ("Y", "Nanpa-NANPA"), ("N", "Nanpa-")),
    ("untouched", ("", "POSTAL"), ("", "POSTAL")),
]


@pytest.mark.parametrize(
    ("before", "after"), [c[1:] for c in STRIP_CASES], ids=[c[0] for c in STRIP_CASES]
)
def test_strip_nanpa_tz(before: tuple[str, str], after: tuple[str, str]) -> None:
    lf = pl.LazyFrame({"nanpa_ac_prefix_check": [before[0]], "tz_method": [before[1]]})
    assert strip_nanpa_tz(lf).collect().row(0) == after


def test_strip_then_check_is_off() -> None:
    lf = _frame({"phone_number": "7275571212", "nanpa_ac_prefix_check": "Y"})
    out = phone_checks(
        strip_nanpa_tz(lf), phone_codes_us_areacodes=AREACODES, nanpa=NANPA
    ).collect()
    assert out[REJECT].to_list() == [None]
