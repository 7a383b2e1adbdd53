"""VICIdial's daylight-saving range codes (`DST_range`) and the clock add_lead judges them on.

Pure Python, no frames: `rules.timezone` calls these once per distinct (offset, range) pair.
Everything here follows spec `ingest.md` 8.4, which describes VICIdial's own month/day/second
tests rather than any time-zone database: the switch moments are VICIdial's, not the legal ones.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import NamedTuple

__all__ = [
    "DST_CODES",
    "dst_in_effect",
    "lead_local_standard",
    "php_float_text",
    "php_number",
    "server_offset",
]


class _Switch(NamedTuple):
    """One transition month: DST flips once the latest Sunday `s` >= `on_after`, at `second`.

    `early` (VICIdial's first test, when set) declares the switch done on any day after it.
    `dst_before` is the DST state before the switch.
    """

    on_after: int
    second: int
    early: int | None
    dst_before: bool


class _Rule(NamedTuple):
    dst_months: frozenset[int]
    switches: dict[int, _Switch]


def _rule(dst_months: range | tuple[int, ...], switches: dict[int, _Switch]) -> _Rule:
    return _Rule(frozenset(dst_months), switches)


# NOTE: each entry mirrors the branch order of VICIdial's `lookup_gmt` code, quirks included:
# months outside `dst_months` and `switches` are standard time (LSS-FSA's September too, so its
# "last Sunday of September" start is unreachable and DST starts October 1 at 00:00).
_RULES: dict[str, _Rule] = {
    # USA/Canada: 2nd Sunday of March 02:00 (every day from March 14 on is DST) → 1st Sunday Nov.
    "SSM-FSN": _rule(range(4, 11), {3: _Switch(8, 7200, 13, dst_before=False),
                                    11: _Switch(1, 7200, 7, dst_before=True)}),
    # Mexico: 1st Sunday of April 02:00 → last Sunday of October 02:00.
    "FSA-LSO": _rule(range(5, 10), {4: _Switch(1, 7200, 7, dst_before=False),
                                    10: _Switch(25, 7200, None, dst_before=True)}),
    # Europe: last Sunday of March 01:00 → last Sunday of October 01:00 (local standard time).
    "LSM-LSO": _rule(range(4, 10), {3: _Switch(25, 3600, None, dst_before=False),
                                    10: _Switch(25, 3600, None, dst_before=True)}),
    # Australia: last Sunday of October 01:00 → last Sunday of March 01:00.
    "LSO-LSM": _rule((1, 2, 11, 12), {3: _Switch(25, 3600, None, dst_before=True),
                                      10: _Switch(25, 3600, None, dst_before=False)}),
    # Tasmania: 1st Sunday of October 01:00 → last Sunday of March 01:00.
    "FSO-LSM": _rule((1, 2, 11, 12), {3: _Switch(25, 3600, None, dst_before=True),
                                      10: _Switch(1, 3600, 7, dst_before=False)}),
    # Australia 2008+: 1st Sunday of October 01:00 → 1st Sunday of April 02:00.
    "FSO-FSA": _rule((1, 2, 3, 11, 12), {4: _Switch(1, 7200, 7, dst_before=True),
                                         10: _Switch(1, 3600, 7, dst_before=False)}),
    # New Zealand (old): 1st Sunday of October 01:00 → first Sunday on/after March 14 01:00.
    "FSO-TSM": _rule((1, 2, 11, 12), {3: _Switch(14, 3600, None, dst_before=True),
                                      10: _Switch(1, 3600, 7, dst_before=False)}),
    # New Zealand 2007+: October 1 00:00 (see NOTE) → 1st Sunday of April 02:00.
    "LSS-FSA": _rule((1, 2, 3, 10, 11, 12), {4: _Switch(1, 7200, 7, dst_before=True)}),
    # Brazil: first Sunday on/after October 22 01:00 → first Sunday on/after February 22 01:00.
    "TSO-LSF": _rule((1, 11, 12), {2: _Switch(22, 3600, None, dst_before=True),
                                   10: _Switch(22, 3600, None, dst_before=False)}),
}

DST_CODES: tuple[str, ...] = tuple(_RULES)
"""The `DST_range` codes add_lead acts on; any other value (`''`, `N`, …) never adds an hour."""


def dst_in_effect(code: str, local_standard: datetime) -> bool:
    """Whether VICIdial's rule `code` says DST is on at the lead's local *standard* time.

    From `local_standard` take month, day `d`, weekday `w` (0 = Sunday), seconds since midnight
    `t`, and `s = d - w` (the latest Sunday of the month, <= 0 if none yet). In a transition
    month the switch has happened when the day is past VICIdial's "early" bound, or when
    `s` reached the rule's first possible day and it is not that Sunday before the switch second.
    The code is compared exactly (case-sensitive); unknown codes are never DST.

    NOTE: like VICIdial, the "not yet" test on a Sunday does not check that it is the *first*
    qualifying Sunday, so where a month can hold two of them (FSO-TSM in March, TSO-LSF in
    October, and TSO-LSF on a Sunday February 29) the later Sunday briefly reverts before
    01:00, e.g. FSO-TSM says DST at 00:30 on the Sunday a week after DST ended.

    >>> dst_in_effect("SSM-FSN", datetime(2024, 3, 10, 1, 59, 59))
    False
    >>> dst_in_effect("SSM-FSN", datetime(2024, 3, 10, 2))
    True
    >>> dst_in_effect("ssm-fsn", datetime(2024, 7, 1))
    False
    """
    rule = _RULES.get(code)
    if rule is None:
        return False
    month = local_standard.month
    switch = rule.switches.get(month)
    if switch is None:
        return month in rule.dst_months
    d = local_standard.day
    w = local_standard.isoweekday() % 7  # PHP date("w"): 0 = Sunday
    t = local_standard.hour * 3600 + local_standard.minute * 60 + local_standard.second
    s = d - w
    switched = (switch.early is not None and d > switch.early) or (
        s >= switch.on_after and not (w == 0 and t < switch.second)
    )
    return switch.dst_before != switched


def lead_local_standard(
    server_now: datetime, lead_offset: float, server_offset: float
) -> datetime:
    """The clock VICIdial judges DST on: server time moved by the offset difference.

    The hour becomes `server hour + (lead_offset - server_offset)` with that sum truncated toward
    zero (PHP's float-to-int in `mktime`), minutes and seconds unchanged, days rolling over. So a
    half-hour zone is evaluated up to 30 minutes off. Sub-second precision is dropped (PHP has
    none).

    >>> lead_local_standard(datetime(2024, 1, 1, 0, 15), -5.0, 0.0)
    datetime.datetime(2023, 12, 31, 19, 15)
    >>> lead_local_standard(datetime(2024, 1, 1, 10, 15), 5.5, 0.0)
    datetime.datetime(2024, 1, 1, 15, 15)
    """
    hour = math.trunc(server_now.hour + (lead_offset - server_offset))
    midnight = server_now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(hours=hour, minutes=server_now.minute, seconds=server_now.second)


def server_offset(
    servers_local_gmt: str | None, *, server_is_dst: bool, server_utc_offset_hhmm: str
) -> float:
    """VICIdial's server offset `S` (spec 8.4 step 1).

    Args:
        servers_local_gmt: `servers.local_gmt` of the first row with `active`=`Y`, or None
            when there is no such row.
        server_is_dst: whether the web server's own time zone is in DST now.
        server_utc_offset_hhmm: the web server's current UTC offset as PHP's `date("O")`
            prints it, e.g. `-0500`.

    With a server row the result is `local_gmt` plus 1 in DST (an empty `local_gmt` counts as 0,
    as PHP's unset variable does). Without one it is the `±HHMM` text read as a number and
    divided by 100, so `+0530` gives 5.3, not 5.5 (a VICIdial bug), and DST is not added again.

    >>> server_offset("-5.00", server_is_dst=True, server_utc_offset_hhmm="-0400")
    -4.0
    >>> server_offset(None, server_is_dst=False, server_utc_offset_hhmm="+0530")
    5.3
    """
    if servers_local_gmt is None:
        return php_number(server_utc_offset_hhmm) / 100
    value = php_number(servers_local_gmt)
    return value + 1 if server_is_dst else value


_NUMERIC_PREFIX = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def php_number(text: str | None) -> float:
    """Read a text the way PHP arithmetic does: its leading number, else 0.

    >>> php_number("-5.00"), php_number("+0530"), php_number(""), php_number(None)
    (-5.0, 530.0, 0.0, 0.0)
    """
    if text is None:
        return 0.0
    match = _NUMERIC_PREFIX.match(text)
    return float(match.group()) if match else 0.0


def php_float_text(value: float) -> str:
    """Print a number as PHP's `echo` prints a float (precision 14, no trailing zeros).

    >>> php_float_text(-4.0), php_float_text(-2.5), php_float_text(6.0)
    ('-4', '-2.5', '6')
    """
    return format(value, ".14G")
