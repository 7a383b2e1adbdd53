"""`leadpipe lists …`: list resets, deletes, hopper resets, DNC loads and scrubs from the shell.

Every command prints the lines VICIdial's API would print (stdout), one summary line per list
(stdout) and a one-line job summary (stderr). Exit status 1 when a line is an `ERROR:` or a
permission refusal, else 0.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import polars as pl
import sqlalchemy as sa
from pydantic import ValidationError

from ingest.clock import Clock, parse_now
from ingest.errors import EXIT_FAILURE, ConfigError
from ingest.list_jobs import ListJobSpec, run_list_job
from sinks.chunks import DEFAULT_CHUNK_ROWS, ListResult
from sinks.database import DEFAULT_URL, connect, display_url, missing_tables

__all__ = ["lists"]

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}
_NEEDED = ("vicidial_list", "vicidial_lists", "vicidial_users", "vicidial_hopper")


def _ids(values: tuple[str, ...]) -> tuple[int, ...]:
    """List ids from `--list-id 101 --list-id 102,103` and trailing `104 105`."""
    ids: list[int] = []
    for value in values:
        for part in re.split(r"[,\s]+", value.strip()):
            if not part:
                continue
            if not part.isdigit():
                msg = f"list id `{part}` is not a number"
                raise click.BadParameter(msg, param_hint="'--list-id'")
            ids.append(int(part))
    return tuple(dict.fromkeys(ids))


def _need(ids: tuple[int, ...], what: str) -> tuple[int, ...]:
    if not ids:
        msg = f"give the lists to {what}: `--list-id 101 102` (or `--list-id 101,102`)"
        raise ConfigError(msg)
    return ids


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every list command shares."""
    fn = click.option("--user", default="6666", help="VICIdial API user whose rights apply.")(fn)
    fn = click.option("--now", help="Server time `YYYY-MM-DD HH:MM:SS` (default: the clock).")(fn)
    fn = click.option("--server-tz", help="IANA time zone of the VICIdial server.")(fn)
    fn = click.option(
        "--chunk-rows",
        type=click.IntRange(1, 1_000_000),
        default=DEFAULT_CHUNK_ROWS,
        help="Rows per statement (shorter table locks with fewer).",
    )(fn)
    fn = click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")(
        fn
    )
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(fn)


def _list_ids(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--list-id",
        "list_id",
        multiple=True,
        metavar="ID[,ID…]",
        help="List ids: repeat, separate with commas, or list them after it.",
    )(fn)
    return click.argument("more_ids", nargs=-1, metavar="[ID]…")(fn)


