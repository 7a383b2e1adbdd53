"""The one clock every time-dependent rule reads: real time, or a fixed `--now` for tests and reruns."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.errors import ConfigError

__all__ = ["Clock", "parse_now"]

_NOW_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$")


def parse_now(text: str) -> dt.datetime:
    """Parse `--now` (`YYYY-MM-DD HH:MM:SS`, ISO `T` form too) as a naive server wall-clock time.

    >>> parse_now("2026-11-23T10:18:30")
    datetime.datetime(2026, 11, 23, 10, 18, 30)
    """
    match = _NOW_RE.match(text.strip())
    if not match:
        msg = f"`--now` value `{text}` is not a time: use `YYYY-MM-DD HH:MM:SS`"
        raise ConfigError(msg)
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        msg = f"`--now` value `{text}` is not a valid date: {exc}"
        raise ConfigError(msg) from exc


def _machine_zone() -> dt.tzinfo:
    """This machine's zone with its DST rules: `TZ`, else the `/etc/localtime` link's name."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.readlink("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    local = dt.datetime.now().astimezone().tzinfo  # a fixed offset: no DST known
    assert local is not None
    return local


def _zone(name: str | None) -> dt.tzinfo:
    if not name:
        return _machine_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"server time zone `{name}` is unknown: use an IANA name such as `America/New_York`"
        raise ConfigError(msg) from exc


@dataclass(frozen=True)
class Clock:
    """Server wall clock (VICIdial's PHP time zone) and, when fixed, the frozen instant.

    `fixed` is a naive server wall-clock time; `server_tz` the IANA zone of the VICIdial web
    server (default: this machine's).
    """

    fixed: dt.datetime | None = None
    server_tz_name: str | None = None

    @property
    def server_tz(self) -> dt.tzinfo:
        """The server's time zone."""
        return _zone(self.server_tz_name)

    def now(self) -> dt.datetime:
        """Naive server wall-clock time now (the fixed time when one was given)."""
        if self.fixed is not None:
            return self.fixed
        return dt.datetime.now(self.server_tz).replace(tzinfo=None, microsecond=0)

    def utc_offset_hours(self, wall: dt.datetime) -> float:
        """The server zone's UTC offset at the given wall-clock time, in hours."""
        aware = wall.replace(tzinfo=self.server_tz)
        offset = aware.utcoffset()
        return (offset.total_seconds() if offset else 0.0) / 3600

    def is_dst(self, wall: dt.datetime) -> bool:
        """True when the server zone observes DST at the given wall-clock time."""
        aware = wall.replace(tzinfo=self.server_tz)
        dst = aware.dst()
        return bool(dst and dst.total_seconds())

    def utc(self, wall: dt.datetime) -> dt.datetime:
        """Naive UTC time of the given server wall-clock time."""
        aware = wall.replace(tzinfo=self.server_tz)
        return aware.astimezone(dt.UTC).replace(tzinfo=None)
