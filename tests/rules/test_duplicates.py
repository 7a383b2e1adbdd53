"""Duplicate checks (ingest.md 9): table-driven cases and a row-at-a-time reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.duplicates import (
    DUP_OPTIONS,
    EXISTING_SCHEMA,
    LIST_CAMPAIGNS_SCHEMA,
    duplicates,
    parse_duplicate_check,
)
from rules.fields import WIDTHS

NOW = datetime(2024, 5, 10, 12, 0, 0)
RECENT = "2024-05-09 12:00:00"  # one day ago
OLD = "2023-01-01 00:00:00"
CAMPAIGNS = [(101, "C1"), (102, "c1 "), (103, "C2"), (104, None)]  # 999 has no vicidial_lists row

# ---------------------------------------------------------------------------------------------
# The project's row-at-a-time reference of add_lead step A11: one lead after the other, each
# seeing the DB leads and every earlier ACCEPTED lead of the batch (stored truncated, entry_date
# = now). Readable on purpose; the set-wise rule must give exactly its verdicts.
# ---------------------------------------------------------------------------------------------

CODES = {
    "DUPLIST": "DUPLICATE_PHONE_LIST",
    "DUPCAMP": "DUPLICATE_PHONE_CAMPAIGN",
    "DUPSYS": "DUPLICATE_PHONE_SYSTEM",
    "DUPPHONEALTLIST": "DUPLICATE_PHONEALT_LIST",
    "DUPPHONEALTCAMP": "DUPLICATE_PHONEALT_CAMPAIGN",
    "DUPPHONEALTSYS": "DUPLICATE_PHONEALT_SYSTEM",
    "DUPTITLEALTPHONELIST": "DUPLICATE_TITLE_ALTPHONE_LIST",
    "DUPTITLEALTPHONECAMP": "DUPLICATE_TITLE_ALTPHONE_CAMPAIGN",
    "DUPTITLEALTPHONESYS": "DUPLICATE_TITLE_ALTPHONE_SYSTEM",
    "DUPNAMEPHONELIST": "DUPLICATE_NAME_PHONE_LIST",
    "DUPNAMEPHONECAMP": "DUPLICATE_NAME_PHONE_CAMPAIGN",
    "DUPNAMEPHONESYS": "DUPLICATE_NAME_PHONE_SYSTEM",
}


def same(stored: str | None, new: str) -> bool:
    """The collation's equality: case-insensitive, trailing spaces ignored, NULL never equal."""
    return stored is not None and stored.lower().rstrip(" ") == new.lower().rstrip(" ")


def in_scope(lead: dict[str, Any], scope: str, target: int, camp_lists: set[int]) -> bool:
    if scope == "LIST":
        return lead["list_id"] == target
    if scope == "CAMP":
        return lead["list_id"] in camp_lists
    return True


def matches(option: str, lead: dict[str, Any], row: dict[str, Any]) -> bool:
    """Does the stored `lead` equal the new `row` in the columns `option` compares?"""
    if option.startswith("DUPPHONEALT"):  # phone OR alt_phone equals the new phone
        phone = row["phone_number"]
        return same(lead["phone_number"], phone) or same(lead["alt_phone"], phone)
    if option.startswith("DUPTITLEALTPHONE"):
        columns: tuple[str, ...] = ("title", "alt_phone")
    elif option.startswith("DUPNAMEPHONE"):
        columns = ("first_name", "last_name", "phone_number")
    else:  # DUPLIST, DUPCAMP, DUPSYS
        columns = ("phone_number",)
    return all(same(lead[col], row[col]) for col in columns)


def campaign_lists(target: int, campaigns: dict[int, str | None]) -> set[int]:
    """Lists of the target list's campaign; empty when the target has no vicidial_lists row."""
    if target not in campaigns:
        return set()
    camp = campaigns[target] or ""  # PHP interpolates NULL as ''
    return {lst for lst, c in campaigns.items() if c is not None and same(c, camp)}


