"""add_lead's duplicate checks (step A11, ingest.md 9) over a whole batch at once.

The result equals submitting the rows one at a time, in `source_row` order (ingest.md 1): a
row is a duplicate of an existing DB lead, or of an EARLIER row of the same batch that was
itself accepted. Accepted batch rows count as stored: truncated to the `vicidial_list` widths
and with `entry_date` = `now`, so they fall inside every day window.

Each option is a case-insensitive substring of the row's `duplicate_check`; a row's options
run in the fixed order below and the first one that finds a lead decides. The reported lead
is the lowest `lead_id` (DB leads precede batch rows; among batch rows the earliest).

The writer builds the add_lead response `ERROR: add_lead {reason} - {fields}` from the code
(ingest.md 9.3). `{dup_lead_id}` is `dup_lead_id`, or the lead id the writer assigned to
`dup_source_row`; `{dup_list_id}` is `dup_list_id`, `{match}` is `dup_match`, `{list_id}` the
target list, every other field the row's cleaned value:

* DUPLIST → `DUPLICATE_PHONE_LIST`: `DUPLICATE PHONE NUMBER IN LIST`,
  `{phone_number}|{list_id}|{dup_lead_id}`
* DUPCAMP → `DUPLICATE_PHONE_CAMPAIGN`: `DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS`,
  `{phone_number}|{list_id}|{dup_lead_id}|{dup_list_id}`
* DUPSYS → `DUPLICATE_PHONE_SYSTEM`: `DUPLICATE PHONE NUMBER IN SYSTEM`,
  `{phone_number}|{list_id}|{dup_lead_id}|{dup_list_id}`
* DUPPHONEALTLIST/CAMP/SYS → `DUPLICATE_PHONEALT_LIST`/`_CAMPAIGN`/`_SYSTEM`: the reason and
  fields of DUPLIST/DUPCAMP/DUPSYS followed by `|{match}`
* DUPTITLEALTPHONELIST → `DUPLICATE_TITLE_ALTPHONE_LIST`: `DUPLICATE TITLE ALT_PHONE IN LIST`,
  `{title}|{alt_phone}|{list_id}|{dup_lead_id}`
* DUPTITLEALTPHONECAMP/SYS → `DUPLICATE_TITLE_ALTPHONE_CAMPAIGN`/`_SYSTEM`:
  `DUPLICATE TITLE ALT_PHONE IN CAMPAIGN LISTS`/`IN SYSTEM`,
  `{title}|{alt_phone}|{list_id}|{dup_lead_id}|{dup_list_id}`
* DUPNAMEPHONELIST → `DUPLICATE_NAME_PHONE_LIST`: `DUPLICATE NAME PHONE IN LIST`,
  `{first_name}|{last_name}|{phone_number}|{list_id}|{dup_lead_id}`
* DUPNAMEPHONECAMP/SYS → `DUPLICATE_NAME_PHONE_CAMPAIGN`/`_SYSTEM`:
  `DUPLICATE NAME PHONE IN CAMPAIGN LISTS`/`IN SYSTEM`,
  `{first_name}|{last_name}|{phone_number}|{list_id}|{dup_lead_id}|{dup_list_id}`

`CAMPAIGN_LISTS_UNDEFINED` (leadpipe's own, no dup fields): a CAMP option is reached while the
campaign list set is empty, i.e. the target list has no `vicidial_lists` row (or its campaign
is NULL and no list has an empty campaign). VICIdial's query is malformed there (PHP 8: fatal
error, nothing inserted; PHP 7: the check silently passes, ingest.md 9.2); leadpipe rejects the
row instead. Like a real hit, it only fires when no earlier option of the row found a lead.

NOTE: `now` is frozen per batch (ingest.md 1.2): every row's window cut-off uses it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from rules._frame import REJECT, RejectCode, with_reject_column
from rules.fields import WIDTHS

__all__ = [
    "DUP_OPTIONS",
    "DUP_WINDOW_DAYS",
    "EXISTING_SCHEMA",
    "LIST_CAMPAIGNS_SCHEMA",
    "duplicates",
    "parse_duplicate_check",
]

# (option, compared columns, scope, reject code) in add_lead's fixed order of execution (9.3)
_TABLE: tuple[tuple[str, str, str, RejectCode], ...] = (
    ("DUPLIST", "phone", "list", "DUPLICATE_PHONE_LIST"),
    ("DUPCAMP", "phone", "camp", "DUPLICATE_PHONE_CAMPAIGN"),
    ("DUPSYS", "phone", "sys", "DUPLICATE_PHONE_SYSTEM"),
    ("DUPPHONEALTLIST", "phonealt", "list", "DUPLICATE_PHONEALT_LIST"),
    ("DUPPHONEALTCAMP", "phonealt", "camp", "DUPLICATE_PHONEALT_CAMPAIGN"),
    ("DUPPHONEALTSYS", "phonealt", "sys", "DUPLICATE_PHONEALT_SYSTEM"),
    ("DUPTITLEALTPHONELIST", "titlealt", "list", "DUPLICATE_TITLE_ALTPHONE_LIST"),
    ("DUPTITLEALTPHONECAMP", "titlealt", "camp", "DUPLICATE_TITLE_ALTPHONE_CAMPAIGN"),
    ("DUPTITLEALTPHONESYS", "titlealt", "sys", "DUPLICATE_TITLE_ALTPHONE_SYSTEM"),
    ("DUPNAMEPHONELIST", "namephone", "list", "DUPLICATE_NAME_PHONE_LIST"),
    ("DUPNAMEPHONECAMP", "namephone", "camp", "DUPLICATE_NAME_PHONE_CAMPAIGN"),
    ("DUPNAMEPHONESYS", "namephone", "sys", "DUPLICATE_NAME_PHONE_SYSTEM"),
)

DUP_OPTIONS: tuple[str, ...] = tuple(row[0] for row in _TABLE)
"""The 12 `duplicate_check` options in add_lead's order of execution (ingest.md 9.3)."""

