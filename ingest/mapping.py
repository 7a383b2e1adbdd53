"""Header → add_lead field mapping and the per-pipeline transforms applied straight after reading.

Headers match add_lead's names and common aliases whatever their case, spaces, `_`, `-` or `.`
(`Phone Number`, `phone1`, `Zip Code`, `E-mail`, `LastName`, …); `column_map` overrides them.
Columns that are no standard field keep their header (they become custom-field values).
Then: constants, phone cleaning, `force_phone_code`, date-of-birth conversion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import polars as pl

from ingest.errors import InputError
from rules.fields import LEAD_FIELDS, OPTION_FIELDS

__all__ = [
    "ALIASES",
    "DobFormat",
    "MappingOptions",
    "convert_dob",
    "map_columns",
    "normalise_header",
    "resolve_columns",
]

DobFormat = Literal["MM/DD/YYYY", "DD/MM/YYYY"]
"""The loaders' `--dob-mmddyyy` / `--dob-ddmmyyy` (loader.md 2.4)."""

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

_ALIAS_LISTS: dict[str, tuple[str, ...]] = {
    "phone_number": (
        "phone",
        "phone1",
        "phonenumber",
        "phoneno",
        "phonenum",
        "homephone",
        "telephone",
        "tel",
        "primaryphone",
        "mainphone",
    ),
    "phone_code": ("phonecode", "dialcode", "countrydialcode", "callingcode"),
    "alt_phone": (
        "altphone",
        "alternatephone",
        "alternativephone",
        "phone2",
        "secondphone",
        "secondaryphone",
    ),
    "first_name": ("firstname", "first", "fname", "givenname", "forename"),
    "middle_initial": ("middleinitial", "middle", "mi", "middlename"),
    "last_name": ("lastname", "last", "lname", "surname", "familyname"),
    "address1": ("address", "address1", "addr1", "addressline1", "street", "streetaddress"),
    "address2": ("address2", "addr2", "addressline2"),
    "address3": ("address3", "addr3", "addressline3"),
    "city": ("town",),
    "state": ("st",),
    "postal_code": ("postalcode", "postcode", "postal", "zip", "zipcode", "zip5"),
    "country_code": ("country", "countrycode"),
    "gender": ("sex",),
    "date_of_birth": ("dateofbirth", "dob", "birthdate", "birthday"),
    "email": ("emailaddress", "mail"),
    "vendor_lead_code": ("vendorleadcode", "vendorcode", "vendorid", "leadcode"),
    "source_id": ("sourceid", "source", "leadsource"),
    "security_phrase": ("securityphrase",),
    "comments": ("comment", "notes", "note"),
    "list_id": ("listid",),
    "multi_alt_phones": ("multialtphones",),
}


def normalise_header(name: str) -> str:
    """The matching key of a header: lower case without spaces, `_`, `-`, `.`.

    >>> normalise_header(" Zip_Code "), normalise_header("E-mail"), normalise_header("Phone Number")
    ('zipcode', 'email', 'phonenumber')
    """
    return re.sub(r"[\s_.\-]+", "", name).lower()


def _build_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    # NOTE: the API's own `source` option is not offered: a lead file's "Source" column is the
    # lead's source (source_id), not the name of the program calling the API.
    for name in (*LEAD_FIELDS, *(o for o in OPTION_FIELDS if o != "source")):
        table[normalise_header(name)] = name
    for target, aliases in _ALIAS_LISTS.items():
        for alias in aliases:
            table.setdefault(alias, target)
    return table


ALIASES: dict[str, str] = _build_aliases()
"""Normalised header → add_lead name (field or option parameter)."""
_NAMES = frozenset(ALIASES.values())


@dataclass(frozen=True)
class MappingOptions:
    """A pipeline's mapping and transforms (the keys of `pipelines.toml` with the same names)."""

    column_map: Mapping[str, str] = field(default_factory=dict)
    """Source header → target name; an empty target drops the column. Headers match exactly,
    else after `normalise_header`."""
    constants: Mapping[str, str] = field(default_factory=dict)
    """Target name → value written on every row (replacing any value from the file)."""
    dob_format: DobFormat | None = None
    clean_phone: bool = False
    """Keep only digits in `phone_number`, `alt_phone` and `phone_code`."""
    strip_phone_prefix: str = ""
    """Removed once from the start of `phone_number` (after cleaning), e.g. `1` or `+1`."""
    force_phone_code: str | None = None
    """`phone_code` of every row and of every `multi_alt_phones` entry (like `--forcephonecode`)."""
    aliases: bool = True
    """Match headers against `ALIASES`; off: only exact add_lead names and `column_map`."""