def reference(
    rows: Sequence[dict[str, Any]],
    existing: Sequence[dict[str, Any]],
    campaigns: dict[int, str | None],
    now: datetime,
) -> list[tuple[Any, ...]]:
    """add_lead's step A11 for each row in turn.

    Returns per row (reject_reason, dup_lead_id, dup_source_row, dup_list_id, dup_match).
    """
    stored = sorted(existing, key=lambda lead: lead["lead_id"])  # "first row" = lowest lead_id
    verdicts = {}
    for row in sorted(rows, key=lambda r: r["source_row"]):
        if row["reject_reason"] is not None:
            verdicts[row["source_row"]] = (row["reject_reason"], None, None, None, None)
            continue
        options, days = parse_duplicate_check(row["duplicate_check"])
        cutoff = (
            None if days is None else (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
        )
        target = int(row["list_id"])
        verdict = None
        for option in options:
            scope = next(s for s in ("LIST", "CAMP", "SYS") if option.endswith(s))
            camp_lists = campaign_lists(target, campaigns)
            if scope == "CAMP" and not camp_lists:
                verdict = ("CAMPAIGN_LISTS_UNDEFINED", None, None, None, None)
                break
            for lead in stored:
                if not in_scope(lead, scope, target, camp_lists):
                    continue
                if cutoff is not None and (
                    lead["entry_date"] is None or lead["entry_date"] <= cutoff
                ):
                    continue
                if matches(option, lead, row):
                    match = None
                    if option.startswith("DUPPHONEALT"):
                        match = "PHONE" if lead["phone_number"] == row["phone_number"] else "ALT"
                    verdict = (
                        CODES[option],
                        lead["lead_id"],
                        lead["source_row"],
                        lead["list_id"],
                        match,
                    )
                    break
            if verdict is not None:
                break
        if verdict is None:
            stored.append(
                {  # the row as vicidial_list stores it
                    "lead_id": None,
                    "source_row": row["source_row"],
                    "list_id": target,
                    "entry_date": now.strftime("%Y-%m-%d %H:%M:%S"),
                    **{
                        col: row[col][: WIDTHS[col]]
                        for col in ("phone_number", "alt_phone", "title", "first_name", "last_name")
                    },
                }
            )
            verdict = (None, None, None, None, None)
        verdicts[row["source_row"]] = verdict
    return [verdicts[r["source_row"]] for r in rows]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

ROW_DEFAULTS: dict[str, Any] = {
    "phone_number": "7275550001",
    "list_id": "101",
    "title": "",
    "alt_phone": "",
    "first_name": "",
    "last_name": "",
    "duplicate_check": "",
    "reject_reason": None,
}


def lead(lead_id: int, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "lead_id": lead_id,
        "list_id": 101,
        "phone_number": "7275550001",
        "alt_phone": "",
        "title": "",
        "first_name": "",
        "last_name": "",
        "entry_date": RECENT,
    }
    return {**base, **values, "source_row": None}


def make_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"source_row": i, **ROW_DEFAULTS, **r} for i, r in enumerate(rows, start=1)]


def run(
    rows: Sequence[dict[str, Any]],
    existing: Sequence[dict[str, Any]] = (),
    campaigns: Sequence[tuple[int, str | None]] = CAMPAIGNS,
) -> list[tuple[Any, ...]]:
    """The rule's verdicts, checked against the reference on the way."""
    full = make_rows(rows)
    lf = pl.LazyFrame(
        full, schema={"source_row": pl.Int64, **dict.fromkeys(ROW_DEFAULTS, pl.String)}
    )
    ex = pl.LazyFrame(
        [{k: v for k, v in e.items() if k != "source_row"} for e in existing],
        schema=EXISTING_SCHEMA,
    )
    lc = pl.LazyFrame(list(campaigns), schema=LIST_CAMPAIGNS_SCHEMA, orient="row")
    out = duplicates(lf, existing=ex, list_campaigns=lc, now=NOW).collect()
    got = out.select(
        "reject_reason", "dup_lead_id", "dup_source_row", "dup_list_id", "dup_match"
    ).rows()
    assert got == reference(full, existing, dict(campaigns), NOW)
    return got


