"""Alternate phones from `multi_alt_phones` (ingest.md 11)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules.altphones import ROW_COLUMNS, alt_phone_rows


def _run(*values: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    leads = pl.DataFrame(
        {
            "lead_id": [100 + i for i in range(len(values))],
            "source_row": list(range(1, len(values) + 1)),
            "multi_alt_phones": list(values),
        },
        schema_overrides={"multi_alt_phones": pl.String},
    )
    return alt_phone_rows(leads, user="6666")


def test_spec_example_glues_fragments_to_the_notice() -> None:
    rows, notices = _run("7275551212_1_work!7275551213_1_sister house")
    assert notices["alt_notice"].to_list() == [
        "7275551212|1|work7275551213|1|sister houseNOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - 2|100|6666"  # noqa: E501
    ]
    expected = pl.DataFrame(
        {
            "lead_id": [100, 100],
            "phone_code": ["1", "1"],
            "phone_number": ["7275551212", "7275551213"],
            "alt_phone_note": ["work", "sister house"],
            "alt_phone_count": [1, 2],
            "active": ["Y", "Y"],
            "source_row": [1, 1],
        }
    )
    assert_frame_equal(rows, expected)
    assert tuple(rows.columns[:-1]) == ROW_COLUMNS


ENTRY_CASES = [
    # (id, value, rows as (code, number, note, count), glued fragments)
    ("number-only-code-defaults", "7275551212", [("1", "7275551212", "", 1)], "7275551212||"),
    (
        "empty-code-defaults",
        "7275551212__note",
        [("1", "7275551212", "note", 1)],
        "7275551212||note",
    ),
    ("code-kept", "2025551212_44_uk", [("44", "2025551212", "uk", 1)], "2025551212|44|uk"),
    (
        "trailing-bang-makes-empty-row",
        "7275551212!",
        [("1", "7275551212", "", 1), ("1", "", "", 2)],
        "7275551212||||",
    ),
    (
        "empty-middle-entry-counts",
        "7275551212!!7275551213",
        [("1", "7275551212", "", 1), ("1", "", "", 2), ("1", "7275551213", "", 3)],
        "7275551212||||7275551213||",
    ),
    (
        "parts-beyond-third-ignored",
        "7275551212_1_a_b",
        [("1", "7275551212", "a", 1)],
        "7275551212|1|a",
    ),
    ("letters-unvalidated", "call me_1_x", [("1", "call me", "x", 1)], "call me|1|x"),
    (
        "number-cut-to-18",
        "1234567890123456789012_1_n",
        [("1", "123456789012345678", "n", 1)],
        "1234567890123456789012|1|n",
    ),
    (
        "note-cut-to-30",
        "7275551212_1_" + "n" * 35,
        [("1", "7275551212", "n" * 30, 1)],
        "7275551212|1|" + "n" * 35,
    ),
    (
        "code-cut-to-10",
        "7275551212_123456789012_n",
        [("1234567890", "7275551212", "n", 1)],
        "7275551212|123456789012|n",
    ),
    ("six-chars-processed", "123456", [("1", "123456", "", 1)], "123456||"),
]


@pytest.mark.parametrize(
    ("value", "rows", "fragments"), [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES]
)
def test_entries(value: str, rows: list[tuple[str, str, str, int]], fragments: str) -> None:
    got, notices = _run(value)
    assert (
        got.select("phone_code", "phone_number", "alt_phone_note", "alt_phone_count").rows() == rows
    )
    assert notices["alt_notice"].to_list() == [
        f"{fragments}NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - {len(rows)}|100|6666"
    ]


SKIP_CASES = [("five-chars", "12345"), ("empty", ""), ("null", None), ("five-bangs", "!!!!!")]


@pytest.mark.parametrize("value", [c[1] for c in SKIP_CASES], ids=[c[0] for c in SKIP_CASES])
def test_five_characters_or_fewer_are_ignored(value: str | None) -> None:
    rows, notices = _run(value)
    assert rows.height == 0
    assert notices.height == 0
    assert tuple(rows.columns[:-1]) == ROW_COLUMNS


def test_length_counts_bytes_like_php() -> None:
    rows, _ = _run("ééé")  # 3 characters, 6 bytes
    assert rows["phone_number"].to_list() == ["ééé"]


def test_several_leads_in_file_order() -> None:
    leads = pl.DataFrame(
        {
            "lead_id": [12, 11, 13],
            "source_row": [3, 2, 1],
            "multi_alt_phones": ["3333333!", "", "1111111_1_a!2222222"],
        }
    )
    rows, notices = alt_phone_rows(leads, user="api")
    assert rows.select("lead_id", "alt_phone_count", "phone_number").rows() == [
        (13, 1, "1111111"),
        (13, 2, "2222222"),
        (12, 1, "3333333"),
        (12, 2, ""),
    ]
    assert notices.select("source_row", "lead_id").rows() == [(1, 13), (3, 12)]
    assert (
        notices["alt_notice"][1]
        == "3333333||||NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - 2|12|api"
    )
