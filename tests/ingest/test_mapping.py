"""Header mapping to add_lead names, and the per-pipeline transforms."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ingest.errors import InputError
from ingest.mapping import MappingOptions, convert_dob, map_columns, resolve_columns


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Phone", "phone_number"),
        ("phone1", "phone_number"),
        ("Phone Number", "phone_number"),
        ("PHONE_NUMBER", "phone_number"),
        ("Home Phone", "phone_number"),
        ("zip", "postal_code"),
        ("Zip Code", "postal_code"),
        ("First Name", "first_name"),
        ("LastName", "last_name"),
        ("Surname", "last_name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("DOB", "date_of_birth"),
        ("Date of Birth", "date_of_birth"),
        ("Address", "address1"),
        ("Address Line 2", "address2"),
        ("Alt Phone", "alt_phone"),
        ("Phone2", "alt_phone"),
        ("Country", "country_code"),
        ("Sex", "gender"),
        ("Source", "source_id"),
        ("Notes", "comments"),
        ("Vendor Lead Code", "vendor_lead_code"),
        ("multi_alt_phones", "multi_alt_phones"),
        ("Campaign ID", "campaign_id"),
        ("Favorite Color", "Favorite Color"),
    ],
)
def test_aliases(header: str, field: str) -> None:
    assert resolve_columns([header]) == {header: field}


def test_exact_name_wins_over_an_alias_which_then_passes_through() -> None:
    assert resolve_columns(["Phone", "phone_number"]) == {
        "Phone": "Phone",
        "phone_number": "phone_number",
    }


def test_column_map_overrides_aliases_and_matches_loosely() -> None:
    plan = resolve_columns(
        ["Phone", "Cell Phone", "Notes"],
        MappingOptions(
            column_map={"cell_phone": "phone_number", "Phone": "alt_phone", "Notes": ""}
        ),
    )
    assert plan == {"Phone": "alt_phone", "Cell Phone": "phone_number", "Notes": ""}


def test_aliases_can_be_switched_off() -> None:
    plan = resolve_columns(["Phone", "first_name"], MappingOptions(aliases=False))
    assert plan == {"Phone": "Phone", "first_name": "first_name"}


def test_two_columns_on_one_field_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        resolve_columns(["Phone", "Phone Number"])
    assert str(info.value) == (
        "columns `Phone` and `Phone Number` both map to `phone_number`: name one of them in "
        "`column_map` (an empty target drops it)"
    )


def test_column_map_naming_a_missing_column_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        resolve_columns(["Phone"], MappingOptions(column_map={"Cell": "alt_phone"}))
    assert str(info.value) == "`column_map` names `Cell`: no such column (columns: `Phone`)"


def test_map_columns_renames_transforms_and_keeps_source_row() -> None:
    df = pl.DataFrame(
        {
            "Phone Number": ["+1 (727) 555-1212", "727.555.0000"],
            "Alt": ["727-555-9999 x1", ""],
            "DOB": ["3/4/1971", "1971-03-04"],
            "Source": ["web", "web"],
            "Pet": ["cat", ""],
            "source_row": [1, 2],
        }
    )
    opts = MappingOptions(
        column_map={"Alt": "alt_phone"},
        constants={"source_id": "NIGHTLY", "list_id": "101"},
        dob_format="MM/DD/YYYY",
        clean_phone=True,
        strip_phone_prefix="1",
    )
    out = map_columns(df, opts)
    expected = pl.DataFrame(
        {
            "phone_number": ["7275551212", "7275550000"],
            "alt_phone": ["72755599991", ""],
            "date_of_birth": ["1971-03-04", "1971-03-04"],
            "source_id": ["NIGHTLY", "NIGHTLY"],
            "Pet": ["cat", ""],
            "source_row": [1, 2],
            "list_id": ["101", "101"],
        }
    )
    assert_frame_equal(out, expected)


def test_map_columns_is_lazy_friendly() -> None:
    lf = pl.LazyFrame({"Zip": ["01234"], "source_row": [1]})
    assert map_columns(lf).collect().rows() == [("01234", 1)]


@pytest.mark.parametrize(
    ("fmt", "value", "expected"),
    [
        ("MM/DD/YYYY", "1/2/1980", "1980-01-02"),
        ("MM/DD/YYYY", "12/31/1980", "1980-12-31"),
        ("DD/MM/YYYY", "31/12/1980", "1980-12-31"),
        ("DD/MM/YYYY", "1/2/80", "80-02-01"),  # the year stays as given, like the loader
        ("MM/DD/YYYY", "1980-01-02", "1980-01-02"),  # no slash: unchanged
        ("MM/DD/YYYY", "1/2", "-01-02"),  # missing year: as the loader's split gives it
        ("MM/DD/YYYY", "", ""),
        (None, "1/2/1980", "1/2/1980"),  # no dob option: slash dates stay (add_lead zeroes them)
        (None, "1980-01-02 00:00:00", "1980-01-02"),  # a spreadsheet date cell
    ],
)
def test_dob_formats(fmt: str | None, value: str, expected: str) -> None:
    out = pl.DataFrame({"d": [value]}).select(convert_dob(pl.col("d"), fmt))  # type: ignore[arg-type]
    assert out["d"].item() == expected


def test_force_phone_code_sets_rows_and_multi_alt_entries() -> None:
    df = pl.DataFrame(
        {
            "phone_code": ["44", ""],
            "multi_alt_phones": ["7275551212_1_work!7275551213_61_sister house!7275551214", "123"],
        }
    )
    out = map_columns(df, MappingOptions(force_phone_code="52"))
    assert out.rows() == [
        ("52", "7275551212_52_work!7275551213_52_sister house!7275551214_52"),
        ("52", "123"),  # four characters or fewer: not used by the loader, left alone
    ]
