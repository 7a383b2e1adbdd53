"""Errors raised by the sinks: terminal ones, and retryable ones a scheduler may rerun."""

from __future__ import annotations


class SinkError(Exception):
    """A sink could not do its work; the message says what and what to do next."""


class SinkConfigError(SinkError):
    """The database URL or a target setting is unusable."""


class SinkRetryableError(SinkError):
    """A temporary database failure (lock wait timeout, lost connection): rerunning is safe."""


class SinkConnectionError(SinkRetryableError):
    """The database could not be reached."""