def ok() -> tuple[Any, ...]:
    return (None, None, None, None, None)


# ---------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("DUPSYS21DAY", 21),
        ("DUPSYS360DAY", 360),
        ("DUPSYS11DAY", 1),
        ("DUPSYS31DAY", 1),
        ("DUPSYS12DAY", 2),
        ("DUPSYS390DAY", 90),
        ("DUPSYS5DAY", None),
        ("DUPSYS45DAY", None),
        ("DUPSYS120DAY", None),
        ("DUPSYS1DAY-DUPLIST7DAY", 7),
        ("DUPSYS90DAYS", 90),
        ("dupsys30day", 30),
        ("DUPSYS", None),
    ],
    ids=lambda v: str(v),
)
def test_window(value: str, days: int | None) -> None:
    assert parse_duplicate_check(value)[1] == days


@pytest.mark.parametrize(
    ("value", "options"),
    [
        ("DUPLIST-DUPNAMEPHONELIST", ("DUPLIST", "DUPNAMEPHONELIST")),
        ("dupsysduplist", ("DUPLIST", "DUPSYS")),
        ("DUPPHONEALTCAMP", ("DUPPHONEALTCAMP",)),  # does not contain DUPCAMP
        ("DUPTITLEALTPHONESYS_DUPCAMP", ("DUPCAMP", "DUPTITLEALTPHONESYS")),
        ("DUPLISTCAMP", ("DUPLIST",)),
        ("", ()),
        ("Y", ()),
    ],
    ids=["two", "lower", "phonealt", "order", "listcamp", "empty", "y"],
)
def test_options(value: str, options: tuple[str, ...]) -> None:
    assert parse_duplicate_check(value)[0] == options


def test_all_options_detected() -> None:
    assert parse_duplicate_check("-".join(DUP_OPTIONS))[0] == DUP_OPTIONS


# ---------------------------------------------------------------------------------------------
# against existing DB leads: option x scope x window
# ---------------------------------------------------------------------------------------------

