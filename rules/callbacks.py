"""Scheduled callbacks of accepted leads (add_lead step A18) and MySQL's lenient date parsing.

Spec: `shared/spec/ingest.md` section 14, `schema.md` section 8. The lead row itself gets status
`CBHOLD` from the lead writer for every `callback=Y` lead; this module builds the
`vicidial_callbacks` rows and the NOTICE line of each such lead. `now` (`entry_time`, `NOW`,
`{x}DAYS`) is one server wall-clock time per batch, as the runner passes it (spec 1, rule 2).

VICIdial writes `callback_datetime` into a DATETIME column and lets a non-strict MySQL/MariaDB
parse it; custom DATE and TIME fields are stored the same way. `parse_mysql_datetime`,
`parse_mysql_date` and `parse_mysql_time` reproduce what MariaDB 10.x (sql_mode '') stores for
the forms people send: delimited dates with any punctuation (`2026-11-30`, `2026/11/30 10:18`,
`26-11-30`, `2026-11-30T10:18:30`), digit-only forms (`20261130`, `261130`, `20261130101830`),
one- and two-digit years and parts, trailing garbage (kept, as MariaDB only warns), fractional
seconds (truncated, as MariaDB does; MySQL would round), zero months and days (kept: no
`NO_ZERO_IN_DATE`), impossible dates (`2026-02-30`, hour 24) → the zero value. The tests compare
them with a real MariaDB server on a corpus of such inputs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import datetime, timedelta

import polars as pl

__all__ = [
    "ZERO_DATE",
    "ZERO_DATETIME",
    "ZERO_TIME",
    "callback_rows",
    "parse_mysql_date",
    "parse_mysql_datetime",
    "parse_mysql_time",
    "resolve_callback_datetime",
]

ZERO_DATETIME = "0000-00-00 00:00:00"
ZERO_DATE = "0000-00-00"
ZERO_TIME = "00:00:00"

_FMT = "%Y-%m-%d %H:%M:%S"
_DAYS_RE = re.compile(r"[0-9]DAYS$", re.IGNORECASE)
_PUNCT = frozenset(string.punctuation)
_SPACE = frozenset(" \t\n\v\f\r")
_DIGITS = frozenset("0123456789")
_UINT_MAX = 4_294_967_295
_TIME_MAX_HOURS = 838

ROW_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "list_id",
    "campaign_id",
    "status",
    "entry_time",
    "callback_time",
    "modify_date",
    "user",
    "recipient",
    "comments",
    "user_group",
    "lead_status",
    "email_alert",
    "email_result",
    "customer_timezone",
    "customer_timezone_diff",
    "customer_time",
)
"""`vicidial_callbacks` columns written (all but the auto-increment `callback_id`)."""


# --- MySQL/MariaDB lenient parsing --------------------------------------------------------------


def _leap(year: int) -> bool:
    # MySQL's calc_days_in_year: year 0 is not a leap year.
    return year % 4 == 0 and (year % 100 != 0 or (year % 400 == 0 and year != 0))


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _skip_digits(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in _DIGITS:
        pos += 1
    return pos


def _datetime_parts(text: str) -> tuple[int, int, int, int, int, int] | None:
    """MariaDB's str_to_datetime for sql_mode '': the parts, or None for an invalid value."""
    s = text.strip(" \t\n\v\f\r")
    if s.startswith("-"):
        return None
    if s.startswith("+"):
        s = s[1:]
    n = len(s)
    # Digit-only ("internal") forms: YYYYMMDD, YYMMDDhhmmss, ...T..., ....uuuuuu (>= 12 digits).
    pos = _skip_digits(s, 0)
    digits = pos
    if pos < n and s[pos] == "T":
        end = _skip_digits(s, pos + 1)
        digits += end - pos - 1
        pos = end
    if pos < n and s[pos] == "." and digits >= 12:
        pos = _skip_digits(s, pos + 1)
    # Trailing letters do not stop the digit-only reading (`20261130x` is 2026-11-30).
    core = n
    while core > 0 and s[core - 1] not in _DIGITS and s[core - 1] not in _PUNCT:
        core -= 1
    internal = pos >= core
    year_length = 4 if digits in (4, 8) or digits >= 14 else 2
    field_length = year_length if internal else 4
    date = [0] * 7
    date_len = [0] * 7
    not_zero = False
    p = 0
    i = 0
    while i < 7 and p < n and s[p] in _DIGITS:
        start = p
        value = ord(s[p]) - 48
        p += 1
        until_delim = not internal and i != 6
        remaining = field_length
        while p < n and s[p] in _DIGITS:
            if not until_delim:
                remaining -= 1
                if remaining == 0:
                    break
            value = value * 10 + ord(s[p]) - 48
            p += 1
        date_len[i] = p - start
        if value > 999_999:
            return None
        date[i] = value
        not_zero = not_zero or value != 0
        field_length = 2
        if p == n:
            i += 1
            break
        if i == 2 and s[p] == "T":  # ISO 8601 date/time separator
            p += 1
            i += 1
            continue
        if i == 5:  # seconds: maybe followed by a fraction, never by delimiters
            if s[p] == ".":
                p += 1
                field_length = 6
            i += 1
            continue
        # A delimiter is one punctuation character, or spaces between the date and the time.
        stop = False
        if s[p] in _SPACE:
            if i != 2:
                stop = True
            while p < n and s[p] in _SPACE:
                p += 1
        elif s[p] in _PUNCT:
            p += 1
        i += 1
        if stop:
            break
    fields = i
    if not internal:
        year_length = date_len[0]
        if year_length == 0:
            return None
    year, month, day, hour, minute, second = date[:6]
    if year_length == 2 and not_zero:
        year += 2000 if year < 70 else 1900
    if (
        fields < 3
        or year > 9999
        or month > 12
        or day > 31
        or hour > 23
        or minute > 59
        or second > 59
    ):
        return None
    if month and day and day > _days_in_month(year, month):
        return None
    return year, month, day, hour, minute, second


