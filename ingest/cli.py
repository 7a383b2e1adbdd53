"""The `leadpipe` command line: thin commands over the runner; one-line errors, no tracebacks."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from pydantic import ValidationError

from ingest import __version__
from ingest.cli_export import export
from ingest.cli_lists import lists
from ingest.cli_serve import serve
from ingest.clock import Clock, parse_now
from ingest.config import FolderPipelineSpec, JobSpec, PipelineSpec, ProjectConfig, load_config
from ingest.errors import (
    EXIT_DATABASE,
    EXIT_FAILURE,
    EXIT_REJECTS,
    EXIT_TEMPORARY,
    ConfigError,
    IngestError,
    exit_code_for,
)
from ingest.export_jobs import ExportJobSpec, run_export_job
from ingest.folder import run_folder
from ingest.list_jobs import ListJobSpec, run_list_job
from ingest.mapping import MappingOptions
from ingest.runner import LoadSettings, RunSummary, load_files
from rules.fields import OPTION_FIELDS
from sinks.database import (
    DEFAULT_URL,
    connect,
    create_embedded_schema,
    display_url,
    is_sqlite,
    missing_tables,
)
from sinks.demo import seed_demo, seed_installation_rows
from sinks.errors import SinkError
from sinks.reference import load_reference_data

__all__ = ["cli", "main"]

log = logging.getLogger("leadpipe")

USER_ERRORS = (IngestError, SinkError)
CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}


class IngestGroup(click.Group):
    """Turn known errors into one-line messages; `--debug` keeps the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            if ctx.obj is not None and ctx.obj.get("debug"):
                raise
            err = click.ClickException(str(exc))
            err.exit_code = exit_code_for(exc)
            raise err from exc
        except sa.exc.SQLAlchemyError as exc:
            if ctx.obj is not None and ctx.obj.get("debug"):
                raise
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            err = click.ClickException(f"database error: {reason}")
            retry = isinstance(exc, sa.exc.OperationalError)
            err.exit_code = EXIT_TEMPORARY if retry else EXIT_DATABASE
            raise err from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: one line for cron, the traceback with --debug
            if ctx.obj is not None and ctx.obj.get("debug"):
                raise
            log.debug("unexpected error", exc_info=True)
            err = click.ClickException(
                f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback "
                "and report it"
            )
            err.exit_code = EXIT_FAILURE
            raise err from exc


def _db_url(option: str | None) -> str:
    return option or os.environ.get("LEADPIPE_DB") or DEFAULT_URL


def _engine(ctx: click.Context, *, init_embedded: bool = False) -> sa.Engine:
    url = _db_url(ctx.obj.get("db"))
    engine = connect(url)
    ctx.call_on_close(engine.dispose)
    if init_embedded and is_sqlite(engine) and missing_tables(engine):
        click.echo(f"initialising the embedded database {display_url(engine.url)} (demo data)", err=True)
        _init(engine, demo=True)
    return engine


def _init(engine: sa.Engine, *, demo: bool) -> dict[str, int]:
    with engine.begin() as conn:  # one transaction: a failed init leaves no half-made database
        create_embedded_schema(engine, conn)
        written = load_reference_data(conn)
        if demo:
            seed_demo(conn)
        else:
            seed_installation_rows(conn)
    return written


def _clock(now: str | None, server_tz: str | None) -> Clock:
    return Clock(fixed=parse_now(now) if now else None, server_tz_name=server_tz)


def _print_summary(summary: RunSummary, *, label: str = "") -> None:
    mode = " (dry run: nothing written)" if summary.dry_run else ""
    click.echo(f"run {summary.run_id}{mode}" + (f" — {label}" if label else ""))
    click.echo(f"read            {summary.read}")
    click.echo(f"added           {summary.added}")
    click.echo(f"rejected        {summary.rejected}")
    click.echo(f"already loaded  {summary.already_loaded}")
    for reason, count in sorted(summary.reasons.items()):
        click.echo(f"  {reason:<34} {count}")
    click.echo(summary.one_line(), err=True)