DB_CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], tuple[Any, ...]]] = [
    (
        "list-hit",
        {"duplicate_check": "DUPLIST"},
        [lead(5)],
        ("DUPLICATE_PHONE_LIST", 5, None, 101, None),
    ),
    ("list-other-list", {"duplicate_check": "DUPLIST"}, [lead(5, list_id=103)], ok()),
    (
        "list-lowest-id",
        {"duplicate_check": "DUPLIST"},
        [lead(9), lead(5)],
        ("DUPLICATE_PHONE_LIST", 5, None, 101, None),
    ),
    (
        "camp-same-campaign",
        {"duplicate_check": "DUPCAMP"},
        [lead(5, list_id=102)],
        ("DUPLICATE_PHONE_CAMPAIGN", 5, None, 102, None),
    ),
    ("camp-other-campaign", {"duplicate_check": "DUPCAMP"}, [lead(5, list_id=103)], ok()),
    ("camp-undefined-list-lead", {"duplicate_check": "DUPCAMP"}, [lead(5, list_id=555)], ok()),
    (
        "sys-hit",
        {"duplicate_check": "DUPSYS"},
        [lead(5, list_id=555)],
        ("DUPLICATE_PHONE_SYSTEM", 5, None, 555, None),
    ),
    ("sys-other-phone", {"duplicate_check": "DUPSYS"}, [lead(5, phone_number="7275550002")], ok()),
    (
        "window-inside",
        {"duplicate_check": "DUPSYS2DAY"},
        [lead(5)],
        ("DUPLICATE_PHONE_SYSTEM", 5, None, 101, None),
    ),
    ("window-outside", {"duplicate_check": "DUPSYS30DAY"}, [lead(5, entry_date=OLD)], ok()),
    (
        "window-boundary-excluded",
        {"duplicate_check": "DUPSYS1DAY"},
        [lead(5, entry_date="2024-05-09 12:00:00")],
        ok(),
    ),
    ("window-null-date", {"duplicate_check": "DUPSYS360DAY"}, [lead(5, entry_date=None)], ok()),
    (
        "no-window-null-date",
        {"duplicate_check": "DUPSYS"},
        [lead(5, entry_date=None)],
        ("DUPLICATE_PHONE_SYSTEM", 5, None, 101, None),
    ),
    (
        "unlisted-window",
        {"duplicate_check": "DUPSYS5DAY"},
        [lead(5, entry_date=OLD)],
        ("DUPLICATE_PHONE_SYSTEM", 5, None, 101, None),
    ),
    (
        "window-skips-to-newer",
        {"duplicate_check": "DUPSYS7DAY"},
        [lead(3, entry_date=OLD), lead(8)],
        ("DUPLICATE_PHONE_SYSTEM", 8, None, 101, None),
    ),
    (
        "phonealt-phone",
        {"duplicate_check": "DUPPHONEALTLIST"},
        [lead(5)],
        ("DUPLICATE_PHONEALT_LIST", 5, None, 101, "PHONE"),
    ),
    (
        "phonealt-alt",
        {"duplicate_check": "DUPPHONEALTCAMP", "phone_number": "7275559999"},
        [lead(13, alt_phone="7275559999")],
        ("DUPLICATE_PHONEALT_CAMPAIGN", 13, None, 101, "ALT"),
    ),
    (
        "phonealt-lowest-wins",
        {"duplicate_check": "DUPPHONEALTSYS"},
        [lead(7), lead(4, phone_number="1", alt_phone="7275550001")],
        ("DUPLICATE_PHONEALT_SYSTEM", 4, None, 101, "ALT"),
    ),
    (
        "phonealt-long-phone-never-alt",
        {"duplicate_check": "DUPPHONEALTSYS", "phone_number": "7275550001234"},
        [lead(5, phone_number="1", alt_phone="727555000123")],
        ok(),
    ),
    (
        "dupsys-before-phonealt",
        {"duplicate_check": "DUPPHONEALTSYS-DUPSYS"},
        [lead(5)],
        ("DUPLICATE_PHONE_SYSTEM", 5, None, 101, None),
    ),
    (
        "titlealt-hit",
        {"duplicate_check": "DUPTITLEALTPHONELIST", "title": "Mr", "alt_phone": "555"},
        [lead(5, phone_number="1", title="MR ", alt_phone="555")],
        ("DUPLICATE_TITLE_ALTPHONE_LIST", 5, None, 101, None),
    ),
    (
        "titlealt-empty-matches-empty",
        {"duplicate_check": "DUPTITLEALTPHONESYS"},
        [lead(5, phone_number="1", list_id=103)],
        ("DUPLICATE_TITLE_ALTPHONE_SYSTEM", 5, None, 103, None),
    ),
    (
        "titlealt-null-never-matches",
        {"duplicate_check": "DUPTITLEALTPHONESYS"},
        [lead(5, title=None, alt_phone=None)],
        ok(),
    ),
    (
        "titlealt-long-title",
        {"duplicate_check": "DUPTITLEALTPHONESYS", "title": "Mrs.X"},
        [lead(5, title="Mrs.")],
        ok(),
    ),
    (
        "titlealt-trailing-space-title",
        {"duplicate_check": "DUPTITLEALTPHONESYS", "title": "Mrs. "},
        [lead(5, title="Mrs.")],
        ("DUPLICATE_TITLE_ALTPHONE_SYSTEM", 5, None, 101, None),
    ),
    (
        "namephone-hit",
        {"duplicate_check": "DUPNAMEPHONECAMP", "first_name": "Bob", "last_name": "Smith"},
        [lead(5, list_id=102, first_name="BOB ", last_name="smith")],
        ("DUPLICATE_NAME_PHONE_CAMPAIGN", 5, None, 102, None),
    ),
    (
        "namephone-other-name",
        {"duplicate_check": "DUPNAMEPHONESYS", "first_name": "Bob"},
        [lead(5, first_name="Rob")],
        ok(),
    ),
    (
        "namephone-empty-names",
        {"duplicate_check": "DUPNAMEPHONELIST"},
        [lead(5)],
        ("DUPLICATE_NAME_PHONE_LIST", 5, None, 101, None),
    ),
    (
        "namephone-long-name",
        {"duplicate_check": "DUPNAMEPHONESYS", "first_name": "A" * 31},
        [lead(5, first_name="A" * 30)],
        ok(),
    ),
    (
        "first-option-decides",
        {"duplicate_check": "DUPNAMEPHONESYS-DUPLIST"},
        [lead(3, list_id=103), lead(9)],
        ("DUPLICATE_PHONE_LIST", 9, None, 101, None),
    ),
    (
        "camp-undefined-target",
        {"duplicate_check": "DUPCAMP", "list_id": "999"},
        [],
        ("CAMPAIGN_LISTS_UNDEFINED", None, None, None, None),
    ),
    (
        "camp-undefined-after-list-hit",
        {"duplicate_check": "DUPCAMP-DUPLIST", "list_id": "999"},
        [lead(5, list_id=999)],
        ("DUPLICATE_PHONE_LIST", 5, None, 999, None),
    ),
    (
        "camp-null-campaign",
        {"duplicate_check": "DUPNAMEPHONECAMP", "list_id": "104"},
        [lead(5, list_id=104)],
        ("CAMPAIGN_LISTS_UNDEFINED", None, None, None, None),
    ),
    (
        "camp-undefined-phonealt-has-no-match",
        {"duplicate_check": "DUPPHONEALTCAMP", "list_id": "999"},
        [],
        ("CAMPAIGN_LISTS_UNDEFINED", None, None, None, None),
    ),
    ("listcamp-is-no-camp-option", {"duplicate_check": "DUPLISTCAMP", "list_id": "999"}, [], ok()),
    (
        "pre-rejected-untouched",
        {"duplicate_check": "DUPSYS", "reject_reason": "DNC_SYSTEM"},
        [lead(5)],
        ("DNC_SYSTEM", None, None, None, None),
    ),
    ("no-options", {"duplicate_check": ""}, [lead(5)], ok()),
]


