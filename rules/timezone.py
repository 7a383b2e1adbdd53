"""add_lead's `lookup_state` (step A8) and `gmt_offset_now` (step A12) over whole batches.

Lookup frames arrive as the runner loaded them: every column String plus `_order` (Int64, the
row's position as the database returned it, so "first row" = lowest `_order`). Each lookup is
reduced to its first row per key before joining, so a join never multiplies leads. Keys are
compared as VICIdial's database compares them: `country_code` (SMALLINT) numerically, text
case-insensitively and ignoring trailing spaces, `LIKE` prefixes case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from rules.dst import dst_in_effect, lead_local_standard, php_float_text, php_number

__all__ = [
    "NANPA_COLUMNS",
    "PHONE_CODE_COLUMNS",
    "POSTAL_CODE_COLUMNS",
    "gmt_offset",
    "lookup_state",
    "nanpa_frame",
    "phone_codes_frame",
    "postal_codes_frame",
    "strip_nanpa",
]

PHONE_CODE_COLUMNS = (
    "country_code", "country", "areacode", "state", "GMT_offset", "DST", "DST_range",
    "geographic_description", "tz_code",
)
"""`vicidial_phone_codes` columns the rules read (`php_tz` may be present and is ignored)."""
POSTAL_CODE_COLUMNS = (
    "postal_code", "state", "GMT_offset", "DST", "DST_range", "country", "country_code",
)
"""`vicidial_postal_codes` columns."""
NANPA_COLUMNS = ("areacode", "prefix", "GMT_offset", "DST")
"""`vicidial_nanpa_prefix_codes` columns the rules read (the others are ignored)."""

_ORDER = "_order"
_OFF = "_tz_off"
_RNG = "_tz_rng"


def _frame(columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> pl.LazyFrame:
    padded = [tuple(row) + ("",) * (len(columns) - len(row)) for row in rows]
    data = {name: [row[i] for row in padded] for i, name in enumerate(columns)}
    frame = pl.LazyFrame(data, schema=dict.fromkeys(columns, pl.String))
    return frame.with_row_index(_ORDER).with_columns(pl.col(_ORDER).cast(pl.Int64))


def phone_codes_frame(rows: Sequence[Sequence[str]]) -> pl.LazyFrame:
    """Build a `vicidial_phone_codes` lookup frame from rows in `PHONE_CODE_COLUMNS` order.

    Short rows are padded with `''`; `_order` numbers the rows from 0.

    >>> phone_codes_frame([("1", "USA", "201", "NJ")]).collect()["tz_code", "_order"].row(0)
    ('', 0)
    """
    return _frame(PHONE_CODE_COLUMNS, rows)


def postal_codes_frame(rows: Sequence[Sequence[str]]) -> pl.LazyFrame:
    """Build a `vicidial_postal_codes` lookup frame from rows in `POSTAL_CODE_COLUMNS` order.

    >>> postal_codes_frame([("33701", "FL", "-5.00")]).collect()["postal_code"].to_list()
    ['33701']
    """
    return _frame(POSTAL_CODE_COLUMNS, rows)


def nanpa_frame(rows: Sequence[Sequence[str]]) -> pl.LazyFrame:
    """Build a `vicidial_nanpa_prefix_codes` lookup frame from rows in `NANPA_COLUMNS` order.

    >>> nanpa_frame([("727", "555", "-5.00", "Y")]).collect()["prefix"].to_list()
    ['555']
    """
    return _frame(NANPA_COLUMNS, rows)


def _ci(expr: pl.Expr) -> pl.Expr:
    """A text key compared like the database collation: case- and trailing-space-insensitive."""
    return expr.str.strip_chars_end(" ").str.to_lowercase()


def _country_key(expr: pl.Expr) -> pl.Expr:
    """A `country_code` key compared numerically, as MySQL compares SMALLINT with text."""
    text = expr.str.strip_chars(" ")
    return pl.when(text == "").then(pl.lit("0")).otherwise(text.str.replace(r"^0+(\d)", "${1}"))


def _ascii_upper(expr: pl.Expr) -> pl.Expr:
    """Upper-case ASCII only, as PHP's `/…/i` without `/u` folds case (`ſ` is not `S`)."""
    return expr.str.replace_all(r"[^\x00-\x7F]", "?").str.to_uppercase()