@click.group(cls=IngestGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="leadpipe")
@click.option("--db", metavar="URL", help="Database URL (else LEADPIPE_DB, else sqlite:///vicidial.db).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, *, debug: bool) -> None:
    """Load leads into VICIdial with add_lead's rules, in bulk.

    \b
    Example:
        leadpipe run nightly
    """
    ctx.obj = {"db": db, "debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.DEBUG if debug else logging.INFO)


@cli.command("init-db")
@click.option("--demo", is_flag=True, help="Also write campaign TESTCAMP, lists 101/102 and user 6666.")
@click.pass_context
def init_db(ctx: click.Context, *, demo: bool) -> None:
    """Create the embedded SQLite database with every VICIdial table and the reference data.

    \b
    Example:
        leadpipe init-db --demo
        leadpipe --db sqlite:///x.db init-db
    """
    engine = connect(_db_url(ctx.obj.get("db")))
    ctx.call_on_close(engine.dispose)
    written = _init(engine, demo=demo)
    for table, rows in written.items():
        click.echo(f"{table}: {rows} rows loaded")
    click.echo(f"ready: {display_url(engine.url)}")


@cli.group(context_settings=CONTEXT)
def refdata() -> None:
    """Reference data: time zones by area code and postal code."""


@refdata.command("load")
@click.pass_context
def refdata_load(ctx: click.Context) -> None:
    """Fill vicidial_phone_codes and vicidial_postal_codes where they are empty.

    \b
    Example:
        leadpipe --db mysql+pymysql://cron:pw@db/asterisk refdata load
    """
    engine = connect(_db_url(ctx.find_root().obj.get("db")))
    ctx.call_on_close(engine.dispose)
    missing = [t for t in ("vicidial_phone_codes", "vicidial_postal_codes") if t in missing_tables(engine)]
    if missing:
        msg = f"`{display_url(engine.url)}` has no table {', '.join(missing)}: is it a VICIdial database?"
        raise IngestError(msg)
    for table, rows in load_reference_data(engine).items():
        click.echo(f"{table}: {rows} rows loaded" if rows else f"{table}: already filled, left as is")


_SETTING_NAMES = ("list_id", "phone_code", *OPTION_FIELDS)
"""add_lead parameters a load takes as options (`--duplicate-check`, …) and pipeline keys."""


def addlead_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add one `--<parameter>` option per add_lead setting (ingest.md 3.3), named like it."""
    for name in reversed(_SETTING_NAMES):
        flag = "--" + name.replace("_", "-")
        func = click.option(flag, name, default=None, metavar="VALUE",
                            help=f"add_lead `{name}` for rows without their own `{name}` column.")(func)
    return func


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options every lead-loading command shares."""
    options = [
        click.option("--user", default=None, help="VICIdial user the leads are loaded for [default: 6666]."),
        click.option("--now", help="Fixed server time `YYYY-MM-DD HH:MM:SS` for every time rule."),
        click.option("--server-tz", help="IANA time zone of the VICIdial web server (default: this machine's)."),
        click.option("--results", type=click.Path(path_type=Path), help="Write one JSON object per input row here."),
        click.option("--rejects", type=click.Path(path_type=Path), help="Write the rejected rows here (CSV)."),
        click.option("--report", type=click.Path(path_type=Path), help="Write the JSON run report here."),
        click.option("--batch-rows", type=click.IntRange(1), default=None, help="Rows per batch [default: 10000]."),
        click.option("--force-reload", is_flag=True, help="Load again rows an earlier run already loaded."),
        click.option("--dry-run", is_flag=True, help="Validate and write results/rejects; write nothing to VICIdial."),
        click.option("--keep-indexes", is_flag=True,
                     help="Never switch an empty MyISAM vicidial_list's indexes off during the load."),
        click.option("--quiet", is_flag=True, help="No progress bar; plain log lines only."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _progress(*, quiet: bool) -> tuple[Callable[[int, float], None], Callable[[], None]]:
    """A progress bar on a terminal (rows, rows/s, ETA); plain log lines under cron or `--quiet`."""
    started = time.perf_counter()
    done = [0]
    if quiet or not sys.stderr.isatty():

        def log_rows(n: int, _fraction: float) -> None:
            done[0] += n
            rate = done[0] / max(time.perf_counter() - started, 1e-9)
            log.info("rows done: %d (%.0f rows/s)", done[0], rate)

        return log_rows, lambda: None
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.fields[rows]:,} rows"), BarColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=True,
    )
    task = bar.add_task("load", total=1000, rows=0, rate="")

    def advance(n: int, fraction: float) -> None:
        done[0] += n
        rate = done[0] / max(time.perf_counter() - started, 1e-9)
        bar.update(task, completed=int(fraction * 1000), rows=done[0], rate=f"{rate:,.0f} rows/s")

    bar.start()
    return advance, bar.stop


def _run_load(ctx: click.Context, files: list[Path], settings: LoadSettings, clock: Clock, *, quiet: bool) -> None:
    engine = _engine(ctx, init_embedded=True)
    on_rows, stop = _progress(quiet=quiet)
    try:
        summary = load_files(files, engine=engine, settings=settings, clock=clock, on_rows=on_rows)
    finally:
        stop()
    _print_summary(summary)
    if summary.rejected:
        ctx.exit(EXIT_REJECTS)


def _settings(user: str | None, options: dict[str, Any], extra: dict[str, Any]) -> LoadSettings:
    chosen = {k: str(v) for k, v in options.items() if v is not None}
    return LoadSettings(
        user=user or "6666", options=chosen,
        batch_rows=extra.get("batch_rows") or 10_000, force_reload=extra["force_reload"],
        dry_run=extra["dry_run"], results=extra.get("results"), rejects=extra.get("rejects"),
        report=extra.get("report"), mapping=MappingOptions(), defer_indexes=not extra["keep_indexes"],
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@addlead_options
@run_options
@click.pass_context
def load(ctx: click.Context, files: tuple[Path, ...], **kw: Any) -> None:
    """Load lead files (CSV with add_lead field names) into vicidial_list.

    \b
    Example:
        leadpipe load sample_data/leads.csv --list-id 101 --duplicate-check DUPLIST
    """
    options = {name: kw.pop(name) for name in _SETTING_NAMES}
    clock = _clock(kw.pop("now"), kw.pop("server_tz"))
    quiet = kw.pop("quiet")
    _run_load(ctx, list(files), _settings(kw.pop("user"), options, kw), clock, quiet=quiet)


def _pipeline_settings(spec: PipelineSpec | FolderPipelineSpec, user: str | None, kw: dict[str, Any],
                       *, name: str) -> LoadSettings:
    return LoadSettings(
        user=user or spec.user, options=spec.addlead_options(), pipeline=name,
        batch_rows=kw.get("batch_rows") or spec.batch_rows, force_reload=kw["force_reload"],
        dry_run=kw["dry_run"], results=kw.get("results") or spec.results,
        rejects=kw.get("rejects") or spec.rejects, report=kw.get("report") or spec.report,
        read=spec.read_options(), mapping=spec.mapping_options(), defer_indexes=not kw["keep_indexes"],
    )


def _job_model(name: str, spec: JobSpec) -> ExportJobSpec | ListJobSpec:
    """Validate an export or list job's own keys, naming the pipeline and key on error."""
    model: type[ExportJobSpec] | type[ListJobSpec] = ExportJobSpec if spec.kind == "export" else ListJobSpec
    try:
        return model.model_validate(spec.job)
    except ValidationError as exc:
        lines = [
            f"pipelines.{name}.{'.'.join(str(p) for p in err['loc']) or '(job)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from exc


def _config(path: Path) -> ProjectConfig:
    config = load_config(path)
    for name, spec in config.pipelines.items():
        if isinstance(spec, JobSpec):
            _job_model(name, spec)
    return config


@cli.command()
@click.argument("pipeline")
@click.option("--config", "config_path", default="pipelines.toml", type=click.Path(path_type=Path),
              help="The pipelines file.")
@run_options
@click.pass_context
def run(ctx: click.Context, pipeline: str, config_path: Path, **kw: Any) -> None:
    """Run PIPELINE from pipelines.toml (a load, a folder, an export or a list job).

    \b
    Example:
        leadpipe run nightly
        leadpipe run nightly --dry-run --results out/results.jsonl
        leadpipe run leads_in --quiet
    """
    config = _config(config_path)
    spec = config.pipeline(pipeline)
    db = spec.db or config.db
    if db and not ctx.obj.get("db") and not os.environ.get("LEADPIPE_DB"):
        ctx.obj["db"] = db
    clock = _clock(kw.pop("now"), kw.pop("server_tz") or getattr(spec, "server_tz", None))
    quiet, user = kw.pop("quiet"), kw.pop("user")
    if isinstance(spec, PipelineSpec):
        settings = _pipeline_settings(spec, user, kw, name=pipeline)
        _run_load(ctx, spec.source_files(), settings, clock, quiet=quiet)
    elif isinstance(spec, FolderPipelineSpec):
        _run_folder(ctx, spec, _pipeline_settings(spec, user, kw, name=pipeline), clock, quiet=quiet)
    else:
        job = _job_model(pipeline, spec)
        engine = _engine(ctx, init_embedded=True)
        if isinstance(job, ExportJobSpec):
            result: Any = run_export_job(job, engine=engine, read_engine=None, clock_now=clock.now())
            click.echo(json.dumps(result, default=str, indent=2))
        else:
            if kw["dry_run"]:
                job = job.model_copy(update={"dry_run": True})
            outcome = run_list_job(job, engine=engine, now=clock.now())
            for line in getattr(outcome, "lines", []):
                click.echo(line)
            click.echo(json.dumps(getattr(outcome, "as_dict", lambda: {})(), default=str), err=True)


def _run_folder(ctx: click.Context, spec: FolderPipelineSpec, settings: LoadSettings, clock: Clock,
                *, quiet: bool) -> None:
    engine = _engine(ctx, init_embedded=True)
    rejected = 0

    def process(path: Path, list_id: str | None) -> dict[str, Any]:
        nonlocal rejected
        options = dict(settings.options)
        if list_id:
            options["list_id"] = list_id
        on_rows, stop = _progress(quiet=quiet)
        try:
            summary = load_files([path], engine=engine, settings=replace(settings, options=options),
                                 clock=clock, on_rows=on_rows)
        finally:
            stop()
        rejected += summary.rejected
        _print_summary(summary, label=path.name)
        return summary.as_dict()

    results = run_folder(spec, process, now=clock.now(), engine=engine, dry_run=settings.dry_run)
    for item in results:
        click.echo(f"{item.path.name}: {item.status}" + (f" ({item.error})" if item.error else ""))
    if not results:
        click.echo(f"no file waiting in {spec.incoming}")
    if any(r.status == "failed" for r in results):
        ctx.exit(EXIT_FAILURE)
    if rejected:
        ctx.exit(EXIT_REJECTS)


@cli.command("validate-config")
@click.option("--config", "config_path", default="pipelines.toml", type=click.Path(path_type=Path),
              help="The pipelines file.")
def validate_config(config_path: Path) -> None:
    """Check pipelines.toml: every pipeline, key and value; problems are listed with their line.

    \b
    Example:
        leadpipe validate-config --config /etc/leadpipe/pipelines.toml
    """
    config = _config(config_path)
    click.echo(f"{config_path}: {len(config.pipelines)} pipelines, all valid")


@cli.command("list")
@click.option("--config", "config_path", default="pipelines.toml", type=click.Path(path_type=Path),
              help="The pipelines file.")
def list_pipelines(config_path: Path) -> None:
    """Show the pipelines of pipelines.toml: name, kind and description.

    \b
    Example:
        leadpipe list
    """
    config = _config(config_path)
    width = max((len(n) for n in config.pipelines), default=4)
    for name, spec in sorted(config.pipelines.items()):
        click.echo(f"{name:<{width}}  {spec.kind:<7} {spec.description}")


cli.add_command(export)
cli.add_command(lists)
cli.add_command(serve)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="leadpipe")