@pytest.mark.parametrize(
    ("row", "existing", "expected"), [c[1:] for c in DB_CASES], ids=[c[0] for c in DB_CASES]
)
def test_against_db(
    row: dict[str, Any], existing: list[dict[str, Any]], expected: tuple[Any, ...]
) -> None:
    assert run([row], existing) == [expected]


def test_camp_null_campaign_uses_empty_campaign_lists() -> None:
    """A list with NULL campaign has the lists whose campaign is '' as its set (not itself)."""
    campaigns = [*CAMPAIGNS, (105, "")]
    got = run(
        [{"duplicate_check": "DUPCAMP", "list_id": "104"}],
        [lead(5, list_id=104), lead(6, list_id=105)],
        campaigns,
    )
    assert got == [("DUPLICATE_PHONE_CAMPAIGN", 6, None, 105, None)]


# ---------------------------------------------------------------------------------------------
# inside one batch: sequential semantics
# ---------------------------------------------------------------------------------------------

BATCH_CASES: list[tuple[str, list[dict[str, Any]], list[tuple[Any, ...]]]] = [
    (
        "second-of-two",
        [{"duplicate_check": "DUPLIST"}] * 2,
        [ok(), ("DUPLICATE_PHONE_LIST", None, 1, 101, None)],
    ),
    (
        "first-without-options-blocks",
        [{}, {"duplicate_check": "DUPSYS"}],
        [ok(), ("DUPLICATE_PHONE_SYSTEM", None, 1, 101, None)],
    ),
    (
        "all-later-report-first",
        [{"duplicate_check": "DUPSYS"}] * 4,
        [ok()] + [("DUPLICATE_PHONE_SYSTEM", None, 1, 101, None)] * 3,
    ),
    (
        "pre-rejected-does-not-block",
        [
            {"duplicate_check": "DUPLIST", "reject_reason": "DNC_SYSTEM"},
            {"duplicate_check": "DUPLIST"},
        ],
        [("DNC_SYSTEM", None, None, None, None), ok()],
    ),
    (
        "other-list-not-in-list-scope",
        [{"list_id": "103"}, {"duplicate_check": "DUPLIST"}],
        [ok(), ok()],
    ),
    (
        "camp-in-batch",
        [{"list_id": "102"}, {"duplicate_check": "DUPCAMP"}],
        [ok(), ("DUPLICATE_PHONE_CAMPAIGN", None, 1, 102, None)],
    ),
    (
        "window-in-batch-always-counts",
        [{}, {"duplicate_check": "DUPSYS1DAY"}],
        [ok(), ("DUPLICATE_PHONE_SYSTEM", None, 1, 101, None)],
    ),
    (
        "case-and-trailing-space",
        [
            {"title": "mr ", "alt_phone": "AbC"},
            {"duplicate_check": "DUPTITLEALTPHONESYS", "title": "MR", "alt_phone": "abc  "},
        ],
        [ok(), ("DUPLICATE_TITLE_ALTPHONE_SYSTEM", None, 1, 101, None)],
    ),
    (
        "stored-truncated-title",
        [{"title": "Mrs.X"}, {"duplicate_check": "DUPTITLEALTPHONESYS", "title": "Mrs."}],
        [ok(), ("DUPLICATE_TITLE_ALTPHONE_SYSTEM", None, 1, 101, None)],
    ),
    (
        "new-untruncated-title",
        [{"title": "Mrs."}, {"duplicate_check": "DUPTITLEALTPHONESYS", "title": "Mrs.X"}],
        [ok(), ok()],
    ),
    (
        "stored-truncated-alt",
        [
            {"phone_number": "1", "alt_phone": "7275550001999"},
            {"duplicate_check": "DUPPHONEALTSYS", "phone_number": "727555000199"},
        ],
        [ok(), ("DUPLICATE_PHONEALT_SYSTEM", None, 1, 101, "ALT")],
    ),
    (
        "stored-truncated-name",
        [{"last_name": "X" * 40}, {"duplicate_check": "DUPNAMEPHONESYS", "last_name": "x" * 30}],
        [ok(), ("DUPLICATE_NAME_PHONE_SYSTEM", None, 1, 101, None)],
    ),
    (
        "phonealt-phone-in-batch",
        [{}, {"duplicate_check": "DUPPHONEALTLIST"}],
        [ok(), ("DUPLICATE_PHONEALT_LIST", None, 1, 101, "PHONE")],
    ),
    (
        "phonealt-alt-in-batch",
        [{"phone_number": "1", "alt_phone": "7275550001"}, {"duplicate_check": "DUPPHONEALTLIST"}],
        [ok(), ("DUPLICATE_PHONEALT_LIST", None, 1, 101, "ALT")],
    ),
    (
        "empty-title-alt-match",
        [{"phone_number": "1"}, {"duplicate_check": "DUPTITLEALTPHONELIST"}],
        [ok(), ("DUPLICATE_TITLE_ALTPHONE_LIST", None, 1, 101, None)],
    ),
    # A is accepted and blocks B (same phone); B is rejected, so it does not block C
    # (same alt/title as B)
    (
        "chain-a-blocks-b-not-c",
        [
            {"phone_number": "111"},
            {"phone_number": "111", "alt_phone": "X", "duplicate_check": "DUPSYS"},
            {"phone_number": "222", "alt_phone": "X", "duplicate_check": "DUPTITLEALTPHONESYS"},
        ],
        [ok(), ("DUPLICATE_PHONE_SYSTEM", None, 1, 101, None), ok()],
    ),
    # a longer alternating chain: 1 blocks 2, 2 is rejected so 3 passes, 3 blocks 4, 4 is
    # rejected so 5 passes
    (
        "chain-alternating",
        [
            {"phone_number": "1", "alt_phone": "a"},
            {"phone_number": "1", "alt_phone": "b", "duplicate_check": "DUPSYS"},
            {"phone_number": "2", "alt_phone": "b", "duplicate_check": "DUPTITLEALTPHONESYS"},
            {"phone_number": "2", "alt_phone": "c", "duplicate_check": "DUPSYS"},
            {"phone_number": "3", "alt_phone": "c", "duplicate_check": "DUPTITLEALTPHONESYS"},
        ],
        [
            ok(),
            ("DUPLICATE_PHONE_SYSTEM", None, 1, 101, None),
            ok(),
            ("DUPLICATE_PHONE_SYSTEM", None, 3, 101, None),
            ok(),
        ],
    ),
    (
        "db-hit-row-does-not-block",
        [
            {"phone_number": "5", "alt_phone": "q", "duplicate_check": "DUPSYS"},
            {"phone_number": "6", "alt_phone": "q", "duplicate_check": "DUPTITLEALTPHONESYS"},
        ],
        [("DUPLICATE_PHONE_SYSTEM", 40, None, 103, None), ok()],
    ),
    (
        "mixed-options-per-row",
        [
            {"list_id": "103"},
            {"duplicate_check": "DUPLIST"},  # list 101: the list-103 row does not count
            {"duplicate_check": "DUPSYS"},  # reports row 1, the earliest
            {"duplicate_check": "DUPLIST-DUPSYS", "list_id": "103"},
        ],
        [
            ok(),
            ok(),
            ("DUPLICATE_PHONE_SYSTEM", None, 1, 103, None),
            ("DUPLICATE_PHONE_LIST", None, 1, 103, None),
        ],
    ),
    (
        "earlier-option-in-batch-beats-later-db",
        [{"phone_number": "5"}, {"phone_number": "5", "duplicate_check": "DUPLIST-DUPSYS"}],
        [ok(), ("DUPLICATE_PHONE_LIST", None, 1, 101, None)],
    ),
    (
        "db-beats-batch-same-option",
        [
            {"phone_number": "5", "reject_reason": None, "list_id": "103"},
            {"phone_number": "5", "duplicate_check": "DUPSYS"},
        ],
        [ok(), ("DUPLICATE_PHONE_SYSTEM", 40, None, 103, None)],
    ),
    (
        "camp-undefined-in-batch",
        [{"list_id": "999"}, {"list_id": "999", "duplicate_check": "DUPCAMP"}],
        [ok(), ("CAMPAIGN_LISTS_UNDEFINED", None, None, None, None)],
    ),
]


