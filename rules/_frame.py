"""The shared contract of every rule: the `reject_reason` column and the `flag` helper."""

from __future__ import annotations

from typing import Literal, get_args

import polars as pl

REJECT = "reject_reason"
"""Name of the verdict column: null while a row is accepted, else a `RejectCode`."""

RejectCode = Literal[
    "INVALID_SOURCE",
    "NO_FUNCTION_PERMISSION",
    "NO_ADD_PERMISSION",
    "USER_GROUP_MISSING",
    "LIST_NOT_ALLOWED",
    "LIST_NOT_DEFINED",
    "INVALID_PHONE_LENGTH",
    "INVALID_PHONE_PREFIX",
    "INVALID_PHONE_AREACODE",
    "INVALID_PHONE_NANPA",
    "DNC_SYSTEM",
    "DNC_CAMPAIGN",
    "DUPLICATE_PHONE_LIST",
    "DUPLICATE_PHONE_CAMPAIGN",
    "DUPLICATE_PHONE_SYSTEM",
    "DUPLICATE_PHONEALT_LIST",
    "DUPLICATE_PHONEALT_CAMPAIGN",
    "DUPLICATE_PHONEALT_SYSTEM",
    "DUPLICATE_TITLE_ALTPHONE_LIST",
    "DUPLICATE_TITLE_ALTPHONE_CAMPAIGN",
    "DUPLICATE_TITLE_ALTPHONE_SYSTEM",
    "DUPLICATE_NAME_PHONE_LIST",
    "DUPLICATE_NAME_PHONE_CAMPAIGN",
    "DUPLICATE_NAME_PHONE_SYSTEM",
    "CAMPAIGN_LISTS_UNDEFINED",
    "LEAD_NOT_ADDED",
    "MALFORMED_ROW",
]
"""One code per add_lead ERROR outcome (plus leadpipe's own `CAMPAIGN_LISTS_UNDEFINED` and
`MALFORMED_ROW`); tabled in the README."""

REJECT_CODES: tuple[str, ...] = get_args(RejectCode)


def with_reject_column(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Add an all-null `reject_reason` column when the frame has none yet.

    >>> with_reject_column(pl.LazyFrame({"a": [1]})).collect()["reject_reason"].to_list()
    [None]
    """
    if REJECT in lf.collect_schema().names():
        return lf
    return lf.with_columns(pl.lit(None, dtype=pl.String).alias(REJECT))


def flag(lf: pl.LazyFrame, code: RejectCode, failed: pl.Expr) -> pl.LazyFrame:
    """Set `reject_reason` to `code` where `failed` holds and no earlier rule fired.

    A null `failed` counts as a failure: unknown never passes as "not invalid".

    >>> lf = pl.LazyFrame({"x": [1, 2, None], REJECT: [None, None, None]}, schema_overrides={REJECT: pl.String})
    >>> flag(lf, "DNC_SYSTEM", pl.col("x") > 1).collect()[REJECT].to_list()
    [None, 'DNC_SYSTEM', 'DNC_SYSTEM']
    """
    first = pl.col(REJECT).is_null() & failed.fill_null(value=True)
    return lf.with_columns(
        pl.when(first).then(pl.lit(code)).otherwise(pl.col(REJECT)).alias(REJECT)
    )


def pending() -> pl.Expr:
    """True for rows no rule has rejected yet."""
    return pl.col(REJECT).is_null()
