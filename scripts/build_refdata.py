"""Regenerate the time-zone reference data that leadpipe ships in `sinks/refdata/`.

Inputs (read only here, never at run time):

* `phone_codes_GMT.txt`: VICIdial's `vicidial_phone_codes` installation data, last changed
  2014-07-08 (tab-separated, header row, ISO-8859-1; UTF-8 is accepted too).
* `GMT_USA_zip.txt`: VICIdial's `vicidial_postal_codes` installation data (no header).
* the installed `phonenumbers` package: NANP (+1) area codes assigned after 2014, which the
  2014 file lacks, with their region, geocoder description and time zones; `zoneinfo` turns a
  time zone into a standard offset and a DST flag (evaluated for January and July 2026).

Outputs (UTF-8, `\\n` line ends, tab-separated, no quoting):

* `phone_codes.tsv`: the columns of `vicidial_phone_codes`. The 2014 rows keep their file
  order (VICIdial takes "the first row for a country code" as a fallback, so order is data),
  then the added NANP rows follow, sorted by area code.
* `postal_codes.tsv.gz`: the columns of `vicidial_postal_codes`, one row per source line, in
  file order; gzip with no name and mtime 0, so reruns are byte-identical.
* `PROVENANCE.md`: sources, versions, counts and how each added row was derived.

Value conventions:

* `GMT_offset` is text with exactly two decimals and the source's sign convention: the phone
  file writes positive offsets with `+` (`+1` → `+1.00`, `+5.75` → `+5.75`), negatives and zero
  without (`-5` → `-5.00`, `0` → `0.00`); the postal file writes no `+` (`1.0` → `1.00`).
  Derived offsets follow the phone file (`+` for positives). VICIdial shows the table text with
  any `+` removed, so the sign character never changes a computed value.
* `DST` is upper-cased (one 2014 row says `n`; MySQL's ENUM stores it as `N`). Every other
  2014 value is copied verbatim, including known quirks (`QU` for one Quebec row, stray
  letters at the end of some Mexican descriptions).
* `php_tz` (informational, unused by `add_lead`) is set only for NANP rows: the phonenumbers
  time zone of the area code whose standard offset and DST flag agree with the row (several:
  the one most prefixes name); for an added row with none, the zone of the row its facts were
  copied from. Every other row has `''`.

Added area codes are those phonenumbers has time-zone prefixes for, with valid fixed or mobile
numbers (no toll-free, personal or service codes), and no 2014 row. Each is filled in as
follows (see `_derive`):

1. Country: the phonenumbers region mapped to the three-letter code the 2014 file uses for it
   (`US` → `USA`, `CA` → `CAN`, `KY` → `CAY`, `SX` → `NLD`, ...).
2. State: for the USA and Canada from the geocoder description of the area code (`Texas`,
   `San Antonio, TX`), mapped through the 2014 file's own description → state pairs plus a few
   aliases; elsewhere the state of the region's existing row.
3. Time-zone facts (`GMT_offset`, `DST`, `DST_range`, `tz_code`) and the description are
   copied from the first 2014 row of the same country and state whose standard offset matches
   one of the area code's phonenumbers time zones (for the Caribbean: the region's first
   row). Overlays in a state that spans time zones, where phonenumbers' zone differs from
   VICIdial's row for the overlaid code, copy that row instead (`OVERLAID`). Only when there
   is no such row are the facts derived from the time zone itself: `SSM-FSN` when it
   observes DST, `''` and `N` when not, `tz_code` from the standard offset.

Usage:
    python scripts/build_refdata.py [--shared DIR] [--out DIR] [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import re
import sys
from collections import Counter
from dataclasses import astuple, dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType, geocoder
from phonenumbers.tzdata import TIMEZONE_DATA

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "refdata"
DEFAULT_OUT = REPO_ROOT / "sinks" / "refdata"

PHONE_SOURCE = "phone_codes_GMT.txt"
POSTAL_SOURCE = "GMT_USA_zip.txt"
PHONE_OUT = "phone_codes.tsv"
POSTAL_OUT = "postal_codes.tsv.gz"
PROVENANCE_OUT = "PROVENANCE.md"

SOURCE_DATE = "2014-07-08"
SOURCE_HEADER = (
    "code", "country", "areacode", "state", "GMT", "DST", "DST_RANGE",
    "GEOGRAPHIC DESCRIPTION", "TZ_CODE",
)  # fmt: skip
POSTAL_HEADER = (
    "postal_code",
    "state",
    "GMT_offset",
    "DST",
    "DST_range",
    "country",
    "country_code",
)
POSTAL_WIDTHS = {"postal_code": 10, "state": 4, "GMT_offset": 6, "DST_range": 8}
DST_RANGE_NANP = "SSM-FSN"

# NOTE: the three-letter codes the 2014 file writes for NANP regions; two differ from
# ISO 3166 (Cayman Islands `CAY`, Sint Maarten `NLD`).
NANP_COUNTRY = {
    "AG": "ATG", "AI": "AIA", "AS": "ASM", "BB": "BRB", "BM": "BMU", "BS": "BHS", "CA": "CAN",
    "DM": "DMA", "DO": "DOM", "GD": "GRD", "GU": "GUM", "JM": "JAM", "KN": "KNA", "KY": "CAY",
    "LC": "LCA", "MP": "MNP", "MS": "MSR", "PR": "PRI", "SX": "NLD", "TC": "TCA", "TT": "TTO",
    "US": "USA", "VC": "VCT", "VG": "VGB", "VI": "VIR",
}  # fmt: skip
STATE_COUNTRIES = ("USA", "CAN")
# Geocoder descriptions the 2014 file spells differently (or not at all).
STATE_ALIASES = {
    "British Colombia": "BC",  # sic, in phonenumbers
    "Newfoundland and Labrador": "NF",  # VICIdial writes NF, not NL
    "Washington D.C.": "DC",
}
TZ_CODES = {
    Decimal("-3.5"): "NST", Decimal("-4"): "AST", Decimal("-5"): "EST", Decimal("-6"): "CST",
    Decimal("-7"): "MST", Decimal("-8"): "PST", Decimal("-9"): "AKST", Decimal("-10"): "HST",
}  # fmt: skip
# NOTE: overlays whose state spans time zones, where phonenumbers' zone for the new code
# (America/New_York for 448) differs from VICIdial's row for the code it overlays (850, CST).
# Copying that row keeps an overlay lead on the same offset as its neighbours; source: NANPA
# planning letters (448 overlays 850, in service 2021).
OVERLAID = {"448": "850"}
GEOGRAPHIC_TYPES = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
FACTS_YEAR = 2026


class BuildError(Exception):
    """A source file or the phonenumbers metadata is not what this script expects."""


@dataclass(frozen=True)
class PhoneRow:
    """One `vicidial_phone_codes` row, every value as the table text."""

    country_code: str
    country: str
    areacode: str
    state: str
    GMT_offset: str  # VICIdial's column names
    DST: str
    DST_range: str
    geographic_description: str
    tz_code: str
    php_tz: str = ""


PHONE_HEADER = tuple(f.name for f in fields(PhoneRow))
PHONE_WIDTHS = {
    "country": 3, "areacode": 3, "state": 4, "GMT_offset": 6, "DST_range": 8,
    "geographic_description": 100, "tz_code": 4, "php_tz": 100,
}  # fmt: skip


@dataclass(frozen=True)
class Added:
    """An added NANP row and the evidence it was derived from."""

    row: PhoneRow
    region: str
    description: str
    zones: tuple[str, ...]
    partner: PhoneRow | None
    note: str


def gmt_text(raw: str, *, where: str) -> str:
    """Format a GMT offset with two decimals, keeping a leading `+` if the source has one.

    >>> gmt_text("-5", where="x"), gmt_text("+5.75", where="x"), gmt_text("1.0", where="x")
    ('-5.00', '+5.75', '1.00')
    """
    text = raw.strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        msg = f"{where}: `GMT` value `{raw}` is not a number"
        raise BuildError(msg) from exc
    formatted = f"{value:.2f}"
    return f"+{formatted}" if text.startswith("+") else formatted


def _read_text(path: Path) -> str:
    """Return the file's text: UTF-8 when it decodes, else ISO-8859-1 (VICIdial's original)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split(path: Path, *, columns: int, header: tuple[str, ...] | None) -> list[list[str]]:
    """Split a tab-separated file into rows of exactly `columns` fields."""
    lines = _read_text(path).replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if header is not None:
        found = tuple(lines.pop(0).split("\t")) if lines else ()
        if found != header:
            msg = f"`{path}`: header is {found}, expected {header}"
            raise BuildError(msg)
    rows: list[list[str]] = []
    first = 2 if header is not None else 1
    for number, line in enumerate(lines, start=first):
        parts = line.split("\t")
        if len(parts) != columns:
            msg = f"`{path}` line {number}: {len(parts)} fields, expected {columns}"
            raise BuildError(msg)
        rows.append(parts)
    return rows


