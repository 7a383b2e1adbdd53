"""Lead-file readers: every format a call center sends, streamed in batches of `String` columns.

`read_file(path, options)` yields `Batch`es: the good rows (`source_row` = 1-based data record
number, header and blank lines not counted) and, apart, the malformed records (`MALFORMED_ROW`
with a `detail` and the raw text). Good + malformed always equals the data records of the file;
a malformed record never stops the file. A file that cannot be read at all raises `InputError`.

Text (CSV, TSV, pipe, `.txt` with a sniffed delimiter, VICIdial's headerless `standard` and
`stdrankowner` layouts, JSON Lines) is read in byte blocks of bounded size; spreadsheets (XLSX,
XLS, ODS) whole through calamine; Parquet by row group. `.gz` and `.zip` (one member) wrap any
of them. Batches hold `batch_rows` records each (the last may hold fewer), whatever the block
boundaries, so results do not depend on the batch size.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import polars as pl

from ingest import _textcodec
from ingest._csvparse import (
    LAYOUT_COLUMNS,
    DelimitedParser,
    LayoutParser,
    sniff_separator,
    split_record,
)
from ingest._jsonlines import JsonParser
from ingest._records import (
    MALFORMED_SCHEMA,
    SOURCE_ROW,
    Batch,
    empty_bad,
    header_names,
    log,
    rows_frame,
)
from ingest._tablefile import read_parquet, read_sheet
from ingest.errors import InputError

__all__ = [
    "LAYOUT_COLUMNS",
    "MALFORMED_SCHEMA",
    "SOURCE_ROW",
    "Batch",
    "FileFormat",
    "Layout",
    "ReadOptions",
    "detect_format",
    "read_batches",
    "read_file",
]

FileFormat = Literal["csv", "tsv", "pipe", "txt", "xlsx", "xls", "ods", "parquet", "jsonl"]
"""`txt` is delimited text whose delimiter (TAB, `|`, `,` or `;`) is sniffed from its first line."""
Layout = Literal["header", "standard", "stdrankowner"]
"""`header`: the first line names the columns. The others are VICIdial's headerless CLI layouts."""

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".psv": "pipe", ".pipe": "pipe", ".txt": "txt",
    ".dat": "txt", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods",
    ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
}  # fmt: skip
_SEPARATORS = {"csv": ",", "tsv": "\t", "pipe": "|"}
_DELIMITED = ("csv", "tsv", "pipe", "txt")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file: format, text encoding, layout and limits."""

    fmt: FileFormat | None = None
    """None: from the suffix (under `.gz`, or of the `.zip` member)."""
    encoding: str | None = None
    """None: detect (BOM, else UTF-8, else Windows-1252). A named encoding is strict: a line it
    cannot decode is malformed."""
    layout: Layout = "header"
    delimiter: str | None = None
    """Override the delimiter of `csv`/`tsv`/`pipe`/`txt` (one character, e.g. `;`)."""
    batch_rows: int = 100_000
    first_batch_rows: int | None = None
    """Ramp up: the first batch holds this many records, each next one twice as many, up to
    `batch_rows` (a pipeline that writes while it reads starts writing sooner). None: no ramp."""
    max_field_chars: int = 65_535

    def __post_init__(self) -> None:
        for name in ("batch_rows", "first_batch_rows"):
            value = getattr(self, name)
            if value is not None and value < 1:
                msg = f"`{name}` must be at least 1, got {value}"
                raise ValueError(msg)
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in '"\r\n'):
            msg = (
                f"`delimiter` must be one character but a quote or newline, got {self.delimiter!r}"
            )
            raise ValueError(msg)


def detect_format(name: str) -> FileFormat | None:
    """The format a file name implies, looking under `.gz`; None when unknown.

    >>> detect_format("LEADS_1101.csv.gz"), detect_format("x.XLSX"), detect_format("notes")
    ('csv', 'xlsx', None)
    """
    lower = name.lower().removesuffix(".gz")
    return _SUFFIXES.get(Path(lower).suffix)


def read_file(path: Path, options: ReadOptions | None = None) -> Iterator[Batch]:
    """Yield the batches of one lead file; at least one, even for a file with no data rows.

    Raises:
        InputError: the file cannot be read at all (missing, empty, unknown format, corrupt
            archive or workbook, no header). Damage further in (a truncated `.gz`) can raise it
            after some batches.
    """
    opts = options or ReadOptions()
    path = Path(path)
    if not path.is_file():
        why = "no such file" if not path.exists() else "not a file"
        msg = f"cannot read `{path}`: {why}"
        raise InputError(msg)
    if path.stat().st_size == 0:
        msg = f"cannot read `{path}`: the file is empty (0 bytes)"
        raise InputError(msg)
    try:
        with _open(path) as src:
            fmt = opts.fmt or detect_format(src.name)
            if fmt is None:
                known = ", ".join(sorted(set(_SUFFIXES)))
                msg = f"cannot tell the format of `{path}` from its name: set `format` ({known})"
                raise InputError(msg)
            if opts.layout != "header" and fmt not in _DELIMITED:
                msg = f"cannot read `{path}`: layout `{opts.layout}` needs a text file, not `{fmt}`"
                raise InputError(msg)
            if fmt == "parquet":
                parts = read_parquet(
                    src.stream,
                    batch_rows=opts.batch_rows,
                    max_field=opts.max_field_chars,
                    path=path,
                )
            elif fmt in ("xlsx", "xls", "ods"):
                parts = read_sheet(src.stream, max_field=opts.max_field_chars, path=path)
            else:
                parts = _read_text(src, fmt, opts, path)
            yield from _rebatch(parts, opts.batch_rows, first=opts.first_batch_rows)
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"cannot read `{path}`: {exc}"
        raise InputError(msg) from exc


def read_batches(
    path: Path,
    *,
    batch_rows: int = 100_000,
    fmt: FileFormat | None = None,
    encoding: str | None = None,
    layout: Layout = "header",
    delimiter: str | None = None,
    max_field_chars: int = 65_535,
) -> Iterator[pl.DataFrame]:
    """Yield only the good rows of `read_file` (compatibility); malformed ones are only logged.

    Prefer `read_file`, whose batches also carry the malformed records.
    """
    opts = ReadOptions(fmt=fmt, encoding=encoding, layout=layout, delimiter=delimiter,
                       batch_rows=batch_rows, max_field_chars=max_field_chars)  # fmt: skip
    for batch in read_file(path, opts):
        if batch.malformed.height:
            log.warning("%s: %d malformed record(s) skipped", path, batch.malformed.height)
        yield batch.rows


# --- opening: plain, .gz, .zip ------------------------------------------------------------------


@dataclass
class _Source:
    """An opened input: a binary stream, the inner file name, and how far it has been read."""

    name: str
    stream: IO[bytes]
    gauge: Any
    total: int
    closers: list[Any] = field(default_factory=list)

    def progress(self) -> float:
        try:
            return min(1.0, self.gauge.tell() / self.total) if self.total else 1.0
        except (OSError, ValueError):
            return 0.0

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        for closer in reversed(self.closers):
            closer.close()


def _open(path: Path) -> _Source:
    raw = path.open("rb")
    size = path.stat().st_size
    lower = path.name.lower()
    try:
        if lower.endswith(".gz"):
            unzipped: Any = gzip.GzipFile(fileobj=raw, mode="rb")
            return _Source(path.name[:-3], unzipped, raw, size, [raw, unzipped])
        if lower.endswith(".zip"):
            archive = zipfile.ZipFile(raw)
            members = [
                i for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                and not Path(i.filename).name.startswith(".")
            ]  # fmt: skip
            if len(members) != 1:
                names = ", ".join(i.filename for i in members) or "none"
                msg = (
                    f"cannot read `{path}`: a zip must hold exactly one lead file (found: {names})"
                )
                raise InputError(msg)
            member: Any = archive.open(members[0])
            name = Path(members[0].filename).name
            return _Source(name, member, member, members[0].file_size, [raw, archive, member])
    except zipfile.BadZipFile as exc:
        raw.close()
        msg = f"cannot read `{path}`: not a valid zip archive ({exc})"
        raise InputError(msg) from exc
    except InputError:
        raw.close()
        raise
    return _Source(path.name, raw, raw, size, [raw])


# --- text ---------------------------------------------------------------------------------------


def _read_text(src: _Source, fmt: str, opts: ReadOptions, path: Path) -> Iterator[Batch]:
    first = src.stream.read(_textcodec.BLOCK_BYTES)
    codec, skip = _textcodec.choose_codec(first, opts.encoding, path)
    parser: DelimitedParser | LayoutParser | JsonParser | None = None
    if fmt == "jsonl":
        parser = JsonParser(opts.max_field_chars)
    elif opts.layout != "header":
        parser = LayoutParser(LAYOUT_COLUMNS[opts.layout], opts.max_field_chars)
    line_no = record_no = 1
    carry: pl.Series | None = None
    carry_bad: pl.Series | None = None
    for block, last in _textcodec.blocks(src.stream, first[skip:], codec):
        lines, bad = _textcodec.decode_block(block, codec)
        if carry is not None and carry.len():  # lines of a record that went on in this block
            if carry_bad is not None or bad is not None:
                bad = pl.concat([_flags(carry_bad, carry.len()), _flags(bad, lines.len())])
            lines = pl.concat([carry, lines])
        if parser is None:  # the header: the first non-blank line
            while lines.len() and lines[0] == "":
                lines, bad, line_no = lines.slice(1), _drop_first(bad), line_no + 1
            if not lines.len():
                carry = carry_bad = None
                continue
            if bad is not None and bad[0]:
                msg = f"cannot read `{path}`: its header is not valid {codec.label}; set `encoding`"
                raise InputError(msg)
            sep = opts.delimiter or _SEPARATORS.get(fmt) or sniff_separator(lines[0])
            fields, why = split_record(lines[0], sep)
            if fields is None:
                msg = f"cannot read `{path}`: the header line cannot be split ({why})"
                raise InputError(msg)
            parser = DelimitedParser(header_names(fields), sep, opts.max_field_chars)
            lines, bad, line_no = lines.slice(1), _drop_first(bad), line_no + 1
        parsed = parser.parse(lines, bad, first_line=line_no, first_record=record_no, last=last)
        carry = lines.slice(parsed.consumed)
        carry_bad = bad.slice(parsed.consumed) if bad is not None else None
        line_no += parsed.consumed
        record_no += parsed.records
        yield Batch(parsed.good, parsed.bad, src.progress(), codec.label)
    if parser is None:
        msg = f"cannot read `{path}`: it has no header line (only blank lines)"
        raise InputError(msg)
    yield Batch(rows_frame(parser.names or (), [], []), empty_bad(), 1.0, codec.label)


def _flags(bad: pl.Series | None, n: int) -> pl.Series:
    return (
        bad if bad is not None else pl.repeat(False, n, eager=True, dtype=pl.Boolean).alias("bad")
    )


def _drop_first(bad: pl.Series | None) -> pl.Series | None:
    return bad.slice(1) if bad is not None else None


# --- batching -----------------------------------------------------------------------------------


def _rebatch(parts: Iterator[Batch], size: int, *, first: int | None = None) -> Iterator[Batch]:
    """Regroup parts into batches of `size` records by `source_row` (the last may be smaller);
    with `first`, the batches before grow from `first` records, doubling."""
    want = min(first or size, size)
    good: list[pl.DataFrame] = []
    bad: list[pl.DataFrame] = []
    seen = emitted = 0  # highest source_row produced so far / already yielded
    label, progress, template, yielded = "", 0.0, pl.DataFrame(), False
    for part in parts:
        label, progress = part.encoding, part.progress
        if not yielded and not template.width:
            template = part.rows.clear()
        good += [part.rows] if part.rows.height else []
        bad += [part.malformed] if part.malformed.height else []
        for frame in (part.rows, part.malformed):
            if frame.height:
                seen = max(seen, int(frame[SOURCE_ROW].max()))  # type: ignore[arg-type]
        while seen - emitted >= want:
            emitted += want
            want = min(want * 2, size)
            (rows, malformed), good, bad = _cut(good, bad, emitted, template)
            yielded = True
            yield Batch(rows, malformed, progress, label)
    if seen > emitted or not yielded:
        (rows, malformed), _, _ = _cut(good, bad, seen, template)
        yield Batch(rows, malformed, 1.0, label)


def _cut(
    good: list[pl.DataFrame], bad: list[pl.DataFrame], upto: int, template: pl.DataFrame
) -> tuple[tuple[pl.DataFrame, pl.DataFrame], list[pl.DataFrame], list[pl.DataFrame]]:
    """Split the pending frames at `source_row` `upto`: (taken, rest of good, rest of bad)."""

    def split(
        frames: list[pl.DataFrame], empty: pl.DataFrame
    ) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
        if not frames:
            return empty, []
        whole = pl.concat(frames) if len(frames) > 1 else frames[0]
        at = int(whole[SOURCE_ROW].search_sorted(upto, side="right"))
        rest = whole.slice(at)
        return whole.slice(0, at), [rest] if rest.height else []

    rows, good_rest = split(good, template)
    malformed, bad_rest = split(bad, empty_bad())
    return (rows, malformed), good_rest, bad_rest
