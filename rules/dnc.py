"""add_lead's do-not-call checks: system DNC (step A9), then campaign DNC (step A10)."""

from __future__ import annotations

import polars as pl

from rules._frame import RejectCode, flag

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
    # NOTE: membership tests, not joins (a join rewrites every column the batch carries), and
    # only for the modes the batch asks: its option columns hold few distinct values
    df = lf.collect()
    names = df.columns
    sys_modes, camp_modes = _modes(df, "dnc_check"), _modes(df, "campaign_dnc_check")
    if not (sys_modes | camp_modes) & {"Y", "AREACODE"}:
        return df.lazy()
    # NOTE: a cleaned `phone_number` holds digits and commas only (step G3): nothing to fold
    phone = pl.col("phone_number").fill_null("")
    df = df.with_columns(_dnc_number=phone, _dnc_wild=phone.str.slice(0, 3) + _WILDCARD)
    if sys_modes & {"Y", "AREACODE"}:
        system = _keys(system_dnc.select(_norm(pl.col("phone_number"))))
        df = _flag_now(df, "DNC_SYSTEM", _verdict(
            _option(names, "dnc_check"), pl.col("_dnc_number").is_in(system),
            pl.col("_dnc_wild").is_in(system),
        ))
    if camp_modes & {"Y", "AREACODE"}:
        df = _campaign_check(df, names, campaign_dnc, campaign_dnc_source)
    return df.drop("_dnc_number", "_dnc_wild").lazy()


def _modes(df: pl.DataFrame, column: str) -> set[str]:
    return set(df.get_column(column).fill_null("").unique().to_list()) if column in df.columns else set()


def _flag_now(df: pl.DataFrame, code: RejectCode, failed: pl.Expr) -> pl.DataFrame:
    return flag(df.lazy(), code, failed).collect()


def _campaign_check(
    df: pl.DataFrame, names: list[str], campaign_dnc: pl.LazyFrame, campaign_dnc_source: pl.LazyFrame
) -> pl.DataFrame:
    """Step A10 on a frame holding `_dnc_number` and `_dnc_wild`."""
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
    df = df.with_columns(_dnc_campaign=campaign)
    mode = _option(names, "campaign_dnc_check")
    listed = campaign_dnc.select(
        _norm(pl.col("campaign_id")).alias("campaign"), _norm(pl.col("phone_number")).alias("number")
    ).collect()
    campaigns = df.get_column("_dnc_campaign").unique()
    if campaigns.len() == 1:  # the usual batch: one DNC campaign, so the number alone is the key
        numbers = listed.filter(pl.col("campaign") == campaigns.item()).get_column("number").unique().implode()
        failed = _verdict(mode, pl.col("_dnc_number").is_in(numbers), pl.col("_dnc_wild").is_in(numbers))
    else:
        keys = listed.select(pl.col("campaign") + _SEP + pl.col("number")).to_series().unique().implode()
        prefix = pl.col("_dnc_campaign") + _SEP
        failed = _verdict(
            mode, (prefix + pl.col("_dnc_number")).is_in(keys), (prefix + pl.col("_dnc_wild")).is_in(keys)
        )
    return _flag_now(df, "DNC_CAMPAIGN", failed).drop("_dnc_campaign")
