"""`leadpipe serve`: the add_lead-compatible HTTP receiver (registered by `ingest.cli`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click
import uvicorn

from ingest.clock import Clock, parse_now
from ingest.spool import Drainer, ProcessLoader, Spool, SpoolSettings
from ingest.webhook import ServeSettings, WebhookServer, create_app
from sinks.database import DEFAULT_URL, connect, display_url

__all__ = ["serve"]

log = logging.getLogger(__name__)

CONTEXT = {"help_option_names": ["-h", "--help"], "show_default": True}


def _db_url(ctx: click.Context) -> str:
    obj = ctx.find_root().obj or {}
    return str(obj.get("db") or os.environ.get("LEADPIPE_DB") or DEFAULT_URL)


@click.command("serve", context_settings=CONTEXT)
@click.option(
    "--host",
    default="127.0.0.1",
    help="Address to listen on (loopback unless you front it with a proxy).",
)
@click.option("--port", default=8089, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--spool",
    "spool_dir",
    default=Path("spool"),
    type=click.Path(file_okay=False, path_type=Path),
    help="Spool directory (one server per directory).",
)
@click.option(
    "--mode",
    type=click.Choice(["sync", "queued"]),
    default="sync",
    help="sync: answer with the lead id lines; queued: answer at once with a request id.",
)
@click.option(
    "--max-body-bytes", default=10 << 20, type=click.IntRange(1), help="Largest request body."
)
@click.option(
    "--max-leads-per-request",
    default=10_000,
    type=click.IntRange(1),
    help="Most leads in one JSON batch.",
)
@click.option(
    "--batch-ms",
    default=50,
    type=click.IntRange(0),
    help="Micro-batch: wait this long for more leads.",
)
@click.option(
    "--batch-rows",
    default=20_000,
    type=click.IntRange(1),
    help="Micro-batch: at most this many leads.",
)
@click.option(
    "--max-spool-bytes",
    default=512 << 20,
    type=click.IntRange(1),
    help="Undrained bytes beyond which requests get 503 with Retry-After.",
)
@click.option(
    "--segment-bytes",
    default=64 << 20,
    type=click.IntRange(1),
    help="Rotate spool segments at this size.",
)
@click.option(
    "--segment-seconds", default=300.0, type=click.FloatRange(0.1), help="…or at this age."
)
@click.option(
    "--read-timeout",
    default=30.0,
    type=click.FloatRange(0.1),
    help="Seconds to receive a request body.",
)
@click.option(
    "--result-timeout",
    default=60.0,
    type=click.FloatRange(0.1),
    help="sync mode: seconds to wait for a lead's result before answering with its request id.",
)
@click.option(
    "--auth-cache-seconds",
    default=5.0,
    type=click.FloatRange(0),
    help="Reuse a successful login this long.",
)
@click.option(
    "--failed-logins-per-ip",
    default=30,
    type=click.IntRange(1),
    help="Failed logins an address may make per window before it gets 429.",
)
@click.option(
    "--failed-login-window",
    default=300.0,
    type=click.FloatRange(1),
    help="That window, in seconds.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(1),
    default=None,
    help="Most open connections and tasks; beyond it new requests get 503 (uvicorn).",
)
@click.option(
    "--drain-timeout",
    default=60.0,
    type=click.FloatRange(0),
    help="Shutdown: seconds to drain the spool.",
)
@click.option(
    "--drain",
    "drain_in",
    type=click.Choice(["process", "thread"]),
    default="process",
    help="Load micro-batches in a child process (keeps the HTTP loop responsive) or a thread.",
)
@click.option("--now", help="Freeze the server clock (YYYY-MM-DD HH:MM:SS), for tests and replays.")
@click.option(
    "--server-tz", help="IANA time zone of the VICIdial web server (default: this machine's)."
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="warning",
)
@click.pass_context
def serve(
    ctx: click.Context,
    *,
    host: str,
    port: int,
    spool_dir: Path,
    mode: str,
    max_body_bytes: int,
    max_leads_per_request: int,
    batch_ms: int,
    batch_rows: int,
    max_spool_bytes: int,
    segment_bytes: int,
    segment_seconds: float,
    read_timeout: float,
    result_timeout: float,
    auth_cache_seconds: float,
    failed_logins_per_ip: int,
    failed_login_window: float,
    drain_timeout: float,
    limit_concurrency: int | None,
    drain_in: str,
    now: str | None,
    server_tz: str | None,
    log_level: str,
) -> None:
    """Serve VICIdial's add_lead API over HTTP, spooling every lead before loading it in bulk.

    Routes: /vicidial/non_agent_api.php (function=add_lead, function=version), POST /leads
    (JSON batch), GET /leads/results/ID, GET /health. A request is answered only once its
    leads are on disk; a restart drains what a crash left behind, writing no lead twice.

    \b
    Example:
        leadpipe serve --port 8089 --spool /var/spool/leadpipe
        curl 'http://127.0.0.1:8089/vicidial/non_agent_api.php?source=test&user=6666&pass=1234&function=add_lead&phone_number=7275551111&list_id=101'
    """
    url = _db_url(ctx)
    engine = connect(url)
    ctx.call_on_close(engine.dispose)
    clock = Clock(fixed=parse_now(now) if now else None, server_tz_name=server_tz)
    spool = Spool(
        spool_dir,
        SpoolSettings(
            max_pending_bytes=max_spool_bytes,
            segment_bytes=segment_bytes,
            segment_seconds=segment_seconds,
            batch_ms=batch_ms,
            batch_rows=batch_rows,
        ),
    )
    settings = ServeSettings(
        mode=mode,
        max_body_bytes=max_body_bytes,
        max_leads_per_request=max_leads_per_request,
        read_timeout=read_timeout,
        result_timeout=result_timeout,
        auth_cache_seconds=auth_cache_seconds,
        failed_logins_per_ip=failed_logins_per_ip,
        failed_login_window=failed_login_window,
        drain_timeout=drain_timeout,
    )
    loader = ProcessLoader(url, clock, spool_dir) if drain_in == "process" else None
    drainer = Drainer(spool, engine=engine, clock=clock, **({"load": loader} if loader else {}))
    server = WebhookServer(
        engine=engine, spool=spool, clock=clock, settings=settings, drainer=drainer
    )
    config = uvicorn.Config(
        create_app(server),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=max(5, int(result_timeout)),
        lifespan="on",
        limit_concurrency=limit_concurrency,
        server_header=False,
    )
    click.echo(
        f"leadpipe serve: http://{host}:{port} ({mode}) → {display_url(url)}, spool {spool_dir}",
        err=True,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        spool.close()
        if loader is not None:
            loader.close()
