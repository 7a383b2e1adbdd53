"""add_lead's validation stage in its order (ingest.md section 2), as one chain of batch rules.

`prepare` cleans and defaults a batch (steps G3, G4, A0, A5); `screen` runs steps A1–A10 and
A12 and leaves one verdict per row in `reject_reason` plus the computed columns the writers need
(`gmt_offset_now`, `gmt_offset_text`, `nanpa_notice`); `check_duplicates` runs step A11, which
the runner calls while it holds the write lock of `vicidial_list`, so no other writer can add a
duplicate between the check and the insert. A12 never rejects, so computing it before A11 gives
the same verdicts. Every look-up arrives as a frame in `Lookups`, loaded by the runner with one
query per table per batch.

Time is frozen per batch: `server_now` is read once by the runner for the whole batch, so every
lead of a batch is judged at the same instant (ingest.md 1.2 asks that this be said: results
may differ from one-by-one calls only for leads whose calls would straddle a DST switch, a
call-time edge or a duplicate-window boundary during the batch).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from rules._frame import REJECT, RejectCode, flag, with_reject_column
from rules.cleaning import apply_defaults, clean
from rules.dnc import dnc_checks
from rules.duplicates import duplicates
from rules.phone import nanpa_notice_needed, phone_checks, strip_nanpa_tz
from rules.timezone import gmt_offset, lookup_state

__all__ = ["Actor", "Lookups", "check_duplicates", "prepare", "screen"]

NANPA_MIN_ROWS = 10
"""ingest.md 5.4: the NANPA table counts as loaded from 10 rows on."""


@dataclass(frozen=True)
class Actor:
    """The VICIdial user a load acts for, as add_lead's steps G6–A4 judged it."""

    user: str
    user_group: str = ""
    failure: RejectCode | None = None
    """`USER_GROUP_MISSING`, `NO_FUNCTION_PERMISSION` or `NO_ADD_PERMISSION`: every row fails."""
    allowed_lists: frozenset[int] | None = None
    """The lists an `api_list_restrict` user may load into; None when unrestricted."""


@dataclass(frozen=True)
class Lookups:
    """Everything the rules read from the database for one batch."""

    phone_codes: pl.LazyFrame
    postal_codes: pl.LazyFrame
    nanpa: pl.LazyFrame | None
    nanpa_count: int
    system_dnc: pl.LazyFrame
    campaign_dnc: pl.LazyFrame
    campaign_dnc_source: pl.LazyFrame
    defined_lists: frozenset[int]


def prepare(lf: pl.LazyFrame, *, use_non_latin: bool = False, cleaned: Collection[str] = ()) -> pl.LazyFrame:
    """Clean every add_lead parameter and apply its defaults (steps G3, G4, A0, A5).

    `cleaned` names columns that hold values cleaned already (see `rules.cleaning.clean`).
    """
    return lf.pipe(clean, use_non_latin=use_non_latin, skip=cleaned).pipe(apply_defaults)


def _raw_list_number() -> pl.Expr:
    # the raw id compared numerically, as MySQL compares '' with a BIGINT column (0)
    raw = pl.col("list_id_raw")
    return pl.when(raw == "").then(pl.lit(0, pl.Int64)).otherwise(raw.cast(pl.Int64, strict=False))


_SCREEN_COLUMNS = (
    "source_row", REJECT, "source", "list_id", "list_id_raw", "list_exists_check", "phone_number",
    "phone_code", "usacan_prefix_check", "usacan_areacode_check", "nanpa_ac_prefix_check",
    "tz_method", "lookup_state", "state", "postal_code", "owner", "dnc_check",
    "campaign_dnc_check", "campaign_id", "gmt_offset_now",
)
"""The columns steps A1–A12 read or write; the others ride along untouched."""

_DUPLICATE_COLUMNS = (
    "source_row", REJECT, "phone_number", "list_id", "title", "alt_phone", "first_name",
    "last_name", "duplicate_check",
)


