"""Engines for the two targets: a real VICIdial database on MariaDB/MySQL, or the embedded SQLite file."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sinks import tables
from sinks.errors import SinkConfigError, SinkConnectionError, SinkError

__all__ = [
    "DEFAULT_URL",
    "connect",
    "create_embedded_schema",
    "display_url",
    "is_mysql",
    "is_sqlite",
    "missing_tables",
]

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///vicidial.db"
"""The embedded default: a SQLite file in the current directory."""

_SUPPORTED = ("sqlite", "mysql", "mariadb")


def display_url(url: str | sa.URL) -> str:
    """Render a URL for messages, with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable url>"


def connect(url: str, *, check: bool = True) -> sa.Engine:
    """Create an engine for `url` and, with `check`, prove that the database answers.

    Raises:
        SinkConfigError: the URL cannot be parsed or names an unsupported backend.
        SinkConnectionError: the database did not answer.
    """
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        msg = (
            f"database url `{url}` is not valid: use `sqlite:///vicidial.db` or "
            "`mysql+pymysql://user:pass@host/asterisk`"
        )
        raise SinkConfigError(msg) from exc
    backend = parsed.get_backend_name()
    if backend not in _SUPPORTED:
        msg = f"database `{display_url(parsed)}` uses `{backend}`; leadpipe supports sqlite and mysql/mariadb"
        raise SinkConfigError(msg)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": 60}
    else:
        if parsed.get_driver_name() not in ("pymysql", ""):
            msg = f"database `{display_url(parsed)}`: use the pymysql driver (`mysql+pymysql://…`)"
            raise SinkConfigError(msg)
        parsed = parsed.set(drivername="mysql+pymysql")
        kwargs["connect_args"] = {"local_infile": True, "connect_timeout": 10}
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except Exception as exc:  # the driver may be missing or an option misspelt
        msg = f"cannot use database `{display_url(parsed)}`: {exc}"
        raise SinkConfigError(msg) from exc
    if backend == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
            msg = f"cannot connect to `{display_url(parsed)}`: {reason}"
            raise SinkConnectionError(msg) from exc
        except sa.exc.DBAPIError as exc:
            engine.dispose()
            msg = f"cannot connect to `{display_url(parsed)}`: {exc.orig}"
            raise SinkError(msg) from exc
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def is_sqlite(engine: sa.Engine | sa.Connection) -> bool:
    """True when the target is the embedded SQLite database."""
    return engine.dialect.name == "sqlite"


def is_mysql(engine: sa.Engine | sa.Connection) -> bool:
    """True when the target is MariaDB or MySQL (a real VICIdial database)."""
    return engine.dialect.name in ("mysql", "mariadb")


def lock_name(conn: sa.Connection, what: str) -> str:
    """MySQL: a `GET_LOCK` name for `what` in the connection's database (names are server-wide,
    so the database is part of the name; hashed, as names are limited to 64 characters)."""
    database = str(conn.exec_driver_sql("SELECT DATABASE()").scalar() or "")
    return f"leadpipe:{hashlib.sha1(database.encode()).hexdigest()[:16]}:{what}"  # noqa: S324


def missing_tables(engine: sa.Engine) -> list[str]:
    """Names of the VICIdial tables of the schema spec that the database lacks."""
    present = set(sa.inspect(engine).get_table_names())
    return sorted(name for name in tables.metadata.tables if name not in present)


def create_embedded_schema(engine: sa.Engine, conn: sa.Connection | None = None) -> None:
    """Create every VICIdial table of the schema spec in the embedded SQLite database.

    Raises:
        SinkConfigError: the target is MariaDB/MySQL, whose tables belong to VICIdial.
    """
    if not is_sqlite(engine):
        msg = (
            f"refusing to create tables in `{display_url(engine.url)}`: leadpipe never creates "
            "VICIdial tables on MariaDB/MySQL (install VICIdial there, then run `leadpipe refdata load`)"
        )
        raise SinkConfigError(msg)
    tables.metadata.create_all(conn if conn is not None else engine)
    log.info("created the VICIdial schema in %s", display_url(engine.url))
