"""Errors of the ingest layer: bad configuration, unreadable input, and their exit codes."""

from __future__ import annotations


class IngestError(Exception):
    """A run could not start or go on; the message says what to do next."""


class ConfigError(IngestError):
    """`pipelines.toml` or a command-line setting is invalid."""


class InputError(IngestError):
    """A source file cannot be read at all."""


EXIT_OK = 0
"""Run finished and every row was written (or already loaded)."""
EXIT_FAILURE = 1
"""Needs a person: an operation refused (permission, missing confirmation) or an internal error."""
EXIT_USAGE = 2
"""Command-line usage error (click's own)."""
EXIT_REJECTS = 3
"""Run finished; some rows were rejected and are in the rejects output (data, not failure)."""
EXIT_CONFIG = 4
"""Bad configuration: `pipelines.toml`, an option value, the database URL, the `--user`."""
EXIT_INPUT = 5
"""An input file cannot be read at all (missing, empty, unknown format, no `phone_number`)."""
EXIT_DATABASE = 6
"""The database refused a statement (terminal: rerunning will fail the same way)."""
EXIT_TEMPORARY = 75
"""Temporary database problem (unreachable, lock, lost connection): rerunning is safe."""


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of a known error (see the table in README.md)."""
    from sinks.errors import SinkConfigError, SinkRetryableError

    if isinstance(exc, ConfigError | SinkConfigError):
        return EXIT_CONFIG
    if isinstance(exc, InputError):
        return EXIT_INPUT
    if isinstance(exc, SinkRetryableError):
        return EXIT_TEMPORARY
    return EXIT_FAILURE
