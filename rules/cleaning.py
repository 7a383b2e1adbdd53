"""add_lead's character filters (step G3) and parameter defaults (steps A0, A5, G4).

Every parameter is reduced to its allowed character set (ingest.md 3.1–3.3): characters outside
the set are deleted, and for some fields a literal `+` then becomes a space. Nothing is truncated
here: duplicate checks compare the untruncated cleaned value (3.1 rule 4); the writer truncates
to the `vicidial_list` widths.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import polars as pl

__all__ = ["ALLOWED", "apply_defaults", "clean", "clean_value", "mysql_date"]

_Plus = Literal["space", "keep"]

# Character-class bodies; `{L}` stands for "letters": ASCII a-z/A-Z, or any Unicode letter with
# use_non_latin=1 (3.1 rule 3). Digits are always ASCII 0-9, and `A-Z` sets are ASCII in both
# modes. `None` as the class means "everything except `;`, `#` and `"`".
_ANY_BUT_SQL: None = None
_UPPER = "A-Z"
_DIGITS = "0-9"
_NAME = r"{L}0-9 \-'+_."
_ADDRESS = r"{L}0-9 \-'+.:/@_"
_IDENT = r"{L}0-9\-_"
_ALNUM = "{L}0-9"
_CALLBACK_TEXT = r"{L}0-9 \-+.:/@_"

ALLOWED: dict[str, tuple[str | None, _Plus]] = {
    # lead fields (3.2)
    "phone_number": ("0-9,", "keep"),
    "phone_code": (_DIGITS, "keep"),
    "list_id": (_DIGITS, "keep"),
    "vendor_lead_code": (_ANY_BUT_SQL, "space"),
    "source_id": (_ANY_BUT_SQL, "space"),
    "title": (r"{L}0-9 \-'_.", "keep"),  # `+` is not in the set: deleted
    "first_name": (_NAME, "space"),
    "middle_initial": (_IDENT, "keep"),
    "last_name": (_NAME, "space"),
    "address1": (_ADDRESS, "space"),
    "address2": (_ADDRESS, "space"),
    "address3": (_ADDRESS, "space"),
    "city": (_ADDRESS, "space"),
    "state": (r"{L}0-9 \-", "keep"),  # `+` deleted
    "province": (r"{L}0-9 \-'+._", "space"),
    "postal_code": (r"{L}0-9 \-'+", "space"),
    "country_code": (_IDENT, "keep"),
    "gender": (_UPPER, "keep"),
    "date_of_birth": (r"0-9\-", "keep"),
    "alt_phone": (_NAME, "space"),
    "email": (r"{L}0-9 \-'+.:/@%_", "space"),
    "security_phrase": (_ADDRESS, "space"),
    "comments": (_ANY_BUT_SQL, "space"),
    "rank": (_DIGITS, "keep"),
    "owner": (_ADDRESS, "space"),
    "entry_list_id": (_DIGITS, "keep"),
    "multi_alt_phones": (r"{L}0-9 \-+!:_", "space"),
    # option parameters (3.3)
    "source": (_ALNUM, "keep"),
    "dnc_check": (_UPPER, "keep"),
    "campaign_dnc_check": (_UPPER, "keep"),
    "campaign_id": (_IDENT, "keep"),
    "duplicate_check": (_IDENT, "keep"),
    "list_exists_check": (_ALNUM, "keep"),
    "usacan_prefix_check": (_UPPER, "keep"),
    "usacan_areacode_check": (_UPPER, "keep"),
    "nanpa_ac_prefix_check": (_UPPER, "keep"),
    "tz_method": (_IDENT, "keep"),
    "lookup_state": (_UPPER, "keep"),
    "custom_fields": (_ALNUM, "keep"),
    "add_to_hopper": (_UPPER, "keep"),
    "remove_from_hopper": (_ALNUM, "keep"),  # update_lead's filter (3.3, last paragraph)
    "hopper_priority": (r"0-9\-", "keep"),
    "hopper_local_call_time_check": (_UPPER, "keep"),
    "callback": (_UPPER, "keep"),
    "callback_status": (_IDENT, "keep"),
    "callback_datetime": (_CALLBACK_TEXT, "keep"),  # `+` is kept (3.3)
    "callback_type": (_UPPER, "keep"),
    "callback_user": (_IDENT, "keep"),
    "callback_comments": (_CALLBACK_TEXT, "keep"),  # `+` kept, `'` deleted (3.3)
}
"""Per add_lead parameter: (regex class body of the allowed characters, `+` handling).

