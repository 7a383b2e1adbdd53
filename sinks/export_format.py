"""How VICIdial's non-agent API prints exports: sanitising, `sec_convert`, `MathZDC`, PHP rounding.

Every function here is pure and follows `shared/spec/exports.md` sections 1.2, 1.6 and 2:

* parameters are sanitised by deleting characters outside a per-parameter set (1.2);
* the delimiter comes from `stage` (1.6), values are never quoted;
* seconds are rendered by `sec_convert` (2.1), divisions go through `math_zdc` (2.2), and
  rounding is PHP's `round` (half away from zero after pre-rounding to 15 significant digits, 2.3);
* rounded numbers print the way PHP echoes a float (2.4).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "RESULT_LIMIT",
    "ApiParams",
    "delimiter",
    "field_text",
    "leading_int",
    "math_zdc",
    "php_number",
    "php_round",
    "sanitize",
    "sec_convert",
]

RESULT_LIMIT = 100_000
"""The API's row cap for recording_lookup, did_log_export and phone_number_log (per query)."""

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()

# (extra characters, letters allowed) per parameter; digits are always listed explicitly.
_WORD = ("-_" + _DIGITS, True)
_ALNUM = (_DIGITS, True)
_SETS: dict[str, tuple[str, bool]] = {
    "user": _WORD,
    "pass": _WORD,
    "agent_user": _WORD,
    "function": _WORD,
    "stage": _WORD,
    "type": _WORD,
    "extension": _WORD,
    "duration": _WORD,
    "campaign_id": _WORD,
    "ingroups": _WORD,
    "source": _ALNUM,
    "header": _ALNUM,
    "group_by_campaign": _ALNUM,
    "archived_lead": _ALNUM,
    "phone_number": ("," + _DIGITS, False),
    "lead_id": (_DIGITS, False),
    "file_download": (_DIGITS, False),
    "uniqueid": ("- ._" + _DIGITS, True),
    "datetime_start": ("- +:_" + _DIGITS, False),
    "datetime_end": ("- +:_" + _DIGITS, False),
    "campaigns": ("-|_," + _DIGITS, True),
    "user_groups": ("-|_," + _DIGITS, True),
    "users": ("-_," + _DIGITS, True),
    "categories": ("-_," + _DIGITS, True),
    "statuses": ("- .,_" + _DIGITS, True),
    "did_ids": (",+" + _DIGITS, True),
    "did_patterns": (":+*#._," + _DIGITS, True),
    "date": ("-" + _DIGITS, False),
    "query_date": ("-" + _DIGITS, False),
    "end_date": ("-" + _DIGITS, False),
    "query_time": (":" + _DIGITS, False),
    "end_time": (":" + _DIGITS, False),
}
_UPPER_ONLY = frozenset({"time_format", "detail", "search_location"})
_ONE_OR_Y = frozenset({"status_breakdown", "show_percentages"})


def sanitize(name: str, value: str, *, non_latin: bool = False) -> str:
    """Delete the characters the API strips from parameter `name` (spec 1.2).

    With `non_latin` (system setting `use_non_latin` = 1) "letters" means any Unicode letter.

    >>> sanitize("agent_user", "10'01 x"), sanitize("time_format", "hf"), sanitize("header", "YES!")
    ('1001x', '', 'YES')
    """
    if name in _UPPER_ONLY:
        return "".join(ch for ch in value if ch in _UPPER)
    if name in _ONE_OR_Y:
        return "".join(ch for ch in value if ch in "1Y")
    if name not in _SETS:
        msg = f"no sanitising rule for parameter `{name}`"
        raise KeyError(msg)
    extra, letters = _SETS[name]

    def keep(ch: str) -> bool:
        if ch in extra:
            return True
        if not letters:
            return False
        return ch.isalpha() if non_latin else (ch in _UPPER or ch in _LOWER)

    return "".join(ch for ch in value if keep(ch))


def delimiter(stage: str) -> str:
    """The field delimiter for a sanitised `stage`: csv, tab, else pipe (spec 1.6).

    >>> delimiter("csv"), delimiter("tab"), delimiter("CSV")
    (',', '\\t', '|')
    """
    return {"csv": ",", "tab": "\t", "pipe": "|"}.get(stage, "|")


def php_round(value: float | int | Decimal, places: int = 0) -> Decimal:
    """PHP `round`: pre-round to 15 significant digits, then half away from zero (spec 2.3).

    >>> php_round(2.5), php_round(16.25, 1), php_round(-0.5), php_round(1.955, 2)
    (Decimal('3'), Decimal('16.3'), Decimal('-1'), Decimal('1.96'))
    """
    exact = Decimal(value) if isinstance(value, int | Decimal) else Decimal(f"{value:.15g}")
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def php_number(value: Decimal | int) -> str:
    """Print a rounded number as PHP echoes it: no decimal point when integral (spec 2.4).

    >>> php_number(Decimal("100.0")), php_number(Decimal("66.7")), php_number(0)
    ('100', '66.7', '0')
    """
    number = Decimal(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def math_zdc(dividend: float | int | Decimal, divisor: float | int | Decimal) -> float:
    """VICIdial's `MathZDC`: 0 when either side is 0, else the float quotient (spec 2.2).

    >>> math_zdc(35, 2), math_zdc(5, 0), math_zdc(0, 3)
    (17.5, 0, 0)
    """
    if divisor == 0 or dividend == 0:
        return 0
    return float(dividend) / float(divisor)


def sec_convert(seconds: float | int | Decimal, time_format: str) -> str:
    """Render seconds like VICIdial's `sec_convert` for a sanitised `time_format` (spec 2.1).

    `H` and `HF` (the default when empty) print `h:mm:ss` with unbounded hours, `M` prints
    `m:ss`, `S` and unknown formats print the rounded seconds; anything below 1 prints the
    format's zero (`0:00:00`, `0`, or `0:00` for `M` and unknown formats).

    >>> sec_convert(90005, "H"), sec_convert(5023, "M"), sec_convert(0, "X"), sec_convert(59, "X")
    ('25:00:05', '83:43', '0:00', '59')
    """
    fmt = time_format or "HF"
    whole = int(php_round(seconds))
    if whole < 1:
        if fmt in ("H", "HF"):
            return "0:00:00"
        return "0" if fmt == "S" else "0:00"
    if fmt in ("H", "HF"):
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if fmt == "M":
        minutes, secs = divmod(whole, 60)
        return f"{minutes}:{secs:02d}"
    return str(whole)


_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


def leading_int(text: str) -> int:
    """The integer PHP reads from the start of a string (`0:03:40` → 0, `220` → 220).

    >>> leading_int("12:05:00"), leading_int("3:40"), leading_int("")
    (12, 3, 0)
    """
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else 0


def field_text(value: Any) -> str:
    """A database value as the API prints it: NULL → '', datetimes as `YYYY-MM-DD HH:MM:SS`.

    >>> field_text(None), field_text(dt.datetime(2010, 12, 3, 12, 0, 1)), field_text(7)
    ('', '2010-12-03 12:00:01', '7')
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class ApiParams(BaseModel):
    """Base of the per-export parameter models: every field is an API parameter, as text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sanitized(self, *, non_latin: bool = False) -> dict[str, str]:
        """Every parameter after the API's character filter (spec 1.2)."""
        return {
            name: sanitize(name, str(value), non_latin=non_latin)
            for name, value in self.model_dump().items()
        }