@pytest.mark.parametrize(
    ("rows", "expected"), [c[1:] for c in BATCH_CASES], ids=[c[0] for c in BATCH_CASES]
)
def test_in_batch(rows: list[dict[str, Any]], expected: list[tuple[Any, ...]]) -> None:
    existing = [lead(40, list_id=103, phone_number="5", entry_date=OLD)]
    assert run(rows, existing) == expected


def test_keeps_columns_and_order() -> None:
    rows = make_rows([{"duplicate_check": "DUPLIST"}, {}, {"duplicate_check": "DUPLIST"}])
    lf = pl.LazyFrame(
        rows[::-1], schema={"source_row": pl.Int64, **dict.fromkeys(ROW_DEFAULTS, pl.String)}
    )
    out = duplicates(
        lf,
        existing=pl.LazyFrame(schema=EXISTING_SCHEMA),
        list_campaigns=pl.LazyFrame(schema=LIST_CAMPAIGNS_SCHEMA),
        now=NOW,
    ).collect()
    assert out.columns == [
        *lf.collect_schema().names(),
        "dup_lead_id",
        "dup_source_row",
        "dup_list_id",
        "dup_match",
    ]
    assert out["source_row"].to_list() == [3, 2, 1]
    assert out["dup_source_row"].to_list() == [1, None, None]  # row 2 asks for no check
    assert out.schema["dup_lead_id"] == pl.Int64
    assert out.schema["dup_list_id"] == pl.Int64