DUP_WINDOW_DAYS: tuple[int, ...] = (1, 2, 3, 7, 14, 15, 21, 28, 30, 60, 90, 180, 360)
"""Day-window tokens (`{n}DAY`) in the order add_lead tests them; the last match wins (9.1)."""

_UNDEFINED: RejectCode = "CAMPAIGN_LISTS_UNDEFINED"
_ALT_RANKS = (3, 4, 5)  # the DUPPHONEALT* options report `dup_match`

# new-side key columns per compared-columns family, and the stored-side alternatives
# (DUPPHONEALT*: the new phone equals the stored phone OR the stored alt_phone)
_NEW_KEYS: dict[str, list[str]] = {
    "phone": ["_n_phone"],
    "phonealt": ["_n_phone"],
    "titlealt": ["_n_title", "_n_alt"],
    "namephone": ["_n_first", "_n_last", "_n_phone"],
}
_STORED_KEYS: dict[str, list[list[str]]] = {
    "phone": [["_s_phone"]],
    "phonealt": [["_s_phone"], ["_s_alt"]],
    "titlealt": [["_s_title", "_s_alt"]],
    "namephone": [["_s_first", "_s_last", "_s_phone"]],
}
_SCOPE_KEYS: dict[str, tuple[list[str], list[str]]] = {
    "list": (["_list"], ["_s_list"]),
    "camp": (["_camp"], ["_s_camp"]),
    "sys": ([], []),
}
_FIELDS = {
    "phone": "phone_number",
    "alt": "alt_phone",
    "title": "title",
    "first": "first_name",
    "last": "last_name",
}


