"""Export jobs of `pipelines.toml`: an API export to a text file, or a warehouse feed.

A job names either one of VICIdial's API exports (`agent_stats_export`, …; format `text`,
byte-exact as the API prints it) or a warehouse feed (`agent_stats`, `did_log`, …; format
`parquet` or `csv`, partitioned by day). Parameter values and the output path may use
`{today}`, `{yesterday}` (`YYYY-MM-DD`) and `{now}` (`YYYY-MM-DD HH:MM:SS`), taken from the
server clock when the job runs, so a nightly job can ask for "yesterday":

    [exports.agents_nightly]
    export = "agent_stats_export"
    out = "exports/agent_stats_{yesterday}.txt"
    parameters = { datetime_start = "{yesterday} 00:00:00", datetime_end = "{yesterday} 23:59:59",
                   stage = "csv", header = "YES" }

    [exports.agents_warehouse]
    export = "agent_stats"
    format = "parquet"
    out = "warehouse/agent_stats"
    incremental = true
"""

from __future__ import annotations

import datetime as dt
import string
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.errors import IngestError
from sinks.database import connect
from sinks.exports import EXPORTS, export_params, is_refusal, run_export
from sinks.warehouse import FEEDS, run_feed

__all__ = [
    "ExportJobSpec",
    "ExportRefusedError",
    "expand",
    "run_export_job",
    "write_text",
]

JobFormat = Literal["text", "parquet", "csv"]
_PLACEHOLDERS = frozenset({"today", "yesterday", "now"})


class ExportRefusedError(IngestError):
    """The export answered with an ERROR line (login, rights, parameters); the text was written."""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def expand(text: str, now: dt.datetime) -> str:
    """Fill `{today}`, `{yesterday}` and `{now}` from the server clock.

    >>> expand("{yesterday} 00:00:00", dt.datetime(2026, 11, 2, 6, 0))
    '2026-11-01 00:00:00'
    """
    values = {
        "today": now.strftime("%Y-%m-%d"),
        "yesterday": (now - dt.timedelta(days=1)).strftime("%Y-%m-%d"),
        "now": now.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return text.format_map(values)


class ExportJobSpec(BaseModel):
    """One `[exports.<name>]` table: an API export or a warehouse feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    export: str
    """API export (`agent_stats_export`, …) or warehouse feed (`agent_stats`, …)."""
    parameters: dict[str, str] = Field(default_factory=dict)
    """API parameters (API exports only), e.g. `stage = "csv"`."""
    format: JobFormat | None = None
    """`text` for API exports; `parquet` (default) or `csv` for feeds."""
    out: Path
    """Text file of an API export, or root folder of a feed's `dt=` partitions."""
    partitioning: Literal["none", "dt"] | None = None
    """`dt` (day partitions) for feeds, `none` for text; the default follows the format."""
    incremental: bool = False
    """Feeds only: keep a watermark and export only days with new rows."""
    read_db: str | None = None
    """Database URL to read from (e.g. a replica); default: the main database."""
    user: str = "6666"
    """VICIdial user whose permissions the API exports check."""

    @model_validator(mode="after")
    def _consistent(self) -> ExportJobSpec:
        is_api, is_feed = self.export in EXPORTS, self.export in FEEDS
        if not is_api and not is_feed:
            known = ", ".join(sorted(EXPORTS) + sorted(FEEDS))
            msg = f"export `{self.export}` is unknown (known: {known})"
            raise ValueError(msg)
        if is_api and self.format not in (None, "text"):
            msg = f"`{self.export}` is an API export: its format is `text`"
            raise ValueError(msg)
        if is_feed and self.format == "text":
            msg = f"`{self.export}` is a warehouse feed: use format `parquet` or `csv`"
            raise ValueError(msg)
        if is_api and (self.partitioning == "dt" or self.incremental):
            msg = (
                f"`{self.export}` is an API export: `partitioning` and `incremental` are for feeds"
            )
            raise ValueError(msg)
        if is_feed and (self.partitioning == "none" or self.parameters):
            msg = (
                f"`{self.export}` is a warehouse feed: it takes no `parameters` and is "
                "partitioned by `dt`"
            )
            raise ValueError(msg)
        if is_api:
            fields = EXPORTS[self.export].params.model_fields
            unknown = sorted(set(self.parameters) - set(fields))
            if unknown:
                names = ", ".join(f"`{u}`" for u in unknown)
                msg = f"`{self.export}` has no parameter {names} (known: {', '.join(fields)})"
                raise ValueError(msg)
        for text in (*self.parameters.values(), str(self.out)):
            bad = _placeholders(text) - _PLACEHOLDERS
            if bad:
                names = ", ".join(f"{{{b}}}" for b in sorted(bad))
                msg = f"unknown placeholder {names}: use {{today}}, {{yesterday}} or {{now}}"
                raise ValueError(msg)
        return self

    @property
    def is_feed(self) -> bool:
        """True for a warehouse feed, False for an API export."""
        return self.export in FEEDS


def write_text(chunks: Iterable[str], path: Path) -> int:
    """Write text chunks to `path` through a temporary file renamed at the end; return bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    size = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk.encode("utf-8"))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return size


def _first_and_rest(chunks: Iterable[str]) -> tuple[str, Iterable[str]]:
    iterator = iter(chunks)
    first = next(iterator, "")

    def rest() -> Iterable[str]:
        yield first
        yield from iterator

    return first, rest()


def run_api_export(
    engine: sa.Engine,
    name: str,
    parameters: Mapping[str, Any],
    out: Path,
    *,
    user: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """Write one API export's text to `out`; an ERROR answer is written, then raised."""
    first, chunks = _first_and_rest(
        run_export(engine, name, export_params(name, parameters), user=user, now=now)
    )
    size = write_text(chunks, out)
    first_line = first.split("\n", 1)[0]
    if is_refusal(first):
        msg = f"`{name}` answered `{first_line}` (written to {out})"
        raise ExportRefusedError(msg)
    status = "empty" if first_line.startswith(("ERROR:", "NOTICE:")) else "ok"
    return {"export": name, "format": "text", "out": str(out), "bytes": size, "status": status}


def run_export_job(
    spec: ExportJobSpec,
    *,
    engine: sa.Engine,
    read_engine: sa.Engine | None,
    clock_now: dt.datetime,
    full: bool = False,
) -> dict[str, Any]:
    """Run one export job: `engine` holds leadpipe's state, `read_engine` the VICIdial data.

    `read_engine` None means: `spec.read_db` if set, else `engine`. A feed's watermark is kept
    under the key `<export>:<out>` in `leadpipe_watermarks` of `engine`.

    Raises:
        ExportRefusedError: an API export answered with an ERROR line (the file is written).
    """
    reader = read_engine or (connect(spec.read_db) if spec.read_db else engine)
    out = Path(expand(str(spec.out), clock_now))
    if not spec.is_feed:
        parameters = {k: expand(v, clock_now) for k, v in spec.parameters.items()}
        return run_api_export(reader, spec.export, parameters, out, user=spec.user, now=clock_now)
    result = run_feed(
        reader,
        spec.export,
        out,
        now=clock_now,
        fmt=spec.format or "parquet",  # type: ignore[arg-type]
        full=full,
        incremental=spec.incremental,
        state_engine=engine,
        key=f"{spec.export}:{spec.out}",
    )
    return {"format": spec.format or "parquet", **result.as_dict()}
