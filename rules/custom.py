"""Custom-field rows of accepted leads (add_lead step A16) and their NOTICE lines.

Spec: `shared/spec/ingest.md` section 12, `schema.md` sections 4 and 5.

Decisions that differ from the reference revision (all documented in the spec or here):

* **The stray-comma bug is not reproduced**: the custom row is written and the response is
  `CUSTOM FIELDS VALUES ADDED`, with `entry_list_id` set to the list id (spec 12, "Decision").
* **Definitions without a column are skipped** instead of making the whole insert fail: types
  `SWITCH` and `BUTTON`, and labels the administration screen never creates a column for
  (`entry_date`, `entry_list_id`, `modify_date`, `status`, `user`, and a standard lead column in
  another letter case; schema.md 5). VICIdial would name the missing column and store nothing.
* **Encrypted fields are refused, never stored in plain text.** With `cf_encrypt` in
  `system_settings.active_modules`, a field with `field_encrypt`=`Y` of a type VICIdial encrypts
  and a non-empty value would need VICIdial's external AES helper and key, which leadpipe does
  not have. Such a lead gets no custom row (and keeps its `entry_list_id`) and the NOTICE
  `NOTICE: add_lead CUSTOM FIELDS NOT ADDED, ENCRYPTED FIELDS NOT SUPPORTED -
  {phone_number}|{lead_id}|{list_id}|{labels}` (labels comma-separated), so the operator can load
  those values through VICIdial. Empty encrypted values are stored as `''`, as VICIdial does.
* Values are read from the lead frame's column named exactly like the `field_label` (the source
  passes non-standard columns through uncleaned); a label that is also an add_lead option name
  (`campaign_id`, …) reads the option's cleaned value, where VICIdial reads the raw parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from rules.callbacks import parse_mysql_date, parse_mysql_time

__all__ = ["STANDARD_LABELS", "CustomField", "CustomFieldPlan", "custom_field_plan", "custom_rows"]

STANDARD_LABELS: frozenset[str] = frozenset(
    (
        "lead_id",
        "vendor_lead_code",
        "source_id",
        "list_id",
        "gmt_offset_now",
        "called_since_last_reset",
        "phone_code",
        "phone_number",
        "title",
        "first_name",
        "middle_initial",
        "last_name",
        "address1",
        "address2",
        "address3",
        "city",
        "state",
        "province",
        "postal_code",
        "country_code",
        "gender",
        "date_of_birth",
        "alt_phone",
        "email",
        "security_phrase",
        "comments",
        "called_count",
        "last_local_call_time",
        "rank",
        "owner",
    )
)
"""Labels add_lead skips (exact, case-sensitive): their value comes from the standard field."""

_NO_COLUMN_LABELS = STANDARD_LABELS | {
    "status",
    "entry_date",
    "entry_list_id",
    "modify_date",
    "user",
}
_NO_COLUMN_TYPES = frozenset(("SWITCH", "BUTTON"))
_NO_VALUE_TYPES = frozenset(("DISPLAY", "SCRIPT"))
_VARCHAR_TYPES = frozenset(("TEXT", "HIDDEN", "READONLY"))
_ENUM_TYPES = frozenset(("SELECT", "RADIO", "SOURCESELECT"))
_SET_TYPES = frozenset(("MULTI", "CHECKBOX"))
_BLOB_TYPES = frozenset(("AREA", "HIDEBLOB"))
_ACCEPTED_TYPES = _VARCHAR_TYPES | _ENUM_TYPES | _SET_TYPES | _BLOB_TYPES | {"DATE", "TIME"}
_ENCRYPTABLE = frozenset(("TEXT", "HIDDEN", "READONLY", "HIDEBLOB", "AREA", "DATE", "TIME"))
_BLOB_BYTES = 65_535
_INDEX_RE = re.compile(r"[0-9]+")
_P = "NOTICE: add_lead CUSTOM FIELDS "


@dataclass(frozen=True)
class CustomField:
    """One custom column add_lead writes, with what its column type does to a value.

    `width` is the VARCHAR width (TEXT/HIDDEN/READONLY: `field_max`; MULTI/CHECKBOX: the quoted
    option list), `options` the ENUM members (SELECT/RADIO/SOURCESELECT), `encrypt` whether
    VICIdial would encrypt it when `cf_encrypt` is active.
    """

    label: str
    field_type: str
    width: int | None = None
    options: tuple[str, ...] = ()
    encrypt: bool = False


@dataclass(frozen=True)
class CustomFieldPlan:
    """The custom columns of one list, in add_lead's order, and the definitions skipped (why)."""

    list_id: int
    fields: tuple[CustomField, ...]
    skipped: tuple[tuple[str, str], ...] = ()


