"""The reference data shipped in `sinks/refdata/`, as `scripts/build_refdata.py` writes it."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import phonenumbers
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "refdata"
SCRIPT = REPO_ROOT / "scripts" / "build_refdata.py"

PHONE_HEADER = [
    "country_code", "country", "areacode", "state", "GMT_offset", "DST", "DST_range",
    "geographic_description", "tz_code", "php_tz",
]  # fmt: skip
POSTAL_HEADER = [
    "postal_code", "state", "GMT_offset", "DST", "DST_range", "country", "country_code",
]  # fmt: skip
SOURCE_ROWS = 1074  # rows of VICIdial's 2014-07-08 phone_codes_GMT.txt
POSTAL_ROWS = 42_499
POST_2014 = [
    "279", "332", "350", "463", "472", "640", "680", "686", "726", "743", "820", "839", "945",
    "986",
]  # fmt: skip
FILES = ["phone_codes.tsv", "postal_codes.tsv.gz", "PROVENANCE.md"]


def _shipped(name: str) -> bytes:
    return resources.files("sinks").joinpath("refdata", name).read_bytes()


def _table(name: str) -> tuple[list[str], list[dict[str, str]]]:
    raw = _shipped(name)
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    lines = raw.decode("utf-8").split("\n")
    assert lines.pop() == "", "file must end with a newline"
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        values = line.split("\t")
        assert len(values) == len(header), line
        rows.append(dict(zip(header, values, strict=True)))
    return header, rows


@pytest.fixture(scope="module")
def phone() -> tuple[list[str], list[dict[str, str]]]:
    return _table("phone_codes.tsv")


@pytest.fixture(scope="module")
def postal() -> tuple[list[str], list[dict[str, str]]]:
    return _table("postal_codes.tsv.gz")


def _first(rows: list[dict[str, str]], areacode: str) -> dict[str, str]:
    return next(r for r in rows if r["country_code"] == "1" and r["areacode"] == areacode)


def test_headers_are_vicidial_columns(phone, postal) -> None:
    assert phone[0] == PHONE_HEADER
    assert postal[0] == POSTAL_HEADER


def test_row_counts(phone, postal) -> None:
    rows = phone[1]
    added = rows[SOURCE_ROWS:]
    assert len(added) >= len(POST_2014)
    assert len(rows) == SOURCE_ROWS + len(added)
    assert len(postal[1]) == POSTAL_ROWS


def test_post_2014_area_codes_are_appended(phone) -> None:
    added = phone[1][SOURCE_ROWS:]
    assert {r["country_code"] for r in added} == {"1"}
    assert set(POST_2014) <= {r["areacode"] for r in added}
    assert [r["areacode"] for r in added] == sorted(r["areacode"] for r in added)


def test_added_rows_are_unique_and_new(phone) -> None:
    rows = phone[1]
    keys = [(r["country_code"], r["areacode"]) for r in rows[SOURCE_ROWS:]]
    assert len(keys) == len(set(keys))
    old = {(r["country_code"], r["areacode"]) for r in rows[:SOURCE_ROWS]}
    assert not old & set(keys)


def test_first_country_1_row_is_the_2014_first(phone) -> None:
    first = next(r for r in phone[1] if r["country_code"] == "1")
    assert first == {
        "country_code": "1", "country": "USA", "areacode": "201", "state": "NJ",
        "GMT_offset": "-5.00", "DST": "Y", "DST_range": "SSM-FSN",
        "geographic_description": "New Jersey", "tz_code": "EST", "php_tz": "America/New_York",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("areacode", "state", "gmt", "dst", "dst_range", "tz_code"),
    [
        ("201", "NJ", "-5.00", "Y", "SSM-FSN", "EST"),
        ("602", "AZ", "-7.00", "N", "", "MST"),
        ("332", "NY", "-5.00", "Y", "SSM-FSN", "EST"),
        ("945", "TX", "-6.00", "Y", "SSM-FSN", "CST"),
        ("986", "ID", "-7.00", "Y", "SSM-FSN", "MST"),
        ("474", "SK", "-6.00", "N", "", "CST"),
        ("879", "NF", "-3.50", "Y", "SSM-FSN", "NST"),
    ],
    ids=["new-jersey", "arizona", "new-york", "texas", "idaho", "saskatchewan", "newfoundland"],
)
def test_known_area_codes(phone, areacode, state, gmt, dst, dst_range, tz_code) -> None:
    row = _first(phone[1], areacode)
    found = (row["state"], row["GMT_offset"], row["DST"], row["DST_range"], row["tz_code"])
    assert found == (state, gmt, dst, dst_range, tz_code)


def test_caribbean_overlay_uses_the_2014_country_code(phone) -> None:
    row = _first(phone[1], "658")
    assert (row["country"], row["GMT_offset"], row["DST"]) == ("JAM", "-5.00", "N")


def test_gmt_offset_has_two_decimals(phone, postal) -> None:
    pattern = re.compile(r"[+-]?\d+\.\d\d")
    for rows in (phone[1], postal[1]):
        bad = [r for r in rows if not pattern.fullmatch(r["GMT_offset"])]
        assert not bad


def test_source_signs_are_kept(phone) -> None:
    offsets = {r["country"]: r["GMT_offset"] for r in phone[1] if r["areacode"] == "*"}
    assert offsets["IND"] == "+5.50"
    assert offsets["GBR"] == "0.00"


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        ("00501", ("NY", "-5.00", "Y", "SSM-FSN", "USA", "1")),
        ("00601", ("PR", "-4.00", "N", "", "USA", "1")),
    ],
    ids=["00501-new-york", "00601-puerto-rico"],
)
def test_known_postal_codes(postal, postal_code, expected) -> None:
    row = next(r for r in postal[1] if r["postal_code"] == postal_code)
    columns = ("state", "GMT_offset", "DST", "DST_range", "country", "country_code")
    assert tuple(row[c] for c in columns) == expected


def test_postal_codes_keep_leading_zeros(postal) -> None:
    assert postal[1][0]["postal_code"] == "00501"
    assert all(len(r["postal_code"]) == 5 for r in postal[1])


def test_2014_rows_keep_their_order() -> None:
    source = SHARED / "phone_codes_GMT.txt"
    if not source.exists():
        pytest.skip(f"`{source}` is not available")
    lines = source.read_bytes().decode("latin-1").splitlines()[1:]
    expected = [tuple(line.split("\t")[:4]) for line in lines]
    _, rows = _table("phone_codes.tsv")
    columns = ("country_code", "country", "areacode", "state")
    assert [tuple(r[c] for c in columns) for r in rows[:SOURCE_ROWS]] == expected


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    if not SHARED.exists():
        pytest.skip(f"`{SHARED}` is not available")
    provenance = _shipped("PROVENANCE.md").decode("utf-8")
    built_with = re.search(r"^\* phonenumbers (\S+) ", provenance, re.MULTILINE)
    assert built_with is not None
    if built_with.group(1) != phonenumbers.__version__:
        pytest.skip(f"files were built with phonenumbers {built_with.group(1)}")
    date = re.search(r"Generated on (\d{4}-\d\d-\d\d)", provenance)
    assert date is not None
    subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(SHARED), "--out", str(tmp_path),
         "--date", date.group(1)],
        check=True, capture_output=True,
    )  # fmt: skip
    for name in FILES:
        assert (tmp_path / name).read_bytes() == _shipped(name), name
