"""add_lead's do-not-call checks: system DNC (step A9), then campaign DNC (step A10)."""

from __future__ import annotations

import polars as pl

from rules._frame import flag

__all__ = ["dnc_checks"]

_WILDCARD = "xxxxxxx"  # `NNNXXXXXXX`, lower-cased: the collation ignores case (ingest.md 7)


def _norm(expr: pl.Expr) -> pl.Expr:
    # DB comparisons are case- and trailing-space-insensitive (ingest.md, conventions).
    return expr.cast(pl.String).fill_null("").str.strip_chars_end(" ").str.to_lowercase()


def _option(names: list[str], column: str) -> pl.Expr:
    if column not in names:
        return pl.lit("")
    return pl.col(column).fill_null("")


def _hits(lf: pl.LazyFrame, keys: pl.LazyFrame, on: list[str], hit: str) -> pl.LazyFrame:
    return lf.join(
        keys.unique().with_columns(pl.lit(value=True).alias(hit)),
        on=on, how="left", validate="m:1", maintain_order="left",
    ).with_columns(pl.col(hit).fill_null(value=False))


def _verdict(mode: pl.Expr, number: str, wildcard: str) -> pl.Expr:
    """`Y`: the number is listed; `AREACODE`: the number or its area-code wildcard is listed."""
    listed, wild = pl.col(number), pl.col(wildcard)
    return (mode == "Y") & listed | (mode == "AREACODE") & (listed | wild)


def dnc_checks(
    lf: pl.LazyFrame,
    *,
    system_dnc: pl.LazyFrame,
    campaign_dnc: pl.LazyFrame,
    campaign_dnc_source: pl.LazyFrame,
) -> pl.LazyFrame:
    """Reject rows whose phone number is on the system or the campaign do-not-call list (7).

    `dnc_check=Y` looks `phone_number` up in `system_dnc` (`phone_number`); `AREACODE` also
    accepts the wildcard `NNNXXXXXXX` (the first 3 characters then seven `X`, any case) →
    `DNC_SYSTEM`. Then `campaign_dnc_check` (`Y` / `AREACODE`, same matching) looks in
    `campaign_dnc` (`phone_number`, `campaign_id`) under the DNC campaign: the request's
    `campaign_id`, replaced by its `use_other_campaign_dnc` from `campaign_dnc_source`
    (`campaign_id`, `use_other_campaign_dnc`) when that is not empty → `DNC_CAMPAIGN`.
    Values compare case- and trailing-space-insensitively, as the MySQL collation does;
    `phone_code` plays no part. Absent option columns count as off, an absent `campaign_id`
    as `''`.

    >>> lf = pl.LazyFrame({"phone_number": ["7275551212", "7275550000"],
    ...                    "dnc_check": ["Y", "AREACODE"], "reject_reason": [None, None]},
    ...                   schema_overrides={"reject_reason": pl.String})
    >>> none = pl.LazyFrame(schema=dict.fromkeys(
    ...     ["phone_number", "campaign_id", "use_other_campaign_dnc"], pl.String))
    >>> system = pl.LazyFrame({"phone_number": ["727XXXXXXX"]})
    >>> out = dnc_checks(lf, system_dnc=system, campaign_dnc=none, campaign_dnc_source=none)
    >>> out.collect()["reject_reason"].to_list()
    [None, 'DNC_SYSTEM']
    """
    names = lf.collect_schema().names()
    phone = _norm(pl.col("phone_number"))
    lf = lf.with_columns(
        _dnc_number=phone,
        _dnc_wild=phone.str.slice(0, 3) + _WILDCARD,
        _dnc_campaign=_norm(_option(names, "campaign_id")),
    )

    system = system_dnc.select(_norm(pl.col("phone_number")).alias("_dnc_key"))
    lf = (
        lf.pipe(_hits, system.rename({"_dnc_key": "_dnc_number"}), ["_dnc_number"], "_dnc_sys_n")
        .pipe(_hits, system.rename({"_dnc_key": "_dnc_wild"}), ["_dnc_wild"], "_dnc_sys_w")
        .pipe(
            flag, "DNC_SYSTEM", _verdict(_option(names, "dnc_check"), "_dnc_sys_n", "_dnc_sys_w")
        )
    )

    # The DNC campaign: `use_other_campaign_dnc` replaces the request's campaign when set.
    # vicidial_campaigns' key is unique under the collation; keep the first row per key anyway.
    source = (
        campaign_dnc_source.select(
            _norm(pl.col("campaign_id")).alias("_dnc_campaign"),
            _norm(pl.col("use_other_campaign_dnc")).alias("_dnc_other"),
        )
        .unique(subset="_dnc_campaign", keep="first", maintain_order=True)
    )
    lf = (
        lf.join(source, on="_dnc_campaign", how="left", validate="m:1", maintain_order="left")
        .with_columns(
            _dnc_campaign=pl.when(pl.col("_dnc_other").fill_null("") != "")
            .then(pl.col("_dnc_other"))
            .otherwise(pl.col("_dnc_campaign"))
        )
    )
    listed = campaign_dnc.select(
        _norm(pl.col("campaign_id")).alias("_dnc_campaign"),
        _norm(pl.col("phone_number")).alias("_dnc_key"),
    )
    lf = (
        lf.pipe(
            _hits, listed.rename({"_dnc_key": "_dnc_number"}),
            ["_dnc_campaign", "_dnc_number"], "_dnc_camp_n",
        )
        .pipe(
            _hits, listed.rename({"_dnc_key": "_dnc_wild"}),
            ["_dnc_campaign", "_dnc_wild"], "_dnc_camp_w",
        )
        .pipe(
            flag,
            "DNC_CAMPAIGN",
            _verdict(_option(names, "campaign_dnc_check"), "_dnc_camp_n", "_dnc_camp_w"),
        )
    )
    return lf.drop(
        "_dnc_number", "_dnc_wild", "_dnc_campaign", "_dnc_other",
        "_dnc_sys_n", "_dnc_sys_w", "_dnc_camp_n", "_dnc_camp_w",
    )
