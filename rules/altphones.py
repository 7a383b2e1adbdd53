"""Alternate-phone rows of accepted leads (`multi_alt_phones`, add_lead step A15).

Spec: `shared/spec/ingest.md` section 11, `schema.md` section 2.
"""

from __future__ import annotations

import polars as pl

__all__ = ["ROW_COLUMNS", "alt_phone_rows"]

ROW_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "phone_code",
    "phone_number",
    "alt_phone_note",
    "alt_phone_count",
    "active",
)
"""`vicidial_list_alt_phones` columns written (all but the auto-increment `alt_phone_id`)."""


def alt_phone_rows(leads: pl.DataFrame, *, user: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split each lead's `multi_alt_phones` into `vicidial_list_alt_phones` rows and its NOTICE.

    Only values longer than 5 characters (bytes, as PHP's `strlen`) are used. Entries are split
    on `!`, then on `_` into number, phone code (empty → `1`) and note; every entry, even an empty
    one, is a row numbered from 1. Number, code and note are cut to their column widths
    (18, 10, 30) as non-strict MySQL does.

    The response text glues, for every entry, `{number}|{code as given}|{note}` (uncut, no
    separator) in front of `NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED -
    {rows}|{lead_id}|{user}`, exactly as add_lead prints it.

    Returns:
        `rows` (`ROW_COLUMNS` plus `source_row`, sorted by `source_row`, `alt_phone_count`) and
        `notices` (`source_row`, `lead_id`, `alt_notice`), one per lead with alternate phones.

    >>> leads = pl.DataFrame({"lead_id": [5], "source_row": [1],
    ...     "multi_alt_phones": ["7275551212_1_work!"]})
    >>> rows, notices = alt_phone_rows(leads, user="6666")
    >>> rows["alt_phone_count"].to_list(), notices["alt_notice"][0]
    ([1, 2], '7275551212|1|work||NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - 2|5|6666')
    """
    if "multi_alt_phones" not in leads.columns:
        leads = leads.with_columns(multi_alt_phones=pl.lit(""))
    text = pl.col("multi_alt_phones").cast(pl.String).fill_null("")
    entries = (
        leads.filter(text.str.len_bytes() > 5)
        .select("source_row", "lead_id", text.str.split("!").alias("_entry"))
        .with_columns(_count=pl.int_ranges(1, pl.col("_entry").list.len() + 1))
        .explode("_entry", "_count")
        .with_columns(_parts=pl.col("_entry").str.split("_"))
        .with_columns(
            _number=pl.col("_parts").list.get(0, null_on_oob=True).fill_null(""),
            _code=pl.col("_parts").list.get(1, null_on_oob=True).fill_null(""),
            _note=pl.col("_parts").list.get(2, null_on_oob=True).fill_null(""),
        )
        .sort("source_row", "_count")
    )
    rows = entries.select(
        pl.col("lead_id"),
        pl.when(pl.col("_code") == "")
        .then(pl.lit("1"))
        .otherwise(pl.col("_code"))
        .str.slice(0, 10)
        .alias("phone_code"),
        pl.col("_number").str.slice(0, 18).alias("phone_number"),
        pl.col("_note").str.slice(0, 30).alias("alt_phone_note"),
        pl.col("_count").alias("alt_phone_count"),
        pl.lit("Y").alias("active"),
        pl.col("source_row"),
    )
    fragment = pl.concat_str(pl.col("_number"), pl.col("_code"), pl.col("_note"), separator="|")
    notices = (
        entries.group_by("source_row", "lead_id", maintain_order=True)
        .agg(fragment.str.join("").alias("_fragments"), pl.len().alias("_rows"))
        .select(
            "source_row",
            "lead_id",
            pl.concat_str(
                pl.col("_fragments"),
                pl.lit("NOTICE: add_lead MULTI-ALT-PHONE NUMBERS LOADED - "),
                pl.col("_rows").cast(pl.String),
                pl.lit("|"),
                pl.col("lead_id").cast(pl.String),
                pl.lit("|" + user),
            ).alias("alt_notice"),
        )
    )
    return rows, notices
