"""PHP-compatible rendering of the exports: sec_convert, MathZDC, round, key sort, sanitising."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sinks.export_format import delimiter, math_zdc, php_number, php_round, sanitize, sec_convert
from sinks.export_stats import php_ksort

# spec 2.1 table: seconds → (H/HF, M, S, unknown X)
SEC_TABLE = [
    (0, "0:00:00", "0:00", "0", "0:00"),
    (-37, "0:00:00", "0:00", "0", "0:00"),
    (0.5, "0:00:01", "0:01", "1", "1"),
    (59, "0:00:59", "0:59", "59", "59"),
    (3600, "1:00:00", "60:00", "3600", "3600"),
    (5023, "1:23:43", "83:43", "5023", "5023"),
    (90005, "25:00:05", "1500:05", "90005", "90005"),
]


@pytest.mark.parametrize(
    ("seconds", "h", "m", "s", "x"), SEC_TABLE, ids=[str(r[0]) for r in SEC_TABLE]
)
def test_sec_convert_matches_the_spec_table(seconds: float, h: str, m: str, s: str, x: str) -> None:
    assert [sec_convert(seconds, f) for f in ("H", "HF", "", "M", "S", "X")] == [h, h, h, m, s, x]


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (16.25, 1, "16.3"),
        (1.005, 2, "1.01"),
        (0.285, 2, "0.29"),
        (17.5, 0, "18"),
        (158.75, 0, "159"),
        (66.66666666666667, 1, "66.7"),
        (100.0, 1, "100"),
    ],
    ids=[
        "half-up",
        "half-away-negative",
        "16.25",
        "1.005",
        "0.285",
        "17.5",
        "158.75",
        "66.7",
        "100",
    ],
)
def test_php_round_is_half_away_from_zero_after_pre_rounding(
    value: float, places: int, expected: str
) -> None:
    assert php_number(php_round(value, places)) == expected


def test_math_zdc_returns_zero_for_zero_divisor_or_dividend() -> None:
    assert (math_zdc(1, 0), math_zdc(0, 0), math_zdc(0, 5), math_zdc(3, 4)) == (0, 0, 0, 0.75)


def test_php_number_prints_integers_without_decimal_point() -> None:
    assert [php_number(Decimal(v)) for v in ("100.0", "0.0", "3.5", "2")] == [
        "100",
        "0",
        "3.5",
        "2",
    ]


def test_sanitize_follows_the_per_parameter_sets() -> None:
    assert sanitize("stage", "c s-v_1") == "cs-v_1"
    assert sanitize("time_format", "hF") == "F"
    assert sanitize("datetime_start", "2026-11-01+00:00:00'") == "2026-11-01+00:00:00"
    assert sanitize("phone_number", "(312) 555-1212,99") == "3125551212,99"
    assert sanitize("status_breakdown", "yes1") == "1"
    assert sanitize("agent_user", "jürgen") == "jrgen"
    assert sanitize("agent_user", "jürgen", non_latin=True) == "jürgen"


def test_stage_picks_the_delimiter_case_sensitively() -> None:
    assert [delimiter(s) for s in ("csv", "tab", "pipe", "CSV", "", "txt")] == [
        ",",
        "\t",
        "|",
        "|",
        "|",
        "|",
    ]


def test_php_ksort_orders_text_by_bytes_and_numbers_numerically() -> None:
    assert php_ksort(["b", "B", "a", "_x"]) == ["B", "_x", "a", "b"]
    assert php_ksort(["100", "20", "3"]) == ["3", "20", "100"]