def parse_mysql_datetime(text: str) -> str:
    """What a non-strict MariaDB stores when `text` is written to a DATETIME column.

    >>> parse_mysql_datetime("2026-11-30 10:18"), parse_mysql_datetime("11/30/2026")
    ('2026-11-30 10:18:00', '0000-00-00 00:00:00')
    """
    parts = _datetime_parts(text)
    if parts is None:
        return ZERO_DATETIME
    year, month, day, hour, minute, second = parts
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def parse_mysql_date(text: str) -> str:
    """What a non-strict MariaDB stores when `text` is written to a DATE column.

    >>> parse_mysql_date("19800102"), parse_mysql_date("01021980")
    ('1980-01-02', '0000-00-00')
    """
    return parse_mysql_datetime(text)[:10]


def _datetime_candidate(s: str) -> bool:
    """Whether MariaDB's TIME parser first tries `s` as a full date-time (observed behaviour)."""
    if len(s) < 12:
        return False
    pos = 0
    while pos < len(s) and (s[pos] in _DIGITS or s[pos] == "T"):
        pos += 1
    if pos == len(s) or s[pos] == ".":
        return True
    return s[pos] in _PUNCT and s[pos] != ":" and (" " in s[pos:] or "T" in s[pos:])


def parse_mysql_time(text: str) -> str:
    """What a non-strict MariaDB stores when `text` is written to a TIME column.

    Forms: `HH:MM[:SS]`, `D HH[:MM[:SS]]`, a plain number read as `HHMMSS` from the right
    (`1230` → `00:12:30`), a full date-time (its time); clipped to ±838:59:59.

    >>> parse_mysql_time("9:30"), parse_mysql_time("1230"), parse_mysql_time("10:75")
    ('09:30:00', '00:12:30', '00:00:00')
    """
    s = text.lstrip(" \t\n\v\f\r")
    negative = s.startswith("-")
    if s.startswith(("-", "+")):
        s = s[1:].lstrip(" \t\n\v\f\r")
    if _datetime_candidate(s):
        parts = _datetime_parts(s)
        if parts is None:
            return ZERO_TIME
        hour, minute, second = parts[3:]
        return f"{hour:02d}:{minute:02d}:{second:02d}"
    n = len(s)
    p = 0
    value = 0
    while p < n and s[p] in _DIGITS:
        value = value * 10 + ord(s[p]) - 48
        p += 1
    if value > _UINT_MAX:
        return ZERO_TIME
    end_of_days = p
    while p < n and s[p] in _SPACE:
        p += 1
    date = [0, 0, 0, 0]  # days, hours, minutes, seconds
    if n - p > 1 and p != end_of_days and s[p] in _DIGITS:
        date[0] = value
        state = 1
    elif n - p > 1 and s[p] == ":" and s[p + 1] in _DIGITS:
        date[1] = value
        state = 2
        p += 1
    else:  # one number: HHMMSS read from the right
        date[1:] = [value // 10000, value // 100 % 100, value % 100]
        state = 4
    while state < 4:
        value = 0
        while p < n and s[p] in _DIGITS:
            value = value * 10 + ord(s[p]) - 48
            p += 1
        if value > _UINT_MAX:
            return ZERO_TIME
        date[state] = value
        state += 1
        if n - p < 2 or s[p] != ":" or s[p + 1] not in _DIGITS:
            break
        p += 1
    days, hour, minute, second = date
    if minute > 59 or second > 59:
        return ZERO_TIME
    hour += days * 24
    if hour > _TIME_MAX_HOURS:
        hour, minute, second = _TIME_MAX_HOURS, 59, 59
    sign = "-" if negative and (hour or minute or second) else ""
    return f"{sign}{hour:02d}:{minute:02d}:{second:02d}"


# --- callback_datetime ---------------------------------------------------------------------------


def _on_distinct(values: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Apply a per-value Python function once per distinct value (nulls read as '')."""
    filled = values.cast(pl.String).fill_null("")
    mapping = {v: fn(v) for v in filled.unique().to_list()}
    return filled.replace_strict(mapping, return_dtype=pl.String)


def _resolve_one(value: str, now: datetime) -> str:
    if value == "NOW":
        return now.strftime(_FMT)
    if _DAYS_RE.search(value):
        days = int("".join(ch for ch in value if ch in _DIGITS))
        try:
            return (now + timedelta(days=days)).strftime(_FMT)
        except OverflowError:
            # NOTE: PHP would print a year beyond 9999, which MySQL stores as the zero date.
            return ZERO_DATETIME
    return value


def resolve_callback_datetime(values: pl.Series, *, now: datetime) -> pl.Series:
    """Resolve `callback_datetime` values the way add_lead does before writing them.

    Exactly `NOW` → `now`; a value ending in a digit + `DAYS` (any case) → `now` plus x calendar
    days, x being all digits of the value (`1.5DAYS` → 15); `now` is naive server wall clock, so a
    DST change in between keeps the clock time. Anything else stays as given (the NOTICE echoes
    it; the stored value is `parse_mysql_datetime` of it).

    >>> now = datetime(2026, 11, 23, 10, 18, 30)
    >>> resolve_callback_datetime(pl.Series(["7days", "NOW", "2027-01-02"]), now=now).to_list()
    ['2026-11-30 10:18:30', '2026-11-23 10:18:30', '2027-01-02']
    """
    return _on_distinct(values, lambda v: _resolve_one(v, now))


# --- rows and notices ----------------------------------------------------------------------------


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("")


_INPUTS = (
    "list_id",
    "campaign_id",
    "callback",
    "callback_status",
    "callback_datetime",
    "callback_type",
    "callback_user",
    "callback_comments",
)


def _with_columns(leads: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """Add the option columns a frame lacks as '' (absent parameter = empty value)."""
    missing = [pl.lit("").alias(n) for n in names if n not in leads.columns]
    return leads.with_columns(missing) if missing else leads


def _key(expr: pl.Expr) -> pl.Expr:
    # VICIdial compares in the database: case-insensitive, trailing spaces ignored.
    return expr.str.to_lowercase().str.strip_chars_end(" ")


def callback_rows(
    leads: pl.DataFrame, *, campaigns: set[str], users: pl.DataFrame, now: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build the `vicidial_callbacks` rows and callback NOTICEs of leads with `callback` = `Y`.

    Args:
        leads: accepted leads with `lead_id`, `source_row`, `list_id`, `campaign_id` and the
            `callback*` option columns.
        campaigns: every `vicidial_campaigns.campaign_id` (compared case-insensitively).
        users: `vicidial_users` (`user`, `user_group`) for `USERONLY` callbacks.
        now: request time, naive server wall clock (`entry_time`, `NOW`, `{x}DAYS`).

    Returns:
        `rows` (`ROW_COLUMNS` plus `source_row`, sorted by `source_row`) and `notices`
        (`source_row`, `lead_id`, `callback_notice`) with one line per callback lead.

    >>> leads = pl.DataFrame({"lead_id": [16], "source_row": [1], "list_id": ["101"],
    ...     "campaign_id": ["TESTCAMP"], "callback": ["Y"], "callback_status": [""],
    ...     "callback_datetime": ["7days"], "callback_type": [""], "callback_user": ["bob"],
    ...     "callback_comments": [""]})
    >>> users = pl.DataFrame({"user": ["bob"], "user_group": ["AGENTS"]})
    >>> rows, notices = callback_rows(leads, campaigns={"TESTCAMP"}, users=users,
    ...     now=datetime(2026, 11, 23, 10, 18, 30))
    >>> notices["callback_notice"][0]
    'NOTICE: add_lead SCHEDULED CALLBACK ADDED - 16|TESTCAMP|2026-11-30 10:18:30|ANYONE||CALLBK'
    """
    now_text = now.strftime(_FMT)
    known = [c.lower().rstrip(" ") for c in campaigns]
    user_groups = users.select(
        _key(_text("user")).alias("_user_key"),
        _text("user_group").alias("_user_group"),
        pl.lit(value=True).alias("_user_found"),
    ).unique(subset="_user_key", keep="first", maintain_order=True)
    cb = (
        _with_columns(leads, _INPUTS)
        .filter(_text("callback") == "Y")
        .with_columns(
            _campaign=_text("campaign_id"),
            _user=_text("callback_user"),
            _useronly=_text("callback_type") == "USERONLY",
            _status=pl.when(_text("callback_status") == "")
            .then(pl.lit("CALLBK"))
            .otherwise(_text("callback_status")),
        )
        .with_columns(
            _user_key=_key(pl.col("_user")),
            _campaign_ok=_key(pl.col("_campaign")).is_in(known),
        )
        .join(user_groups, on="_user_key", how="left", validate="m:1")
        .with_columns(
            _user_ok=~pl.col("_useronly") | pl.col("_user_found").fill_null(value=False),
            _type=pl.when(pl.col("_useronly")).then(pl.lit("USERONLY")).otherwise(pl.lit("ANYONE")),
            _user_out=pl.when(pl.col("_useronly")).then(pl.col("_user")).otherwise(pl.lit("")),
            _group_out=pl.when(pl.col("_useronly"))
            .then(pl.col("_user_group").fill_null(""))
            .otherwise(pl.lit("")),
        )
        .sort("source_row")
    )
    resolved = resolve_callback_datetime(cb["callback_datetime"], now=now)
    cb = cb.with_columns(_resolved=resolved, _stored=_on_distinct(resolved, parse_mysql_datetime))
    lead = pl.col("lead_id").cast(pl.String)
    notice = (
        pl.when(~pl.col("_campaign_ok"))
        .then(
            pl.concat_str(
                pl.lit("NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, CAMPAIGN NOT VALID - "),
                lead,
                pl.lit("|"),
                pl.col("_campaign"),
            )
        )
        .when(~pl.col("_user_ok"))
        .then(
            pl.concat_str(
                pl.lit("NOTICE: add_lead SCHEDULED CALLBACK NOT ADDED, USER NOT VALID - "),
                lead,
                pl.lit("|"),
                pl.col("_campaign"),
                pl.lit("|"),
                pl.col("_user"),
                pl.lit("|"),
                _text("callback_type"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("NOTICE: add_lead SCHEDULED CALLBACK ADDED - "),
                lead,
                pl.lit("|"),
                pl.col("_campaign"),
                pl.lit("|"),
                pl.col("_resolved"),
                pl.lit("|"),
                pl.col("_type"),
                pl.lit("|"),
                pl.col("_user_out"),
                pl.lit("|"),
                pl.col("_status"),
            )
        )
    )
    notices = cb.select("source_row", "lead_id", notice.alias("callback_notice"))
    null_text = pl.lit(None, dtype=pl.String)
    rows = cb.filter(pl.col("_campaign_ok") & pl.col("_user_ok")).select(
        pl.col("lead_id"),
        pl.col("list_id").cast(pl.Int64, strict=False).alias("list_id"),
        pl.col("_campaign").str.slice(0, 8).alias("campaign_id"),
        pl.lit("ACTIVE").alias("status"),
        pl.lit(now_text).alias("entry_time"),
        pl.col("_stored").alias("callback_time"),
        pl.lit(now_text).alias("modify_date"),
        pl.col("_user_out").str.slice(0, 20).alias("user"),
        pl.col("_type").alias("recipient"),
        _text("callback_comments").str.slice(0, 255).alias("comments"),
        pl.col("_group_out").str.slice(0, 20).alias("user_group"),
        pl.col("_status").str.slice(0, 6).alias("lead_status"),
        null_text.alias("email_alert"),
        null_text.alias("email_result"),
        pl.lit("").alias("customer_timezone"),
        pl.lit("").alias("customer_timezone_diff"),
        null_text.alias("customer_time"),
        pl.col("source_row"),
    )
    return rows, notices