def parse_duplicate_check(value: str) -> tuple[tuple[str, ...], int | None]:
    """Return the options found in `value` (in execution order) and its day window.

    >>> parse_duplicate_check("duplist-DUPNAMEPHONESYS21DAY")
    (('DUPLIST', 'DUPNAMEPHONESYS'), 21)
    >>> [parse_duplicate_check(f"DUPSYS{n}DAY")[1] for n in (360, 11, 390, 5)]
    [360, 1, 90, None]
    >>> parse_duplicate_check("DUPSYS1DAY-DUPLIST7DAY")
    (('DUPLIST', 'DUPSYS'), 7)
    """
    low = value.lower()
    options = tuple(name for name in DUP_OPTIONS if name.lower() in low)
    days = None
    for n in DUP_WINDOW_DAYS:  # NOTE: later tokens override earlier ones (`21DAY` contains `1DAY`)
        if f"{n}day" in low:
            days = n
    return options, days


def _norm(expr: pl.Expr) -> pl.Expr:
    """Comparison form of the database collation: case-insensitive, trailing spaces ignored."""
    return expr.str.to_lowercase().str.strip_chars_end(" ")


def _used_fields(used: tuple[int, ...]) -> list[str]:
    """The `_FIELDS` keys the options `used` compare (in `_FIELDS` order)."""
    wanted = {"phone"}  # `_s_phone` is also the reported phone of DUPPHONEALT* hits
    for k in used:
        family = _TABLE[k][1]
        wanted.update(key.removeprefix("_n_") for key in _NEW_KEYS[family])
        wanted.update(key.removeprefix("_s_") for alt in _STORED_KEYS[family] for key in alt)
    return [key for key in _FIELDS if key in wanted]


def _prepare(batch: pl.DataFrame, campaigns: pl.DataFrame, now: datetime, used: tuple[int, ...]) -> pl.DataFrame:
    """Add option flags, the window cut-off, and the new-side and stored-side key columns."""
    check = pl.col("_dup_check").str.to_lowercase()
    cutoff: pl.Expr = pl.lit("")  # '' = no window
    for n in DUP_WINDOW_DAYS:
        cut = (now - timedelta(days=n)).strftime("%Y-%m-%d %H:%M:%S")
        cutoff = (
            pl.when(check.str.contains(f"{n}day", literal=True)).then(pl.lit(cut)).otherwise(cutoff)
        )
    df = batch.with_columns(_dup_check=pl.col("duplicate_check").fill_null(""))
    # NOTE: a batch carries few distinct `duplicate_check` values: parse each once, attach back
    parsed = (
        df.select("_dup_check")
        .unique()
        .with_columns(
            _cutoff=cutoff,
            **{f"_p{k}": check.str.contains(DUP_OPTIONS[k].lower(), literal=True) for k in used},
        )
    )
    flags = [(pl.col(REJECT).is_null() & pl.col(f"_p{k}")).alias(f"_o{k}") for k in used]
    fields = _used_fields(used)
    new = [_norm(pl.col(_FIELDS[key]).fill_null("")).alias(f"_n_{key}") for key in fields]
    stored = [
        _norm(pl.col(_FIELDS[key]).fill_null("").str.slice(0, WIDTHS[_FIELDS[key]])).alias(f"_s_{key}")
        for key in fields
    ]
    # the camp set is every list whose (non-NULL) campaign equals the target list's campaign;
    # a NULL campaign is compared as '' (PHP interpolates it), and no list matching means no set
    defined = (
        campaigns.filter(pl.col("_s_camp").is_not_null())
        .select(pl.col("_s_camp").alias("_camp"), _defined=pl.lit(value=True))
        .unique()
    )
    df = (
        _attach(df, parsed, "_dup_check")
        .with_columns(
            pl.col("source_row").cast(pl.Int64),
            _pend=pl.col(REJECT).is_null(),
            _list=pl.col("list_id").cast(pl.Int64, strict=False),
            _s_phone_raw=pl.col("phone_number").fill_null("").str.slice(0, WIDTHS["phone_number"]),
        )
        .with_columns(*flags, *new, *stored, _s_list=pl.col("_list"))
    )
    df = _attach(df, campaigns.rename({"_s_list": "_list"}), "_list")
    df = df.with_columns(_camp=pl.when(pl.col("_in_lists")).then(pl.col("_s_camp").fill_null("")))
    df = _attach(df, defined, "_camp")
    return df.with_columns(_camp=pl.when(pl.col("_defined")).then(pl.col("_camp"))).drop(
        "_in_lists", "_defined", "_dup_check", *[f"_p{k}" for k in used]
    )