def _first_rows(lf: pl.LazyFrame, keys: list[str], values: dict[str, pl.Expr]) -> pl.LazyFrame:
    """One row per key: the values of the key's first row (lowest `_order`), plus a hit marker."""
    return (
        lf.select(*keys, _ORDER, **values)
        .group_by(keys)
        .agg(pl.col(list(values)).sort_by(_ORDER).first())
        .with_columns(pl.lit(value=True).alias(f"{keys[0]}_hit"))
    )


def _join(lf: pl.LazyFrame, table: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    return lf.join(table, on=keys, how="left", validate="m:1", maintain_order="left")


def lookup_state(lf: pl.LazyFrame, *, phone_codes: pl.LazyFrame) -> pl.LazyFrame:
    """Fill an empty `state` from `vicidial_phone_codes` where `lookup_state` is `Y` (spec 6).

    The state comes from the first row with `country_code` = `phone_code` and `areacode` = the
    first 3 characters of `phone_number`; no row leaves it empty. It is not truncated here (up to
    4 characters; the insert keeps 2) because the AU time-zone lookup uses the full value.

    >>> lf = pl.LazyFrame({"phone_code": ["1", "1"], "phone_number": ["7275550001"] * 2,
    ...     "state": ["", ""], "lookup_state": ["Y", "N"]})
    >>> codes = phone_codes_frame([("1", "USA", "727", "FL")])
    >>> lookup_state(lf, phone_codes=codes).collect()["state"].to_list()
    ['FL', '']
    """
    table = _first_rows(
        phone_codes.with_columns(
            _ls_cc=_country_key(pl.col("country_code")), _ls_ac=_ci(pl.col("areacode"))
        ),
        ["_ls_cc", "_ls_ac"],
        {"_ls_state": pl.col("state").fill_null("")},
    )
    df = lf.collect()
    wanted = df.select((pl.col("lookup_state") == "Y") & (pl.col("state") == "")).to_series()
    if not wanted.any():  # NOTE: the usual batch: states given, or the option off
        return df.lazy()
    at = wanted.arg_true()
    found = (
        df.select(
            _ls_cc=_country_key(pl.col("phone_code").gather(at)),
            _ls_ac=_ci(pl.col("phone_number").gather(at).str.slice(0, 3)),
        )
        .lazy()
        .pipe(_join, table, ["_ls_cc", "_ls_ac"])
        .collect()
    )
    values = found.select(
        pl.when(pl.col("_ls_cc_hit").fill_null(value=False)).then(pl.col("_ls_state")).fill_null("")
    ).to_series()  # no row found leaves the state as it was: `''`
    state = df.get_column("state").clone().scatter(at, values)
    return df.with_columns(state).lazy()


def strip_nanpa(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Remove upper-case `NANPA` from `tz_method`, as add_lead does without NANPA data (spec 5.4).

    Lower-case `nanpa` survives, as in VICIdial, and still asks for the NANPA method.

    >>> lf = pl.LazyFrame({"tz_method": ["POSTALNANPA", "nanpa"]})
    >>> strip_nanpa(lf).collect()["tz_method"].to_list()
    ['POSTAL', 'nanpa']
    """
    return lf.with_columns(pl.col("tz_method").str.replace_all("NANPA", "", literal=True))


def _offset_text(expr: pl.Expr) -> pl.Expr:
    """A table's `GMT_offset` as add_lead carries it: `+` removed, NULL read as `''`."""
    return expr.fill_null("").str.replace_all("+", "", literal=True)


def _special_tables(
    phone_codes: pl.LazyFrame, postal_codes: pl.LazyFrame, nanpa: pl.LazyFrame | None,
    lengths: list[int],
) -> dict[str, tuple[pl.LazyFrame, list[str]]]:
    """First-row lookups of the POSTAL, TZCODE and NANPA methods (spec 8.2), by join keys.

    `lengths`: the lengths of the leads' postal codes that run the POSTAL method.
    """
    # POSTAL: `postal_code LIKE "{lead}%"` among country 1 rows; each prefix of a table code
    # as long as some lead's code is a key, so the lead's whole code joins on equality (LIKE
    # is case-insensitive here).
    postal = (
        postal_codes.filter(
            (_country_key(pl.col("country_code")) == "1") & (pl.col("postal_code") != "")
        )
        .with_columns(_tz_pc=pl.col("postal_code").str.to_lowercase())
        .with_columns(_tz_len=pl.lit(pl.Series(sorted(lengths), dtype=pl.Int64).implode()))
        .explode("_tz_len")
        .filter(pl.col("_tz_len") <= pl.col("_tz_pc").str.len_chars())
        .with_columns(_tz_pc=pl.col("_tz_pc").str.slice(0, pl.col("_tz_len")))
    )
    tables = {
        "postal": (
            _first_rows(postal, ["_tz_pc"], {
                "_tz_pc_off": _offset_text(pl.col("GMT_offset")),
                "_tz_pc_rng": pl.col("DST_range").fill_null(""),
            }),
            ["_tz_pc"],
        ),
    }
    # TZCODE: GMT_offset of the first row; DST rule = the greatest distinct DST_range (ORDER BY
    # DST_range DESC under the case-insensitive collation, which weighs letters as upper case;
    # NULL sorts last; of equal values DISTINCT keeps the first row's).
    coded = phone_codes.with_columns(
        _tz_tz=_ci(pl.col("tz_code")), _tz_cc=_country_key(pl.col("country_code"))
    )
    greatest = coded.group_by(["_tz_tz", "_tz_cc"]).agg(
        _tz_tz_rng=pl.col("DST_range")
        .sort_by([_ci(pl.col("DST_range")).str.to_uppercase(), pl.col(_ORDER)],
                 descending=[True, False],
                 nulls_last=True)
        .first()
        .fill_null("")
    )
    tzcode = _first_rows(
        coded, ["_tz_tz", "_tz_cc"], {"_tz_tz_off": _offset_text(pl.col("GMT_offset"))}
    ).join(greatest, on=["_tz_tz", "_tz_cc"], how="left", validate="1:1")
    tables["tzcode"] = (tzcode, ["_tz_tz", "_tz_cc"])
    if nanpa is not None:
        keyed = nanpa.with_columns(_tz_na=_ci(pl.col("areacode")), _tz_np=_ci(pl.col("prefix")))
        tables["nanpa"] = (
            _first_rows(keyed, ["_tz_na", "_tz_np"], {
                "_tz_na_off": _offset_text(pl.col("GMT_offset")),
                "_tz_na_rng": pl.when(pl.col("DST") == "Y").then(pl.lit("SSM-FSN"))
                .otherwise(pl.lit("")),
            }),
            ["_tz_na", "_tz_np"],
        )
    return tables


def _default_tables(phone_codes: pl.LazyFrame) -> dict[str, tuple[pl.LazyFrame, list[str]]]:
    """First-row lookups of the default chain (spec 8.3), by join keys."""
    keyed = phone_codes.with_columns(_tz_dc=_country_key(pl.col("country_code")))

    def values(tag: str) -> dict[str, pl.Expr]:
        return {
            f"_tz_{tag}_off": _offset_text(pl.col("GMT_offset")),
            f"_tz_{tag}_rng": pl.col("DST_range").fill_null(""),
        }

    area = keyed.filter(pl.col("_tz_dc").is_in(["1", "52"])).with_columns(
        _tz_da=_ci(pl.col("areacode"))
    )
    state = keyed.filter(pl.col("_tz_dc") == "61").with_columns(_tz_ds=_ci(pl.col("state")))
    return {
        "area": (_first_rows(area, ["_tz_da", "_tz_dc"], values("da")), ["_tz_da", "_tz_dc"]),
        "state": (_first_rows(state, ["_tz_ds"], values("ds")), ["_tz_ds"]),
        "country": (_first_rows(keyed, ["_tz_dc"], values("dc")), ["_tz_dc"]),
    }


def _dst_verdicts(server_now: datetime, server_offset: float) -> pl.Expr:
    """Per distinct (offset text, DST rule): the final value and response text (spec 8.4, 8.5)."""
    dtype = pl.Struct({"gmt_offset_now": pl.Float64, "gmt_offset_text": pl.String})

    def judge(pairs: pl.Series) -> pl.Series:
        out = []
        for pair in pairs.to_list():
            base = php_number(pair[_OFF])
            local = lead_local_standard(server_now, base, server_offset)
            if dst_in_effect(pair[_RNG], local):
                # PHP's `$gmt_offset++` turns the text into a number: `-4`, `-2.5`.
                value, text = base + 1, php_float_text(base + 1)
            else:
                value, text = base, pair[_OFF]
            out.append({"gmt_offset_now": value, "gmt_offset_text": text})
        return pl.Series(out, dtype=dtype)

    return pl.struct(_OFF, _RNG).map_batches(judge, return_dtype=dtype, is_elementwise=True)


def gmt_offset(
    lf: pl.LazyFrame,
    *,
    phone_codes: pl.LazyFrame,
    postal_codes: pl.LazyFrame,
    nanpa: pl.LazyFrame | None,
    server_now: datetime,
    server_offset: float,
) -> pl.LazyFrame:
    """Add `gmt_offset_now` (Float64) and `gmt_offset_text` (SUCCESS-line form) as add_lead does.

    Special methods from `tz_method` run first (spec 8.2): POSTAL (contains `POSTAL` in any case,
    `phone_code` exactly `1`, `postal_code` over 4 bytes, table code starting with it), TZCODE
    (`tz_method` exactly `TZCODE`, `owner` over 1 byte; resets the offset to `0`) and NANPA
    (contains `NANPA` in any case, 3-character area code and prefix, and `usacan_prefix_check`
    not `Y`: spec 5.2); a later hit overrides an earlier one. Without a hit the default chain
    runs (spec 8.3): area code for country 1 and 52, state for 61 (numerically compared), else
    the country's first row, else nothing. DST (spec 8.4) adds 1 via `rules.dst`, evaluated
    once per distinct (offset, `DST_range`) pair.

    `gmt_offset_now` is null when nothing was looked up (the writer stores `0.00`) and
    `gmt_offset_text` is then `''`. Pass `nanpa=None` when NANPA data is not loaded: the NANPA
    method then never hits (strip `NANPA` from `tz_method` with `strip_nanpa` for the rest).

    >>> cols = ["state", "postal_code", "owner", "tz_method", "usacan_prefix_check"]
    >>> rows = [{"phone_code": c, "phone_number": "2015550001"} for c in ("1", "44")]
    >>> lf = pl.LazyFrame(rows).with_columns(pl.lit("").alias(c) for c in cols)
    >>> codes = phone_codes_frame([("1", "USA", "201", "NJ", "-5.00", "Y", "SSM-FSN")])
    >>> out = gmt_offset(lf, phone_codes=codes, postal_codes=postal_codes_frame([]), nanpa=None,
    ...     server_now=datetime(2024, 7, 1, 12), server_offset=-4.0).collect()
    >>> out["gmt_offset_now"].to_list(), out["gmt_offset_text"].to_list()
    ([-4.0, None], ['-4', ''])
    """
    # add_lead ignores a `gmt_offset_now` request parameter (spec 2): any such column is replaced.
    lf = lf.drop("gmt_offset_now", "gmt_offset_text", strict=False)
    every = _masked_keys(lf).collect()
    # NOTE: keys of methods no lead of the batch runs are null throughout (null counts are
    # free): leave them out of the per-row unique and join, and add them back per key
    keys = every.select([c for c in every.columns if every.get_column(c).null_count() < every.height]
                        or every.columns[:1]).lazy()
    absent = [pl.lit(None, dtype).alias(c) for c, dtype in every.schema.items()
              if c not in keys.collect_schema().names()]
    # NOTE: every lead with equal (masked) keys gets the same offset: look up each key once
    # `_tz_tz` is set exactly where TZCODE runs, and the default chain's country is `_tz_cc`
    distinct = keys.unique().collect().with_columns(absent).with_columns(
        _tz_runs_tzcode=pl.col("_tz_tz").is_not_null(), _tz_dc=pl.col("_tz_cc")
    )
    lengths = distinct.get_column("_tz_pc").drop_nulls().str.len_chars().unique().to_list()
    tables = _special_tables(phone_codes, postal_codes, nanpa, lengths) | _default_tables(phone_codes)
    looked_up = distinct.lazy()
    for table, on in tables.values():
        looked_up = _join(looked_up, table, on)
    distinct = looked_up

    def hit(tag: str) -> pl.Expr:
        return pl.col(f"_tz_{tag}_hit").fill_null(value=False)

    # Highest priority first: NANPA (last special method) > TZCODE > POSTAL > default chain.
    order = ["tz", "pc", "da", "ds", "dc"]
    if nanpa is not None:
        order.insert(0, "na")
    offset: pl.Expr = pl.when(pl.col("_tz_runs_tzcode")).then(pl.lit("0"))
    rule: pl.Expr = pl.lit("")
    for tag in reversed(order):
        rng = pl.col(f"_tz_{tag}_rng") if tag != "tz" else pl.col("_tz_tz_rng").fill_null("")
        offset = pl.when(hit(tag)).then(pl.col(f"_tz_{tag}_off")).otherwise(offset)
        rule = pl.when(hit(tag)).then(rng).otherwise(rule)
    key_names = keys.collect_schema().names()
    distinct = distinct.select(*key_names, offset.alias(_OFF), rule.alias(_RNG))
    verdicts = (
        distinct.select(_OFF, _RNG)
        .filter(pl.col(_OFF).is_not_null())
        .unique()
        .with_columns(_tz_verdict=_dst_verdicts(server_now, server_offset))
        .unnest("_tz_verdict")
    )
    answers = (
        _join(distinct, verdicts, [_OFF, _RNG])
        .with_columns(pl.col("gmt_offset_text").fill_null(""))
        .drop(_OFF, _RNG)
    )
    found = keys.join(answers, on=key_names, how="left", validate="m:1", nulls_equal=True, maintain_order="left")
    return pl.concat([lf, found.select("gmt_offset_now", "gmt_offset_text")], how="horizontal")


def _masked_keys(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Per lead, the look-up keys of every method, null where the method does not run (8.2, 8.3).

    The settings that switch methods on (`phone_code`, `tz_method`, `usacan_prefix_check`)
    take few distinct values in a batch, so they are judged once per distinct combination.
    """
    settings = ["phone_code", "tz_method", "usacan_prefix_check"]
    method = _ascii_upper(pl.col("tz_method"))
    judged = (
        lf.select(settings)
        .unique()
        .with_columns(
            _tz_cc=_country_key(pl.col("phone_code")),
            _tz_on_pc=method.str.contains("POSTAL", literal=True) & (pl.col("phone_code") == "1"),
            _tz_on_tz=pl.col("tz_method") == "TZCODE",
            # NOTE: spec 5.2: the prefix check overwrites the prefix with one digit.
            _tz_on_na=method.str.contains("NANPA", literal=True) & (pl.col("usacan_prefix_check") != "Y"),
        )
    )
    # NOTE: a cleaned `phone_number` holds digits and commas only (step G3): no case to fold
    area = pl.col("phone_number").str.slice(0, 3)
    prefix = pl.col("phone_number").str.slice(3, 3)
    runs_nanpa = pl.col("_tz_on_na") & (area.str.len_chars() == 3) & (prefix.str.len_chars() == 3)
    runs_tzcode = pl.col("_tz_on_tz") & (pl.col("owner").str.len_bytes() > 1)
    cc = pl.col("_tz_cc")
    judged = judged.collect()
    rows = lf.select(*settings, "phone_number", "postal_code", "owner", "state")
    if judged.height == 1:  # the usual batch: one setting for every lead
        rows = rows.with_columns(pl.lit(judged.get_column(c).item(), judged.schema[c]).alias(c)
                                 for c in judged.columns if c not in settings)
    else:
        rows = rows.join(judged.lazy(), on=settings, how="left", validate="m:1", nulls_equal=True,
                         maintain_order="left")
    return (
        rows.select(
            # PHP strlen counts bytes
            _tz_pc=pl.when(pl.col("_tz_on_pc") & (pl.col("postal_code").str.len_bytes() > 4))
            .then(pl.col("postal_code").str.to_lowercase()),
            _tz_tz=pl.when(runs_tzcode).then(_ci(pl.col("owner"))),
            _tz_cc=cc,
            _tz_na=pl.when(runs_nanpa).then(area),
            _tz_np=pl.when(runs_nanpa).then(prefix),
            _tz_da=pl.when(cc.is_in(["1", "52"])).then(area),
            _tz_ds=pl.when(cc == "61").then(_ci(pl.col("state"))),
        )
    )
