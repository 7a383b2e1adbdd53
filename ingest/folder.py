"""Folder pipelines: load every file that arrives in a folder, then move it to `done/` or `failed/`.

Like VICIdial's CLI loader with LEADS_IN/DONE (loader.md 2.2): files matching the glob and the
prefix are taken in name order; a file still growing is left for the next run; the list id is
forced, taken from the file name, or a new list is made per file. Each file ends up in `done/`
(processed, even with rejected rows) or `failed/` (unreadable), with a JSON report beside it
(`<name>.report.json`). The runner supplies `process(path, list_id)`, which loads one file and
returns its report, raising `InputError` when the file cannot be read; any other exception
leaves the file where it is for the next run and propagates.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from ingest.config import FolderPipelineSpec
from ingest.errors import ConfigError, InputError
from ingest.readers import read_file
from sinks.lists_create import create_file_list, next_list_id

__all__ = ["FileResult", "ProcessFn", "find_files", "list_id_from_filename", "run_folder"]

log = logging.getLogger(__name__)

ProcessFn = Callable[[Path, str | None], Mapping[str, Any]]
"""Load one file with the given list id override (None: the rows' own / the pipeline's) and
return its JSON-serialisable report; raise `InputError` when the file cannot be read."""

REPORT_SUFFIX = ".report.json"


@dataclass(frozen=True)
class FileResult:
    """What became of one file."""

    source: Path
    """Where the file was found."""
    status: Literal["done", "failed", "dry-run"]
    path: Path
    """Where it is now (unchanged in a dry run)."""
    list_id: str | None
    report: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None
    error: str | None = None


def list_id_from_filename(name: str) -> str | None:
    """The list id in a file name: before the first `.`, the last `_` piece, digits only.

    >>> list_id_from_filename("XYZ_1234.txt"), list_id_from_filename("leads.2019_5001.txt")
    ('1234', None)
    >>> [list_id_from_filename(n) for n in ("LEADS_a12b.csv.gz", "LEADS9.txt", "x.txt")]
    ['12', '9', None]
    """
    stem = name.split(".", 1)[0]
    digits = "".join(ch for ch in stem.split("_")[-1] if ch.isdigit())
    return digits or None


def find_files(
    spec: FolderPipelineSpec, *, sleep: Callable[[float], None] = time.sleep
) -> list[Path]:
    """Files of `incoming` matching `glob` and `prefix`, by name, skipping those still growing.

    Raises:
        InputError: `incoming` is not a folder.
    """
    if not spec.incoming.is_dir():
        msg = f"incoming folder `{spec.incoming}` does not exist"
        raise InputError(msg)
    found = sorted(
        p
        for p in spec.incoming.glob(spec.glob)
        if p.is_file()
        and not p.name.startswith(".")
        and p.name.startswith(spec.prefix)
        and not p.name.endswith(REPORT_SUFFIX)
    )
    if not found or spec.stable_seconds <= 0:
        return found
    sizes = {p: p.stat().st_size for p in found}
    sleep(spec.stable_seconds)
    stable = []
    for p in found:
        try:
            now = p.stat().st_size
        except FileNotFoundError:
            continue
        if now == sizes[p]:
            stable.append(p)
        else:
            log.info(
                "%s is still being written (%d -> %d bytes); left for the next run",
                p,
                sizes[p],
                now,
            )
    return stable


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    if not target.exists() and not (folder / f"{name}{REPORT_SUFFIX}").exists():
        return target
    stem, dot, rest = name.partition(".")
    n = 2
    while True:
        candidate = folder / f"{stem}~{n}{dot}{rest}"
        if not candidate.exists() and not (folder / f"{candidate.name}{REPORT_SUFFIX}").exists():
            return candidate
        n += 1


def _settle(path: Path, folder: Path, report: dict[str, Any]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(path, target)
    report_path = target.with_name(target.name + REPORT_SUFFIX)
    tmp = report_path.with_name(report_path.name + ".tmp")
    tmp.write_text(
        json.dumps(report, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tmp.replace(report_path)
    return target, report_path


def _list_for(
    spec: FolderPipelineSpec, path: Path, *, engine: sa.Engine | None, now: datetime, dry_run: bool
) -> str | None:
    if spec.list_id:
        return spec.list_id
    if spec.list_id_from_filename:
        return list_id_from_filename(path.name)
    if not spec.new_list_per_file:
        return None
    if engine is None:
        msg = "`new_list_per_file` needs a database to create the lists in"
        raise ConfigError(msg)
    # NOTE: a file that cannot even be opened must not leave an empty list behind.
    next(iter(read_file(path, spec.read_options())))
    new = spec.new_list
    if dry_run:
        with engine.connect() as conn:
            return str(next_list_id(conn, prefix=new.id_prefix, day=now.date()))
    return str(
        create_file_list(
            engine,
            file_name=path.name,
            now=now,
            id_prefix=new.id_prefix,
            name_prefix=new.name_prefix,
            campaign_id=new.campaign_id,
            active=new.active,
            reset_time=new.reset_time,
            time_zone_setting=new.time_zone_setting,
        )
    )


def run_folder(
    spec: FolderPipelineSpec,
    process: ProcessFn,
    *,
    now: datetime,
    engine: sa.Engine | None = None,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[FileResult]:
    """Process every waiting file of a folder pipeline and file it under `done/` or `failed/`.

    `now` stamps reports and new lists. In a dry run nothing is moved, written or created.
    """
    results: list[FileResult] = []
    for path in find_files(spec, sleep=sleep):
        base: dict[str, Any] = {
            "file": path.name,
            "folder": str(path.parent),
            "started": now.isoformat(sep=" "),
        }
        list_id: str | None = None
        try:
            list_id = _list_for(spec, path, engine=engine, now=now, dry_run=dry_run)
            base["list_id"] = list_id
            report = {**base, **dict(process(path, list_id)), "status": "done"}
        except InputError as exc:
            log.warning("%s: %s", path.name, exc)
            report = {**base, "list_id": list_id, "status": "failed", "error": str(exc)}
            if dry_run:
                results.append(FileResult(path, "dry-run", path, list_id, report, None, str(exc)))
                continue
            moved, report_path = _settle(path, spec.failed_path, report)
            results.append(
                FileResult(path, "failed", moved, list_id, report, report_path, str(exc))
            )
            continue
        if dry_run:
            results.append(FileResult(path, "dry-run", path, list_id, report))
            continue
        moved, report_path = _settle(path, spec.done_path, report)
        log.info("%s: done, moved to %s", path.name, moved)
        results.append(FileResult(path, "done", moved, list_id, report, report_path))
    return results
