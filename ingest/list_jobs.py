"""List jobs as configuration: one `ListJobSpec` per job, run by `run_list_job`.

`leadpipe lists …` builds a spec from its options; `leadpipe run NAME` builds one from a
`pipelines.toml` table. Both end in `run_list_job`, which reads DNC files (the only input a
list job has) and calls the sinks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import polars as pl
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.errors import InputError
from sinks.chunks import DEFAULT_CHUNK_ROWS, ListResult, OnChunk
from sinks.deletes import delete_leads, delete_lists
from sinks.dnc import DncMode, load_dnc
from sinks.lists import reset_hopper, reset_lists
from sinks.resets import reset_due
from sinks.scrub import scrub_dnc

__all__ = ["ListJobSpec", "ListOperation", "dnc_source", "read_dnc_file", "run_list_job"]

ListOperation = Literal[
    "reset", "reset_due", "delete_leads", "delete_list", "reset_hopper", "dnc_load", "dnc_scrub"
]

_NEEDS_LISTS = ("delete_leads", "delete_list", "dnc_scrub")


class ListJobSpec(BaseModel):
    """One list job: what to do, to which lists or campaign, and how carefully.

    Example (`pipelines.toml`):

        [pipelines.nightly_reset]
        operation = "reset"
        campaign_id = "TESTCAMP"
        user = "6666"
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation: ListOperation
    list_ids: tuple[int, ...] = ()
    campaign_id: str | None = Field(default=None, min_length=1, max_length=8)
    user: str = Field(default="6666", min_length=1, max_length=20)
    dry_run: bool = False
    confirm: bool = False
    keep_related: bool = False
    with_leads: bool = False
    chunk_rows: int = Field(default=DEFAULT_CHUNK_ROWS, ge=1, le=1_000_000)
    file: Path | None = None
    mode: DncMode = "add"
    set_status: str | None = Field(default=None, min_length=1, max_length=6)
    system_dnc: bool = True
    campaign_dnc: bool = True
    areacode: bool = True

    @model_validator(mode="after")
    def _targets(self) -> ListJobSpec:
        op = self.operation
        if op == "reset" and not (self.list_ids or self.campaign_id):
            msg = "operation `reset` needs `list_ids` or `campaign_id`"
            raise ValueError(msg)
        if op in _NEEDS_LISTS and not self.list_ids:
            msg = f"operation `{op}` needs `list_ids`"
            raise ValueError(msg)
        if op == "reset_hopper" and not self.campaign_id:
            msg = "operation `reset_hopper` needs `campaign_id`"
            raise ValueError(msg)
        if op == "dnc_load" and self.file is None:
            msg = "operation `dnc_load` needs `file`"
            raise ValueError(msg)
        if op != "dnc_load" and self.file is not None:
            msg = f"`file` is only for operation `dnc_load`, not `{op}`"
            raise ValueError(msg)
        return self


def read_dnc_file(path: Path, *, batch_rows: int = 1_000_000) -> Iterator[pl.Series]:
    """Yield the first field of every non-blank line of a DNC file, `batch_rows` at a time.

    Fields end at `,`, `;`, TAB or `|`; surrounding quotes and spaces are dropped.

    Raises:
        InputError: the file is missing or unreadable.
    """
    if not path.is_file():
        msg = f"cannot read DNC file `{path}`: no such file"
        raise InputError(msg)
    lf = (
        pl.scan_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            infer_schema=False,
            new_columns=["raw"],
            encoding="utf8-lossy",
        )
        .select(pl.col("raw").str.extract(r"^[\s\"']*([^,;\t|\"']*)", 1).str.strip_chars())
        .filter(pl.col("raw").fill_null("") != "")
    )
    try:
        for batch in lf.collect_batches(chunk_size=batch_rows):
            yield batch["raw"]
    except (pl.exceptions.ComputeError, OSError) as exc:
        msg = f"cannot read DNC file `{path}`: {str(exc).splitlines()[0]}"
        raise InputError(msg) from exc


def dnc_source(path: Path) -> str:
    """Identify a DNC file for resuming: its path, size and modification time."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def run_list_job(
    spec: ListJobSpec, *, engine: sa.Engine, now: dt.datetime, on_chunk: OnChunk | None = None
) -> ListResult:
    """Run one list job; `now` is the server's wall-clock time."""
    common: dict[str, Any] = {
        "now": now,
        "dry_run": spec.dry_run,
        "chunk_rows": spec.chunk_rows,
        "on_chunk": on_chunk,
    }
    op = spec.operation
    if op == "reset":
        return reset_lists(
            engine, spec.list_ids, campaign_id=spec.campaign_id, user=spec.user, **common
        )
    if op == "reset_due":
        return reset_due(engine, **common)
    if op == "delete_leads":
        return delete_leads(
            engine,
            spec.list_ids,
            user=spec.user,
            confirm=spec.confirm,
            keep_related=spec.keep_related,
            **common,
        )
    if op == "delete_list":
        return delete_lists(
            engine,
            spec.list_ids,
            user=spec.user,
            confirm=spec.confirm,
            keep_related=spec.keep_related,
            with_leads=spec.with_leads,
            **common,
        )
    if op == "reset_hopper":
        assert spec.campaign_id is not None  # the validator saw to it
        return reset_hopper(engine, spec.campaign_id, user=spec.user, dry_run=spec.dry_run)
    if op == "dnc_load":
        assert spec.file is not None
        if not spec.file.is_file():
            msg = f"cannot read DNC file `{spec.file}`: no such file"
            raise InputError(msg)
        return load_dnc(
            engine,
            read_dnc_file(spec.file),
            source=dnc_source(spec.file),
            campaign_id=spec.campaign_id,
            mode=spec.mode,
            **common,
        )
    return scrub_dnc(
        engine,
        spec.list_ids,
        set_status=spec.set_status,
        system=spec.system_dnc,
        campaign=spec.campaign_dnc,
        areacode=spec.areacode,
        **common,
    )
