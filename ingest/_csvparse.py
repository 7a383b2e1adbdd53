"""Splitting text lines into records: delimited text with a header, and VICIdial's layouts.

Delimited text follows RFC 4180 (a `"` inside an unquoted field is kept literally). Lines that
are plain RFC 4180 with the header's field count go to polars' CSV parser in one piece; only
the others (odd quoting, quoted fields spanning lines, possibly over-long fields) are judged
one by one in Python. The headerless layouts follow the CLI loader's line normalisation
(loader.md 2.4): TAB and `|` both delimit and fully quoted CSV is flattened.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ingest._records import (
    MALFORMED_SCHEMA,
    RAW_LIMIT,
    SOURCE_ROW,
    UNDECODABLE,
    bad_frame,
    clip,
    empty_bad,
    rows_frame,
    too_long,
)

MAX_RECORD_LINES = 200
"""A quoted field may span at most this many lines before its opening line counts as malformed."""
UNTERMINATED = "unterminated quoted field"
_SENTINEL = "\x00leadpipe\x00"
_SENTINEL_COLUMN = "__leadpipe_sentinel__"

# fmt: off
_STANDARD = (
    "vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "title",
    "first_name", "middle_initial", "last_name", "address1", "address2", "address3", "city",
    "state", "province", "postal_code", "country_code", "gender", "date_of_birth", "alt_phone",
    "email", "security_phrase", "comments", "called_count", "status", "entry_date",
)
# fmt: on
LAYOUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "standard": (*_STANDARD, "multi_alt_phones"),
    "stdrankowner": (*_STANDARD, "rank", "owner", "multi_alt_phones"),
}
"""Columns of the headerless layouts (loader.md 2.3); file column 17 `country` is `country_code`."""


@dataclass
class Parsed:
    """What one block of lines produced."""

    good: pl.DataFrame
    bad: pl.DataFrame
    records: int
    consumed: int  # lines used; the rest is carried into the next block


def split_record(text: str, sep: str) -> tuple[list[str] | None, str]:
    """Split one CSV record (RFC 4180 quoting; a `"` inside an unquoted field is literal).

    Returns the fields and `''`, or None and why the record is malformed.
    """
    fields: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            parts: list[str] = []
            j = i + 1
            while True:
                k = text.find('"', j)
                if k < 0:
                    return None, UNTERMINATED
                if text.startswith('""', k):
                    parts.append(text[j : k + 1])
                    j = k + 2
                    continue
                parts.append(text[j:k])
                i = k + 1
                break
            fields.append("".join(parts))
            if i == n:
                return fields, ""
            if text[i] != sep:
                return None, f"bad quoting: text after the closing quote of field {len(fields)}"
            i += 1
        else:
            k = text.find(sep, i)
            if k < 0:
                fields.append(text[i:])
                return fields, ""
            fields.append(text[i:k])
            i = k + 1


def sniff_separator(line: str) -> str:
    """The most frequent of TAB, `|`, `,`, `;` in a header line (`,` when none occurs).

    >>> sniff_separator("phone|name|zip"), sniff_separator("a;b,c;d"), sniff_separator("phone")
    ('|', ';', ',')
    """
    counts = {sep: line.count(sep) for sep in ("\t", "|", ",", ";")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


class DelimitedParser:
    """Vectorised CSV for well-formed lines; a Python pass only for the few that are not."""

    def __init__(self, names: tuple[str, ...], sep: str, max_field: int) -> None:
        self.names = names
        self.sep = sep
        self.max_field = max_field
        hexsep = f"\\x{{{ord(sep):X}}}"
        fld = f'(?:"(?:[^"]|"")*"|[^"{hexsep}]*)'
        self.strict_re = f"^{fld}(?:{hexsep}{fld})*$"

    def parse(
        self,
        lines: pl.Series,
        bad: pl.Series | None,
        *,
        first_line: int,
        first_record: int,
        last: bool,
    ) -> Parsed:
        frame = pl.DataFrame([lines]).with_columns(
            _i=pl.int_range(0, pl.len(), dtype=pl.Int64),
            _blank=pl.col("line") == "",
            _undec=bad if bad is not None else pl.lit(value=False),
            _strict=pl.col("line").str.contains(self.strict_re),
            _long=pl.col("line").str.len_chars() > self.max_field,
        )
        # Python looks only at lines with odd quoting or room for a too-long field.
        todo = frame.filter(
            ~pl.col("_blank") & ~pl.col("_undec") & (~pl.col("_strict") | pl.col("_long"))
        )["_i"].to_list()
        verdict, continued, end = (
            self._slow(lines, bad, todo, last=last) if todo else ({}, [], lines.len())
        )
        frame = (
            frame.head(end)
            .with_columns(
                _start=~pl.col("_blank") & ~pl.col("_i").is_in(continued),
                _verdict=pl.col("_i").is_in(list(verdict)),
            )
            .with_columns(
                (pl.col("_start").cast(pl.Int64).cum_sum() + (first_record - 1)).alias(SOURCE_ROW),
                (pl.col("_i") + first_line).alias("_line"),
            )
        )
        plain = frame.filter(pl.col("_start") & ~pl.col("_verdict"))
        fast = plain.filter(~pl.col("_undec") & pl.col("_strict") & ~pl.col("_long"))
        good, miscounted = (
            self._fast(fast["line"], fast[SOURCE_ROW]) if fast.height else (None, None)
        )
        good_parts = [good] if good is not None and good.height else []
        wrong = plain.filter(
            pl.col("_undec")
            | pl.col(SOURCE_ROW).is_in(miscounted if miscounted is not None else [])
        ).select(
            SOURCE_ROW,
            pl.col("_line").alias("line"),
            pl.lit("MALFORMED_ROW").alias("reject_reason"),
            pl.when("_undec")
            .then(pl.lit(UNDECODABLE))
            .otherwise(
                pl.format(
                    "wrong column count: {} fields, the header has {}",
                    # In a strict line every quote belongs to a quoted field.
                    pl.col("line")
                    .str.replace_all(r'"(?:[^"]|"")*"', "")
                    .str.count_matches(self.sep, literal=True)
                    + 1,
                    pl.lit(len(self.names)),
                )
            )
            .alias("detail"),
            pl.when(pl.col("line").str.len_chars() > RAW_LIMIT)
            .then(pl.col("line").str.slice(0, RAW_LIMIT) + pl.lit("…"))
            .otherwise("line")
            .alias("raw"),
        )
        bad_parts = [wrong] if wrong.height else []
        if verdict:
            at = frame.filter("_verdict").select("_i", SOURCE_ROW, "_line")
            py_rows, py_src = [], []
            bads: tuple[list[int], list[int], list[str], list[str]] = ([], [], [], [])
            for i, src, line in at.iter_rows():
                fields, detail, raw = verdict[i]
                if fields is not None and not detail:
                    py_rows.append(fields)
                    py_src.append(src)
                else:
                    for target, value in zip(bads, (src, line, detail, clip(raw)), strict=True):
                        target.append(value)  # type: ignore[attr-defined]
            if py_rows:
                good_parts.append(rows_frame(self.names, py_rows, py_src))
            bad_parts.append(bad_frame(*bads))
        good = (
            pl.concat(good_parts).sort(SOURCE_ROW)
            if len(good_parts) > 1
            else good_parts[0]
            if good_parts
            else rows_frame(self.names, [], [])
        )
        malformed = pl.concat(bad_parts).sort(SOURCE_ROW) if bad_parts else empty_bad()
        records = int(frame["_start"].sum())
        return Parsed(good, malformed.cast(MALFORMED_SCHEMA), records, end)  # type: ignore[arg-type]

    def _slow(
        self, text: pl.Series, bad: pl.Series | None, todo: list[int], *, last: bool
    ) -> tuple[dict[int, tuple[list[str] | None, str, str]], list[int], int]:
        """Judge the odd lines one by one; join lines while a quoted field spans them."""
        total = text.len()
        undec = bad.to_list() if bad is not None else None
        verdict: dict[int, tuple[list[str] | None, str, str]] = {}
        continued: list[int] = []
        skip_until = -1
        ncols = len(self.names)
        for i in todo:
            if i <= skip_until:
                continue
            line = text[i]
            fields, why = split_record(line, self.sep)
            if why == UNTERMINATED:
                j, joined = i, line
                while why == UNTERMINATED and j + 1 < total and self._may_grow(i, j, joined):
                    j += 1
                    joined = f"{joined}\n{text[j]}"
                    fields, why = split_record(joined, self.sep)
                if (
                    why == UNTERMINATED
                    and j + 1 >= total
                    and not last
                    and self._may_grow(i, j, joined)
                ):
                    return verdict, continued, i  # the record may go on in the next block
                spoilt = undec is not None and any(undec[i : j + 1])
                if why == "" and fields is not None and len(fields) == ncols and not spoilt:
                    continued.extend(range(i + 1, j + 1))
                    skip_until = j
                    verdict[i] = (fields, too_long(fields, self.names, self.max_field), joined)
                else:
                    verdict[i] = (None, UNTERMINATED, line)
            elif fields is None:
                verdict[i] = (None, why, line)
            elif len(fields) != ncols:
                verdict[i] = (
                    None,
                    f"wrong column count: {len(fields)} fields, the header has {ncols}",
                    line,
                )
            else:
                verdict[i] = (fields, too_long(fields, self.names, self.max_field), line)
        return verdict, continued, total

    def _may_grow(self, i: int, j: int, joined: str) -> bool:
        return j - i < MAX_RECORD_LINES and len(joined) <= 2 * self.max_field

    def _fast(self, chosen: pl.Series, source_rows: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
        """Parse plain RFC 4180 lines with polars; also return the `source_row`s of wrong width.

        A sentinel field appended to every line lands in the extra last column exactly when the
        line has the header's number of fields (polars pads short lines, cuts long ones).
        """
        cols = [*self.names, _SENTINEL_COLUMN]
        tail = f"{self.sep}{_SENTINEL}\n"
        data = (chosen.str.join(tail).item() + tail).encode("utf-8")
        out = pl.read_csv(
            data,
            has_header=False,
            schema=dict.fromkeys(cols, pl.String),
            extra_columns="ignore",
            missing_columns="insert",
            empty_string_is_null=False,
            quote_char='"',
            separator=self.sep,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
        if (
            out.height != chosen.len()
        ):  # NOTE: should not happen; the Python splitter is the reference
            rows = [split_record(line, self.sep)[0] or [] for line in chosen.to_list()]
            fits = pl.Series([len(r) == len(self.names) for r in rows])
            good_rows = [r for r in rows if len(r) == len(self.names)]
            frame = rows_frame(self.names, good_rows, source_rows.filter(fits).to_list())
            return frame, source_rows.filter(~fits)
        fits = out[_SENTINEL_COLUMN] == _SENTINEL
        if fits.all():
            return out.drop(_SENTINEL_COLUMN).with_columns(
                source_rows.alias(SOURCE_ROW)
            ), source_rows.clear()
        good = (
            out.filter(fits)
            .drop(_SENTINEL_COLUMN)
            .with_columns(source_rows.filter(fits).alias(SOURCE_ROW))
        )
        return good, source_rows.filter(~fits.fill_null(value=False))


class LayoutParser:
    """VICIdial's headerless CLI layouts: TAB and `|` delimit, quoted CSV is flattened (2.4)."""

    def __init__(self, names: tuple[str, ...], max_field: int) -> None:
        self.names = names
        self.max_field = max_field

    def normalise(self, col: pl.Expr) -> pl.Expr:
        out = col.str.replace_all("\t", "|", literal=True).str.replace_all("\r", "", literal=True)
        for commas in range(1, 8):
            out = out.str.replace_all('"' + "," * commas + '"', "|" * commas, literal=True)
        return out.str.replace_all('"', "", literal=True)

    def parse(
        self,
        lines: pl.Series,
        bad: pl.Series | None,
        *,
        first_line: int,
        first_record: int,
        last: bool,
    ) -> Parsed:
        del last
        frame = (
            pl.DataFrame([lines])
            .with_columns(
                _norm=self.normalise(pl.col("line")),
                _undec=bad if bad is not None else pl.lit(value=False),
                _line=pl.int_range(first_line, first_line + lines.len(), dtype=pl.Int64),
            )
            .filter(pl.col("line") != "")
            .with_columns(
                pl.int_range(first_record, first_record + pl.len(), dtype=pl.Int64).alias(
                    SOURCE_ROW
                ),
            )
        )
        parts = pl.col("_norm").str.split("|")
        frame = frame.with_columns(
            [
                parts.list.get(k, null_on_oob=True).fill_null("").alias(n)
                for k, n in enumerate(self.names)
            ]
        ).with_columns(
            _too_long=pl.max_horizontal([pl.col(n).str.len_chars() for n in self.names])
            > self.max_field,
        )
        failed = frame.filter(pl.col("_undec") | pl.col("_too_long"))
        details = [
            UNDECODABLE
            if row["_undec"]
            else too_long([row[n] for n in self.names], self.names, self.max_field)
            for row in failed.iter_rows(named=True)
        ]
        malformed = bad_frame(
            failed[SOURCE_ROW].to_list(),
            failed["_line"].to_list(),
            details,
            [clip(r) for r in failed["line"].to_list()],
        )
        good = frame.filter(~(pl.col("_undec") | pl.col("_too_long"))).select(
            *self.names, SOURCE_ROW
        )
        return Parsed(good, malformed, frame.height, lines.len())
