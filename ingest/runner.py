"""The one place that sequences read → rules → sinks and collects frames."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ingest.clock import Clock
from ingest.errors import InputError
from ingest.readers import SOURCE_ROW, read_batches
from rules import REJECT
from rules.fields import LEAD_FIELDS, OPTION_FIELDS, WIDTHS
from sinks import tables
from sinks.vicidial import LEAD_COLUMNS, locked_lead_table, next_lead_id, write_rows

__all__ = ["LoadSettings", "RunSummary", "load_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadSettings:
    """What a load applies to every row that does not carry its own value."""

    user: str = "6666"
    options: dict[str, str] = field(default_factory=dict)
    batch_rows: int = 50_000


@dataclass
class RunSummary:
    """Counts of one run: every input row is added or rejected."""

    read: int = 0
    added: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def one_line(self) -> str:
        """The summary as one log line."""
        return f"read {self.read}, added {self.added}, rejected {self.rejected} in {self.seconds:.2f}s"


def _settle_columns(batch: pl.DataFrame, settings: LoadSettings, path: Path) -> pl.DataFrame:
    if "phone_number" not in batch.columns:
        header = ", ".join(c for c in batch.columns if c != SOURCE_ROW)
        msg = f"`{path}` has no `phone_number` column (header: {header}); add_lead needs one"
        raise InputError(msg)
    exprs: list[pl.Expr] = []
    for name in (*LEAD_FIELDS, *OPTION_FIELDS):
        default = settings.options.get(name, "")
        if name in batch.columns:
            col = pl.col(name)
            exprs.append(pl.when(col == "").then(pl.lit(default)).otherwise(col).alias(name))
        else:
            exprs.append(pl.lit(default, dtype=pl.String).alias(name))
    return batch.with_columns(exprs)


def _validate(batch: pl.DataFrame, phone_codes: pl.DataFrame) -> pl.DataFrame:
    digits = pl.col("phone_number").str.replace_all(r"[^0-9,]", "")
    lf = batch.lazy().with_columns(
        phone_number=digits,
        phone_code=pl.col("phone_code").str.replace_all(r"\D", ""),
        list_id=pl.col("list_id").str.replace_all(r"\D", ""),
    ).with_columns(
        phone_code=pl.when(pl.col("phone_code") == "").then(pl.lit("1")).otherwise("phone_code"),
        list_id=pl.when(pl.col("list_id").str.len_chars() < 3).then(pl.lit("999")).otherwise("list_id"),
        gender=pl.when(pl.col("gender").is_in(["M", "F", "U"])).then("gender").when(pl.col("gender") == "").then(pl.lit("U")).otherwise(pl.lit("")),
        rank=pl.when(pl.col("rank").str.replace_all(r"\D", "") == "").then(pl.lit("0")).otherwise(pl.col("rank").str.replace_all(r"\D", "")),
    )
    n = pl.col("phone_number").str.len_chars()
    lf = lf.with_columns(pl.when(~n.is_between(6, 16)).then(pl.lit("INVALID_PHONE_LENGTH")).otherwise(pl.lit(None, pl.String)).alias(REJECT))
    by_area = phone_codes.unique(["country_code", "areacode"], keep="first", maintain_order=True).select(
        "country_code", "areacode", pl.col("GMT_offset").alias("_gmt_area"))
    by_country = phone_codes.unique(["country_code"], keep="first", maintain_order=True).select(
        "country_code", pl.col("GMT_offset").alias("_gmt_country"))
    lf = (
        lf.with_columns(_area=pl.col("phone_number").str.slice(0, 3), _cc=pl.col("phone_code").cast(pl.Int64, strict=False).cast(pl.String))
        .join(by_area.lazy(), left_on=["_cc", "_area"], right_on=["country_code", "areacode"], how="left")
        .join(by_country.lazy(), left_on="_cc", right_on="country_code", how="left")
        .with_columns(gmt_offset_text=pl.coalesce("_gmt_area", "_gmt_country").str.replace("+", "", literal=True))
        .with_columns(gmt_offset_now=pl.col("gmt_offset_text").cast(pl.Float64, strict=False))
        .drop("_area", "_cc", "_gmt_area", "_gmt_country")
    )
    return lf.collect().sort(SOURCE_ROW)


def _lead_rows(accepted: pl.DataFrame, *, first_id: int, now: str, user: str) -> pl.DataFrame:
    frame = accepted.with_columns(
        lead_id=pl.int_range(first_id, first_id + accepted.height, dtype=pl.Int64),
        entry_date=pl.lit(now), status=pl.lit("NEW"), user=pl.lit(user),
        list_id=pl.col("list_id").cast(pl.Int64),
        gmt_offset_now=pl.col("gmt_offset_now").fill_null(0.0),
        called_since_last_reset=pl.lit("N"),
        date_of_birth=pl.lit("0000-00-00"),
        called_count=pl.lit(0), last_local_call_time=pl.lit(now),
        rank=pl.col("rank").cast(pl.Int64), entry_list_id=pl.lit(0, pl.Int64),
    )
    frame = frame.with_columns(
        [pl.col(c).str.slice(0, w) for c, w in WIDTHS.items() if c in frame.columns and frame.schema[c] == pl.String]
    )
    return frame.select(LEAD_COLUMNS)


def load_files(
    paths: Iterable[Path],
    *,
    engine: sa.Engine,
    settings: LoadSettings,
    clock: Clock,
    on_rows: Callable[[int], None] = lambda _n: None,
) -> RunSummary:
    """Load lead files into `vicidial_list` the way sequential add_lead calls would."""
    summary = RunSummary()
    started = time.perf_counter()
    with engine.connect() as conn:
        phone_codes = pl.DataFrame(
            [tuple(str(v) if v is not None else "" for v in r) for r in conn.execute(
                sa.select(tables.vicidial_phone_codes.c.country_code, tables.vicidial_phone_codes.c.areacode,
                          tables.vicidial_phone_codes.c.GMT_offset))],
            schema=["country_code", "areacode", "GMT_offset"], orient="row",
        )
    for path in paths:
        for batch in read_batches(path, batch_rows=settings.batch_rows):
            now = clock.now().strftime("%Y-%m-%d %H:%M:%S")
            checked = _validate(_settle_columns(batch, settings, path), phone_codes)
            accepted = checked.filter(pl.col(REJECT).is_null())
            summary.read += checked.height
            summary.rejected += checked.height - accepted.height
            summary.reasons.update(checked[REJECT].drop_nulls().to_list())
            with engine.begin() as conn, locked_lead_table(conn):
                first = next_lead_id(conn)
                rows = _lead_rows(accepted, first_id=first, now=now, user=settings.user)
                write_rows(conn, tables.vicidial_list, rows)
            summary.added += accepted.height
            on_rows(checked.height)
    summary.seconds = time.perf_counter() - started
    return summary
