"""add_lead's lookup_state (spec 6) and gmt_offset_now (spec 8) as batch rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from rules.dst import DST_CODES, dst_in_effect, lead_local_standard, php_float_text, php_number
from rules.timezone import (
    NANPA_COLUMNS,
    PHONE_CODE_COLUMNS,
    POSTAL_CODE_COLUMNS,
    gmt_offset,
    lookup_state,
    nanpa_frame,
    phone_codes_frame,
    postal_codes_frame,
    strip_nanpa,
)

REFDATA = Path(__file__).resolve().parents[2] / "sinks" / "refdata"

WINTER = datetime(2024, 1, 15, 12, 0, 0)  # server on EST: S = -5
SUMMER = datetime(2024, 7, 15, 12, 0, 0)  # server on EDT: S = -5 + 1
OFFSET = {WINTER: -5.0, SUMMER: -4.0}

PHONE_ROWS = [
    ("1", "USA", "201", "NJ", "-5.00", "Y", "SSM-FSN", "New Jersey", "EST"),
    ("1", "USA", "727", "FL", "-5.00", "Y", "SSM-FSN", "Florida", "EST"),
    ("1", "USA", "808", "HI", "-10.00", "N", "", "Hawaii", "HST"),
    ("1", "USA", "727", "XX", "-9.00", "Y", "SSM-FSN", "later duplicate of 727", "EST"),
    ("1", "USA", "415", "CA", "-8.00", "Y", "", "California, no range", "PST"),
    ("1", "USA", "206", "WA", "-8.00", "Y", "SSM-FSN", "Washington", "PST"),
    ("52", "MEX", "553", "DF", "-6.00", "Y", "FSA-LSO", "Mexico City", ""),
    ("61", "AUS", "", "NSW", "+10.00", "Y", "FSO-FSA", "New South Wales", ""),
    ("61", "AUS", "", "QLD", "+10.00", "N", "", "Queensland", ""),
    ("44", "GBR", "", "", "0.00", "Y", "LSM-LSO", "United Kingdom", ""),
    ("91", "IND", "", "", "+5.50", "N", "", "India", ""),
    ("55", "BRA", "", "", "-3.00", "Y", "TSO-LSF", "Brazil", ""),
]
POSTAL_ROWS = [
    ("96701", "HI", "-10.00", "N", "", "USA", "1"),
    ("33701", "FL", "-6.00", "Y", "SSM-FSN", "USA", "1"),
    ("K1A0B1", "ON", "-7.00", "Y", "SSM-FSN", "CAN", "1"),
    ("EC1A1", "LN", "0.00", "Y", "LSM-LSO", "GBR", "44"),
]
NANPA_ROWS = [
    ("201", "555", "-6.00", "Y"),
    ("201", "556", "-6.00", "N"),
]

PHONES = phone_codes_frame(PHONE_ROWS)
POSTALS = postal_codes_frame(POSTAL_ROWS)
NANPA = nanpa_frame(NANPA_ROWS)

LEAD_DEFAULTS = {
    "phone_code": "1", "phone_number": "2015550001", "state": "", "postal_code": "",
    "owner": "", "tz_method": "", "usacan_prefix_check": "", "lookup_state": "",
}


def leads(*overrides: dict[str, str]) -> pl.LazyFrame:
    rows = [{**LEAD_DEFAULTS, **o} for o in overrides]
    return pl.LazyFrame(rows, schema=dict.fromkeys(LEAD_DEFAULTS, pl.String)).with_row_index(
        "source_row", offset=1
    )


def run(lf: pl.LazyFrame, *, now: datetime = WINTER, nanpa: pl.LazyFrame | None = NANPA,
        phones: pl.LazyFrame = PHONES, postals: pl.LazyFrame = POSTALS) -> pl.DataFrame:
    out = gmt_offset(lf, phone_codes=phones, postal_codes=postals, nanpa=nanpa,
                     server_now=now, server_offset=OFFSET.get(now, -5.0))
    return out.collect().sort("source_row")


# (lead overrides, server time, expected value, expected SUCCESS-line text, id)
CASES: list[tuple[dict[str, str], datetime, float | None, str, str]] = [
    # default chain
    ({}, WINTER, -5.0, "-5.00", "us-area-winter-table-text"),
    ({}, SUMMER, -4.0, "-4", "us-area-summer-incremented"),
    ({"phone_number": "8085550001"}, SUMMER, -10.0, "-10.00", "us-no-dst-range"),
    ({"phone_number": "7275550001"}, WINTER, -5.0, "-5.00", "duplicate-key-first-row-wins"),
    ({"phone_number": "9995550001"}, WINTER, -5.0, "-5.00", "unknown-us-area-first-country-row"),
    ({"phone_code": "001"}, SUMMER, -4.0, "-4", "phone-code-001-numeric"),
    ({"phone_code": "52", "phone_number": "5535550000"}, SUMMER, -5.0, "-5", "mexico-area"),
    ({"phone_code": "52", "phone_number": "5535550000"}, WINTER, -6.0, "-6.00", "mexico-winter"),
    ({"phone_code": "61", "state": "NSW"}, WINTER, 11.0, "11", "australia-state-southern-dst"),
    ({"phone_code": "61", "state": "NSW"}, SUMMER, 10.0, "10.00", "australia-state-no-plus"),
    ({"phone_code": "61", "state": "qld "}, WINTER, 10.0, "10.00", "australia-state-ci-trailing"),
    ({"phone_code": "61", "state": "XX"}, WINTER, 11.0, "11", "australia-unknown-state-first"),
    ({"phone_code": "0061", "state": "QLD"}, WINTER, 10.0, "10.00", "australia-0061"),
    ({"phone_code": "44"}, SUMMER, 1.0, "1", "uk-country-first-row"),
    ({"phone_code": "44"}, WINTER, 0.0, "0.00", "uk-winter"),
    ({"phone_code": "91"}, WINTER, 5.5, "5.50", "india-plus-removed"),
    ({"phone_code": "55"}, WINTER, -2.0, "-2", "brazil-southern-dst"),
    ({"phone_code": "999"}, WINTER, None, "", "unknown-country-nothing"),
    # POSTAL
    ({"tz_method": "POSTAL", "postal_code": "96701"}, SUMMER, -10.0, "-10.00", "postal-hit"),
    ({"tz_method": "xpostalx", "postal_code": "33701"}, SUMMER, -5.0, "-5", "postal-any-case"),
    ({"tz_method": "POSTAL", "postal_code": "k1a0b"}, WINTER, -7.0, "-7.00", "postal-prefix-ci"),
    ({"tz_method": "POSTAL", "postal_code": "96701-1234"}, WINTER, -5.0, "-5.00",
     "postal-zip4-falls-back"),
    ({"tz_method": "POSTAL", "postal_code": "9670"}, WINTER, -5.0, "-5.00",
     "postal-4-chars-not-run"),
    ({"tz_method": "POSTAL", "postal_code": "96701", "phone_code": "001"}, WINTER, -5.0, "-5.00",
     "postal-needs-phone-code-exactly-1"),
    ({"tz_method": "POSTAL", "postal_code": "EC1A1"}, WINTER, -5.0, "-5.00",
     "postal-table-country-1-only"),
    ({"tz_method": "POSTAL", "postal_code": "55555"}, WINTER, -5.0, "-5.00", "postal-miss"),
    # TZCODE
    ({"tz_method": "TZCODE", "owner": "PST"}, WINTER, -8.0, "-8.00", "tzcode-hit"),
    ({"tz_method": "TZCODE", "owner": "PST"}, SUMMER, -7.0, "-7", "tzcode-greatest-range"),
    ({"tz_method": "TZCODE", "owner": "pst  "}, WINTER, -8.0, "-8.00", "tzcode-owner-ci"),
    ({"tz_method": "TZCODE", "owner": "PST", "phone_code": "44"}, WINTER, 0.0, "0.00",
     "tzcode-country-mismatch-falls-back"),
    ({"tz_method": "TZCODE", "owner": "XYZ"}, WINTER, -5.0, "-5.00", "tzcode-miss-default-hit"),
    ({"tz_method": "TZCODE", "owner": "XYZ", "phone_code": "999"}, WINTER, 0.0, "0",
     "tzcode-miss-default-miss-zero"),
    ({"tz_method": "TZCODE", "owner": "X", "phone_code": "999"}, WINTER, None, "",
     "tzcode-owner-too-short"),
    ({"tz_method": "tzcode", "owner": "PST"}, WINTER, -5.0, "-5.00", "tzcode-exact-case"),
    ({"tz_method": "TZCODEPOSTAL", "owner": "PST"}, WINTER, -5.0, "-5.00",
     "tzcode-only-whole-value"),
    # NANPA
    ({"tz_method": "NANPA"}, WINTER, -6.0, "-6.00", "nanpa-hit"),
    ({"tz_method": "nanpa"}, SUMMER, -5.0, "-5", "nanpa-any-case-dst-y"),
    ({"tz_method": "NANPA", "phone_number": "2015560000"}, SUMMER, -6.0, "-6.00", "nanpa-dst-n"),
    ({"tz_method": "NANPA", "phone_number": "2015570000"}, WINTER, -5.0, "-5.00", "nanpa-miss"),
    ({"tz_method": "NANPA", "usacan_prefix_check": "Y"}, WINTER, -5.0, "-5.00",
     "prefix-check-disables-nanpa"),
    ({"tz_method": "NANPA", "usacan_prefix_check": "N"}, WINTER, -6.0, "-6.00",
     "prefix-check-n-keeps-nanpa"),
    ({"tz_method": "NANPA", "phone_number": "20155"}, WINTER, -5.0, "-5.00",
     "nanpa-short-prefix"),
    ({"tz_method": "POSTALNANPA", "postal_code": "96701"}, WINTER, -6.0, "-6.00",
     "postal-nanpa-nanpa-wins"),
    ({"tz_method": "POSTALNANPA", "postal_code": "96701", "phone_number": "2015570000"}, WINTER,
     -10.0, "-10.00", "postal-nanpa-nanpa-miss-postal-stays"),
]


@pytest.mark.parametrize(("lead", "now", "value", "text"), [c[:4] for c in CASES],
                         ids=[c[4] for c in CASES])
def test_gmt_offset(lead: dict[str, str], now: datetime, value: float | None, text: str) -> None:
    out = run(leads(lead), now=now)
    assert out["gmt_offset_now"].to_list() == [value]
    assert out["gmt_offset_text"].to_list() == [text]


def test_nanpa_not_loaded_falls_back() -> None:
    out = run(leads({"tz_method": "NANPA"}, {"tz_method": "nanpa"}), nanpa=None)
    assert out["gmt_offset_text"].to_list() == ["-5.00", "-5.00"]


def test_output_shape_and_no_helper_columns() -> None:
    lf = leads({}, {"phone_code": "999"}, {"tz_method": "TZCODE", "owner": "PST"})
    out = run(lf)
    assert out.columns == [*lf.collect_schema().names(), "gmt_offset_now", "gmt_offset_text"]
    assert out.schema["gmt_offset_now"] == pl.Float64
    assert out.schema["gmt_offset_text"] == pl.String


def test_supplied_gmt_offset_now_is_ignored() -> None:
    lf = leads({}).with_columns(gmt_offset_now=pl.lit("9.00"))
    out = run(lf)
    assert out["gmt_offset_now"].to_list() == [-5.0]
    assert out.columns.count("gmt_offset_now") == 1


def test_duplicate_lookup_rows_never_multiply_leads() -> None:
    doubled = phone_codes_frame(PHONE_ROWS + PHONE_ROWS)
    postals = postal_codes_frame(POSTAL_ROWS + POSTAL_ROWS)
    nanpa = nanpa_frame(NANPA_ROWS + NANPA_ROWS)
    lf = leads(*[{"tz_method": m, "postal_code": "96701", "owner": "PST"}
                 for m in ("", "POSTAL", "TZCODE", "NANPA", "POSTALNANPA")] * 3)
    out = run(lf, phones=doubled, postals=postals, nanpa=nanpa)
    assert out.height == 15
    assert out["source_row"].to_list() == list(range(1, 16))


def test_first_row_is_lowest_order_not_position() -> None:
    shuffled = PHONES.reverse()  # same rows and `_order`, other physical positions
    assert_frame_equal(run(leads({"phone_number": "7275550001"}), phones=shuffled),
                       run(leads({"phone_number": "7275550001"})))
    later_first = PHONES.with_columns(
        pl.when(pl.col("geographic_description") == "later duplicate of 727")
        .then(-1).otherwise(pl.col("_order")).alias("_order")
    )
    out = run(leads({"phone_number": "7275550001"}), phones=later_first)
    assert out["gmt_offset_text"].to_list() == ["-9.00"]


def test_many_leads_share_distinct_pairs() -> None:
    lf = leads(*[{"phone_number": f"{area}5550{i:03d}"} for i in range(50)
                 for area in ("201", "808", "727")])
    out = run(lf, now=SUMMER)
    assert out["gmt_offset_text"].unique().sort().to_list() == ["-10.00", "-4"]


def test_strip_nanpa() -> None:
    lf = pl.LazyFrame({"tz_method": ["NANPA", "POSTALNANPA", "nanpa", "NaNpA", "", "TZCODE"]})
    assert strip_nanpa(lf).collect()["tz_method"].to_list() == [
        "", "POSTAL", "nanpa", "NaNpA", "", "TZCODE"
    ]


# lookup_state: (lead overrides, expected state, id)
STATE_CASES = [
    ({"lookup_state": "Y", "phone_number": "7275550001"}, "FL", "filled-first-row"),
    ({"lookup_state": "Y", "phone_number": "7275550001", "state": "NY"}, "NY", "state-kept"),
    ({"lookup_state": "N", "phone_number": "7275550001"}, "", "flag-off"),
    ({"lookup_state": "y", "phone_number": "7275550001"}, "", "flag-exact-y"),
    ({"lookup_state": "Y", "phone_number": "9995550001"}, "", "no-row-stays-empty"),
    ({"lookup_state": "Y", "phone_number": "7275550001", "phone_code": "001"}, "FL", "cc-001"),
    ({"lookup_state": "Y", "phone_number": "7275550001", "phone_code": "52"}, "", "cc-mismatch"),
    ({"lookup_state": "Y", "phone_number": "5535550000", "phone_code": "52"}, "DF", "mexico"),
]


@pytest.mark.parametrize(("lead", "state"), [c[:2] for c in STATE_CASES],
                         ids=[c[2] for c in STATE_CASES])
def test_lookup_state(lead: dict[str, str], state: str) -> None:
    out = lookup_state(leads(lead), phone_codes=PHONES).collect()
    assert out["state"].to_list() == [state]


def test_lookup_state_keeps_four_characters_and_feeds_australia() -> None:
    phones = phone_codes_frame([("61", "AUS", "291", "NSWX", "+10.00", "Y", "FSO-FSA"),
                                ("61", "AUS", "", "ACT", "+10.00", "N", "")])
    lf = lookup_state(leads({"phone_code": "61", "phone_number": "2915550000",
                             "lookup_state": "Y"}), phone_codes=phones)
    assert lf.collect()["state"].to_list() == ["NSWX"]
    out = run(lf, phones=phones)
    assert out["gmt_offset_text"].to_list() == ["11"]


def test_lookup_state_no_helper_columns_and_no_duplication() -> None:
    lf = leads({"lookup_state": "Y", "phone_number": "7275550001"}, {"lookup_state": "Y"})
    out = lookup_state(lf, phone_codes=phone_codes_frame(PHONE_ROWS * 2)).collect()
    assert out.columns == lf.collect_schema().names()
    assert out["state"].to_list() == ["FL", "NJ"]


@pytest.mark.skipif(not (REFDATA / "phone_codes.tsv").exists(), reason="no shipped phone codes")
def test_shipped_reference_data() -> None:
    def read(name: str) -> pl.LazyFrame:
        return (
            pl.scan_csv(REFDATA / name, separator="\t", infer_schema=False, quote_char=None)
            .with_row_index("_order").with_columns(pl.col("_order").cast(pl.Int64))
        )

    phones = read("phone_codes.tsv")
    postals = (
        pl.read_csv(REFDATA / "postal_codes.tsv.gz", separator="\t", infer_schema=False,
                    quote_char=None).lazy().with_row_index("_order")
        .with_columns(pl.col("_order").cast(pl.Int64))
        if (REFDATA / "postal_codes.tsv.gz").exists() else postal_codes_frame([])
    )
    lf = leads({}, {"phone_code": "44"}, {"phone_code": "999"},
               {"tz_method": "POSTAL", "postal_code": "33701"})
    out = run(lf, phones=phones, postals=postals, nanpa=None)
    assert out.height == 4
    assert out["gmt_offset_text"].to_list()[:3] == ["-5.00", "0.00", ""]
    assert out["gmt_offset_now"][3] == -5.0


# ---------------------------------------------------------------------------------------------
# property: the vectorised rule equals a per-row reading of spec 8, row by row, table by table


def _ci(text: str | None) -> str:
    return (text or "").rstrip(" ").lower()


def _num(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text else 0


def reference(lead: dict[str, str], phones: list[dict[str, str]], postals: list[dict[str, str]],
              nanpa: list[dict[str, str]] | None, now: datetime,
              server: float) -> tuple[float | None, str]:
    """add_lead's lookup_gmt, one lead, scanning table rows in order."""
    pc, phone, method = lead["phone_code"], lead["phone_number"], lead["tz_method"]
    area = phone[:3]
    prefix = phone[3:4] if lead["usacan_prefix_check"] == "Y" else phone[3:6]
    offset: str | None = None
    rule = ""
    found = False
    if "POSTAL" in method.upper() and len(lead["postal_code"].encode()) > 4 and pc == "1":
        for row in postals:
            if _num(row["country_code"]) == 1 and (row["postal_code"] or "").lower().startswith(
                lead["postal_code"].lower()
            ):
                offset, rule, found = row["GMT_offset"], row["DST_range"], True
                break
    if method == "TZCODE" and len(lead["owner"].encode()) > 1:
        offset, rule = "0", ""
        rows = [r for r in phones
                if _ci(r["tz_code"]) == _ci(lead["owner"]) and _num(r["country_code"]) == _num(pc)]
        if rows:
            offset, found = rows[0]["GMT_offset"], True
            rule = max((r["DST_range"] for r in rows), key=lambda v: _ci(v).upper())
    if "NANPA" in method.upper() and nanpa is not None and len(area) == 3 and len(prefix) == 3:
        for row in nanpa:
            if _ci(row["areacode"]) == _ci(area) and _ci(row["prefix"]) == _ci(prefix):
                offset, found = row["GMT_offset"], True
                rule = "SSM-FSN" if row["DST"] == "Y" else ""
                break
    if not found:
        hit = None
        if _num(pc) in (1, 52):
            hit = next((r for r in phones if _num(r["country_code"]) == _num(pc)
                        and _ci(r["areacode"]) == _ci(area)), None)
        if _num(pc) == 61:
            hit = next((r for r in phones if _num(r["country_code"]) == 61
                        and _ci(r["state"]) == _ci(lead["state"])), None)
        if hit is None:
            hit = next((r for r in phones if _num(r["country_code"]) == _num(pc)), None)
        if hit is not None:
            offset, rule = hit["GMT_offset"], hit["DST_range"]
    if offset is None:
        return None, ""
    offset = offset.replace("+", "")
    base = php_number(offset)
    if dst_in_effect(rule, lead_local_standard(now, base, server)):
        return base + 1, php_float_text(base + 1)
    return base, offset


