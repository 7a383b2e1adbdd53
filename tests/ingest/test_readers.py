"""Readers: every format and encoding, leading zeros, malformed records, streaming = whole file."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from ingest import _textcodec, readers
from ingest.errors import InputError
from ingest.readers import MALFORMED_SCHEMA, SOURCE_ROW, Batch, ReadOptions, read_batches, read_file

ROWS = pl.DataFrame(
    {
        "phone_number": ["0727555121", "3125550000", "0000000007"],
        "postal_code": ["01234", "99501", "00501"],
        "first_name": ["José", "", "Zoë"],
        "comments": ["likes, commas", 'said "hi"', ""],
    }
)
"""One frame in every format: leading zeros, accents, a comma, a quote, empty values."""


def _collect(
    path: Path, options: ReadOptions | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, list[Batch]]:
    batches = list(read_file(path, options))
    rows = pl.concat([b.rows for b in batches])
    bad = pl.concat([b.malformed for b in batches])
    return rows, bad, batches


def _bad(bad: pl.DataFrame) -> list[tuple[int, int, str]]:
    return [(r[SOURCE_ROW], r["line"], r["detail"]) for r in bad.iter_rows(named=True)]


# --- writers for the fixtures -------------------------------------------------------------------


def _write_xlsx(df: pl.DataFrame, path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(df.columns)
    for row in df.rows():
        ws.append([v if v != "" else None for v in row])
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            cell.number_format = "@"  # text cells, as Excel stores typed zip codes with zeros
    wb.save(path)


def _write_xls(df: pl.DataFrame, path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("leads")
    for j, name in enumerate(df.columns):
        sheet.write(0, j, name)
    for i, row in enumerate(df.rows(), start=1):
        for j, value in enumerate(row):
            if value != "":
                sheet.write(i, j, value)
    book.save(str(path))


def _write_ods(df: pl.DataFrame, path: Path) -> None:
    pytest.importorskip("odf")
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="leads")
    for row in [df.columns, *df.rows()]:
        tr = TableRow()
        for value in row:
            cell = TableCell(valuetype="string") if value != "" else TableCell()
            if value != "":
                cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def _zip(name: str, data: bytes, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, data)


WRITERS: dict[str, Callable[[pl.DataFrame, Path], None]] = {
    "leads.csv": lambda df, p: df.write_csv(p),
    "leads.tsv": lambda df, p: df.write_csv(p, separator="\t"),
    "leads.psv": lambda df, p: df.write_csv(p, separator="|"),
    "leads.txt": lambda df, p: df.write_csv(p, separator="\t"),
    "semicolon.txt": lambda df, p: df.write_csv(p, separator=";"),
    "leads.xlsx": _write_xlsx,
    "leads.xls": _write_xls,
    "leads.ods": _write_ods,
    "leads.parquet": lambda df, p: df.write_parquet(p),
    "leads.jsonl": lambda df, p: p.write_text("".join(json.dumps(r) + "\n" for r in df.to_dicts())),
    "leads.csv.gz": lambda df, p: p.write_bytes(gzip.compress(df.write_csv().encode())),
    "leads.jsonl.gz": lambda df, p: p.write_bytes(
        gzip.compress("".join(json.dumps(r) + "\n" for r in df.to_dicts()).encode())
    ),
    "leads.zip": lambda df, p: _zip("inner/leads.tsv", df.write_csv(separator="\t").encode(), p),
    "sheet.zip": lambda df, p: (
        _write_xlsx(df, p.with_suffix(".xlsx")),
        _zip("leads.xlsx", p.with_suffix(".xlsx").read_bytes(), p),
    ),
}


@pytest.mark.parametrize("name", list(WRITERS), ids=list(WRITERS))
def test_every_format_reads_the_same_rows_with_leading_zeros(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    WRITERS[name](ROWS, path)
    rows, bad, batches = _collect(path)
    expected = ROWS.with_columns(pl.int_range(1, 4, dtype=pl.Int64).alias(SOURCE_ROW))
    assert_frame_equal(rows, expected)
    assert bad.is_empty()
    assert all(dtype == pl.String for c, dtype in rows.schema.items() if c != SOURCE_ROW)
    assert batches[-1].progress == 1.0


def test_spreadsheet_numbers_and_dates_come_as_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["phone_number", "date_of_birth", "rank"])
    ws.append([7275551212, dt.date(1970, 1, 2), 1.5])
    ws.append([None, None, None])  # an empty row is no record but keeps the numbering
    ws.append(["3125550000", None, 0])
    wb.save(tmp_path / "n.xlsx")
    rows, _, _ = _collect(tmp_path / "n.xlsx")
    assert rows.rows() == [
        ("7275551212", "1970-01-02 00:00:00", "1.5", 1),
        ("3125550000", "", "0", 3),
    ]


# --- encodings ----------------------------------------------------------------------------------

TEXT = "phone_number,first_name\n7275551212,José\n7275551213,Zoë Müller\n"


@pytest.mark.parametrize(
    ("data", "encoding", "label"),
    [
        (TEXT.encode("utf-8"), None, "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), None, "utf-8-sig"),
        (TEXT.encode("cp1252"), None, "cp1252"),
        (TEXT.encode("latin-1"), "latin-1", "iso8859-1"),
        (TEXT.encode("cp1252"), "windows-1252", "cp1252"),
        (TEXT.encode("utf-16"), None, "utf-16"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8", "utf-8"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "cp1252-detected",
        "latin1-set",
        "cp1252-set",
        "utf16-bom",
        "utf8-set-bom",
    ],
)
def test_encodings(tmp_path: Path, data: bytes, encoding: str | None, label: str) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(data)
    rows, bad, batches = _collect(path, ReadOptions(encoding=encoding))
    assert rows["first_name"].to_list() == ["José", "Zoë Müller"]
    assert rows.columns == ["phone_number", "first_name", SOURCE_ROW]
    assert bad.is_empty()
    assert batches[0].encoding == label


def test_windows_1252_after_a_utf8_first_block_is_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_textcodec, "BLOCK_BYTES", 64)
    lines = [
        "phone_number,first_name",
        *[f"727555{i:04d},Al" for i in range(10)],
        "7275559999,Fran\xe7ois",
    ]
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join(lines[:-1]) + "\n").encode() + lines[-1].encode("cp1252") + b"\n")
    rows, bad, _ = _collect(path)
    assert rows["first_name"].to_list()[-1] == "François"
    assert bad.is_empty()


def test_undecodable_line_in_a_strict_encoding_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "strict.csv"
    path.write_bytes(
        b"phone_number,first_name\n7275551212,Al\n7275551213,Fran\xe7ois\n7275551214,Bo\n"
    )
    rows, bad, _ = _collect(path, ReadOptions(encoding="utf-8"))
    assert rows[SOURCE_ROW].to_list() == [1, 3]
    assert _bad(bad) == [(2, 3, "undecodable bytes: not valid in the file's encoding")]
    assert bad["raw"].to_list() == ["7275551213,Fran\\xe7ois"]


# --- malformed records --------------------------------------------------------------------------

CORPUS: dict[str, tuple[bytes, list[int], list[tuple[int, int, str]]]] = {
    # name: (file, source_rows of good rows, (source_row, line, detail) of malformed ones)
    "too-few-and-too-many": (
        b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n",
        [1, 4],
        [
            (2, 3, "wrong column count: 2 fields, the header has 3"),
            (3, 4, "wrong column count: 4 fields, the header has 3"),
        ],
    ),
    "text-after-closing-quote": (
        b'a,b,c\n1,"x"y,3\n4,5,6\n',
        [2],
        [(1, 2, "bad quoting: text after the closing quote of field 2")],
    ),
    "unterminated-quote": (
        b'a,b,c\n1,"never closed,3\n4,5,6\n7,8,9\n',
        [2, 3],
        [(1, 2, "unterminated quoted field")],
    ),
    "unterminated-quote-at-eof": (
        b'a,b,c\n1,2,3\n4,5,"open\n',
        [1],
        [(2, 3, "unterminated quoted field")],
    ),
    "multi-line-field-is-one-record": (
        b'a,b,c\n1,"two\nlines",3\n\n4,"x\n\n,y",6\n7,8,9\n',
        [1, 2, 3],
        [],
    ),
    "blank-lines-and-crlf-are-no-records": (
        b"a,b,c\r\n\r\n1,2,3\r\n\r\n\r\n4,5,6\r\n",
        [1, 2],
        [],
    ),
    "stray-quote-inside-a-field-is-literal": (
        b'a,b,c\n1,5" tall,3\n',
        [1],
        [],
    ),
    "over-long-field": (
        b"a,b,c\n1,2,3\n4,abcdefghijkl,6\n7,8,9\n",
        [1, 3],
        [(2, 3, "field too long: `b` has 12 characters (limit 10)")],
    ),
}


@pytest.mark.parametrize("name", list(CORPUS), ids=list(CORPUS))
@pytest.mark.parametrize("batch_rows", [1, 7, 10**9], ids=["b1", "b7", "whole"])
def test_malformed_corpus(tmp_path: Path, name: str, batch_rows: int) -> None:
    data, good, malformed = CORPUS[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    rows, bad, batches = _collect(path, ReadOptions(batch_rows=batch_rows, max_field_chars=10))
    assert rows[SOURCE_ROW].to_list() == good
    assert _bad(bad) == malformed
    assert set(bad["reject_reason"]) <= {"MALFORMED_ROW"}
    assert bad.schema == pl.Schema(MALFORMED_SCHEMA)
    assert all(b.records <= batch_rows for b in batches)
    assert sorted(good + [m[0] for m in malformed]) == list(
        range(1, len(good) + len(malformed) + 1)
    )


@pytest.mark.parametrize(("suffix", "first", "sizes"), [
    (".csv", 2, [2, 4, 8, 8, 1]),
    (".csv", 1, [1, 2, 4, 8, 8]),
    (".csv", 50, [8, 8, 7]),
    (".parquet", 3, [3, 6, 8, 6]),
])
def test_first_batches_ramp_up_to_batch_rows(tmp_path: Path, suffix: str, first: int, sizes: list[int]) -> None:
    """`first_batch_rows`: the first batch holds that many records, each next one twice as many
    until `batch_rows`; every record still comes once, in order, malformed ones included."""
    lines = [f"{i},x{i}" if i % 6 else f"{i},x,extra" for i in range(1, 24)]
    path = tmp_path / f"ramp{suffix}"
    if suffix == ".csv":
        path.write_text("a,b\n" + "\n".join(lines) + "\n")
    else:
        pl.DataFrame({"a": [str(i) for i in range(1, 24)], "b": [f"x{i}" for i in range(1, 24)]}).write_parquet(path)
    rows, bad, batches = _collect(path, ReadOptions(batch_rows=8, first_batch_rows=first))
    assert [b.records for b in batches] == sizes
    assert sorted(rows[SOURCE_ROW].to_list() + bad[SOURCE_ROW].to_list()) == list(range(1, 24))


def test_multi_line_field_keeps_its_newlines(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(CORPUS["multi-line-field-is-one-record"][0])
    rows, _, _ = _collect(path)
    assert rows["b"].to_list() == ["two\nlines", "x\n\n,y", "8"]


def test_raw_text_of_a_malformed_record(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"a,b\n1,2,3\n")
    _, bad, _ = _collect(path)
    assert bad.row(0) == (
        1,
        2,
        "MALFORMED_ROW",
        "wrong column count: 3 fields, the header has 2",
        "1,2,3",
    )


def test_quoted_field_spanning_block_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_textcodec, "BLOCK_BYTES", 16)
    path = tmp_path / "span.csv"
    path.write_bytes(b'a,b\n1,"first\nsecond\nthird line, long enough to cross blocks"\n2,x\n')
    rows, bad, _ = _collect(path)
    assert rows.rows() == [
        ("1", "first\nsecond\nthird line, long enough to cross blocks", 1),
        ("2", "x", 2),
    ]
    assert bad.is_empty()


def test_duplicate_and_empty_header_names_are_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"Phone, Phone ,,source_row\n1,2,3,4\n")
    rows, _, _ = _collect(path)
    assert rows.columns == ["Phone", "Phone_2", "column_3", "source_row_2", SOURCE_ROW]


# --- VICIdial headerless layouts ------------------------------------------------------------------


def test_standard_layout(tmp_path: Path) -> None:
    path = tmp_path / "LEADS_1101.txt"
    path.write_bytes(
        b"V1|WEB|999|1|(727) 555-1212|MR|Bob||Smith|1 Main St|||Tampa|FL||33760|USA|M|1970-01-01|"
        b"727-555-0000|bob@example.com||first|3|CALLBK|2019-01-02|7275551213_1_work\n"
        b"V2\tWEB\t999\t1\t0727555\r\n"
        b"\n"
        b'"V3","WEB",,,"0555","MS"\n'
        b"a,b,c\n"
    )
    rows, bad, _ = _collect(path, ReadOptions(layout="standard"))
    assert bad.is_empty()
    assert rows.columns == [*readers.LAYOUT_COLUMNS["standard"], SOURCE_ROW]
    first = rows.row(0, named=True)
    assert (
        first["phone_number"],
        first["country_code"],
        first["called_count"],
        first["status"],
        first["multi_alt_phones"],
    ) == ("(727) 555-1212", "USA", "3", "CALLBK", "7275551213_1_work")
    assert rows.select(
        "vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "title"
    ).rows() == [
        ("V1", "WEB", "999", "1", "(727) 555-1212", "MR"),
        ("V2", "WEB", "999", "1", "0727555", ""),
        ("V3", "WEB", "", "", "0555", "MS"),
        ("a,b,c", "", "", "", "", ""),  # unquoted CSV is not split (loader.md 2.4)
    ]
    assert rows[SOURCE_ROW].to_list() == [1, 2, 3, 4]


def test_stdrankowner_layout_and_over_long_field(tmp_path: Path) -> None:
    fields = ["V1", "S", "101", "1", "7275551212", *[""] * 21, "5", "OWN", "x" * 30]
    path = tmp_path / "r.txt"
    path.write_text("|".join(fields[:28]) + "\n" + "|".join(fields) + "\n")
    rows, bad, _ = _collect(path, ReadOptions(layout="stdrankowner", max_field_chars=20))
    assert rows.select("rank", "owner", "multi_alt_phones").rows() == [("5", "OWN", "")]
    assert _bad(bad) == [(2, 2, "field too long: `multi_alt_phones` has 30 characters (limit 20)")]


# --- JSON Lines -----------------------------------------------------------------------------------


def test_jsonl_values_and_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"phone_number": "0727", "rank": 3, "vip": true, "tags": ["a"], "x": null}\n'
        "\n"
        "{not json\n"
        "[1, 2]\n"
        '{"phone_number": "2", "late": 1.5}\n'
    )
    rows, bad, _ = _collect(path)
    assert rows.columns == ["phone_number", "rank", "vip", "tags", "x", "late", SOURCE_ROW]
    assert rows.rows() == [
        ("0727", "3", "true", '["a"]', "", "", 1),
        ("2", "", "", "", "", "1.5", 4),
    ]
    assert [(s, line, d.split(":")[0]) for s, line, d in _bad(bad)] == [
        (2, 3, "invalid JSON"),
        (3, 4, "not a JSON object"),
    ]


def test_jsonl_keys_come_from_the_first_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_textcodec, "BLOCK_BYTES", 64)
    path = tmp_path / "k.jsonl"
    path.write_text(
        "".join(f'{{"phone_number": "{i}"}}\n' for i in range(8))
        + '{"phone_number": "9", "surprise": 1}\n'
    )
    rows, bad, _ = _collect(path)
    assert rows.height == 8
    assert _bad(bad) == [
        (9, 9, "unexpected key `surprise` (the columns come from the first records)")
    ]


# --- whole file unreadable ---------------------------------------------------------------


def _truncated_gzip(p: Path) -> None:
    data = gzip.compress(("a,b\n" + "1,2\n" * 200_000).encode(), compresslevel=1)
    p.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("name", "make", "options", "message"),
    [
        ("missing.csv", None, None, "no such file"),
        ("empty.csv", lambda p: p.write_bytes(b""), None, "the file is empty (0 bytes)"),
        (
            "blank.csv",
            lambda p: p.write_bytes(b"\n\n\n"),
            None,
            "it has no header line (only blank lines)",
        ),
        ("leads.unknown", lambda p: p.write_bytes(b"a\n"), None, "cannot tell the format of"),
        ("bad.zip", lambda p: p.write_bytes(b"PK\x03\x04garbage"), None, "not a valid zip archive"),
        ("two.zip", lambda p: _two_member_zip(p), None, "a zip must hold exactly one lead file"),
        ("bad.xlsx", lambda p: p.write_bytes(b"not a spreadsheet"), None, "as a spreadsheet"),
        ("bad.parquet", lambda p: p.write_bytes(b"not parquet"), None, "as Parquet"),
        (
            "x.xlsx",
            lambda p: p.write_bytes(b"x"),
            ReadOptions(layout="standard"),
            "layout `standard` needs a text file",
        ),
        ("head.csv", lambda p: p.write_bytes(b'a,"b\n'), None, "the header line cannot be split"),
        ("trunc.csv.gz", _truncated_gzip, None, "cannot read"),
        (
            "enc.csv",
            lambda p: p.write_bytes(b"a\n"),
            ReadOptions(encoding="klingon"),
            "unknown encoding `klingon`",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_unreadable_files_raise_input_error(
    tmp_path: Path,
    name: str,
    make: Callable[[Path], object] | None,
    options: ReadOptions | None,
    message: str,
) -> None:
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(InputError, match=r"cannot read|cannot tell") as info:
        list(read_file(path, options))
    assert message in str(info.value)
    assert f"`{path}`" in str(info.value)


def _two_member_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "a\n1\n")
        archive.writestr("b.csv", "a\n2\n")


def test_header_only_file_yields_one_empty_batch_with_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"phone_number,first_name\n")
    batches = list(read_file(path))
    assert len(batches) == 1
    assert batches[0].rows.columns == ["phone_number", "first_name", SOURCE_ROW]
    assert batches[0].records == 0


def test_read_batches_compatibility_yields_good_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"a,b\n1,2\n3\n4,5\n")
    frames = list(read_batches(path, batch_rows=2))
    assert [f[SOURCE_ROW].to_list() for f in frames] == [[1], [3]]


# --- streaming equals whole-file reading ---------------------------------------------------

_field = st.text(alphabet=st.sampled_from(list('ab 0,"\n\té|')), max_size=6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.lists(_field, min_size=3, max_size=3), st.sampled_from(["ok", "short", "long"])
        ),
        max_size=25,
    ),
    block=st.sampled_from([8, 64, 1 << 20]),
)
def test_generated_csv_round_trips_in_any_batch_and_block_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[list[str], str]], block: int
) -> None:
    """Rows written by Python's csv module come back exactly; wrong-width rows are malformed."""
    monkeypatch.setattr(_textcodec, "BLOCK_BYTES", block)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    expected_good, expected_bad = [], []
    for number, (fields, shape) in enumerate(rows, start=1):
        if shape != "ok":  # keep wrong-width rows on one line: a multi-line one is ambiguous
            fields = [f.replace("\n", " ") for f in fields]
            fields = fields[:2] if shape == "short" else [*fields, "x"]
            expected_bad.append(number)
        else:
            expected_good.append((*fields, number))
        writer.writerow(fields)
    path = tmp_path / "gen.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    results = []
    for batch_rows in (1, 7, 10**9):
        good, bad, batches = _collect(path, ReadOptions(batch_rows=batch_rows))
        assert good.rows() == expected_good
        assert bad[SOURCE_ROW].to_list() == expected_bad
        assert all(b.records <= batch_rows for b in batches)
        results.append((good, bad))
    for good, bad in results[1:]:
        assert_frame_equal(good, results[0][0])
        assert_frame_equal(bad, results[0][1])


def test_streaming_batches_are_consecutive_and_match_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_textcodec, "BLOCK_BYTES", 256)
    lines = ["phone_number,first_name"]
    for i in range(1, 301):
        lines.append(f"727555{i:04d},A{i}" if i % 37 else f"727555{i:04d},A{i},extra")
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    whole_good, whole_bad, whole = _collect(path, ReadOptions(batch_rows=10**9))
    assert len(whole) == 1
    assert (whole_good.height, whole_bad.height) == (292, 8)
    for size in (1, 7, 100):
        good, bad, batches = _collect(path, ReadOptions(batch_rows=size))
        assert_frame_equal(good, whole_good)
        assert_frame_equal(bad, whole_bad)
        assert len(batches) == -(-300 // size)
        covered = [sorted([*b.rows[SOURCE_ROW], *b.malformed[SOURCE_ROW]]) for b in batches]
        assert [c[0] for c in covered] == list(range(1, 301, size))
        assert batches[-1].progress == 1.0