def _attach(df: pl.DataFrame, table: pl.DataFrame, on: str) -> pl.DataFrame:
    """Left-join a small table with at most one row per key (a null key matches nothing).

    NOTE: a batch usually holds one key (one list, one `duplicate_check`): its values are then
    broadcast, which costs nothing, where a join would rewrite every column of the batch.
    """
    keys = df.get_column(on).unique()
    if keys.len() != 1:
        return df.join(table, on=on, how="left", validate="m:1", maintain_order="left")
    key = keys.item()
    row = table.clear() if key is None else table.filter(pl.col(on) == key)
    if row.height > 1:
        msg = f"`{on}` is not unique in the attached table"
        raise ValueError(msg)
    values = [
        pl.lit(row.get_column(c).item() if row.height else None, table.schema[c]).alias(c)
        for c in table.columns
        if c != on
    ]
    return df.with_columns(values)


def _db_hits(rows: pl.LazyFrame, db: pl.LazyFrame, used: tuple[int, ...]) -> pl.LazyFrame:
    """Per pending row: the first option that finds a DB lead (or an undefined CAMP set).

    Returns `source_row`, `_db_k` (option rank), `_db_lead`, `_db_list`, `_db_phone`, `_db_undef`.
    """
    hits = []
    for k in used:
        _, family, scope, _code = _TABLE[k]
        new_scope, stored_scope = _SCOPE_KEYS[scope]
        new_cols = [*_NEW_KEYS[family], *new_scope, "_cutoff"]
        asking = rows.filter(pl.col(f"_o{k}"))
        keys = asking.select(new_cols).unique()  # equal keys get equal answers: join them once
        parts = [
            keys.join(db, left_on=[*_NEW_KEYS[family], *new_scope], right_on=[*alt, *stored_scope])
            .filter((pl.col("_cutoff") == "") | (pl.col("entry_date") > pl.col("_cutoff")))
            .select(*new_cols, "lead_id", "list_id", "phone_number")
            for alt in _STORED_KEYS[family]
        ]
        first = (
            pl.concat(parts)
            .group_by(new_cols)
            .agg(pl.col("lead_id", "list_id", "phone_number").sort_by("lead_id").first())
        )
        hits.append(
            asking.select("source_row", *new_cols)
            .join(first, on=new_cols, validate="m:1")
            .select(
                "source_row",
                _db_k=pl.lit(k, pl.Int32),
                _db_lead=pl.col("lead_id"),
                _db_list=pl.col("list_id"),
                _db_phone=pl.col("phone_number"),
                _db_undef=pl.lit(value=False),
            )
        )
    camp_ranks = [pl.when(pl.col(f"_o{k}")).then(pl.lit(k, pl.Int32)) for k in used if _TABLE[k][2] == "camp"]
    if camp_ranks:
        hits.append(
            rows.with_columns(_db_k=pl.min_horizontal(camp_ranks))
            .filter(pl.col("_db_k").is_not_null() & pl.col("_camp").is_null())
            .select(
                "source_row",
                "_db_k",
                _db_lead=pl.lit(None, pl.Int64),
                _db_list=pl.lit(None, pl.Int64),
                _db_phone=pl.lit(None, pl.String),
                _db_undef=pl.lit(value=True),
            )
        )
    cols = ["_db_k", "_db_lead", "_db_list", "_db_phone", "_db_undef"]
    if not hits:
        return pl.LazyFrame(schema={"source_row": pl.Int64, "_db_k": pl.Int32, "_db_lead": pl.Int64,
                                    "_db_list": pl.Int64, "_db_phone": pl.String, "_db_undef": pl.Boolean})
    return (
        pl.concat(hits)
        .group_by("source_row")
        .agg(pl.col(cols).sort_by("_db_k", "_db_lead", nulls_last=True).first())
    )


