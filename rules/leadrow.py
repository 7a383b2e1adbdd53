"""The `vicidial_list` row add_lead writes for an accepted lead (ingest.md section 10)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from rules.cleaning import mysql_date

__all__ = ["LEAD_ROW_COLUMNS", "lead_rows"]

LEAD_ROW_COLUMNS: tuple[str, ...] = (
    "lead_id", "entry_date", "status", "user", "vendor_lead_code", "source_id", "list_id",
    "gmt_offset_now", "called_since_last_reset", "phone_code", "phone_number", "title",
    "first_name", "middle_initial", "last_name", "address1", "address2", "address3", "city",
    "state", "province", "postal_code", "country_code", "gender", "date_of_birth", "alt_phone",
    "email", "security_phrase", "comments", "called_count", "last_local_call_time", "rank",
    "owner", "entry_list_id",
)
"""Every `vicidial_list` column but `modify_date`, the database's automatic stamp."""


def _int(name: str) -> pl.Expr:
    digits = pl.col(name).str.replace_all(r"\D", "")
    return pl.when(digits == "").then(pl.lit(0, pl.Int64)).otherwise(digits.cast(pl.Int64, strict=False)).fill_null(0)


def lead_rows(accepted: pl.LazyFrame, *, now: datetime, user: str) -> pl.LazyFrame:
    """Value every `vicidial_list` column as add_lead does on insert; `lead_id` must be set.

    Text is not yet cut to the column widths (the writer does that, as non-strict MySQL would).
    `rank` is clipped to SMALLINT's range like non-strict MySQL.

    >>> lf = pl.LazyFrame({"lead_id": [1], "phone_number": ["7275551212"], "list_id": ["101"],
    ...     "gmt_offset_now": [None], "callback": ["Y"], "rank": ["99999"], "date_of_birth": ["19800102"],
    ...     "entry_list_id": [""]}, schema_overrides={"gmt_offset_now": pl.Float64})
    >>> row = lead_rows(lf, now=datetime(2026, 11, 23, 10, 18, 30), user="6666").collect().row(0, named=True)
    >>> row["status"], row["gmt_offset_now"], row["rank"], row["date_of_birth"], row["entry_date"]
    ('CBHOLD', 0.0, 32767, '1980-01-02', '2026-11-23 10:18:30')
    """
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    names = accepted.collect_schema().names()
    text = [
        c for c in LEAD_ROW_COLUMNS
        if c not in ("lead_id", "entry_date", "status", "user", "list_id", "gmt_offset_now",
                     "called_since_last_reset", "called_count", "last_local_call_time", "rank",
                     "entry_list_id", "date_of_birth")
    ]
    callback = pl.col("callback") == "Y" if "callback" in names else pl.lit(value=False)
    dob = mysql_date(pl.col("date_of_birth")) if "date_of_birth" in names else pl.lit("0000-00-00")
    return accepted.select(
        pl.col("lead_id").cast(pl.Int64),
        pl.lit(stamp).alias("entry_date"),
        pl.when(callback).then(pl.lit("CBHOLD")).otherwise(pl.lit("NEW")).alias("status"),
        pl.lit(user).alias("user"),
        *[(pl.col(c) if c in names else pl.lit("")).cast(pl.String).fill_null("").alias(c) for c in text if c not in ("gender",)],
        (pl.col("gender") if "gender" in names else pl.lit("U")).alias("gender"),
        _int("list_id").alias("list_id"),
        pl.col("gmt_offset_now").cast(pl.Float64).fill_null(0.0).round(2).alias("gmt_offset_now"),
        pl.lit("N").alias("called_since_last_reset"),
        dob.alias("date_of_birth"),
        pl.lit(0, pl.Int64).alias("called_count"),
        pl.lit(stamp).alias("last_local_call_time"),
        (_int("rank").clip(-32768, 32767) if "rank" in names else pl.lit(0, pl.Int64)).alias("rank"),
        (_int("entry_list_id") if "entry_list_id" in names else pl.lit(0, pl.Int64)).alias("entry_list_id"),
    ).select(LEAD_ROW_COLUMNS)
