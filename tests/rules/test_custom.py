"""Custom-field rows and NOTICEs (ingest.md 12, schema.md 4-5)."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from rules.custom import CustomField, CustomFieldPlan, custom_field_plan, custom_rows


def _defs(*rows: dict[str, object]) -> pl.DataFrame:
    base = {
        "list_id": 101,
        "field_label": "",
        "field_type": "TEXT",
        "field_rank": 1,
        "field_order": 1,
        "field_max": 10,
        "field_options": "",
        "field_duplicate": "N",
        "field_encrypt": "N",
    }
    return pl.DataFrame([{**base, **r} for r in rows])


# --- custom_field_plan -------------------------------------------------------------------------


def test_plan_orders_by_rank_order_label_and_drops_duplicates_and_other_lists() -> None:
    defs = _defs(
        {"field_label": "zeta", "field_rank": 1, "field_order": 2},
        {"field_label": "Beta", "field_rank": 1, "field_order": 1},
        {"field_label": "alpha", "field_rank": 1, "field_order": 1},
        {"field_label": "first", "field_rank": None},
        {"field_label": "dup", "field_duplicate": "Y"},
        {"field_label": "other", "list_id": 102},
    )
    plan = custom_field_plan(defs, list_id=101)
    assert [f.label for f in plan.fields] == ["first", "alpha", "Beta", "zeta"]


SKIP_CASES = [
    ("display", {"field_label": "banner", "field_type": "DISPLAY"}, "no value type"),
    ("script", {"field_label": "pitch", "field_type": "SCRIPT"}, "no value type"),
    ("standard", {"field_label": "first_name"}, "standard field"),
    ("standard-rank", {"field_label": "rank"}, "standard field"),
    ("switch", {"field_label": "go", "field_type": "SWITCH"}, "no column"),
    ("button", {"field_label": "btn", "field_type": "BUTTON"}, "no column"),
    ("entry_date", {"field_label": "entry_date"}, "no column"),
    ("entry_list_id", {"field_label": "entry_list_id"}, "no column"),
    ("modify_date", {"field_label": "modify_date"}, "no column"),
    ("status", {"field_label": "status"}, "no column"),
    ("user", {"field_label": "user"}, "no column"),
    ("standard-other-case", {"field_label": "First_Name"}, "no column"),
]


@pytest.mark.parametrize(
    ("definition", "reason"), [c[1:] for c in SKIP_CASES], ids=[c[0] for c in SKIP_CASES]
)
def test_plan_skips(definition: dict[str, object], reason: str) -> None:
    plan = custom_field_plan(_defs(definition, {"field_label": "kept"}), list_id=101)
    assert [f.label for f in plan.fields] == ["kept"]
    assert plan.skipped == ((definition["field_label"], reason),)


TYPE_CASES = [
    ("text", {"field_type": "TEXT", "field_max": 5}, CustomField("f", "TEXT", width=5)),
    ("hidden", {"field_type": "HIDDEN", "field_max": 3}, CustomField("f", "HIDDEN", width=3)),
    (
        "readonly-max-0",
        {"field_type": "READONLY", "field_max": 0},
        CustomField("f", "READONLY", width=1),
    ),
    ("text-max-null", {"field_type": "TEXT", "field_max": None}, CustomField("f", "TEXT", width=1)),
    (
        "select",
        {"field_type": "SELECT", "field_options": "red,Red\nblue ,Blue\nheading\ngreen|x"},
        CustomField("f", "SELECT", options=("red", "blue", "green|x")),
    ),
    (
        "radio",
        {"field_type": "RADIO", "field_options": "Y,Yes\nN,No"},
        CustomField("f", "RADIO", options=("Y", "N")),
    ),
    (
        "sourceselect",
        {"field_type": "SOURCESELECT", "field_options": "option=>a|A\nb|B,c\nnone"},
        CustomField("f", "SOURCESELECT", options=("a", "b")),
    ),
    (
        "multi",
        {"field_type": "MULTI", "field_options": "a,A\nbb,B"},
        CustomField("f", "MULTI", width=8),
    ),
    (
        "checkbox-no-options",
        {"field_type": "CHECKBOX", "field_options": ""},
        CustomField("f", "CHECKBOX", width=1),
    ),
    ("area", {"field_type": "AREA"}, CustomField("f", "AREA")),
    (
        "date-encrypted",
        {"field_type": "DATE", "field_encrypt": "Y"},
        CustomField("f", "DATE", encrypt=True),
    ),
    (
        "select-encrypt-ignored",
        {"field_type": "SELECT", "field_encrypt": "Y", "field_options": "a,A"},
        CustomField("f", "SELECT", options=("a",)),
    ),
]


@pytest.mark.parametrize(
    ("definition", "expected"), [c[1:] for c in TYPE_CASES], ids=[c[0] for c in TYPE_CASES]
)
def test_plan_column_types(definition: dict[str, object], expected: CustomField) -> None:
    assert custom_field_plan(_defs({"field_label": "f", **definition}), list_id=101).fields == (
        expected,
    )


# --- custom_rows -------------------------------------------------------------------------------

PLAN = CustomFieldPlan(
    101,
    (
        CustomField("color", "SELECT", options=("red", "Green", "dark blue")),
        CustomField("size", "TEXT", width=4),
        CustomField("born", "DATE"),
        CustomField("at", "TIME"),
        CustomField("tags", "MULTI", width=7),
        CustomField("notes", "AREA"),
    ),
)


def _lead(**over: object) -> dict[str, object]:
    lead: dict[str, object] = {
        "lead_id": 9,
        "source_row": 1,
        "phone_number": "7275551213",
        "list_id": "101",
        "custom_fields": "Y",
    }
    lead.update(over)
    return lead


def _values(value_column: str, raw: str | None) -> str:
    leads = pl.DataFrame([_lead(**{value_column: raw})], schema_overrides={value_column: pl.String})
    rows, _ = custom_rows(
        leads, plans={101: PLAN}, tables_present={101}, custom_fields_enabled=True
    )
    return str(rows[101][value_column][0])


VALUE_CASES = [
    ("plus-to-space", "size", "a+b", "a b"),
    ("semicolon-quote-deleted", "size", 'a;"b', "ab"),
    ("trailing-backslash", "notes", "path\\", "path"),
    ("only-one-backslash", "notes", "path\\\\", "path\\"),
    ("inner-backslash-kept", "notes", "a\\nb", "a\\nb"),
    ("blank-token", "size", "--BLANK--", ""),
    ("blank-token-after-cleaning", "size", "--BLANK--;", ""),
    ("null-is-empty", "size", None, ""),
    ("text-truncated", "size", "abcdefgh", "abcd"),
    ("enum-member", "color", "red", "red"),
    ("enum-any-case", "color", "GREEN", "Green"),
    ("enum-trailing-space", "color", "dark blue ", "dark blue"),
    ("enum-outside", "color", "purple", ""),
    ("enum-empty", "color", "", ""),
    ("enum-number-is-index", "color", "2", "Green"),
    ("enum-index-out-of-range", "color", "4", ""),
    ("date-valid", "born", "1980-01-02", "1980-01-02"),
    ("date-digits", "born", "19800102", "1980-01-02"),
    ("date-invalid", "born", "01/02/1980", "0000-00-00"),
    ("date-empty", "born", "", "0000-00-00"),
    ("time-valid", "at", "9:30", "09:30:00"),
    ("time-invalid", "at", "noon", "00:00:00"),
    ("time-empty", "at", "", "00:00:00"),
    ("multi-truncated", "tags", "a,b,c,d,e", "a,b,c,d"),
    ("area-not-truncated", "notes", "x" * 300, "x" * 300),
    ("blob-cut-at-65535-bytes", "notes", "é" * 40_000, "é" * 32_767),
]


@pytest.mark.parametrize(
    ("column", "raw", "stored"), [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES]
)
def test_custom_value_coercion(column: str, raw: str | None, stored: str) -> None:
    assert _values(column, raw) == stored


def test_custom_row_writes_every_field_absent_as_empty() -> None:
    leads = pl.DataFrame([_lead(color="Red", size="L", extra="ignored")])
    rows, notices = custom_rows(
        leads, plans={101: PLAN}, tables_present={101}, custom_fields_enabled=True
    )
    expected = pl.DataFrame(
        {
            "lead_id": [9],
            "color": ["red"],
            "size": ["L"],
            "born": ["0000-00-00"],
            "at": ["00:00:00"],
            "tags": [""],
            "notes": [""],
            "source_row": [1],
        }
    )
    assert_frame_equal(rows[101], expected)
    assert notices.row(0) == (
        1,
        9,
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551213|9|101|1",
        101,
    )


NOTICE_CASES = [
    (
        "disabled",
        {},
        False,
        {101},
        {101: PLAN},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, CUSTOM FIELDS DISABLED - 7275551213|9|Y|0",
    ),
    (
        "no-table",
        {},
        True,
        set(),
        {101: PLAN},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO CUSTOM FIELDS DEFINED FOR THIS LIST - 7275551213|9|101",  # noqa: E501
    ),
    (
        "no-table-other-list",
        {"list_id": "102"},
        True,
        {101},
        {101: PLAN},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO CUSTOM FIELDS DEFINED FOR THIS LIST - 7275551213|9|102",  # noqa: E501
    ),
    (
        "no-plan",
        {},
        True,
        {101},
        {},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO FIELDS DEFINED - 7275551213|9|101",
    ),
    (
        "only-skipped-fields",
        {},
        True,
        {101},
        {101: CustomFieldPlan(101, (), (("banner", "no value type"),))},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, NO FIELDS DEFINED - 7275551213|9|101",
    ),
    (
        "added",
        {},
        True,
        {101},
        {101: PLAN},
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551213|9|101|1",
    ),
]


@pytest.mark.parametrize(
    ("over", "enabled", "tables", "plans", "expected"),
    [c[1:] for c in NOTICE_CASES],
    ids=[c[0] for c in NOTICE_CASES],
)
def test_custom_notice_decision_order(
    *,
    over: dict[str, object],
    enabled: bool,
    tables: set[int],
    plans: dict[int, CustomFieldPlan],
    expected: str,
) -> None:
    rows, notices = custom_rows(
        pl.DataFrame([_lead(**over)]),
        plans=plans,
        tables_present=tables,
        custom_fields_enabled=enabled,
    )
    assert notices["custom_notice"].to_list() == [expected]
    added = expected.startswith("NOTICE: add_lead CUSTOM FIELDS VALUES ADDED")
    assert notices["entry_list_id"].to_list() == ([101] if added else [None])
    assert sum(frame.height for frame in rows.values()) == (1 if added else 0)


def test_leads_without_any_custom_column_get_defaults() -> None:
    leads = pl.DataFrame([_lead(), _lead(lead_id=10, source_row=2)])
    rows, _ = custom_rows(
        leads, plans={101: PLAN}, tables_present={101}, custom_fields_enabled=True
    )
    assert rows[101].rows() == [
        (9, "", "", "0000-00-00", "00:00:00", "", "", 1),
        (10, "", "", "0000-00-00", "00:00:00", "", "", 2),
    ]


def test_only_custom_fields_y_leads() -> None:
    leads = pl.DataFrame(
        [_lead(custom_fields="N"), _lead(lead_id=10, source_row=2, custom_fields="y")]
    )
    rows, notices = custom_rows(
        leads, plans={101: PLAN}, tables_present={101}, custom_fields_enabled=False
    )
    assert rows == {}
    assert notices.height == 0


def test_rows_split_by_list_in_file_order() -> None:
    plan_102 = CustomFieldPlan(102, (CustomField("code", "TEXT", width=3),))
    leads = pl.DataFrame(
        [
            _lead(lead_id=12, source_row=3, size="S"),
            _lead(lead_id=11, source_row=2, list_id="102", code="ABCD"),
            _lead(lead_id=10, source_row=1, size="M"),
        ]
    )
    rows, notices = custom_rows(
        leads,
        plans={101: PLAN, 102: plan_102},
        tables_present={101, 102},
        custom_fields_enabled=True,
    )
    assert rows[101].select("lead_id", "size", "source_row").rows() == [(10, "M", 1), (12, "S", 3)]
    assert rows[102].rows() == [(11, "ABC", 2)]
    assert notices["lead_id"].to_list() == [10, 11, 12]
    assert notices["entry_list_id"].to_list() == [101, 102, 101]


SECRET = CustomFieldPlan(
    101,
    (
        CustomField("ssn", "TEXT", width=11, encrypt=True),
        CustomField("dob", "DATE", encrypt=True),
        CustomField("color", "TEXT", width=10),
    ),
)

ENCRYPT_CASES = [
    (
        "refused",
        True,
        {"ssn": "123-45-6789", "color": "red"},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, ENCRYPTED FIELDS NOT SUPPORTED - 7275551213|9|101|ssn",  # noqa: E501
        None,
    ),
    (
        "refused-lists-all",
        True,
        {"ssn": "1", "dob": "1980-01-02"},
        "NOTICE: add_lead CUSTOM FIELDS NOT ADDED, ENCRYPTED FIELDS NOT SUPPORTED - 7275551213|9|101|ssn,dob",  # noqa: E501
        None,
    ),
    (
        "empty-secret-values-stored-empty",
        True,
        {"color": "red"},
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551213|9|101|1",
        ("", "", "red"),
    ),
    (
        "module-off-stores-plain",
        False,
        {"ssn": "123-45-6789", "color": "red"},
        "NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551213|9|101|1",
        ("123-45-6789", "0000-00-00", "red"),
    ),
]


@pytest.mark.parametrize(
    ("cf_encrypt", "values", "notice", "row"),
    [c[1:] for c in ENCRYPT_CASES],
    ids=[c[0] for c in ENCRYPT_CASES],
)
def test_encrypted_fields(
    *, cf_encrypt: bool, values: dict[str, str], notice: str, row: tuple[str, ...] | None
) -> None:
    rows, notices = custom_rows(
        pl.DataFrame([_lead(**values)]),
        plans={101: SECRET},
        tables_present={101},
        custom_fields_enabled=True,
        cf_encrypt=cf_encrypt,
    )
    assert notices["custom_notice"].to_list() == [notice]
    stored = rows[101].select("ssn", "dob", "color").rows()
    assert stored == ([row] if row else [])
    assert notices["entry_list_id"].to_list() == ([101] if row else [None])


def test_source_row_label_is_refused() -> None:
    plan = CustomFieldPlan(101, (CustomField("source_row", "TEXT", width=5),))
    with pytest.raises(ValueError, match="`source_row` of list `101`"):
        custom_rows(
            pl.DataFrame([_lead()]),
            plans={101: plan},
            tables_present={101},
            custom_fields_enabled=True,
        )