def _stored_db(existing: pl.LazyFrame, campaigns: pl.LazyFrame) -> pl.LazyFrame:
    """Existing leads with the stored-side key columns."""
    return existing.with_columns(
        *[_norm(pl.col(col)).alias(f"_s_{key}") for key, col in _FIELDS.items()],
        pl.col("lead_id", "list_id").cast(pl.Int64),
        _s_list=pl.col("list_id").cast(pl.Int64),
    ).join(campaigns.drop("_in_lists"), on="_s_list", how="left", validate="m:1")


def _asking(df: pl.DataFrame, used: tuple[int, ...]) -> list[tuple[int, list[str], list[str], pl.DataFrame]]:
    """Per option some row asks for: (rank, new-side keys, stored-side keys, asking rows)."""
    out: list[tuple[int, list[str], list[str], pl.DataFrame]] = []
    for k in used:
        _, family, scope, _code = _TABLE[k]
        new_scope, stored_scope = _SCOPE_KEYS[scope]
        new_keys = [*_NEW_KEYS[family], *new_scope]
        asking = df.filter(pl.col(f"_o{k}")).select("source_row", *new_keys)
        if asking.height:
            out.extend((k, new_keys, [*alt, *stored_scope], asking) for alt in _STORED_KEYS[family])
    return out


def _batch_hits(
    accepted: pl.DataFrame, asking: list[tuple[int, list[str], list[str], pl.DataFrame]]
) -> pl.DataFrame:
    """Pairs (row, option rank `_k`, earliest accepted EARLIER row `_first` matching it there)."""
    groups: dict[tuple[str, ...], pl.DataFrame] = {}
    hits = []
    for k, new_keys, stored_keys, rows in asking:
        if tuple(stored_keys) not in groups:
            groups[tuple(stored_keys)] = accepted.group_by(stored_keys).agg(
                _first=pl.col("source_row").min()
            )
        hits.append(
            rows.join(
                groups[tuple(stored_keys)], left_on=new_keys, right_on=stored_keys, validate="m:1"
            )
            .filter(pl.col("_first") < pl.col("source_row"))
            .select("source_row", "_first", _k=pl.lit(k, pl.Int32))
        )
    return (
        pl.concat(hits)
        if hits
        else pl.DataFrame(schema={"source_row": pl.Int64, "_first": pl.Int64, "_k": pl.Int32})
    )


def _one_class_per_key(candidates: pl.DataFrame, asking: list[tuple[int, list[str], list[str], pl.DataFrame]]) -> bool:
    """True when the first round of `_settle_batch` is already its fixpoint.

    With one option compared one way, and every candidate's new-side key equal to its own
    stored-side key (nothing lost to the column widths), the leads of one key form a class: its
    earliest candidate matches no earlier accepted row, stays accepted, and is the row every
    later member of the class hits — round two would find exactly round one's hits.
    """
    if len(asking) != 1:
        return False
    _, new_keys, stored_keys, _ = asking[0]
    same = [pl.col(n).eq_missing(pl.col(s)) for n, s in zip(new_keys, stored_keys, strict=True)]
    return bool(candidates.select(pl.all_horizontal(same).all()).item())