A class body of `None` means every character except `;`, `#` and `"`. `{L}` marks where the
letters go. `"space"` turns every surviving literal `+` into a space.
"""


def _filter(column: str, *, use_non_latin: bool) -> pl.Expr:
    body, plus = ALLOWED[column]
    if body is None:
        bad = r'[;#"]'
    else:
        letters = r"\p{L}" if use_non_latin else "a-zA-Z"
        bad = f"[^{body.replace('{L}', letters)}]"
    touched = f"{bad}|\\+" if plus == "space" else bad

    def apply(values: pl.Series) -> pl.Series:
        values = values.cast(pl.String).fill_null("")
        # NOTE: most lead files are clean already; a scan is about half a rewrite, so a
        # column with nothing to remove or convert is returned as it is.
        if not values.str.contains(touched).any():
            return values
        values = values.str.replace_all(bad, "")
        if plus == "space":
            values = values.str.replace_all("+", " ", literal=True)
        return values

    return pl.col(column).map_batches(apply, return_dtype=pl.String).alias(column)


def clean(lf: pl.LazyFrame, *, use_non_latin: bool = False, skip: Collection[str] = ()) -> pl.LazyFrame:
    """Reduce every add_lead parameter column present to its allowed characters (ingest.md 3).

    Nulls become `''` (an absent parameter); columns that are not add_lead parameters, and
    parameters without a column, are left as they are. Nothing is truncated. Columns named in
    `skip` are taken as clean already (settings given once for a whole batch and cleaned with
    `clean_value`: scanning a million copies of one value costs as much as a real column).

    >>> lf = pl.LazyFrame({"email": ["bob+tag@x.com"], "country_code": ["U.S.A."]})
    >>> clean(lf).collect().row(0)
    ('bob tag@x.com', 'USA')
    """
    present = [name for name in lf.collect_schema().names() if name in ALLOWED and name not in skip]
    if not present:
        return lf
    return lf.with_columns(_filter(name, use_non_latin=use_non_latin) for name in present)


def clean_value(name: str, value: str, *, use_non_latin: bool = False) -> str:
    """One parameter value as `clean` leaves it (other names are returned as they are).

    >>> clean_value("dnc_check", "y+es"), clean_value("first_name", "Ann+Marie")
    ('', 'Ann Marie')
    """
    if name not in ALLOWED:
        return value
    one = pl.DataFrame({name: [value]}, schema={name: pl.String})
    return one.select(_filter(name, use_non_latin=use_non_latin)).item()


# Defaults applied when the parameter has no column at all: what an absent parameter becomes.
_ABSENT = {
    "list_id": "",
    "phone_code": "",
    "gender": "",
    "rank": "",
    "hopper_priority": "",
    "callback_status": "",
    "callback_type": "",
}


def _hopper_priority(value: pl.Expr) -> pl.Expr:
    # NOTE: read as PHP's intval() would (and as MySQL stores a TINYINT from such text): an
    # optional leading `-` and the digits after it; anything after the first non-digit is
    # ignored (`5-3` → 5); no digits (``, `-`, `--5`) → 0. Then clamped to -99…99 (3.3).
    parts = value.str.extract_groups(r"^(-?)0*([0-9]+)")
    sign = parts.struct.field("1")
    digits = parts.struct.field("2")
    magnitude = (
        pl.when(digits.str.len_chars() > 2)
        .then(pl.lit(99, dtype=pl.Int64))
        .otherwise(digits.cast(pl.Int64, strict=False))
        .fill_null(0)
    )
    signed = pl.when(sign == "-").then(-magnitude).otherwise(magnitude)
    return signed.cast(pl.String)


def apply_defaults(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Apply add_lead's defaults to cleaned parameters (steps A0, A5, G4).

    * `list_id_raw` keeps the cleaned id as sent (allowed-list and `list_exists_check` test it);
      `list_id` becomes `999` when it has fewer than 3 digits.
    * `gender`: `''` → `U`; anything else that is not `M`, `F` or `U` → `''` (the ENUM's invalid
      value in non-strict MySQL). `rank`: `''` → `0`. `phone_code`: `''` → `1`.
    * `hopper_priority`: PHP-intval reading, clamped to -99…99, default `0`.
    * `remove_from_hopper` exactly `Y` sets `add_to_hopper` to `N`.
    * `callback_status`: `''` → `CALLBK`; `callback_type`: `USERONLY` or else `ANYONE`.

    Parameters with a default that have no column get one holding that default; all values
    stay String.

    >>> lf = pl.LazyFrame({"list_id": ["12"], "gender": ["m"]}).pipe(clean).pipe(apply_defaults)
    >>> lf.select("list_id", "list_id_raw", "gender", "rank").collect().row(0)
    ('999', '12', 'U', '0')
    """
    names = lf.collect_schema().names()
    missing = [pl.lit(v, dtype=pl.String).alias(k) for k, v in _ABSENT.items() if k not in names]
    if missing:
        lf = lf.with_columns(missing)
    list_id = pl.col("list_id").fill_null("").str.replace_all("[^0-9]", "")
    gender = pl.col("gender").fill_null("")
    updates = [
        list_id.alias("list_id_raw"),
        pl.when(list_id.str.len_chars() < 3)
        .then(pl.lit("999"))
        .otherwise(list_id)
        .alias("list_id"),
        pl.when(gender == "")
        .then(pl.lit("U"))
        .when(gender.is_in(["M", "F", "U"]))
        .then(gender)
        .otherwise(pl.lit(""))
        .alias("gender"),
        _or_default("rank", "0"),
        _or_default("phone_code", "1"),
        _or_default("callback_status", "CALLBK"),
        pl.when(pl.col("callback_type") == "USERONLY")
        .then(pl.lit("USERONLY"))
        .otherwise(pl.lit("ANYONE"))
        .alias("callback_type"),
        _hopper_priority(pl.col("hopper_priority").fill_null("")).alias("hopper_priority"),
    ]
    if "remove_from_hopper" in names and "add_to_hopper" in names:
        updates.append(
            pl.when(pl.col("remove_from_hopper") == "Y")
            .then(pl.lit("N"))
            .otherwise(pl.col("add_to_hopper"))
            .alias("add_to_hopper")
        )
    return lf.with_columns(updates)