def test_keeps_input_dtypes_and_foreign_helpers() -> None:
    """`source_row` keeps the reader's UInt32; other rules' `_` columns are not touched."""
    rows = make_rows([{"duplicate_check": "DUPLIST"}] * 2)
    schema = {"source_row": pl.UInt32, **dict.fromkeys(ROW_DEFAULTS, pl.String)}
    lf = pl.LazyFrame(rows, schema=schema).with_columns(_other=pl.lit(1))
    out = duplicates(
        lf,
        existing=pl.LazyFrame(schema=EXISTING_SCHEMA),
        list_campaigns=pl.LazyFrame(schema=LIST_CAMPAIGNS_SCHEMA),
        now=NOW,
    ).collect()
    assert out.schema["source_row"] == pl.UInt32
    assert out["_other"].to_list() == [1, 1]
    assert out["dup_source_row"].to_list() == [None, 1]
    assert out.schema["dup_match"] == pl.String


# ---------------------------------------------------------------------------------------------
# property: the set-wise rule equals the row-at-a-time reference
# ---------------------------------------------------------------------------------------------

PHONES = ["111", "111 ", "222", "7275550001234", "727555000123"]
ALTS = ["", "111", "x y", "X Y ", "727555000123", "7275550001234"]
TITLES = ["", "Mr", "MR ", "Mrs.X", "Mrs."]
NAMES = ["", "ann", "ANN", "A" * 31]
LISTS = ["101", "102", "103", "104", "999"]
DATES = [None, RECENT, OLD, "2024-05-03 12:00:01", "2024-05-03 12:00:00"]
WINDOWS = ["", "1DAY", "7DAY", "5DAY", "360DAYS"]