def _settle_batch(df: pl.DataFrame, used: tuple[int, ...]) -> pl.DataFrame:
    """Find the accepted rows by fixpoint iteration, then each row's first in-batch hit.

    Row r is accepted iff it is still a candidate (pending, no DB hit) and no accepted earlier
    row matches it. Starting from "all candidates accepted", every round re-derives the verdicts
    from the previous round's accepted set; a row's verdict is right once those of the earlier
    rows matching it are, so the rounds end after (longest chain of matches + 1) steps.
    """
    # NOTE: work on the key columns only, in one chunk: group-bys over a chunked frame of ~40
    # columns were ~5x slower than over this slim copy
    keys = sorted({c for c in df.columns if c.startswith(("_n_", "_s_", "_o"))} - {"_s_phone_raw"})
    slim = df.select("source_row", "_list", "_camp", *keys).rechunk()
    candidate = df["_pend"] & df["_db_k"].is_null()
    asking = _asking(slim, used)
    if _one_class_per_key(slim.filter(candidate), asking):
        hits = _class_hits(slim, candidate, asking[0])
    else:
        hits = _fixpoint_hits(slim, candidate, asking)
    # options in rank order: the first one with a hit decides, reporting the earliest row
    first = hits.group_by("source_row").agg(pl.col("_k", "_first").sort_by("_k", "_first").first())
    reported = df.select(_first="source_row", _b_list="_list", _b_phone="_s_phone_raw")
    found = first.join(reported, on="_first", validate="m:1").rename(
        {"_k": "_b_k", "_first": "_b_row"}
    )
    found = slim.select("source_row").join(found, on="source_row", how="left", validate="1:1", maintain_order="left")
    return pl.concat([df, found.drop("source_row")], how="horizontal")  # same rows, same order


def _class_hits(
    slim: pl.DataFrame, candidate: pl.Series, asking: tuple[int, list[str], list[str], pl.DataFrame]
) -> pl.DataFrame:
    """`_batch_hits` when `_one_class_per_key` holds: one pass, no join.

    Every asking row hits the earliest candidate of its key class, when that one is earlier.
    Rows with a null key part match nothing, as in a join.
    """
    k, new_keys, _, _ = asking
    return (
        slim.with_columns(_cand=candidate)
        .filter((pl.col("_cand") | pl.col(f"_o{k}")) & pl.all_horizontal(pl.col(new_keys).is_not_null()))
        .with_columns(_first=pl.when(pl.col("_cand")).then(pl.col("source_row")).min().over(pl.struct(new_keys)))
        .filter(pl.col(f"_o{k}") & (pl.col("_first") < pl.col("source_row")))
        .select("source_row", "_first", _k=pl.lit(k, pl.Int32))
    )


def _fixpoint_hits(
    slim: pl.DataFrame, candidate: pl.Series, asking: list[tuple[int, list[str], list[str], pl.DataFrame]]
) -> pl.DataFrame:
    """The in-batch hits of the accepted set, found by iterating to the fixpoint."""
    accepted = candidate
    hits = _batch_hits(slim.filter(accepted), asking)
    for _ in range(slim.height + 1):
        settled = candidate & ~slim["source_row"].is_in(hits["source_row"].implode())
        if settled.equals(accepted):
            break
        accepted = settled
        hits = _batch_hits(slim.filter(accepted), asking)
    return hits


