"""Hopper rows of accepted leads (add_lead step A17) and their NOTICE lines.

Spec: `shared/spec/ingest.md` section 13, `schema.md` sections 3, 6, 7, 14, 15.

The `hopper_id` of an `ADDED TO HOPPER` line exists only after the insert, so `hopper_rows`
returns that line with the literal placeholder `{hopper_id}` (`HOPPER_ID`; phone numbers and
user names can never contain braces) and `hopper_added` = true. After inserting the rows the
writer calls `hopper_added_notice(notices, hopper_ids)`, which puts each lead's id in place, or
turns the line into add_lead's `NOT ADDED TO HOPPER - {phone}|{lead_id}|{reason}|{user}` for a
lead whose insert failed.

Every lead of a batch is judged at the one `utc_now` the runner passes (bulk-equivalence rule 2
of the spec: results can differ from one-at-a-time requests at a call-time window edge).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

__all__ = ["HOPPER_ID", "ROW_COLUMNS", "hopper_added_notice", "hopper_rows"]

HOPPER_ID = "{hopper_id}"
"""Placeholder for the auto-increment id in a not yet inserted lead's `ADDED TO HOPPER` line."""

ROW_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "campaign_id",
    "status",
    "user",
    "list_id",
    "gmt_offset_now",
    "state",
    "alt_dial",
    "priority",
    "source",
    "vendor_lead_code",
)
"""`vicidial_hopper` columns written (all but the auto-increment `hopper_id`)."""

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOW = ("default", *_DAYS)
_INPUTS = (
    "phone_number",
    "list_id",
    "state",
    "vendor_lead_code",
    "add_to_hopper",
    "hopper_priority",
    "hopper_local_call_time_check",
    "gmt_offset_text",
)


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("")


def _key(expr: pl.Expr) -> pl.Expr:
    # Lookups happen in the database: case-insensitive, trailing spaces ignored.
    return expr.cast(pl.String).fill_null("").str.to_lowercase().str.strip_chars_end(" ")


def _hhmm(expr: pl.Expr) -> pl.Expr:
    # SMALLINT columns; NULL reads as 0 in VICIdial's PHP comparisons.
    return expr.cast(pl.Int64, strict=False).fill_null(0)


def _times(frame: pl.DataFrame, prefix: str, out: str) -> list[pl.Expr]:
    exprs = []
    for window in _WINDOW:
        for edge in ("start", "stop"):
            name = f"{prefix}_{window}_{edge}"
            col = _hhmm(pl.col(name)) if name in frame.columns else pl.lit(0, dtype=pl.Int64)
            exprs.append(col.alias(f"{out}{window}_{edge}"))
    return exprs


def _campaign_and_call_time(
    hop: pl.DataFrame, lists: pl.DataFrame, campaigns: pl.DataFrame
) -> pl.DataFrame:
    """Spec 13.1: the list's campaign, and its call time unless the list overrides it."""
    list_info = lists.select(
        pl.col("list_id").cast(pl.Int64, strict=False).alias("_list"),
        _key(pl.col("campaign_id")).alias("_camp_key"),
        _text("local_call_time").alias("_list_ct"),
    ).unique(subset="_list", keep="first", maintain_order=True)
    camp_info = campaigns.select(
        _key(pl.col("campaign_id")).alias("_camp_key"),
        _text("campaign_id").alias("_campaign"),
        _text("local_call_time").alias("_camp_ct"),
    ).unique(subset="_camp_key", keep="first", maintain_order=True)
    list_ct = pl.col("_list_ct")
    override = (list_ct != "") & (list_ct.str.to_lowercase() != "campaign")
    return (
        hop.join(list_info, on="_list", how="left", validate="m:1")
        .join(camp_info, on="_camp_key", how="left", validate="m:1")
        .with_columns(
            _campaign=pl.col("_campaign").fill_null(""),
            _call_time=pl.when(pl.col("_campaign").is_null())
            .then(pl.lit(""))
            .when(override)
            .then(list_ct)
            .otherwise(pl.col("_camp_ct")),
        )
        .drop("_camp_key", "_list_ct", "_camp_ct")
    )


