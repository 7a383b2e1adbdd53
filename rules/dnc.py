"""add_lead's do-not-call checks: system DNC (step A9), then campaign DNC (step A10)."""

from __future__ import annotations

import polars as pl

from rules._frame import flag

__all__ = ["dnc_checks"]

_WILDCARD = "xxxxxxx"  # `NNNXXXXXXX`, lower-cased: the collation ignores case (ingest.md 7)
_SEP = "\x1f"  # joins campaign and number into one key; neither ever holds a control character


def _norm(expr: pl.Expr) -> pl.Expr:
    # DB comparisons are case- and trailing-space-insensitive (ingest.md, conventions).
    return expr.cast(pl.String).fill_null("").str.strip_chars_end(" ").str.to_lowercase()


def _option(names: list[str], column: str) -> pl.Expr:
    if column not in names:
        return pl.lit("")
    return pl.col(column).fill_null("")


def _keys(lf: pl.LazyFrame) -> pl.Series:
    """The distinct values of a one-column look-up, ready for `is_in`."""
    return lf.collect().to_series().unique().implode()


def _verdict(mode: pl.Expr, listed: pl.Expr, wild: pl.Expr) -> pl.Expr:
    """`Y`: the number is listed; `AREACODE`: the number or its area-code wildcard is listed."""
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
    # NOTE: membership tests, not joins: a join rewrites every column the batch carries
    system = _keys(system_dnc.select(_norm(pl.col("phone_number"))))
    lf = lf.with_columns(_dnc_number=phone, _dnc_wild=phone.str.slice(0, 3) + _WILDCARD)
    lf = flag(lf, "DNC_SYSTEM", _verdict(
        _option(names, "dnc_check"), pl.col("_dnc_number").is_in(system), pl.col("_dnc_wild").is_in(system),
    ))

    # The DNC campaign: `use_other_campaign_dnc` replaces the request's campaign when set.
    # vicidial_campaigns' key is unique under the collation; keep the first row per key anyway.
    other = (
        campaign_dnc_source.select(
            _norm(pl.col("campaign_id")).alias("campaign"),
            _norm(pl.col("use_other_campaign_dnc")).alias("other"),
        )
        .unique(subset="campaign", keep="first", maintain_order=True)
        .filter(pl.col("other") != "")
        .collect()
    )
    campaign = _norm(_option(names, "campaign_id"))
    if other.height:
        campaign = campaign.replace(dict(zip(other["campaign"], other["other"], strict=True)))
    listed = _keys(campaign_dnc.select(_norm(pl.col("campaign_id")) + _SEP + _norm(pl.col("phone_number"))))
    lf = lf.with_columns(_dnc_campaign=campaign + _SEP)
    lf = flag(lf, "DNC_CAMPAIGN", _verdict(
        _option(names, "campaign_dnc_check"),
        (pl.col("_dnc_campaign") + pl.col("_dnc_number")).is_in(listed),
        (pl.col("_dnc_campaign") + pl.col("_dnc_wild")).is_in(listed),
    ))
    return lf.drop("_dnc_number", "_dnc_wild", "_dnc_campaign")