def _rows(columns: tuple[str, ...], values: dict[str, st.SearchStrategy[str]]) -> Any:
    return st.lists(st.fixed_dictionaries({c: values.get(c, st.just("")) for c in columns}),
                    max_size=8)


OFFSETS = st.sampled_from(["-5.00", "+10.00", "5.50", "-3.50", "0.00", "-5", "+1.00", "-10.00"])
RANGES = st.sampled_from([*DST_CODES, "", "N", "ssm-fsn"])
AREAS = ["201", "727", "553", "808", "20"]

phone_rows = _rows(PHONE_CODE_COLUMNS, {
    "country_code": st.sampled_from(["1", "52", "61", "44"]),
    "areacode": st.sampled_from(AREAS), "state": st.sampled_from(["NJ", "NSW", "nsw", "QLD", ""]),
    "GMT_offset": OFFSETS, "DST_range": RANGES,
    "tz_code": st.sampled_from(["EST", "est", "PST", ""]),
})
postal_rows = _rows(POSTAL_CODE_COLUMNS, {
    "postal_code": st.sampled_from(["33701", "337011", "K1A0B1", "96701", "3370"]),
    "country_code": st.sampled_from(["1", "1", "44"]), "GMT_offset": OFFSETS, "DST_range": RANGES,
})
nanpa_rows = st.none() | _rows(NANPA_COLUMNS, {
    "areacode": st.sampled_from(AREAS[:3]), "prefix": st.sampled_from(["555", "556"]),
    "GMT_offset": OFFSETS, "DST": st.sampled_from(["Y", "N", ""]),
})
lead_rows = st.lists(st.fixed_dictionaries({
    "phone_code": st.sampled_from(["1", "001", "52", "61", "44", "999"]),
    "phone_number": st.sampled_from([a + p + "0001" for a in AREAS for p in ("555", "556")]
                                    + ["20", "2015", "20155"]),
    "state": st.sampled_from(["", "NSW", "nsw ", "QLD", "NJ"]),
    "postal_code": st.sampled_from(["", "33701", "3370", "33701-1234", "k1a0b", "337011"]),
    "owner": st.sampled_from(["", "E", "EST", "est ", "PST", "XYZ"]),
    "tz_method": st.sampled_from(["", "POSTAL", "postal", "TZCODE", "tzcode", "NANPA",
                                  "POSTALNANPA", "nanpa", "TZCODENANPA"]),
    "usacan_prefix_check": st.sampled_from(["", "Y", "N"]),
    "lookup_state": st.just(""),
}), min_size=1, max_size=12)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
switch_moments = st.builds(
    lambda day, hour, minute: datetime(2024, *day, hour, minute),
    st.sampled_from([(3, 10), (3, 31), (4, 7), (10, 6), (10, 27), (11, 3), (2, 25), (3, 17)]),
    st.integers(0, 23), st.sampled_from([0, 59]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(phones=phone_rows, postals=postal_rows, nanpa=nanpa_rows, rows=lead_rows,
       now=moments | switch_moments, server=st.sampled_from([-5.0, -4.0, 0.0, 5.3, 10.0]))
def test_matches_per_row_reference(
    phones: list[dict[str, str]], postals: list[dict[str, str]],
    nanpa: list[dict[str, str]] | None, rows: list[dict[str, str]], now: datetime, server: float,
) -> None:
    def frame(build: Any, columns: tuple[str, ...], table: list[dict[str, str]]) -> pl.LazyFrame:
        return build([tuple(r[c] for c in columns) for r in table])

    out = gmt_offset(
        leads(*rows),
        phone_codes=frame(phone_codes_frame, PHONE_CODE_COLUMNS, phones),
        postal_codes=frame(postal_codes_frame, POSTAL_CODE_COLUMNS, postals),
        nanpa=None if nanpa is None else frame(nanpa_frame, NANPA_COLUMNS, nanpa),
        server_now=now, server_offset=server,
    ).collect().sort("source_row")
    expected = [reference(r, phones, postals, nanpa, now, server) for r in rows]
    assert list(zip(out["gmt_offset_now"], out["gmt_offset_text"], strict=True)) == expected
