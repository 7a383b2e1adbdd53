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
EXIT_REJECTS = 3
"""Run finished; some rows were rejected and are in the rejects output (data, not failure)."""
EXIT_FAILURE = 1
"""Needs a person: bad config, unreadable source, terminal database error."""
EXIT_USAGE = 2
"""Command-line usage error (click's own)."""
EXIT_TEMPORARY = 75
"""Temporary database problem (lock, lost connection): rerunning the same command is safe."""
