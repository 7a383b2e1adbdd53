"""`leadpipe export`: VICIdial's API exports as commands, and the warehouse feeds.

One sub-command per API export, each API parameter an option of the same name (`_` → `-`);
the text goes to stdout (or `--out FILE`, written to a temporary name and renamed) exactly as
`non_agent_api.php` prints it. An ERROR answer about the login, rights or parameters is still
printed, then the command fails with exit status 1; "nothing found" answers exit 0.
`leadpipe export feed NAME…` writes warehouse feeds (typed Parquet or CSV, by day).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from ingest.clock import parse_now
from ingest.errors import EXIT_FAILURE, EXIT_TEMPORARY, IngestError
from ingest.export_jobs import ExportRefusedError, write_text
from sinks.database import DEFAULT_URL, connect
from sinks.errors import SinkError, SinkRetryableError
from sinks.exports import EXPORTS, ExportDef, export_params, is_refusal, run_export
from sinks.warehouse import FEEDS, run_feed

__all__ = ["export"]

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}


class _ExportGroup(click.Group):
    """Turn known errors into one `Error: …` line (exit 1, or 75 when retrying may help)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (IngestError, SinkError) as exc:
            root = ctx.find_root().obj
            if isinstance(root, dict) and root.get("debug"):
                raise
            err = click.ClickException(str(exc))
            err.exit_code = EXIT_TEMPORARY if isinstance(exc, SinkRetryableError) else EXIT_FAILURE
            raise err from exc


def _db_url(ctx: click.Context) -> str:
    root = ctx.find_root().obj
    option = root.get("db") if isinstance(root, dict) else None
    return option or os.environ.get("LEADPIPE_DB") or DEFAULT_URL


def _engines(
    ctx: click.Context, read_db: str | None, *, state: bool
) -> tuple[sa.Engine | None, sa.Engine]:
    """The main database (leadpipe's state, when needed) and the database to read rows from."""
    main = connect(_db_url(ctx)) if state or not read_db else None
    reader = connect(read_db) if read_db else main
    assert reader is not None
    return main, reader


def _now(text: str | None) -> dt.datetime:
    return (
        parse_now(text) if text else dt.datetime.now().replace(microsecond=0)
    )  # server wall clock


@click.group("export", cls=_ExportGroup, context_settings=CONTEXT)
def export() -> None:
    """Run VICIdial's API exports (byte-exact text) and the warehouse feeds.

    \b
    Example:
        leadpipe export agent_stats_export --datetime-start "2026-11-01 00:00:00" \\
            --datetime-end "2026-11-01 23:59:59" --stage pipe --header YES
        leadpipe export feed agent_stats did_log --out warehouse/
    """


_EXAMPLES = {
    "recording_lookup": "--agent-user 1000 --date 2026-11-01 --stage csv --header YES",
    "did_log_export": "--phone-number 3125551212 --date 2026-11-01 --stage csv --header YES",
    "agent_stats_export": '--datetime-start "2026-11-01 00:00:00" '
    '--datetime-end "2026-11-01 23:59:59" --stage pipe --header YES',
    "phone_number_log": "--phone-number 3125551212,3125551213 --type ALL --header YES",
    "call_status_stats": "--campaigns TESTCAMP --query-date 2026-11-01",
    "call_dispo_report": "--campaigns TESTCAMP --query-date 2026-11-01 --status-breakdown 1",
    "lead_callback_info": "--lead-id 846446 --search-location ALL --header YES",
}


def _api_command(definition: ExportDef) -> click.Command:
    fields = definition.params.model_fields
    options: list[click.Parameter] = [
        click.Option(
            [f"--{name.replace('_', '-')}", name],
            default=info.default,
            metavar="TEXT",
            help=f"API parameter `{name}`.",
            show_default=bool(info.default),
        )
        for name, info in fields.items()
    ]
    options += [
        click.Option(["--user"], default="6666", help="VICIdial user whose rights are checked."),
        click.Option(["--out"], type=click.Path(path_type=Path), help="Write to FILE, not stdout."),
        click.Option(
            ["--read-db"], metavar="URL", help="Read from this database (e.g. a replica)."
        ),
        click.Option(["--now"], help="Server time `YYYY-MM-DD HH:MM:SS` (default dates)."),
    ]

    @click.pass_context
    def command(
        ctx: click.Context,
        /,
        user: str,
        out: Path | None,
        read_db: str | None,
        now: str | None,
        **values: str,
    ) -> None:
        params = export_params(definition.name, values)
        reader = connect(read_db or _db_url(ctx))
        chunks = iter(run_export(reader, definition.name, params, user=user, now=_now(now)))
        first = next(chunks, "")

        def everything() -> Any:
            yield first
            yield from chunks

        if out is not None:
            write_text(everything(), out)
        else:
            stream = click.get_text_stream("stdout")
            for chunk in everything():
                stream.write(chunk)
            stream.flush()
        if is_refusal(first):
            msg = f"`{definition.name}` answered: {first.splitlines()[0]}"
            raise ExportRefusedError(msg)

    example = f"leadpipe export {definition.name} {_EXAMPLES[definition.name]}"
    return click.Command(
        definition.name,
        params=options,
        callback=command,
        context_settings=CONTEXT,
        help=f"{definition.summary}\n\n\b\nExample:\n    {example}",
        short_help=definition.summary,
    )


for _definition in EXPORTS.values():
    export.add_command(_api_command(_definition))


@export.command("feed", context_settings=CONTEXT)
@click.argument(
    "names", nargs=-1, required=True, metavar="FEED...", type=click.Choice(["all", *sorted(FEEDS)])
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Root folder: each feed goes to OUT/<feed>/dt=YYYY-MM-DD/.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    help="File format of the partitions.",
)
@click.option("--full", is_flag=True, help="Re-export every day, not only days with new rows.")
@click.option("--no-watermark", is_flag=True, help="Export every day and keep no watermark.")
@click.option("--read-db", metavar="URL", help="Read from this database (e.g. a replica).")
@click.option("--now", help="Server time `YYYY-MM-DD HH:MM:SS`; later rows wait for the next run.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per feed.")
@click.pass_context
def feed(
    ctx: click.Context,
    names: tuple[str, ...],
    out: Path,
    fmt: str,
    *,
    full: bool,
    no_watermark: bool,
    read_db: str | None,
    now: str | None,
    as_json: bool,
) -> None:
    """Write warehouse feeds as day partitions, incrementally by default.

    \b
    Example:
        leadpipe export feed agent_stats did_log --out warehouse/
        leadpipe export feed all --out warehouse/ --format csv --full
    """
    main, reader = _engines(ctx, read_db, state=not no_watermark)
    chosen = sorted(FEEDS) if "all" in names else list(dict.fromkeys(names))
    clock = _now(now)
    for name in chosen:
        result = run_feed(
            reader,
            name,
            out / name,
            now=clock,
            fmt=fmt,  # type: ignore[arg-type]
            full=full,
            incremental=not no_watermark,
            state_engine=main,
        )
        if as_json:
            click.echo(json.dumps(result.as_dict()))
        else:
            mark = f", watermark {result.watermark}" if result.watermark else ""
            click.echo(f"{name}: {len(result.days)} days, {result.rows} rows -> {result.out}{mark}")