def resolve_columns(
    columns: Sequence[str], options: MappingOptions | None = None
) -> dict[str, str]:
    """Decide the name of every column: `{source header: target name}` (`''` = dropped).

    Raises:
        InputError: a `column_map` key names no column, or two columns land on one name.

    >>> resolve_columns(["Phone", "Zip Code", "Favourite Colour"])
    {'Phone': 'phone_number', 'Zip Code': 'postal_code', 'Favourite Colour': 'Favourite Colour'}
    """
    opts = options or MappingOptions()
    present = [c for c in columns if c != "source_row"]
    by_key: dict[str, list[str]] = {}
    for col in present:
        by_key.setdefault(normalise_header(col), []).append(col)
    targets: dict[str, str] = {}
    for key, target in opts.column_map.items():
        if key in present:
            targets[key] = target
            continue
        matches = by_key.get(normalise_header(key), [])
        if len(matches) != 1:
            have = ", ".join(f"`{c}`" for c in present) or "none"
            why = "no such column" if not matches else "several columns match it"
            msg = f"`column_map` names `{key}`: {why} (columns: {have})"
            raise InputError(msg)
        targets[matches[0]] = target
    claimed = set(targets.values())
    exact = {c for c in present if c not in targets and c in _NAMES}
    claimed |= exact
    for col in present:
        if col in targets:
            continue
        if col in exact:
            targets[col] = col
            continue
        guess = ALIASES.get(normalise_header(col)) if opts.aliases else None
        # An alias never takes a name that column_map or an exactly named column already has.
        targets[col] = guess if guess and guess not in claimed else col
    seen: dict[str, str] = {}
    for col in present:
        target = targets[col]
        if not target:
            continue
        if target in seen:
            msg = (
                f"columns `{seen[target]}` and `{col}` both map to `{target}`: "
                "name one of them in `column_map` (an empty target drops it)"
            )
            raise InputError(msg)
        seen[target] = col
    return {col: targets[col] for col in present}


def convert_dob(value: pl.Expr, dob_format: DobFormat | None) -> pl.Expr:
    """Rewrite slash dates as `Y-MM-DD` the way the CLI loader's dob options do.

    Only values containing `/` change; month and day get a leading zero, the year stays as
    given. A spreadsheet date-time `YYYY-MM-DD 00:00:00` loses its zero time in any case.

    >>> df = pl.DataFrame({"d": ["1/2/1980", "1980-01-02 00:00:00", "", "13/12/1999"]})
    >>> df.select(convert_dob(pl.col("d"), "MM/DD/YYYY"))["d"].to_list()
    ['1980-01-02', '1980-01-02', '', '1999-13-12']
    >>> df.select(convert_dob(pl.col("d"), "DD/MM/YYYY"))["d"].to_list()
    ['1980-02-01', '1980-01-02', '', '1999-12-13']
    """
    zero_time = value.str.ends_with(" 00:00:00") & (value.str.len_chars() == 19)
    value = pl.when(zero_time).then(value.str.slice(0, 10)).otherwise(value).name.keep()
    if dob_format is None:
        return value
    # NOTE: split_exact keeps the first three pieces, like Perl's `($m, $d, $y) = split /\//`.
    parts = value.str.split_exact("/", 2)
    first = parts.struct[0]
    second = parts.struct[1].fill_null("")
    year = parts.struct[2].fill_null("")
    month, day = (first, second) if dob_format == "MM/DD/YYYY" else (second, first)
    padded = pl.concat_str(
        year, pl.lit("-"), month.str.pad_start(2, "0"), pl.lit("-"), day.str.pad_start(2, "0")
    )
    return pl.when(value.str.contains("/", literal=True)).then(padded).otherwise(value).name.keep()


def map_columns(frame: Frame, options: MappingOptions | None = None) -> Frame:
    """Rename columns to add_lead names and apply the pipeline's transforms.

    `source_row` and columns that are no standard field pass through unchanged.

    >>> df = pl.DataFrame({"Phone": ["(727) 555-1212"], "DOB": ["1/2/1980"], "Pet": ["cat"]})
    >>> opts = MappingOptions(clean_phone=True, dob_format="MM/DD/YYYY", constants={"x": "y"})
    >>> map_columns(df, opts).rows()
    [('7275551212', '1980-01-02', 'cat', 'y')]
    """
    opts = options or MappingOptions()
    names = frame.collect_schema().names()
    plan = resolve_columns(names, opts)
    frame = frame.drop([c for c, t in plan.items() if not t]).rename(
        {c: t for c, t in plan.items() if t and t != c}
    )
    names = frame.collect_schema().names()
    exprs: list[pl.Expr] = [pl.lit(v, dtype=pl.String).alias(k) for k, v in opts.constants.items()]
    if opts.force_phone_code is not None:
        code = opts.force_phone_code
        exprs.append(pl.lit(code, dtype=pl.String).alias("phone_code"))
        if "multi_alt_phones" in names:
            # Each `number_code_note` entry gets the forced code (loader.md 2.4).
            alt = pl.col("multi_alt_phones")
            forced = alt.str.replace_all(
                r"(^|!)([^_!]*)(?:_[^_!]*)?", "${1}${2}_" + code.replace("$", "$$")
            )
            exprs.append(
                pl.when(alt.str.len_chars() > 4)
                .then(forced)
                .otherwise(alt)
                .alias("multi_alt_phones")
            )
    frame = frame.with_columns(exprs) if exprs else frame
    names = frame.collect_schema().names()
    fixes: list[pl.Expr] = []
    if opts.clean_phone:
        fixes += [
            pl.col(c).str.replace_all(r"\D", "")
            for c in ("phone_number", "alt_phone", "phone_code")
            if c in names and not (c == "phone_code" and opts.force_phone_code is not None)
        ]
    if "date_of_birth" in names:
        fixes.append(convert_dob(pl.col("date_of_birth"), opts.dob_format).alias("date_of_birth"))
    frame = frame.with_columns(fixes) if fixes else frame
    if opts.strip_phone_prefix and "phone_number" in names:
        phone = pl.col("phone_number")
        prefix = opts.strip_phone_prefix
        frame = frame.with_columns(
            pl.when(phone.str.starts_with(prefix))
            .then(phone.str.slice(len(prefix)))
            .otherwise(phone)
            .alias("phone_number")
        )
    return frame