def read_phone_codes(path: Path) -> list[PhoneRow]:
    """Read VICIdial's phone-code file into table rows, in file order."""
    rows = []
    for number, parts in enumerate(_split(path, columns=9, header=SOURCE_HEADER), start=2):
        code, country, areacode, state, gmt, dst, dst_range, description, tz_code = parts
        rows.append(
            PhoneRow(
                country_code=code,
                country=country,
                areacode=areacode,
                state=state,
                GMT_offset=gmt_text(gmt, where=f"`{path.name}` line {number}"),
                DST=dst.upper(),
                DST_range=dst_range,
                geographic_description=description,
                tz_code=tz_code,
            )
        )
    return rows


def read_postal_codes(path: Path) -> list[tuple[str, ...]]:
    """Read VICIdial's US postal-code file into `vicidial_postal_codes` rows, in file order."""
    rows: list[tuple[str, ...]] = []
    for number, (postal, state, gmt, dst) in enumerate(
        _split(path, columns=4, header=None), start=1
    ):
        flag = dst.upper()
        if flag not in ("Y", "N"):
            msg = f"`{path.name}` line {number}: `DST` is `{dst}`, expected Y or N"
            raise BuildError(msg)
        gmt_offset = gmt_text(gmt, where=f"`{path.name}` line {number}")
        dst_range = DST_RANGE_NANP if flag == "Y" else ""
        rows.append((postal, state, gmt_offset, flag, dst_range, "USA", "1"))
    return rows