def _state_rules(call_times: pl.DataFrame, state_call_times: pl.DataFrame) -> pl.DataFrame:
    """(call time, state) → the first listed `vicidial_state_call_times` row's 16 windows."""
    needed = ("state_call_time_id", "state_call_time_state")
    state_call_times = state_call_times.with_columns(
        [
            pl.lit(None, dtype=pl.String).alias(n)
            for n in needed
            if n not in state_call_times.columns
        ]
    )
    if "ct_state_call_times" not in call_times.columns:
        call_times = call_times.with_columns(ct_state_call_times=pl.lit(None, dtype=pl.String))
    sct = state_call_times.with_row_index("_sct_order").select(
        "_sct_order",
        _key(pl.col("state_call_time_id")).alias("_sct_key"),
        _key(pl.col("state_call_time_state")).alias("_state_key"),
        *_times(state_call_times, "sct", "_s_"),
    )
    listed = (
        call_times.select(
            _key(pl.col("call_time_id")).alias("_ct_key"),
            _text("ct_state_call_times").alias("_ids"),
        )
        .filter(pl.col("_ids").str.len_chars() > 2)
        .with_columns(_sct_key=pl.col("_ids").str.split("|"))
        .explode("_sct_key")
        .with_columns(_sct_key=_key(pl.col("_sct_key")))
        .filter(pl.col("_sct_key") != "")
        .select("_ct_key", "_sct_key")
        .unique()
    )
    return (
        listed.join(sct, on="_sct_key", how="inner")
        .sort("_sct_order")  # "first row": the table's natural (load) order
        .unique(subset=["_ct_key", "_state_key"], keep="first", maintain_order=True)
        .drop("_sct_key", "_sct_order")
    )


def _dialable(
    hop: pl.DataFrame,
    call_times: pl.DataFrame,
    state_call_times: pl.DataFrame,
    utc_now: datetime,
) -> pl.DataFrame:
    """Spec 13.2: add `_dialable` (only consulted when the check is on)."""
    if "ct_state_call_times" not in call_times.columns:
        call_times = call_times.with_columns(ct_state_call_times=pl.lit(None, dtype=pl.String))
    ct = call_times.select(
        _key(pl.col("call_time_id")).alias("_ct_key"),
        pl.lit(value=True).alias("_ct_found"),
        _text("ct_state_call_times").alias("_ct_states"),
        *_times(call_times, "ct", "_c_"),
    ).unique(subset="_ct_key", keep="first", maintain_order=True)
    offset_seconds = (pl.col("gmt_offset_now").cast(pl.Float64).fill_null(0.0) * 3600).round(0)
    local = pl.lit(utc_now) + pl.duration(seconds=offset_seconds.cast(pl.Int64))
    frame = (
        hop.with_columns(_ct_key=_key(pl.col("_call_time")), _state_key=_key(pl.col("state")))
        .join(ct, on="_ct_key", how="left", validate="m:1")
        .join(
            _state_rules(call_times, state_call_times),
            on=["_ct_key", "_state_key"],
            how="left",
            validate="m:1",
        )
        .with_columns(_local=local)
    )
    use_state = (
        (pl.col("_ct_states").fill_null("").str.len_chars() > 2)
        & (_text("state") != "")
        & pl.col("_s_default_start").is_not_null()
    )
    picked = {
        f"{window}_{edge}": pl.when(use_state)
        .then(pl.col(f"_s_{window}_{edge}"))
        .otherwise(pl.col(f"_c_{window}_{edge}"))
        for window in _WINDOW
        for edge in ("start", "stop")
    }
    weekday = pl.col("_local").dt.weekday()  # Monday = 1 … Sunday = 7

    def day(edge: str) -> pl.Expr:
        expr = pl.lit(0, dtype=pl.Int64)
        for number, name in enumerate(_DAYS, start=1):
            expr = pl.when(weekday == number).then(picked[f"{name}_{edge}"]).otherwise(expr)
        return expr

    frame = frame.with_columns(_day_start=day("start"), _day_stop=day("stop"))
    both_zero = (pl.col("_day_start") == 0) & (pl.col("_day_stop") == 0)
    start = pl.when(both_zero).then(picked["default_start"]).otherwise(pl.col("_day_start"))
    stop = pl.when(both_zero).then(picked["default_stop"]).otherwise(pl.col("_day_stop"))
    hour = pl.col("_local").dt.hour().cast(pl.Int64)
    hhmm = hour * 100 + pl.col("_local").dt.minute().cast(pl.Int64)
    in_window = (start <= hhmm) & (hhmm < stop)
    frame = frame.with_columns(
        _dialable=pl.col("_ct_found").fill_null(value=False) & in_window.fill_null(value=False)
    )
    return frame.select(
        pl.exclude(
            r"^_(c|s)_.*$",
            "_ct_key",
            "_state_key",
            "_ct_found",
            "_ct_states",
            "_local",
            "_day_start",
            "_day_stop",
        )
    )