def _or_default(column: str, default: str) -> pl.Expr:
    value = pl.col(column).fill_null("")
    return pl.when(value == "").then(pl.lit(default)).otherwise(value).alias(column)


ZERO_DATE = "0000-00-00"

# Delimited form: year, month and day of any number of digits, then optionally a
# time (`-h`, `-h-m`, `-h-m-s`) and anything else starting with `-`, which MariaDB ignores.
_DELIMITED = (
    r"^([0-9]+)-([0-9]+)-([0-9]+)"
    r"(?:-([0-9]+)(?:-([0-9]+)(?:-([0-9]+))?)?)?(?:-.*)?$"
)


def mysql_date(expr: pl.Expr) -> pl.Expr:
    """The `YYYY-MM-DD` text non-strict MariaDB stores for a cleaned `date_of_birth` (3.2).

    The value holds only digits and `-` after cleaning. Accepted, as MariaDB 10/11 parses it
    (checked against a real server with `sql_mode=''`):

    * Delimited `Y-M-D[-h[-m[-s]]][-…]`: year, month and day of any digit count (`1980-1-2`,
      `1980-001-02`, `07438-1-19` → `7438-01-19`); a year of exactly 2 digits is `70`–`99` →
      19xx, `00`–`69` → 20xx, other years are taken as written (`980-01-02` → `0980-01-02`).
      An optional time must be valid (hour ≤ 23, minute and second ≤ 59) or the whole value is
      invalid; anything after a doubled `-` or after the seconds is ignored.
    * Digits only, read in fixed widths: a 4-digit year when there are 8 or at least 14 digits,
      else a 2-digit year (converted as above), then 2-digit month and day and 2-digit time
      fields; at least one day digit is needed (`800102`, `19800102`, `80010` →
      `1980-01-00`, `19800102123456`). Time digits present must form a valid time.
    * The date itself: month 0–12, day 0–31; a zero month or day is stored as such
      (`1980-00-00`, non-strict mode has no NO_ZERO_IN_DATE); otherwise the day must exist in
      that month (`1980-02-30` is invalid; leap years by the Gregorian rule).

    Everything else, null and `''` → `0000-00-00` (`01021980`, `1980-1`, `1980--01-02`,
    `1980-01-02-25`). MySQL (not MariaDB) may differ in corners such as doubled dashes.

    >>> df = pl.DataFrame({"date_of_birth": ["1980-01-02", "19800102", "01021980", ""]})
    >>> df.select(mysql_date(pl.col("date_of_birth"))).to_series().to_list()
    ['1980-01-02', '1980-01-02', '0000-00-00', '0000-00-00']
    """
    s = expr.cast(pl.String)
    n = s.str.len_chars()
    digits_only = s.str.contains("^[0-9]+$")
    ylen = pl.when(n.is_in([4, 8]) | (n >= 14)).then(4).otherwise(2)

    def at(offset: pl.Expr, width: int) -> pl.Expr:
        part = s.str.slice(offset, width)
        return pl.when(part == "").then(None).otherwise(part)

    undelimited = [
        s.str.slice(0, ylen),
        at(ylen, 2),
        at(ylen + 2, 2),
        at(ylen + 4, 2),
        at(ylen + 6, 2),
        at(ylen + 8, 2),
    ]
    groups = s.str.extract_groups(_DELIMITED)
    delimited = [groups.struct.field(str(i)) for i in range(1, 7)]
    parts = [
        pl.when(digits_only).then(u).otherwise(d)
        for u, d in zip(undelimited, delimited, strict=True)
    ]
    year_text, month_text, day_text, hour, minute, second = parts
    shape_ok = (
        pl.when(digits_only)
        .then(n >= ylen + 3)
        .otherwise(groups.struct.field("1").is_not_null())
    )

    raw_year = year_text.cast(pl.Int64, strict=False)
    year = (
        pl.when(year_text.str.len_chars() == 2)
        .then(pl.when(raw_year < 70).then(raw_year + 2000).otherwise(raw_year + 1900))
        .otherwise(raw_year)
    )
    month = month_text.cast(pl.Int64, strict=False)
    day = day_text.cast(pl.Int64, strict=False)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    date_ok = (
        year.is_between(0, 9999)
        & month.is_between(0, 12)
        & day.is_between(0, 31)
        & ((month == 0) | (day <= month_days))
    )

    def within(part: pl.Expr, top: int) -> pl.Expr:
        return part.is_null() | part.cast(pl.Int64, strict=False).is_between(0, top)

    time_ok = within(hour, 23) & within(minute, 59) & within(second, 59)
    valid = (shape_ok & date_ok & time_ok).fill_null(value=False)
    text = pl.concat_str(
        year.cast(pl.String).str.zfill(4),
        pl.lit("-"),
        month.cast(pl.String).str.zfill(2),
        pl.lit("-"),
        day.cast(pl.String).str.zfill(2),
    )
    return pl.when(valid).then(text).otherwise(pl.lit(ZERO_DATE))