@functools.cache
def zone_facts(name: str) -> tuple[Decimal, bool]:
    """Return a time zone's standard offset in hours and whether it observes DST."""
    zone = ZoneInfo(name)
    winter = dt.datetime(FACTS_YEAR, 1, 15, 12, tzinfo=zone)
    summer = dt.datetime(FACTS_YEAR, 7, 15, 12, tzinfo=zone)
    offsets = []
    observes = False
    for moment in (winter, summer):
        utc = moment.utcoffset() or dt.timedelta()  # ZoneInfo always answers both
        dst = moment.dst() or dt.timedelta()
        offsets.append(utc - dst)
        observes = observes or bool(dst)
    hours = Decimal(int(offsets[0].total_seconds())) / 3600
    return hours, observes


def _area_number(areacode: str) -> PhoneNumber:
    """A number that stands for the area code alone in prefix lookups."""
    return PhoneNumber(country_code=1, national_number=int(f"{areacode}0000000"))


@functools.cache
def _zone_index() -> dict[str, Counter[str]]:
    """Map each NANP area code to its time zones, counting the prefixes that name each.

    NOTE: this reads the prefix table behind `phonenumbers.timezone.time_zones_for_number`
    directly, because an area code split between zones (208) has no area-code-wide entry.
    """
    index: dict[str, Counter[str]] = {}
    for key, zones in TIMEZONE_DATA.items():
        if key.startswith("1") and len(key) >= 4:
            index.setdefault(key[1:4], Counter()).update(zones)
    return index