def hopper_rows(
    leads: pl.DataFrame,
    *,
    lists: pl.DataFrame,
    campaigns: pl.DataFrame,
    call_times: pl.DataFrame,
    state_call_times: pl.DataFrame,
    utc_now: datetime,
    user: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build the `vicidial_hopper` rows and hopper NOTICEs of leads with `add_to_hopper` = `Y`.

    Args:
        leads: accepted leads (`lead_id`, `source_row`, cleaned fields, `gmt_offset_now` Float64,
            `gmt_offset_text`).
        lists: `vicidial_lists` (`list_id`, `campaign_id`, `local_call_time`).
        campaigns: `vicidial_campaigns` (`campaign_id`, `local_call_time`).
        call_times: `vicidial_call_times` (`call_time_id`, `ct_*_start`/`_stop`,
            `ct_state_call_times`).
        state_call_times: `vicidial_state_call_times` in the table's natural order.
        utc_now: naive UTC time the leads are judged at.
        user: the API user name of the NOTICE lines.

    Returns:
        `rows` (`ROW_COLUMNS` plus `source_row`) and `notices` (`source_row`, `lead_id`,
        `hopper_notice`, `hopper_added`); both sorted by `source_row`.

    >>> leads = pl.DataFrame({"lead_id": [7], "source_row": [1], "phone_number": ["7275551212"],
    ...     "list_id": ["101"], "add_to_hopper": ["Y"], "hopper_priority": ["5"],
    ...     "gmt_offset_now": [-5.0], "gmt_offset_text": ["-5.00"]})
    >>> lists = pl.DataFrame({"list_id": [101], "campaign_id": ["TESTCAMP"],
    ...     "local_call_time": ["campaign"]})
    >>> camps = pl.DataFrame({"campaign_id": ["TESTCAMP"], "local_call_time": ["24hours"]})
    >>> rows, notices = hopper_rows(leads, lists=lists, campaigns=camps, call_times=pl.DataFrame(),
    ...     state_call_times=pl.DataFrame(), utc_now=datetime(2026, 11, 23, 15), user="6666")
    >>> rows["campaign_id"][0], rows["priority"][0], notices["hopper_notice"][0]
    ('TESTCAMP', 5, 'NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|{hopper_id}|6666')
    """
    missing = [pl.lit("").alias(n) for n in _INPUTS if n not in leads.columns]
    hop = (
        leads.with_columns(missing)
        .filter(_text("add_to_hopper") == "Y")
        .with_columns(_list=pl.col("list_id").cast(pl.Int64, strict=False))
    )
    if "gmt_offset_now" not in hop.columns:
        hop = hop.with_columns(gmt_offset_now=pl.lit(None, dtype=pl.Float64))
    hop = _campaign_and_call_time(hop, lists, campaigns)
    check = _text("hopper_local_call_time_check") == "Y"
    if hop.height and "call_time_id" in call_times.columns:
        hop = _dialable(hop, call_times, state_call_times, utc_now)
    else:
        hop = hop.with_columns(_dialable=pl.lit(value=False))
    hop = hop.with_columns(_added=~check | pl.col("_dialable")).sort("source_row")
    lead = pl.col("lead_id").cast(pl.String)
    phone = _text("phone_number")
    notice = (
        pl.when(pl.col("_added"))
        .then(
            pl.concat_str(
                pl.lit("NOTICE: add_lead ADDED TO HOPPER - "),
                phone,
                pl.lit("|"),
                lead,
                pl.lit("|" + HOPPER_ID + "|" + user),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("NOTICE: add_lead NOT ADDED TO HOPPER, OUTSIDE OF LOCAL TIME - "),
                phone,
                pl.lit("|"),
                lead,
                pl.lit("|"),
                _text("gmt_offset_text"),
                pl.lit("|0|" + user),
            )
        )
    )
    notices = hop.select(
        "source_row",
        "lead_id",
        notice.alias("hopper_notice"),
        pl.col("_added").alias("hopper_added"),
    )
    rows = hop.filter(pl.col("_added")).select(
        pl.col("lead_id"),
        pl.col("_campaign").str.slice(0, 8).alias("campaign_id"),
        pl.lit("READY").alias("status"),
        pl.lit("").alias("user"),
        pl.col("_list").alias("list_id"),
        pl.col("gmt_offset_now").cast(pl.Float64).fill_null(0.0).round(2).alias("gmt_offset_now"),
        _text("state").str.slice(0, 2).alias("state"),
        pl.lit("NONE").alias("alt_dial"),
        pl.col("hopper_priority")
        .cast(pl.String)
        .str.strip_chars()
        .cast(pl.Int64, strict=False)
        .fill_null(0)
        .clip(-99, 99)
        .alias("priority"),
        pl.lit("P").alias("source"),
        _text("vendor_lead_code").str.slice(0, 20).alias("vendor_lead_code"),
        pl.col("source_row"),
    )
    return rows, notices


def hopper_added_notice(
    notices: pl.DataFrame, hopper_ids: pl.DataFrame, *, failure: str = "hopper insert failed"
) -> pl.DataFrame:
    """Put each inserted lead's `hopper_id` into its `ADDED TO HOPPER` line.

    `hopper_ids` has `lead_id` and `hopper_id` (null or absent: the insert failed, and the line
    becomes `NOTICE: add_lead NOT ADDED TO HOPPER - {phone}|{lead_id}|{failure}|{user}`).

    >>> notices = pl.DataFrame({"source_row": [1], "lead_id": [7], "hopper_added": [True],
    ...     "hopper_notice": ["NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|{hopper_id}|6666"]})
    >>> ids = pl.DataFrame({"lead_id": [7], "hopper_id": [31]})
    >>> hopper_added_notice(notices, ids)["hopper_notice"][0]
    'NOTICE: add_lead ADDED TO HOPPER - 7275551212|7|31|6666'
    """
    ids = hopper_ids.select(
        pl.col("lead_id").cast(notices.schema["lead_id"]),
        pl.col("hopper_id").cast(pl.String).alias("_hopper_id"),
    ).unique(subset="lead_id", keep="first", maintain_order=True)
    text = pl.col("hopper_notice")
    filled = (
        pl.when(~pl.col("hopper_added"))
        .then(text)
        .when(pl.col("_hopper_id").is_not_null())
        .then(text.str.replace(HOPPER_ID, pl.col("_hopper_id"), literal=True))
        .otherwise(
            text.str.replace("ADDED TO HOPPER", "NOT ADDED TO HOPPER", literal=True).str.replace(
                HOPPER_ID, failure, literal=True
            )
        )
    )
    return (
        notices.join(ids, on="lead_id", how="left", validate="m:1", maintain_order="left")
        .with_columns(filled.alias("hopper_notice"))
        .drop("_hopper_id")
    )
