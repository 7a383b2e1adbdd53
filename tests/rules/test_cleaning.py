"""add_lead's character filters, defaults and MySQL date parsing (ingest.md 3, 10)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules.cleaning import ALLOWED, apply_defaults, clean, mysql_date
from rules.fields import LEAD_FIELDS, OPTION_FIELDS

# Every interesting character once: letters, a digit, each punctuation mark of the tables,
# `;`, `#`, `"`, a backslash, a newline, an accented letter and a non-ASCII digit (Arabic 3).
PROBE = "Ab9 -'+_.:/@%!,;#\"\\\né٣"

# field → (expected with use_non_latin=0, expected with use_non_latin=1), from ingest.md 3.2/3.3.
_ANY = ("Ab9 -' _.:/@%!,\\\né٣", "Ab9 -' _.:/@%!,\\\né٣")
_NAME = ("Ab9 -' _.", "Ab9 -' _.é")
_ADDRESS = ("Ab9 -' _.:/@", "Ab9 -' _.:/@é")
_IDENT = ("Ab9-_", "Ab9-_é")
_ALNUM = ("Ab9", "Ab9é")
_UPPER = ("A", "A")
_DIGITS = ("9", "9")
_CALLBACK = ("Ab9 -+_.:/@", "Ab9 -+_.:/@é")
EXPECTED: dict[str, tuple[str, str]] = {
    "phone_number": ("9,", "9,"),
    "phone_code": _DIGITS,
    "list_id": _DIGITS,
    "vendor_lead_code": _ANY,
    "source_id": _ANY,
    "title": ("Ab9 -'_.", "Ab9 -'_.é"),
    "first_name": _NAME,
    "middle_initial": _IDENT,
    "last_name": _NAME,
    "address1": _ADDRESS,
    "address2": _ADDRESS,
    "address3": _ADDRESS,
    "city": _ADDRESS,
    "state": ("Ab9 -", "Ab9 -é"),
    "province": _NAME,
    "postal_code": ("Ab9 -' ", "Ab9 -' é"),
    "country_code": _IDENT,
    "gender": _UPPER,
    "date_of_birth": ("9-", "9-"),
    "alt_phone": _NAME,
    "email": ("Ab9 -' _.:/@%", "Ab9 -' _.:/@%é"),
    "security_phrase": _ADDRESS,
    "comments": _ANY,
    "rank": _DIGITS,
    "owner": _ADDRESS,
    "entry_list_id": _DIGITS,
    "multi_alt_phones": ("Ab9 - _:!", "Ab9 - _:!é"),
    "source": _ALNUM,
    "dnc_check": _UPPER,
    "campaign_dnc_check": _UPPER,
    "campaign_id": _IDENT,
    "duplicate_check": _IDENT,
    "list_exists_check": _ALNUM,
    "usacan_prefix_check": _UPPER,
    "usacan_areacode_check": _UPPER,
    "nanpa_ac_prefix_check": _UPPER,
    "tz_method": _IDENT,
    "lookup_state": _UPPER,
    "custom_fields": _ALNUM,
    "add_to_hopper": _UPPER,
    "remove_from_hopper": _ALNUM,
    "hopper_priority": ("9-", "9-"),
    "hopper_local_call_time_check": _UPPER,
    "callback": _UPPER,
    "callback_status": _IDENT,
    "callback_datetime": _CALLBACK,
    "callback_type": _UPPER,
    "callback_user": _IDENT,
    "callback_comments": _CALLBACK,
}


def test_every_parameter_has_a_filter_and_an_expectation() -> None:
    assert set(ALLOWED) == set(LEAD_FIELDS) | set(OPTION_FIELDS) == set(EXPECTED)


@pytest.mark.parametrize("non_latin", [False, True], ids=["latin", "non_latin"])
@pytest.mark.parametrize("field", sorted(EXPECTED))
def test_probe_through_each_field(field: str, *, non_latin: bool) -> None:
    out = clean(pl.LazyFrame({field: [PROBE]}), use_non_latin=non_latin).collect()
    assert out[field].to_list() == [EXPECTED[field][non_latin]]


CASES = [
    # (id, field, raw, latin, non_latin)
    ("country_code_dots", "country_code", "U.S.A.", "USA", "USA"),
    ("country_code_lower_kept", "country_code", "usa", "usa", "usa"),
    ("email_plus", "email", "bob+tag@x.com", "bob tag@x.com", "bob tag@x.com"),
    ("state_not_truncated", "state", "Florida", "Florida", "Florida"),
    ("state_plus_deleted", "state", "F+L", "FL", "FL"),
    ("title_plus_deleted", "title", "Mr+", "Mr", "Mr"),
    ("first_name_accents", "first_name", "José Müller", "Jos Mller", "José Müller"),
    ("last_name_cyrillic", "last_name", "Иванов", "", "Иванов"),
    ("last_name_plus", "last_name", "O'Neil+Smith", "O'Neil Smith", "O'Neil Smith"),
    ("city_greek_and_plus", "city", "Αθήνα+GR", " GR", "Αθήνα GR"),
    ("non_ascii_digit_deleted", "address1", "12٣ Main", "12 Main", "12 Main"),
    ("gender_lower_emptied", "gender", "m", "", ""),
    ("gender_word_kept", "gender", "MALE", "MALE", "MALE"),
    ("gender_accent_not_a_z", "gender", "É", "", ""),
    ("flag_lower_y_off", "dnc_check", "y", "", ""),
    ("flag_areacode", "dnc_check", "AREACODE", "AREACODE", "AREACODE"),
    ("list_exists_yes", "list_exists_check", "yes!", "yes", "yes"),
    ("list_id_digits", "list_id", " 10-01 ", "1001", "1001"),
    ("phone_commas", "phone_number", "(727) 555,1212", "727555,1212", "727555,1212"),
    ("phone_plus_deleted", "phone_number", "+1 727", "1727", "1727"),
    ("dob_slashes", "date_of_birth", "01/02/1980", "01021980", "01021980"),
    ("hopper_priority", "hopper_priority", "+-5.5", "-55", "-55"),
    ("middle_initial_dash", "middle_initial", "-", "-", "-"),
    ("comments_newline_kept", "comments", 'a;b#c"d\ne+f', "abcd\ne f", "abcd\ne f"),
    ("vendor_backslash_kept", "vendor_lead_code", "x\\y'z", "x\\y'z", "x\\y'z"),
    ("source_id_plus", "source_id", "a+b", "a b", "a b"),
    (
        "callback_datetime_plus_kept",
        "callback_datetime",
        "2026-01-02+10:00",
        "2026-01-02+10:00",
        "2026-01-02+10:00",
    ),
    ("callback_comments_apostrophe", "callback_comments", "it's+ok", "its+ok", "its+ok"),
    (
        "multi_alt_phones",
        "multi_alt_phones",
        "7275551111_1_HOME!7275552222",
        "7275551111_1_HOME!7275552222",
        "7275551111_1_HOME!7275552222",
    ),
    ("tz_method", "tz_method", "POSTAL nanpa", "POSTALnanpa", "POSTALnanpa"),
    ("null_becomes_empty", "first_name", None, "", ""),
]


@pytest.mark.parametrize(
    ("field", "raw", "latin", "non_latin"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_spec_examples(field: str, raw: str | None, latin: str, non_latin: str) -> None:
    lf = pl.LazyFrame({field: [raw]}, schema={field: pl.String})
    assert clean(lf).collect()[field].to_list() == [latin]
    assert clean(lf, use_non_latin=True).collect()[field].to_list() == [non_latin]


def test_other_columns_untouched_and_missing_stay_missing() -> None:
    lf = pl.LazyFrame({"source_row": [1], "note": ["a+b;"], "first_name": ["A+B"]})
    expected = pl.DataFrame({"source_row": [1], "note": ["a+b;"], "first_name": ["A B"]})
    assert_frame_equal(clean(lf).collect(), expected)


def test_clean_without_parameters_is_identity() -> None:
    lf = pl.LazyFrame({"x": ["+"]})
    assert_frame_equal(clean(lf).collect(), lf.collect())


DEFAULT_CASES = [
    # (id, input row, expected values of the named columns)
    ("list_id_short", {"list_id": "12"}, {"list_id": "999", "list_id_raw": "12"}),
    ("list_id_empty", {"list_id": ""}, {"list_id": "999", "list_id_raw": ""}),
    ("list_id_three", {"list_id": "101"}, {"list_id": "101", "list_id_raw": "101"}),
    ("list_id_leading_zero", {"list_id": "010"}, {"list_id": "010", "list_id_raw": "010"}),
    ("list_id_absent", {}, {"list_id": "999", "list_id_raw": ""}),
    ("gender_empty", {"gender": ""}, {"gender": "U"}),
    ("gender_m", {"gender": "M"}, {"gender": "M"}),
    ("gender_f", {"gender": "F"}, {"gender": "F"}),
    ("gender_u", {"gender": "U"}, {"gender": "U"}),
    ("gender_x_invalid", {"gender": "X"}, {"gender": ""}),
    ("gender_male_invalid", {"gender": "MALE"}, {"gender": ""}),
    ("gender_absent", {}, {"gender": "U"}),
    ("rank_empty", {"rank": ""}, {"rank": "0"}),
    ("rank_kept", {"rank": "7"}, {"rank": "7"}),
    ("phone_code_empty", {"phone_code": ""}, {"phone_code": "1"}),
    ("phone_code_kept", {"phone_code": "44"}, {"phone_code": "44"}),
    ("hopper_priority_empty", {"hopper_priority": ""}, {"hopper_priority": "0"}),
    ("hopper_priority_plain", {"hopper_priority": "5"}, {"hopper_priority": "5"}),
    ("hopper_priority_negative", {"hopper_priority": "-5"}, {"hopper_priority": "-5"}),
    ("hopper_priority_high", {"hopper_priority": "150"}, {"hopper_priority": "99"}),
    ("hopper_priority_low", {"hopper_priority": "-150"}, {"hopper_priority": "-99"}),
    ("hopper_priority_edge", {"hopper_priority": "-99"}, {"hopper_priority": "-99"}),
    ("hopper_priority_huge", {"hopper_priority": "9" * 30}, {"hopper_priority": "99"}),
    ("hopper_priority_leading_zeros", {"hopper_priority": "-0007"}, {"hopper_priority": "-7"}),
    ("hopper_priority_minus_zero", {"hopper_priority": "-0"}, {"hopper_priority": "0"}),
    ("hopper_priority_intval_stops", {"hopper_priority": "5-3"}, {"hopper_priority": "5"}),
    ("hopper_priority_double_minus", {"hopper_priority": "--5"}, {"hopper_priority": "0"}),
    ("hopper_priority_minus_only", {"hopper_priority": "-"}, {"hopper_priority": "0"}),
    (
        "remove_forces_off",
        {"add_to_hopper": "Y", "remove_from_hopper": "Y"},
        {"add_to_hopper": "N"},
    ),
    (
        "remove_yes_not_exact",
        {"add_to_hopper": "Y", "remove_from_hopper": "YES"},
        {"add_to_hopper": "Y"},
    ),
    ("remove_lower_y", {"add_to_hopper": "Y", "remove_from_hopper": "y"}, {"add_to_hopper": "Y"}),
    ("callback_status_empty", {"callback_status": ""}, {"callback_status": "CALLBK"}),
    ("callback_status_kept", {"callback_status": "CB1"}, {"callback_status": "CB1"}),
    ("callback_type_useronly", {"callback_type": "USERONLY"}, {"callback_type": "USERONLY"}),
    ("callback_type_other", {"callback_type": "USER"}, {"callback_type": "ANYONE"}),
    ("callback_type_empty", {"callback_type": ""}, {"callback_type": "ANYONE"}),
    ("callback_type_absent", {}, {"callback_type": "ANYONE", "callback_status": "CALLBK"}),
]


@pytest.mark.parametrize(
    ("row", "expected"), [c[1:] for c in DEFAULT_CASES], ids=[c[0] for c in DEFAULT_CASES]
)
def test_apply_defaults(row: dict[str, str], expected: dict[str, str]) -> None:
    lf = pl.LazyFrame({"source_row": [1], **{k: [v] for k, v in row.items()}})
    out = apply_defaults(lf).collect()
    assert {k: out[k].item() for k in expected} == expected


def test_clean_then_defaults_gender_m_becomes_u() -> None:
    out = pl.LazyFrame({"gender": ["m", "f", "F"]}).pipe(clean).pipe(apply_defaults).collect()
    assert out["gender"].to_list() == ["U", "U", "F"]


def test_apply_defaults_keeps_strings_and_other_columns() -> None:
    lf = pl.LazyFrame({"source_row": [1, 2], "first_name": ["a", "b"], "list_id": ["1001", "7"]})
    out = apply_defaults(lf).collect()
    assert out.select("source_row", "first_name", "list_id", "list_id_raw").rows() == [
        (1, "a", "1001", "1001"),
        (2, "b", "999", "7"),
    ]
    assert {out.schema[c] for c in out.columns if c != "source_row"} == {pl.String}


# Each case checked against MariaDB 10.11 with sql_mode='' (inserting the text into a DATE column).
DATE_CASES = [
    ("iso", "1980-01-02", "1980-01-02"),
    ("compact", "19800102", "1980-01-02"),
    ("us_order_invalid", "01021980", "0000-00-00"),
    ("empty", "", "0000-00-00"),
    ("null", None, "0000-00-00"),
    ("yymmdd", "800102", "1980-01-02"),
    ("yy_dashes", "80-01-02", "1980-01-02"),
    ("yy_pivot_69", "69-01-02", "2069-01-02"),
    ("yy_pivot_70", "70-01-02", "1970-01-02"),
    ("single_digits", "1980-1-2", "1980-01-02"),
    ("padded_month", "1980-001-02", "1980-01-02"),
    ("three_digit_year", "980-01-02", "0980-01-02"),
    ("one_digit_year", "8-1-2", "0008-01-02"),
    ("five_digit_year_zero_padded", "07438-1-19", "7438-01-19"),
    ("five_digit_year", "19800-01-02", "0000-00-00"),
    ("month_13", "1980-13-01", "0000-00-00"),
    ("feb_30", "1980-02-30", "0000-00-00"),
    ("leap_day", "2000-02-29", "2000-02-29"),
    ("no_leap_1900", "1900-02-29", "0000-00-00"),
    ("no_leap_2021", "2021-02-29", "0000-00-00"),
    ("april_31", "1980-04-31", "0000-00-00"),
    ("zero_month_and_day", "1980-00-00", "1980-00-00"),
    ("zero_day", "1980-01-0", "1980-01-00"),
    ("all_zero", "0000-00-00", "0000-00-00"),
    ("year_only", "1980", "0000-00-00"),
    ("two_parts", "1980-1", "0000-00-00"),
    ("double_dash", "1980--01-02", "0000-00-00"),
    ("leading_dash", "-1980-01-02", "0000-00-00"),
    ("trailing_dash", "1980-01-02-", "1980-01-02"),
    ("with_hour", "1980-01-02-5", "1980-01-02"),
    ("bad_hour", "1980-01-02-25", "0000-00-00"),
    ("full_time", "1980-01-02-23-59-59", "1980-01-02"),
    ("bad_second", "1980-01-02-23-59-60", "0000-00-00"),
    ("bad_minute", "1980-01-02-1-60", "0000-00-00"),
    ("tail_after_double_dash", "1980-01-02--25", "1980-01-02"),
    ("datetime_digits", "19800102123456", "1980-01-02"),
    ("yy_datetime_digits", "800102123456", "1980-01-02"),
    ("five_digits", "80010", "1980-01-00"),
    ("seven_digits", "8001021", "1980-01-02"),
    ("nine_digits_month_zero", "100000102", "2010-00-00"),
    ("ten_digits_bad_month", "1980010212", "0000-00-00"),
    ("digits_bad_hour", "8001022400", "0000-00-00"),
    ("thirteen_digits", "1980010200000", "0000-00-00"),
    ("fifteen_digits", "198001020000000", "1980-01-02"),
    ("digits_then_dash", "19800102-1", "0000-00-00"),
    ("dashes_only", "---", "0000-00-00"),
    ("max_date", "99991231", "9999-12-31"),
]


@pytest.mark.parametrize(
    ("raw", "stored"), [c[1:] for c in DATE_CASES], ids=[c[0] for c in DATE_CASES]
)
def test_mysql_date(raw: str | None, stored: str) -> None:
    frame = pl.DataFrame({"date_of_birth": [raw]}, schema={"date_of_birth": pl.String})
    assert frame.select(mysql_date(pl.col("date_of_birth")))["date_of_birth"].to_list() == [stored]


def test_mysql_date_keeps_the_column_name_and_row_count() -> None:
    frame = pl.DataFrame({"date_of_birth": ["1980-01-02", "x", None]})
    out = frame.with_columns(dob=mysql_date(pl.col("date_of_birth")))
    assert out["dob"].to_list() == ["1980-01-02", "0000-00-00", "0000-00-00"]