def area_zones(areacode: str) -> tuple[str, ...]:
    """Return phonenumbers' time zones for a NANP area code, sorted (empty if unknown)."""
    return tuple(sorted(_zone_index().get(areacode, ())))


def known_areacodes() -> list[str]:
    """Return the NANP area codes phonenumbers has time-zone prefixes for, sorted."""
    return sorted(_zone_index())


def geographic_region(areacode: str) -> str | None:
    """Return the region of the first valid fixed or mobile number in the area code, if any."""
    for exchange in range(200, 1000):
        number = PhoneNumber(country_code=1, national_number=int(f"{areacode}{exchange}1234"))
        if phonenumbers.is_valid_number(number) and (
            phonenumbers.number_type(number) in GEOGRAPHIC_TYPES
        ):
            return phonenumbers.region_code_for_number(number)
    return None


def _facts_agree(row: PhoneRow, zone: str) -> bool:
    offset, observes = zone_facts(zone)
    return Decimal(row.GMT_offset) == offset and (row.DST == "Y") == observes


def php_tz(row: PhoneRow) -> str:
    """Return the area code's time zone that agrees with the row's facts, else `''`.

    When several agree (208: Boise and Denver), the one more prefixes name wins, then the
    alphabetically first.
    """
    counts = _zone_index().get(row.areacode, Counter())
    agreeing = [zone for zone in sorted(counts) if _facts_agree(row, zone)]
    return max(agreeing, key=lambda zone: counts[zone], default="")


def state_names(rows: list[PhoneRow]) -> dict[str, dict[str, str]]:
    """Map each country's descriptions (and state codes) to its most used state code."""
    counts: dict[str, Counter[tuple[str, str]]] = {c: Counter() for c in STATE_COUNTRIES}
    for row in rows:
        if row.country_code == "1" and row.country in counts and row.state:
            counts[row.country][(row.geographic_description, row.state)] += 1
    names: dict[str, dict[str, str]] = {}
    for country, pairs in counts.items():
        mapping: dict[str, str] = {}
        for (description, state), _ in pairs.most_common():
            mapping.setdefault(description, state)
            mapping.setdefault(state, state)
        names[country] = mapping
    return names


def state_for(description: str, names: dict[str, str]) -> str | None:
    """Return the state code a geocoder description names, if it names a known one."""
    if description in STATE_ALIASES:
        return STATE_ALIASES[description]
    match = re.fullmatch(r".+, ([A-Z]{2})", description)
    key = match.group(1) if match else description
    return names.get(key)


def _partner(
    areacode: str,
    existing: list[PhoneRow],
    *,
    country: str,
    state: str | None,
    zones: tuple[str, ...],
) -> PhoneRow | None:
    """Return the 2014 row the added area code copies its time-zone facts from, if any."""
    if areacode in OVERLAID:
        for row in existing:
            if row.country_code == "1" and row.areacode == OVERLAID[areacode]:
                return row
        msg = f"area code {areacode}: overlaid area code {OVERLAID[areacode]} has no 2014 row"
        raise BuildError(msg)
    offsets = {zone_facts(zone)[0] for zone in zones}
    for row in existing:
        if row.country_code != "1" or row.country != country:
            continue
        if country not in STATE_COUNTRIES:
            return row
        if row.state == state and Decimal(row.GMT_offset) in offsets:
            return row
    return None