def _run(
    ctx: click.Context, spec_args: dict[str, Any], opts: dict[str, Any], report: Path | None = None
) -> None:
    root = ctx.find_root().obj or {}
    url = root.get("db") or os.environ.get("LEADPIPE_DB") or DEFAULT_URL
    try:
        spec = ListJobSpec(
            user=opts["user"], dry_run=opts["dry_run"], chunk_rows=opts["chunk_rows"], **spec_args
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigError(problems) from exc
    now = Clock(
        fixed=parse_now(opts["now"]) if opts["now"] else None, server_tz_name=opts["server_tz"]
    ).now()
    engine = connect(url)
    _check_tables(engine)
    try:
        result = run_list_job(spec, engine=engine, now=now)
    finally:
        engine.dispose()
    if report is not None:
        _write_report(result, report)
    _print(result, as_json=opts["as_json"])
    if any(line.startswith("ERROR:") or "PERMISSION" in line for line in result.lines):
        ctx.exit(EXIT_FAILURE)


def _check_tables(engine: sa.Engine) -> None:
    missing = [t for t in _NEEDED if t in missing_tables(engine)]
    if missing:
        msg = (
            f"`{display_url(engine.url)}` has no table {', '.join(missing)}: is it a VICIdial "
            "database? (for the embedded one run `leadpipe init-db`)"
        )
        raise ConfigError(msg)


def _write_report(result: ListResult, path: Path) -> None:
    columns = ["lead_id", "list_id", "phone_number", "status", "dnc"]
    frame = pl.DataFrame(result.details, schema=dict.fromkeys(columns, pl.String), strict=False)
    partial = path.with_name(path.name + ".part")
    frame.write_csv(partial)
    partial.replace(path)


def _print(result: ListResult, *, as_json: bool) -> None:
    if as_json:
        data = {
            "operation": result.operation,
            "dry_run": result.dry_run,
            "job_id": result.job_id,
            "resumed": result.resumed,
            "lines": result.lines,
            "lists": {str(k): dict(v.counts) for k, v in result.lists.items()},
            "totals": dict(result.totals),
            "chunks": result.chunks,
            "statements": result.statements,
            "longest_statement_s": round(result.longest_statement_s, 4),
            "admin_log": result.admin_log,
        }
        click.echo(json.dumps(data, indent=2))
        return
    for line in result.lines:
        click.echo(line)
    for key, outcome in result.lists.items():
        if outcome.counts:
            counts = ", ".join(f"{k} {v}" for k, v in outcome.counts.items())
            click.echo(f"{'would ' if result.dry_run else ''}{key}: {counts}")
    extra = ", ".join(
        f"{k} {v}"
        for k, v in result.totals.items()
        if k not in ("matched", "changed", "deleted", "on_dnc", "status_set")
    )
    job = f"job {result.job_id}{' (resumed)' if result.resumed else ''}, " if result.job_id else ""
    click.echo(
        f"{result.operation}{' (dry run)' if result.dry_run else ''}: {job}{result.chunks} chunks, "
        f"{result.statements} statements, longest {result.longest_statement_s:.3f} s"
        + (f"; {extra}" if extra else ""),
        err=True,
    )


@click.group("lists", context_settings=CONTEXT)
def lists() -> None:
    """Bulk list jobs beside a live dialer: resets, deletes, hopper resets, DNC loads and scrubs.

    Large changes run in short chunks (`--chunk-rows` per statement) and resume where they
    stopped when rerun after a crash.
    """


@lists.command(context_settings=CONTEXT)
@_list_ids
@click.option("--campaign", help="Reset every list of this campaign.")
@click.option("--due", is_flag=True, help="Do the scheduled resets (reset_time, weekdays) due now.")
@_options
@click.pass_context
def reset(
    ctx: click.Context,
    /,
    list_id: tuple[str, ...],
    more_ids: tuple[str, ...],
    campaign: str | None,
    *,
    due: bool,
    **opts: Any,
) -> None:
    """Reset lists as update_list reset_list=Y does (daily reset limit honoured).

    With --due: the resets whose reset_time (or weekday container) minute has passed today and
    that were not done yet, and the daily counter reset; for a cron job every few minutes.

    \b
    Example:
        leadpipe lists reset --list-id 101 102 --dry-run
        leadpipe lists reset --campaign TESTCAMP
        leadpipe lists reset --due
    """
    ids = _ids((*list_id, *more_ids))
    if due and (ids or campaign):
        msg = "`--due` resets the lists that are due; give no list ids or campaign with it"
        raise ConfigError(msg)
    if due:
        _run(ctx, {"operation": "reset_due"}, opts)
        return
    if not (ids or campaign):
        msg = "give the lists to reset: `--list-id 101 102`, `--campaign TESTCAMP` or `--due`"
        raise ConfigError(msg)
    _run(ctx, {"operation": "reset", "list_ids": ids, "campaign_id": campaign}, opts)


@lists.command("delete-leads", context_settings=CONTEXT)
@_list_ids
@click.option("--yes", is_flag=True, help="Confirm the deletion.")
@click.option(
    "--keep-related",
    is_flag=True,
    help="Leave callbacks, alt phones, hopper and custom rows behind (the API's way).",
)
@_options
@click.pass_context
def delete_leads(
    ctx: click.Context,
    /,
    list_id: tuple[str, ...],
    more_ids: tuple[str, ...],
    *,
    yes: bool,
    keep_related: bool,
    **opts: Any,
) -> None:
    """Delete every lead of the lists (update_list delete_leads=Y) and, unless kept, their
    callbacks (archived), alt phones, hopper rows and custom-field rows.

    \b
    Example:
        leadpipe lists delete-leads --list-id 101 --dry-run
        leadpipe lists delete-leads --list-id 101 --yes
    """
    spec = {
        "operation": "delete_leads",
        "list_ids": _need(_ids((*list_id, *more_ids)), "empty"),
        "confirm": yes,
        "keep_related": keep_related,
    }
    _run(ctx, spec, opts)


@lists.command("delete-list", context_settings=CONTEXT)
@_list_ids
@click.option("--yes", is_flag=True, help="Confirm the deletion.")
@click.option("--keep-related", is_flag=True, help="Leave the list's hopper rows (the API's way).")
@click.option("--with-leads", is_flag=True, help="Delete the lists' leads too (delete_leads=Y).")
@_options
@click.pass_context
def delete_list(
    ctx: click.Context,
    /,
    list_id: tuple[str, ...],
    more_ids: tuple[str, ...],
    *,
    yes: bool,
    keep_related: bool,
    with_leads: bool,
    **opts: Any,
) -> None:
    """Delete lists (update_list delete_list=Y); their leads stay unless --with-leads.

    \b
    Example:
        leadpipe lists delete-list --list-id 101 --with-leads --yes
    """
    spec = {
        "operation": "delete_list",
        "list_ids": _need(_ids((*list_id, *more_ids)), "delete"),
        "confirm": yes,
        "keep_related": keep_related,
        "with_leads": with_leads,
    }
    _run(ctx, spec, opts)


@lists.command("reset-hopper", context_settings=CONTEXT)
@click.option("--campaign", required=True, help="The campaign whose hopper is emptied.")
@_options
@click.pass_context
def reset_hopper(ctx: click.Context, /, campaign: str, **opts: Any) -> None:
    """Delete every hopper row of a campaign (update_campaign reset_hopper=Y).

    \b
    Example:
        leadpipe lists reset-hopper --campaign TESTCAMP
    """
    _run(ctx, {"operation": "reset_hopper", "campaign_id": campaign}, opts)


@lists.command("dnc-load", context_settings=CONTEXT)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--campaign", help="Load into this campaign's DNC list (default: the system list).")
@click.option(
    "--mode",
    type=click.Choice(["add", "remove", "replace"]),
    default="add",
    help="Add the numbers, remove them, or make the list exactly the file.",
)
@_options
@click.pass_context
def dnc_load(
    ctx: click.Context, /, file: Path, campaign: str | None, mode: str, **opts: Any
) -> None:
    """Load a DNC file (one number or NNNXXXXXXX area-code wildcard per line).

    \b
    Example:
        leadpipe lists dnc-load dnc.txt --mode replace
        leadpipe lists dnc-load optouts.csv --campaign TESTCAMP
    """
    _run(ctx, {"operation": "dnc_load", "file": file, "campaign_id": campaign, "mode": mode}, opts)


@lists.command("dnc-scrub", context_settings=CONTEXT)
@_list_ids
@click.option("--set-status", help="Set this status (e.g. DNCL) on the leads found.")
@click.option("--system/--no-system", default=True, help="Check the system DNC list.")
@click.option(
    "--campaign-dnc/--no-campaign-dnc", default=True, help="Check each list's campaign DNC list."
)
@click.option("--exact-only", is_flag=True, help="Ignore NNNXXXXXXX area-code wildcards.")
@click.option("--report", type=click.Path(path_type=Path), help="Write the leads found as CSV.")
@_options
@click.pass_context
def dnc_scrub(
    ctx: click.Context,
    /,
    list_id: tuple[str, ...],
    more_ids: tuple[str, ...],
    set_status: str | None,
    *,
    system: bool,
    campaign_dnc: bool,
    exact_only: bool,
    report: Path | None,
    **opts: Any,
) -> None:
    """Find leads of the lists whose number is now on a DNC list; optionally set a status.

    \b
    Example:
        leadpipe lists dnc-scrub --list-id 101,102 --report dnc_hits.csv
        leadpipe lists dnc-scrub --list-id 101 --set-status DNCL
    """
    spec = {
        "operation": "dnc_scrub",
        "list_ids": _need(_ids((*list_id, *more_ids)), "scrub"),
        "set_status": set_status,
        "system_dnc": system,
        "campaign_dnc": campaign_dnc,
        "areacode": not exact_only,
    }
    _run(ctx, spec, opts, report=report)
