"""add_lead's phone number validation (step A7) and the NANPA data presence test (step A6)."""

from __future__ import annotations

import polars as pl

from rules._frame import flag

__all__ = ["nanpa_notice_needed", "phone_checks", "strip_nanpa_tz"]

_PHONE = pl.col("phone_number")


def _flag_on(names: list[str], column: str) -> pl.Expr:
    """True where the per-row option `column` is exactly `Y`; off when the column is absent."""
    if column not in names:
        return pl.lit(value=False)
    return (pl.col(column) == "Y").fill_null(value=False)


def _key(column: str, alias: str) -> pl.Expr:
    # Lookup keys compare as the table collation does: case- and trailing-space-insensitive.
    return pl.col(column).cast(pl.String).str.strip_chars_end(" ").str.to_lowercase().alias(alias)


def phone_checks(
    lf: pl.LazyFrame,
    *,
    phone_codes_us_areacodes: pl.LazyFrame,
    nanpa: pl.LazyFrame | None,
) -> pl.LazyFrame:
    """Reject rows whose cleaned `phone_number` fails add_lead's checks 1–4 (ingest.md 5).

    In order, each only for rows still accepted: length 6–16 characters, commas counting
    (`INVALID_PHONE_LENGTH`); with `usacan_prefix_check=Y` the 4th character must be `2`–`9`
    (`INVALID_PHONE_PREFIX`; a comma fails, as `"," < 2` does in PHP); with
    `usacan_areacode_check=Y` the first 3 characters must be an `areacode` of
    `phone_codes_us_areacodes` (country 1, whatever the lead's `phone_code`;
    `INVALID_PHONE_AREACODE`; the 10-digit rule is not enforced, 5.1); with
    `nanpa_ac_prefix_check=Y` characters 1–3 and 4–6 must be an (`areacode`, `prefix`) row of
    `nanpa` (`INVALID_PHONE_NANPA`). `nanpa=None` means the NANPA data is not loaded (5.4): check
    4 is off. Option columns that are absent count as off.

    >>> lf = pl.LazyFrame({"phone_number": ["7275551212", "12345"], "reject_reason": [None, None]},
    ...                   schema_overrides={"reject_reason": pl.String})
    >>> areacodes = pl.LazyFrame({"areacode": ["727"]})
    >>> out = phone_checks(lf, phone_codes_us_areacodes=areacodes, nanpa=None)
    >>> out.collect()["reject_reason"].to_list()
    [None, 'INVALID_PHONE_LENGTH']
    """
    names = lf.collect_schema().names()
    areacodes = (
        phone_codes_us_areacodes.select(_key("areacode", "_ph_area"))
        .unique()
        .with_columns(_ph_area_ok=pl.lit(value=True))
    )
    lf = (
        lf.pipe(flag, "INVALID_PHONE_LENGTH", ~_PHONE.str.len_chars().is_between(6, 16))
        .pipe(
            flag,
            "INVALID_PHONE_PREFIX",
            _flag_on(names, "usacan_prefix_check")
            & ~_PHONE.str.slice(3, 1).is_in(list("23456789")),
        )
        .with_columns(
            _ph_area=_PHONE.str.slice(0, 3).str.to_lowercase(),
            _ph_prefix=_PHONE.str.slice(3, 3).str.to_lowercase(),
        )
        .join(areacodes, on="_ph_area", how="left", validate="m:1", maintain_order="left")
        .pipe(
            flag,
            "INVALID_PHONE_AREACODE",
            _flag_on(names, "usacan_areacode_check") & pl.col("_ph_area_ok").is_null(),
        )
    )
    if nanpa is not None:
        pairs = (
            nanpa.select(_key("areacode", "_ph_area"), _key("prefix", "_ph_prefix"))
            .unique()
            .with_columns(_ph_nanpa_ok=pl.lit(value=True))
        )
        lf = lf.join(
            pairs, on=["_ph_area", "_ph_prefix"], how="left", validate="m:1", maintain_order="left"
        ).pipe(
            flag,
            "INVALID_PHONE_NANPA",
            _flag_on(names, "nanpa_ac_prefix_check") & pl.col("_ph_nanpa_ok").is_null(),
        )
        lf = lf.drop("_ph_nanpa_ok")
    return lf.drop("_ph_area", "_ph_prefix", "_ph_area_ok")


def nanpa_notice_needed(lf: pl.LazyFrame) -> pl.Expr:
    """True for rows that make add_lead count the NANPA table (5.4, step A6).

    That is `nanpa_ac_prefix_check` exactly `Y`, or `tz_method` containing `NANPA` in any case.
    When the table holds fewer than 10 rows those rows get the NOTICE line and
    `strip_nanpa_tz`. `lf` is only used for its column names.

    >>> lf = pl.LazyFrame({"tz_method": ["nanpa", "POSTAL", ""],
    ...                    "nanpa_ac_prefix_check": ["", "", "Y"]})
    >>> lf.select(nanpa_notice_needed(lf)).collect().to_series().to_list()
    [True, False, True]
    """
    names = lf.collect_schema().names()
    by_tz = (
        pl.col("tz_method").str.contains("(?i)NANPA").fill_null(value=False)
        if "tz_method" in names
        else pl.lit(value=False)
    )
    return (_flag_on(names, "nanpa_ac_prefix_check") | by_tz).alias("nanpa_notice")


def strip_nanpa_tz(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Turn NANPA features off, as add_lead does when its NANPA data is not loaded (5.4).

    On the rows of `nanpa_notice_needed`: the upper-case text `NANPA` is removed from
    `tz_method` (a lower-case `nanpa` stays, and still asks for the NANPA time-zone method) and
    `nanpa_ac_prefix_check` becomes `N`. Other rows are unchanged.

    >>> lf = pl.LazyFrame({"tz_method": ["POSTALNANPA", "nanpa"],
    ...                    "nanpa_ac_prefix_check": ["Y", ""]})
    >>> strip_nanpa_tz(lf).collect().rows()
    [('POSTAL', 'N'), ('nanpa', 'N')]
    """
    names = lf.collect_schema().names()
    needed = nanpa_notice_needed(lf)
    updates = []
    if "tz_method" in names:
        updates.append(
            pl.when(needed)
            .then(pl.col("tz_method").str.replace_all("NANPA", "", literal=True))
            .otherwise(pl.col("tz_method"))
            .alias("tz_method")
        )
    if "nanpa_ac_prefix_check" in names:
        updates.append(
            pl.when(needed)
            .then(pl.lit("N"))
            .otherwise(pl.col("nanpa_ac_prefix_check"))
            .alias("nanpa_ac_prefix_check")
        )
    return lf.with_columns(updates) if updates else lf