def _derived_row(
    areacode: str, *, country: str, state: str, label: str, zones: tuple[str, ...]
) -> PhoneRow:
    """Build a row from the area code's time zone (there is no 2014 row to copy from)."""
    facts = {zone_facts(zone) for zone in zones}
    if len(facts) != 1:
        msg = f"area code {areacode}: time zones {zones} disagree and no 2014 row to copy"
        raise BuildError(msg)
    offset, observes = facts.pop()
    if offset not in TZ_CODES:
        msg = f"area code {areacode}: no VICIdial `tz_code` for standard offset {offset}"
        raise BuildError(msg)
    gmt = gmt_text(f"+{offset}" if offset > 0 else str(offset), where=f"area code {areacode}")
    return PhoneRow(
        country_code="1",
        country=country,
        areacode=areacode,
        state=state,
        GMT_offset=gmt,
        DST="Y" if observes else "N",
        DST_range=DST_RANGE_NANP if observes else "",
        geographic_description=label,
        tz_code=TZ_CODES[offset],
    )


def _derive(
    areacode: str, region: str, existing: list[PhoneRow], names: dict[str, dict[str, str]]
) -> Added:
    """Fill in one added area code from phonenumbers and the 2014 rows (see module docstring)."""
    if region not in NANP_COUNTRY:
        msg = f"area code {areacode}: region `{region}` has no VICIdial country code"
        raise BuildError(msg)
    country = NANP_COUNTRY[region]
    description = geocoder.description_for_valid_number(_area_number(areacode), "en")
    zones = area_zones(areacode)
    state: str | None = None
    if country in STATE_COUNTRIES:
        state = state_for(description, names[country])
        if state is None:
            msg = (
                f"area code {areacode}: geocoder description `{description}` names no known "
                "state; add it to `STATE_ALIASES`"
            )
            raise BuildError(msg)
    partner = _partner(areacode, existing, country=country, state=state, zones=zones)
    if partner is not None and country in STATE_COUNTRIES and partner.state != state:
        msg = f"area code {areacode}: state {state} differs from {partner.areacode}'s"
        raise BuildError(msg)
    if partner is not None:
        row = replace(partner, areacode=areacode, php_tz="")
        how = f"copied from {partner.areacode}"
        if areacode in OVERLAID:
            how += " (the code it overlays)"
    else:
        labels = {code: name for name, code in reversed(names.get(country, {}).items())}
        label = labels.get(state or "", description)
        row = _derived_row(areacode, country=country, state=state or "", label=label, zones=zones)
        how = "derived from the time zone"
    own = php_tz(row)
    disagree = [zone for zone in zones if not _facts_agree(row, zone)]
    if not own and disagree:
        how += f"; phonenumbers' {', '.join(disagree)} disagrees, kept the 2014 facts"
    return Added(
        row=replace(row, php_tz=own or (partner.php_tz if partner is not None else "")),
        region=region,
        description=description,
        zones=zones,
        partner=partner,
        note=how,
    )


def build_phone_codes(existing: list[PhoneRow]) -> tuple[list[PhoneRow], list[Added]]:
    """Return the 2014 rows (with `php_tz`) followed by the added NANP area codes."""
    rows = [
        replace(row, php_tz=php_tz(row)) if row.country_code == "1" else row for row in existing
    ]
    present = {row.areacode for row in rows if row.country_code == "1"}
    names = state_names(rows)
    added = []
    for areacode in known_areacodes():
        if areacode in present:
            continue
        region = geographic_region(areacode)
        if region is not None:  # None: no fixed or mobile numbers, e.g. a service code
            added.append(_derive(areacode, region, rows, names))
    return rows + [item.row for item in added], added


def _check_widths(
    header: tuple[str, ...], rows: list[tuple[str, ...]], widths: dict[str, int]
) -> None:
    """Fail when a value would not fit its VICIdial column or would break the TSV."""
    for number, row in enumerate(rows, start=2):
        for name, value in zip(header, row, strict=True):
            if "\t" in value or "\n" in value:
                msg = f"row {number}: `{name}` contains a tab or newline"
                raise BuildError(msg)
            width = widths.get(name, 100)
            if len(value) > width:
                msg = f"row {number}: `{name}` value `{value}` exceeds {width} characters"
                raise BuildError(msg)