option_sets = st.lists(st.sampled_from(DUP_OPTIONS), max_size=3).map("-".join)
checks = st.builds(lambda o, w: o + w, option_sets, st.sampled_from(WINDOWS))
batch_rows = st.fixed_dictionaries(
    {
        "phone_number": st.sampled_from(PHONES),
        "list_id": st.sampled_from(LISTS),
        "title": st.sampled_from(TITLES),
        "alt_phone": st.sampled_from(ALTS),
        "first_name": st.sampled_from(NAMES),
        "last_name": st.sampled_from(NAMES[:2]),
        "duplicate_check": checks,
        "reject_reason": st.sampled_from([None, None, None, "DNC_SYSTEM"]),
    }
)
db_leads = st.fixed_dictionaries(
    {
        "list_id": st.sampled_from([101, 102, 103, 104, 999, 555]),
        "phone_number": st.sampled_from(PHONES),
        "alt_phone": st.sampled_from([*ALTS, None]),
        "title": st.sampled_from([t[:4] for t in TITLES] + [None]),
        "first_name": st.sampled_from(NAMES[:3]),
        "last_name": st.sampled_from(NAMES[:2]),
        "entry_date": st.sampled_from(DATES),
    }
)


def _as_existing(leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Generated leads as rows of the table: ids 10, 13, 16, …, no source row."""
    return [{**lead, "lead_id": 10 + 3 * i, "source_row": None} for i, lead in enumerate(leads)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(batch_rows, min_size=1, max_size=8), leads=st.lists(db_leads, max_size=5))
def test_matches_row_at_a_time_reference(
    rows: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    run(rows, _as_existing(leads))  # asserts equality with the reference


# one option for the whole batch (rows without a check mixed in) takes the single-pass path
# of `_class_hits` whenever no value is cut by a column width; the reference decides both ways
single_option_rows = st.sampled_from(DUP_OPTIONS).flatmap(
    lambda option: st.lists(
        batch_rows.flatmap(
            lambda row: st.sampled_from([option, option, ""]).map(
                lambda check: {**row, "duplicate_check": check}
            )
        ),
        min_size=1,
        max_size=10,
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=single_option_rows, leads=st.lists(db_leads, max_size=4))
def test_one_option_batches_match_the_reference(
    rows: list[dict[str, Any]], leads: list[dict[str, Any]]
) -> None:
    run(rows, _as_existing(leads))