def _option_lines(options: str) -> list[str]:
    return [line.rstrip("\r") for line in options.split("\n") if "," in line or "|" in line]


def _enum_members(field_type: str, options: str) -> tuple[str, ...]:
    """ENUM members the administration screen creates (schema.md 5); MySQL drops trailing spaces."""
    if field_type == "SOURCESELECT":
        values = [line.split("|")[0].removeprefix("option=>") for line in _option_lines(options)]
    else:
        values = [line.split(",")[0] for line in _option_lines(options)]
    return tuple(v.rstrip(" ") for v in values)


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _field(
    label: str, field_type: str, field_max: object, options: str, *, encrypt: bool
) -> CustomField:
    if field_type in _VARCHAR_TYPES:
        width = _int_or_none(field_max)
        return CustomField(label, field_type, width=max(width or 1, 1), encrypt=encrypt)
    if field_type in _ENUM_TYPES:
        return CustomField(label, field_type, options=_enum_members(field_type, options))
    if field_type in _SET_TYPES:
        quoted = ",".join(f"'{v}'" for v in _enum_members("SELECT", options))
        return CustomField(label, field_type, width=max(len(quoted.encode()), 1))
    return CustomField(label, field_type, encrypt=encrypt)


def custom_field_plan(fields: pl.DataFrame, *, list_id: int) -> CustomFieldPlan:
    """Decide which `vicidial_lists_fields` definitions of `list_id` add_lead writes, in order.

    Rules 1-3 of spec 12: `field_duplicate` ≠ `Y`, ordered by `field_rank`, `field_order`,
    `field_label`; `DISPLAY`/`SCRIPT` and exact standard labels skipped; definitions without a
    column (`SWITCH`, `BUTTON`, `entry_date`, …) skipped too (leadpipe's documented deviation).

    >>> defs = pl.DataFrame({"list_id": [101, 101, 101], "field_label": ["size", "color", "note"],
    ...     "field_type": ["TEXT", "SELECT", "DISPLAY"], "field_rank": [2, 1, 3],
    ...     "field_max": [5, None, None], "field_options": ["", "red,Red\\nblue,Blue", ""]})
    >>> [(f.label, f.width, f.options) for f in custom_field_plan(defs, list_id=101).fields]
    [('color', None, ('red', 'blue')), ('size', 5, ())]
    """
    frame = fields
    if "list_id" in frame.columns:
        frame = frame.filter(pl.col("list_id").cast(pl.Int64, strict=False) == list_id)
    defaults = {
        "field_duplicate": "N",
        "field_encrypt": "N",
        "field_options": "",
        "field_type": "TEXT",
    }
    frame = frame.with_columns(
        [pl.lit(v).alias(k) for k, v in defaults.items() if k not in frame.columns]
        + [
            pl.lit(None, dtype=pl.Int64).alias(k)
            for k in ("field_rank", "field_order", "field_max")
            if k not in frame.columns
        ]
    )
    # SQL `field_duplicate != 'Y'`: NULL is excluded too. MySQL sorts NULLs first; labels compare
    # case-insensitively.
    frame = frame.filter(pl.col("field_duplicate") != "Y").sort(
        pl.col("field_rank").cast(pl.Int64, strict=False),
        pl.col("field_order").cast(pl.Int64, strict=False),
        pl.col("field_label").str.to_lowercase(),
        nulls_last=False,
        maintain_order=True,
    )
    kept: list[CustomField] = []
    skipped: list[tuple[str, str]] = []
    for row in frame.iter_rows(named=True):
        label = row["field_label"] or ""
        field_type = row["field_type"] or ""
        if field_type in _NO_VALUE_TYPES:
            skipped.append((label, "no value type"))
        elif label in STANDARD_LABELS:
            skipped.append((label, "standard field"))
        elif (
            field_type in _NO_COLUMN_TYPES
            or field_type not in _ACCEPTED_TYPES
            or label.lower() in _NO_COLUMN_LABELS
            or not label
        ):
            skipped.append((label, "no column"))
        else:
            encrypt = row["field_encrypt"] == "Y" and field_type in _ENCRYPTABLE
            kept.append(
                _field(
                    label, field_type, row["field_max"], row["field_options"] or "", encrypt=encrypt
                )
            )
    return CustomFieldPlan(list_id=list_id, fields=tuple(kept), skipped=tuple(skipped))