def _tsv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    lines = ["\t".join(header), *("\t".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary name so a crash never leaves a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _gzip(data: bytes) -> bytes:
    """Compress reproducibly: no file name, mtime 0, fixed level."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def _disagreements(rows: list[PhoneRow]) -> list[str]:
    """List the 2014 NANP rows none of whose phonenumbers time zones agrees with the row."""
    lines = []
    for row in rows:
        zones = area_zones(row.areacode)
        if row.country_code == "1" and zones and not row.php_tz:
            lines.append(
                f"* {row.areacode} {row.country} {row.state or '-'}: {row.GMT_offset} "
                f"{row.DST} `{row.DST_range}` here, phonenumbers says {', '.join(zones)}"
            )
    return lines


def provenance(
    *, rows: list[PhoneRow], source_rows: int, postal_rows: int, added: list[Added], date: str
) -> str:
    """Render `PROVENANCE.md` for the generated files."""
    table = [
        "| areacode | country | state | GMT_offset | DST | DST_range | tz_code | php_tz "
        "| phonenumbers region / description / time zones | how |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for item in added:
        r = item.row
        evidence = f"{item.region} / {item.description or '(none)'} / {', '.join(item.zones)}"
        table.append(
            f"| {r.areacode} | {r.country} | {r.state} | {r.GMT_offset} | {r.DST} "
            f"| {r.DST_range} | {r.tz_code} | {r.php_tz} | {evidence} | {item.note} |"
        )
    codes = ", ".join(item.row.areacode for item in added)
    overlays = ", ".join(f"{new} overlays {old}" for new, old in sorted(OVERLAID.items()))
    columns = ", ".join(f"`{name}`" for name in PHONE_HEADER)
    postal_columns = ", ".join(f"`{name}`" for name in POSTAL_HEADER)
    disagreements = "\n".join(_disagreements(rows[:source_rows])) or "(none)"
    return f"""# Provenance of `sinks/refdata/`

Generated on {date} by `scripts/build_refdata.py`; rerun it to regenerate (the output is
deterministic for a given phonenumbers version). Nothing here is read from outside the
package at run time.

## Sources

* `{PHONE_SOURCE}`: VICIdial's `vicidial_phone_codes` installation data as distributed
  with a VICIdial fork, last changed {SOURCE_DATE} ({source_rows} rows, ISO-8859-1).
* `{POSTAL_SOURCE}`: VICIdial's `vicidial_postal_codes` installation data
  ({postal_rows} rows).
* phonenumbers {phonenumbers.__version__} (Python port of Google's libphonenumber): NANP
  area codes, regions, geocoder descriptions and time zones.
* `zoneinfo` (IANA time-zone database): standard offset and DST flag of a time zone,
  evaluated for January and July {FACTS_YEAR}.
* NANPA overlay plans, for the overlays whose state spans time zones: {overlays}.

## Files

| file | rows | columns |
| --- | --- | --- |
| `{PHONE_OUT}` | {len(rows)} ({source_rows} from {SOURCE_DATE} + {len(added)} added) \
| {columns} |
| `{POSTAL_OUT}` | {postal_rows} | {postal_columns} |

UTF-8, tab-separated, one header row, no quoting, `\\n` line ends; the postal file is gzip.

## How the values were derived

* 2014 rows keep their file order: VICIdial falls back to the first row of a country code,
  so order is data. Their values are copied verbatim except that `GMT_offset` gets two
  decimals (keeping the source's `+` on positive offsets: `-5` → `-5.00`, `+1` → `+1.00`)
  and `DST` is upper-cased (one row says `n`, which MySQL's ENUM stores as `N`). Quirks are
  kept as VICIdial ships them (`QU` for one Quebec row, stray letters at the end of some
  Mexican descriptions, pre-2007 `FSA-LSO` for some Caribbean rows).
* Postal rows: `GMT_offset` with two decimals (`-5.0` → `-5.00`; the source has no `+`),
  `DST_range` = `SSM-FSN` when `DST` is `Y`, else `''`; `country` = `USA`,
  `country_code` = `1`.
* `php_tz` (informational, not used by `add_lead`): for NANP rows, the phonenumbers time
  zone of the area code whose standard offset and DST flag agree with the row (if several
  agree, the one most phonenumbers prefixes name); for an added row with none, the zone of
  the row it was copied from; `''` otherwise and for every other country.
* Added rows: every area code phonenumbers has time-zone prefixes for, that has valid fixed
  or mobile numbers (so no toll-free, personal or service codes) and no 2014 row:
  * `country`: the phonenumbers region as the 2014 file names it (`US` → `USA`,
    `CA` → `CAN`, `JM` → `JAM`, `KY` → `CAY`, `SX` → `NLD`, ...);
  * `state`: USA and Canada from the geocoder description of the area code (a state name,
    or `City, ST`), mapped through the 2014 file's own description → state pairs (plus
    `British Colombia` → `BC`, `Newfoundland and Labrador` → `NF`, `Washington D.C.` →
    `DC`); elsewhere the state of the region's first 2014 row;
  * `GMT_offset`, `DST`, `DST_range`, `tz_code`, `geographic_description`: copied from the
    first 2014 row of the same country and state whose standard offset matches one of the
    area code's time zones (an overlay shares its region's facts; in the Caribbean, the
    region's first row); for the overlays listed under Sources, from the overlaid code's
    row. Without such a row they would be derived from the time zone itself (`SSM-FSN` if it
    observes DST, else `N` and `''`; `tz_code` from the standard offset).

## Added area codes ({len(added)})

{codes}

{chr(10).join(table)}

## 2014 NANP rows that phonenumbers' time zones contradict (kept as VICIdial ships them)

{disagreements}
"""


def build(shared: Path, out: Path, *, date: str) -> list[Added]:
    """Write the three generated files into `out`; returns the added rows."""
    existing = read_phone_codes(shared / PHONE_SOURCE)
    postal = read_postal_codes(shared / POSTAL_SOURCE)
    rows, added = build_phone_codes(existing)
    keys = [(item.row.country_code, item.row.areacode) for item in added]
    if len(keys) != len(set(keys)):
        msg = "added rows repeat a (country_code, areacode) pair"
        raise BuildError(msg)
    phone_tuples = [astuple(row) for row in rows]
    _check_widths(PHONE_HEADER, phone_tuples, PHONE_WIDTHS)
    _check_widths(POSTAL_HEADER, postal, POSTAL_WIDTHS)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / PHONE_OUT, _tsv(PHONE_HEADER, phone_tuples))
    _write(out / POSTAL_OUT, _gzip(_tsv(POSTAL_HEADER, postal)))
    text = provenance(
        rows=rows,
        source_rows=len(existing),
        postal_rows=len(postal),
        added=added,
        date=date,
    )
    _write(out / PROVENANCE_OUT, text.encode("utf-8"))
    return added


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the files and print a short summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="source directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--date",
        default=dt.datetime.now(dt.UTC).date().isoformat(),
        help="generation date written to PROVENANCE.md (default: today, UTC)",
    )
    args = parser.parse_args(argv)
    try:
        dt.date.fromisoformat(args.date)
        added = build(args.shared, args.out, date=args.date)
    except (BuildError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {PHONE_OUT}, {POSTAL_OUT}, {PROVENANCE_OUT} to {args.out}")
    print(f"added {len(added)} NANP area codes (phonenumbers {phonenumbers.__version__}):")
    for item in added:
        r = item.row
        print(f"  {r.areacode} {r.country} {r.state or '-'} {r.GMT_offset} {r.DST} {item.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