def _narrow(lf: pl.LazyFrame, columns: tuple[str, ...], rule: Callable[[pl.LazyFrame], pl.LazyFrame]) -> pl.LazyFrame:
    """Run `rule` on the columns it needs only, then put the other columns back beside them.

    NOTE: every join in a rule rewrites every column it carries; a lead batch has ~60 text
    columns of which the checks read ~20, so narrowing first keeps the joins light. The rules
    keep the row order, so the untouched columns are stacked back without a join (a join of
    ~40 text columns on `source_row` cost as much as the checks); a rule that reordered its
    rows falls back to the join.
    """
    df = lf.collect()
    keep = [c for c in columns if c in df.columns]
    checked = rule(df.lazy().select(keep)).collect()
    rest = df.select([c for c in df.columns if c not in checked.columns])
    if checked.height == df.height and checked.get_column("source_row").equals(df.get_column("source_row")):
        return pl.concat([checked, rest], how="horizontal").lazy()
    rest = rest.with_columns(df.get_column("source_row"))
    return checked.lazy().join(rest.lazy(), on="source_row", how="left", validate="1:1", maintain_order="left")


def screen(
    lf: pl.LazyFrame,
    *,
    lookups: Lookups,
    actor: Actor,
    server_now: datetime,
    server_offset: float,
) -> pl.LazyFrame:
    """Run add_lead's checks A1–A10 and A12 over a prepared batch; the first failing check wins."""
    return _narrow(
        with_reject_column(lf), _SCREEN_COLUMNS,
        lambda narrow: _screen(narrow, lookups=lookups, actor=actor, server_now=server_now,
                               server_offset=server_offset),
    )


def _screen(
    lf: pl.LazyFrame,
    *,
    lookups: Lookups,
    actor: Actor,
    server_now: datetime,
    server_offset: float,
) -> pl.LazyFrame:
    lf = with_reject_column(lf)
    if actor.failure == "USER_GROUP_MISSING":  # step G7 precedes every lead check
        lf = flag(lf, "USER_GROUP_MISSING", pl.lit(value=True))
    lf = flag(lf, "INVALID_SOURCE", pl.col("source").str.len_chars() < 2)  # A1
    if actor.failure in ("NO_FUNCTION_PERMISSION", "NO_ADD_PERMISSION"):  # A2, A3
        lf = flag(lf, actor.failure, pl.lit(value=True))
    if actor.allowed_lists is not None:  # A4
        allowed = pl.Series(sorted(actor.allowed_lists), dtype=pl.Int64).implode()
        lf = flag(lf, "LIST_NOT_ALLOWED", ~_raw_list_number().is_in(allowed))
    exists_on = pl.col("list_exists_check").str.contains("[Yy]")  # A4a
    defined = pl.Series(sorted(lookups.defined_lists), dtype=pl.Int64).implode()
    lf = flag(lf, "LIST_NOT_DEFINED", exists_on & ~_raw_list_number().is_in(defined).fill_null(value=False))
    # A6: without NANPA data the rows asking for it get the NOTICE and lose the NANPA options
    nanpa_loaded = lookups.nanpa_count >= NANPA_MIN_ROWS
    lf = lf.with_columns(nanpa_notice=pl.lit(value=False) if nanpa_loaded else nanpa_notice_needed(lf))
    nanpa = lookups.nanpa if nanpa_loaded else None
    if not nanpa_loaded:
        lf = strip_nanpa_tz(lf)
    us_areacodes = (
        lookups.phone_codes.filter(pl.col("country_code").cast(pl.Int64, strict=False) == 1)
        .select("areacode").unique()
    )
    lf = phone_checks(lf, phone_codes_us_areacodes=us_areacodes, nanpa=nanpa)  # A7
    lf = lookup_state(lf, phone_codes=lookups.phone_codes)  # A8
    lf = dnc_checks(  # A9, A10
        lf, system_dnc=lookups.system_dnc, campaign_dnc=lookups.campaign_dnc,
        campaign_dnc_source=lookups.campaign_dnc_source,
    )
    # NOTE: gmt_offset judges the batch's distinct settings eagerly; settle the checks above
    # once here so that this does not run them a second time
    lf = lf.collect().lazy()
    lf = gmt_offset(  # A12 (computed for every row; only accepted rows use it)
        lf, phone_codes=lookups.phone_codes, postal_codes=lookups.postal_codes, nanpa=nanpa,
        server_now=server_now, server_offset=server_offset,
    )
    return lf


def check_duplicates(
    lf: pl.LazyFrame, *, existing: pl.LazyFrame, list_campaigns: pl.LazyFrame, server_now: datetime
) -> pl.LazyFrame:
    """Step A11 on a screened batch (see `rules.duplicates`)."""
    return _narrow(
        with_reject_column(lf), _DUPLICATE_COLUMNS,
        lambda narrow: duplicates(narrow, existing=existing, list_campaigns=list_campaigns, now=server_now),
    )