# --- values ----------------------------------------------------------------------------------


def _on_distinct(values: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    mapping = {v: fn(v) for v in values.unique().to_list()}
    return values.replace_strict(mapping, return_dtype=pl.String)


def _enum_value(value: str, members: tuple[str, ...]) -> str:
    """Non-strict ENUM store: a member (any case, trailing spaces ignored), an index, or ''."""
    key = value.rstrip(" ").lower()
    for member in members:
        if member.lower() == key:
            return member
    if _INDEX_RE.fullmatch(value) and 1 <= int(value) <= len(members):
        return members[int(value) - 1]  # MySQL reads an unmatched number string as the index
    return ""


def _truncate_bytes(value: str, limit: int = _BLOB_BYTES) -> str:
    data = value.encode()
    return value if len(data) <= limit else data[:limit].decode(errors="ignore")


def _raw_value(leads: pl.DataFrame, label: str) -> pl.Expr:
    """Spec 12 rule 4: `+` → space, `;` and `"` deleted, one trailing backslash dropped."""
    if label not in leads.columns:
        return pl.lit("")
    value = (
        pl.col(label)
        .cast(pl.String)
        .fill_null("")
        .str.replace_all("+", " ", literal=True)
        .str.replace_all(r'[;"]', "")
        .str.replace(r"\\(\n?)$", "${1}")  # PCRE `$` also matches before a final newline
    )
    return pl.when(value == "--BLANK--").then(pl.lit("")).otherwise(value)


def _stored(values: pl.Series, field: CustomField, *, encrypted: bool) -> pl.Series:
    """What the custom column holds after MySQL's non-strict coercion (rule 5)."""
    if encrypted:  # VARCHAR column; only empty values get this far
        return values
    if field.field_type in _ENUM_TYPES:
        return _on_distinct(values, lambda v: _enum_value(v, field.options))
    if field.field_type == "DATE":
        return _on_distinct(values, parse_mysql_date)
    if field.field_type == "TIME":
        return _on_distinct(values, parse_mysql_time)
    if field.field_type in _BLOB_TYPES:
        return _on_distinct(values, _truncate_bytes)
    return values.str.slice(0, field.width)


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("")


def _notice(reason: str, *extra: pl.Expr) -> pl.Expr:
    parts: list[pl.Expr] = [
        pl.lit(_P + reason + " - "),
        _text("phone_number"),
        pl.lit("|"),
        pl.col("lead_id").cast(pl.String),
    ]
    for expr in extra:
        parts += [pl.lit("|"), expr]
    return pl.concat_str(parts)


def custom_rows(
    leads: pl.DataFrame,
    *,
    plans: dict[int, CustomFieldPlan],
    tables_present: set[int],
    custom_fields_enabled: bool,
    cf_encrypt: bool = False,
) -> tuple[dict[int, pl.DataFrame], pl.DataFrame]:
    """Build each list's `custom_{list_id}` rows and the custom-field NOTICE of every lead asking.

    Only leads with `custom_fields` = `Y`. Decision order: custom fields disabled, no
    `custom_{list_id}` table (`tables_present`), no writable definition (`plans`), encrypted
    values (refused, see the module doc), else one row and `…VALUES ADDED…|1`.

    Returns:
        `rows_by_list`: list id → frame of `lead_id`, one String column per planned label,
        `source_row` (sorted by `source_row`); `notices`: `source_row`, `lead_id`,
        `custom_notice`, `entry_list_id` (Int64: the value to write to the lead's
        `entry_list_id`, null when it stays).

    >>> plan = CustomFieldPlan(101, (CustomField("color", "SELECT", options=("red", "blue")),))
    >>> leads = pl.DataFrame({"lead_id": [9], "source_row": [1], "phone_number": ["7275551213"],
    ...     "list_id": ["101"], "custom_fields": ["Y"], "color": ["Blue"]})
    >>> rows, notices = custom_rows(leads, plans={101: plan}, tables_present={101},
    ...     custom_fields_enabled=True)
    >>> rows[101]["color"].to_list(), notices["custom_notice"][0]
    (['blue'], 'NOTICE: add_lead CUSTOM FIELDS VALUES ADDED - 7275551213|9|101|1')
    """
    for plan in plans.values():
        for field in plan.fields:
            if field.label == "source_row":
                msg = (
                    f"custom field `source_row` of list `{plan.list_id}` clashes with leadpipe's"
                    " row number column: rename the field in VICIdial"
                )
                raise ValueError(msg)
    asking = leads.filter(_text("custom_fields") == "Y").with_columns(
        _cf_list=pl.col("list_id").cast(pl.Int64, strict=False)
    )
    writable = [lid for lid, plan in plans.items() if plan.fields]
    outcome = (
        pl.when(pl.lit(not custom_fields_enabled))
        .then(pl.lit("disabled"))
        .when(~pl.col("_cf_list").is_in(list(tables_present)).fill_null(value=False))
        .then(pl.lit("no_table"))
        .when(~pl.col("_cf_list").is_in(writable).fill_null(value=False))
        .then(pl.lit("no_fields"))
        .otherwise(pl.lit("write"))
    )
    asking = asking.with_columns(_cf_outcome=outcome, _cf_refused=pl.lit(None, dtype=pl.String))
    rows_by_list: dict[int, pl.DataFrame] = {}
    refused_parts: list[pl.DataFrame] = []
    for list_id in sorted(
        asking.filter(pl.col("_cf_outcome") == "write")["_cf_list"].unique().to_list()
    ):
        plan = plans[list_id]
        part = asking.filter(pl.col("_cf_list") == list_id).sort("source_row")
        raw = part.with_columns(
            [_raw_value(part, f.label).alias(f.label) for f in plan.fields]
        ).select([f.label for f in plan.fields])
        secret = [f.label for f in plan.fields if cf_encrypt and f.encrypt]
        refused = (
            pl.concat_str(
                [pl.when(pl.col(label) != "").then(pl.lit(label)) for label in secret],
                separator=",",
                ignore_nulls=True,
            )
            if secret
            else pl.lit("")
        )
        flags = raw.with_columns(refused.alias("_cf_refused"))["_cf_refused"]
        ok = flags == ""
        refused_parts.append(
            part.select("source_row", "lead_id").with_columns(_cf_refused_now=flags)
        )
        stored = [
            _stored(raw[f.label].filter(ok), f, encrypted=cf_encrypt and f.encrypt).alias(f.label)
            for f in plan.fields
        ]
        rows_by_list[list_id] = pl.DataFrame(
            [part["lead_id"].filter(ok), *stored, part["source_row"].filter(ok)]
        )
    if refused_parts:
        asking = (
            asking.join(
                pl.concat(refused_parts), on=["source_row", "lead_id"], how="left", validate="1:1"
            )
            .with_columns(
                _cf_refused=pl.when(pl.col("_cf_refused_now") != "").then(pl.col("_cf_refused_now"))
            )
            .drop("_cf_refused_now")
        )
    list_text = pl.col("list_id").cast(pl.String)
    notice = (
        pl.when(pl.col("_cf_outcome") == "disabled")
        .then(
            _notice(
                "NOT ADDED, CUSTOM FIELDS DISABLED",
                _text("custom_fields"),
                pl.lit("1" if custom_fields_enabled else "0"),
            )
        )
        .when(pl.col("_cf_outcome") == "no_table")
        .then(_notice("NOT ADDED, NO CUSTOM FIELDS DEFINED FOR THIS LIST", list_text))
        .when(pl.col("_cf_outcome") == "no_fields")
        .then(_notice("NOT ADDED, NO FIELDS DEFINED", list_text))
        .when(pl.col("_cf_refused").is_not_null())
        .then(
            _notice("NOT ADDED, ENCRYPTED FIELDS NOT SUPPORTED", list_text, pl.col("_cf_refused"))
        )
        .otherwise(_notice("VALUES ADDED", list_text, pl.lit("1")))
    )
    written = (pl.col("_cf_outcome") == "write") & pl.col("_cf_refused").is_null()
    notices = asking.sort("source_row").select(
        "source_row",
        "lead_id",
        notice.alias("custom_notice"),
        pl.when(written).then(pl.col("_cf_list")).alias("entry_list_id"),
    )
    return rows_by_list, notices