def duplicates(
    lf: pl.LazyFrame, *, existing: pl.LazyFrame, list_campaigns: pl.LazyFrame, now: datetime
) -> pl.LazyFrame:
    """Reject duplicate leads per each row's `duplicate_check`, as N add_lead calls in row order.

    Adds `dup_lead_id` (matching DB lead), `dup_source_row` (matching earlier accepted batch
    row, when no DB lead matched first; its lead id is known only after insert), `dup_list_id`
    and `dup_match` (`PHONE`/`ALT` for DUPPHONEALT*).

    >>> rows = pl.LazyFrame({"source_row": [1, 2], "phone_number": "7275550001", "list_id": "101",
    ...     "title": "", "alt_phone": "", "first_name": "", "last_name": "",
    ...     "duplicate_check": "DUPLIST"})
    >>> none = pl.LazyFrame(schema=EXISTING_SCHEMA)
    >>> lists = pl.LazyFrame(schema=LIST_CAMPAIGNS_SCHEMA)
    >>> out = duplicates(rows, existing=none, list_campaigns=lists, now=datetime(2024, 5, 1))
    >>> out.collect().select("reject_reason", "dup_source_row").rows()
    [(None, None), ('DUPLICATE_PHONE_LIST', 1)]
    """
    campaigns = list_campaigns.select(
        _s_list=pl.col("list_id").cast(pl.Int64),
        _s_camp=_norm(pl.col("campaign_id")),
        _in_lists=pl.lit(value=True),
    )
    batch = with_reject_column(lf).collect()
    given = batch.schema
    # NOTE: a batch carries few distinct `duplicate_check` values: only the options some row
    # asks for get flag and key columns, and joins
    checks = batch.get_column("duplicate_check").fill_null("").unique().to_list()
    used = tuple(sorted({DUP_OPTIONS.index(name) for value in checks for name in parse_duplicate_check(value)[0]}))
    # NOTE: both inputs feed up to 13 joins below; without `cache()` polars recomputes them per join
    rows = _prepare(batch, campaigns.collect(), now, used).lazy()
    db_hits = _db_hits(rows.filter(pl.col("_pend")), _stored_db(existing, campaigns).cache(), used)
    joined = rows.join(db_hits, on="source_row", how="left", validate="1:1", maintain_order="left")
    schema = joined.collect_schema()
    schema.update(
        {"_b_k": pl.Int32(), "_b_row": pl.Int64(), "_b_list": pl.Int64(), "_b_phone": pl.String()}
    )
    db_first = pl.col("_db_k").is_not_null() & (
        pl.col("_b_k").is_null() | (pl.col("_db_k") <= pl.col("_b_k"))
    )
    batch_first = pl.col("_b_k").is_not_null() & ~db_first
    rank = pl.when(db_first).then(pl.col("_db_k")).otherwise(pl.col("_b_k"))
    code = (
        pl.when(db_first & pl.col("_db_undef"))
        .then(pl.lit(_UNDEFINED))
        .otherwise(
            rank.replace_strict(
                dict(enumerate(row[3] for row in _TABLE)), default=None, return_dtype=pl.String
            )
        )
    )
    reported_phone = pl.when(db_first).then(pl.col("_db_phone")).otherwise(pl.col("_b_phone"))
    # NOTE: the fixpoint runs eagerly outside any `collect`: inside `map_batches` polars runs
    # it on its own busy thread pool, which made every join and group-by 2-3x slower
    return (
        _settle_batch(joined.collect(), used)
        .lazy()
        .with_columns(
            pl.coalesce(REJECT, code).alias(REJECT),
            dup_lead_id=pl.when(db_first).then(pl.col("_db_lead")),
            dup_source_row=pl.when(batch_first).then(pl.col("_b_row")),
            dup_list_id=pl.when(db_first).then(pl.col("_db_list")).otherwise(pl.col("_b_list")),
            dup_match=pl.when(rank.is_in(_ALT_RANKS) & ~(db_first & pl.col("_db_undef"))).then(
                pl.when(reported_phone == pl.col("phone_number"))
                .then(pl.lit("PHONE"))
                .otherwise(pl.lit("ALT"))
            ),
        )
        .drop([name for name in schema if name not in given])
        .with_columns(pl.col("source_row").cast(given["source_row"]))
    )


EXISTING_SCHEMA: dict[str, pl.DataType] = {
    "lead_id": pl.Int64(),
    "list_id": pl.Int64(),
    "phone_number": pl.String(),
    "alt_phone": pl.String(),
    "title": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "entry_date": pl.String(),
}
"""Columns of the `existing` frame (candidate DB leads, values as stored)."""

LIST_CAMPAIGNS_SCHEMA: dict[str, pl.DataType] = {"list_id": pl.Int64(), "campaign_id": pl.String()}
"""Columns of the `list_campaigns` frame (every `vicidial_lists` row)."""
