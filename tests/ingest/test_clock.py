"""The one clock: `--now` parsing, the server zone, DST and UTC conversion."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.clock import Clock, parse_now
from ingest.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23 10:18:30", dt.datetime(2026, 11, 23, 10, 18, 30)),
        ("2026-11-23T10:18:30", dt.datetime(2026, 11, 23, 10, 18, 30)),
        ("2026-11-23 10:18", dt.datetime(2026, 11, 23, 10, 18)),
        ("  2026-03-08 02:30:00 ", dt.datetime(2026, 3, 8, 2, 30)),
    ],
    ids=["space", "iso-t", "no-seconds", "padded"],
)
def test_parse_now(text: str, expected: dt.datetime) -> None:
    assert parse_now(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "`--now` value `yesterday` is not a time: use `YYYY-MM-DD HH:MM:SS`"),
        ("2026-02-30 10:00:00", "`--now` value `2026-02-30 10:00:00` is not a valid date: day is out of range for month"),
    ],
    ids=["words", "no-such-day"],
)
def test_parse_now_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_now(text)
    assert str(err.value) == message


def test_fixed_clock_is_frozen_and_converts_with_the_server_zone() -> None:
    clock = Clock(fixed=dt.datetime(2026, 7, 1, 12, 0, 0), server_tz_name="America/New_York")
    assert clock.now() == clock.now() == dt.datetime(2026, 7, 1, 12)
    assert clock.is_dst(clock.now())
    assert clock.utc_offset_hours(clock.now()) == -4.0
    assert clock.utc(clock.now()) == dt.datetime(2026, 7, 1, 16)
    winter = dt.datetime(2026, 11, 23, 12)
    assert not clock.is_dst(winter)
    assert clock.utc(winter) == dt.datetime(2026, 11, 23, 17)


def test_machine_zone_comes_from_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Australia/Sydney")
    clock = Clock(fixed=dt.datetime(2026, 1, 15, 9, 0))
    assert clock.utc_offset_hours(clock.now()) == 11.0
    assert clock.is_dst(clock.now())


def test_unknown_server_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="server time zone `Mars/Base` is unknown"):
        Clock(server_tz_name="Mars/Base").now()
