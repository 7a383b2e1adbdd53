"""add_lead's response lines, built set-wise from the verdict columns once lead ids are known.

Every ERROR line of ingest.md is one `RejectCode`; the text is assembled with polars string
concatenation over the whole batch. Placeholders follow the spec exactly: `{list_id}` is the
target list after the 999 default, except for the allowed-list and list-exists errors, which
show the raw id as sent.
"""

from __future__ import annotations

import polars as pl

from rules._frame import REJECT

__all__ = ["error_lines", "nanpa_notice", "success_line"]


def _s(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).fill_null("")


def _join(*parts: pl.Expr | str) -> pl.Expr:
    return pl.concat_str([p if isinstance(p, pl.Expr) else pl.lit(p) for p in parts])


def _dup_tail(*, with_list: bool, with_match: bool) -> list[pl.Expr | str]:
    tail: list[pl.Expr | str] = ["|", _s("dup_lead_id")]
    if with_list:
        tail += ["|", _s("dup_list_id")]
    if with_match:
        tail += ["|", _s("dup_match")]
    return tail


def _error_texts(user: pl.Expr, user_group: pl.Expr) -> dict[str, pl.Expr]:
    phone, list_id, raw = _s("phone_number"), _s("list_id"), _s("list_id_raw")
    dup_phone = [phone, "|", list_id]
    title_alt = [_s("title"), "|", _s("alt_phone"), "|", list_id]
    name_phone = [_s("first_name"), "|", _s("last_name"), "|", phone, "|", list_id]
    texts: dict[str, pl.Expr] = {
        "INVALID_SOURCE": _join("ERROR: Invalid Source - ", _s("source"), "\nERROR: Invalid Source: |", _s("source"), "|"),
        "NO_FUNCTION_PERMISSION": _join("ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |", user, "|add_lead|"),
        "NO_ADD_PERMISSION": _join("ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM: |", user, "|0|"),
        "USER_GROUP_MISSING": _join("ERROR: user_group DOES NOT EXIST: |", user, "|", user_group, "|"),
        "LIST_NOT_ALLOWED": _join("ERROR: add_lead NOT AN ALLOWED LIST ID - ", phone, "|", raw),
        "LIST_NOT_DEFINED": _join("ERROR: add_lead NOT A DEFINED LIST ID, LIST EXISTS CHECK ENABLED - ", phone, "|", raw),
        "INVALID_PHONE_LENGTH": _join("ERROR: add_lead INVALID PHONE NUMBER LENGTH - ", phone, "|", user),
        "INVALID_PHONE_PREFIX": _join("ERROR: add_lead INVALID PHONE NUMBER PREFIX - ", phone, "|", user),
        "INVALID_PHONE_AREACODE": _join("ERROR: add_lead INVALID PHONE NUMBER AREACODE - ", phone, "|", user),
        "INVALID_PHONE_NANPA": _join("ERROR: add_lead INVALID PHONE NUMBER NANPA AREACODE PREFIX - ", phone, "|", user),
        "DNC_SYSTEM": _join("ERROR: add_lead PHONE NUMBER IN DNC - ", phone, "|", user),
        "DNC_CAMPAIGN": _join("ERROR: add_lead PHONE NUMBER IN CAMPAIGN DNC - ", phone, "|", _s("campaign_id"), "|", user),
        "DUPLICATE_PHONE_LIST": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - ", *dup_phone, *_dup_tail(with_list=False, with_match=False)),
        "DUPLICATE_PHONE_CAMPAIGN": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - ", *dup_phone, *_dup_tail(with_list=True, with_match=False)),
        "DUPLICATE_PHONE_SYSTEM": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - ", *dup_phone, *_dup_tail(with_list=True, with_match=False)),
        "DUPLICATE_PHONEALT_LIST": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - ", *dup_phone, *_dup_tail(with_list=False, with_match=True)),
        "DUPLICATE_PHONEALT_CAMPAIGN": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - ", *dup_phone, *_dup_tail(with_list=True, with_match=True)),
        "DUPLICATE_PHONEALT_SYSTEM": _join("ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - ", *dup_phone, *_dup_tail(with_list=True, with_match=True)),
        "DUPLICATE_TITLE_ALTPHONE_LIST": _join("ERROR: add_lead DUPLICATE TITLE ALT_PHONE IN LIST - ", *title_alt, *_dup_tail(with_list=False, with_match=False)),
        "DUPLICATE_TITLE_ALTPHONE_CAMPAIGN": _join("ERROR: add_lead DUPLICATE TITLE ALT_PHONE IN CAMPAIGN LISTS - ", *title_alt, *_dup_tail(with_list=True, with_match=False)),
        "DUPLICATE_TITLE_ALTPHONE_SYSTEM": _join("ERROR: add_lead DUPLICATE TITLE ALT_PHONE IN SYSTEM - ", *title_alt, *_dup_tail(with_list=True, with_match=False)),
        "DUPLICATE_NAME_PHONE_LIST": _join("ERROR: add_lead DUPLICATE NAME PHONE IN LIST - ", *name_phone, *_dup_tail(with_list=False, with_match=False)),
        "DUPLICATE_NAME_PHONE_CAMPAIGN": _join("ERROR: add_lead DUPLICATE NAME PHONE IN CAMPAIGN LISTS - ", *name_phone, *_dup_tail(with_list=True, with_match=False)),
        "DUPLICATE_NAME_PHONE_SYSTEM": _join("ERROR: add_lead DUPLICATE NAME PHONE IN SYSTEM - ", *name_phone, *_dup_tail(with_list=True, with_match=False)),
        # leadpipe's own diagnostics (documented deviations, README "Reject codes")
        "CAMPAIGN_LISTS_UNDEFINED": _join("ERROR: add_lead CAMPAIGN DUPLICATE CHECK NEEDS A DEFINED LIST - ", phone, "|", list_id, "|", user),
        "LEAD_NOT_ADDED": _join("ERROR: add_lead LEAD HAS NOT BEEN ADDED - ", phone, "|", list_id, "|", _s("error_detail"), "|", user),
        "MALFORMED_ROW": _join("ERROR: leadpipe MALFORMED ROW - ", _s("source_row"), "|", _s("error_detail")),
    }
    return texts


_NEEDED = (
    "source", "phone_number", "list_id", "list_id_raw", "campaign_id", "title",
    "alt_phone", "first_name", "last_name", "dup_lead_id", "dup_list_id", "dup_match",
    "error_detail", "source_row",
)


def error_lines(frame: pl.DataFrame, *, user: str, user_group: str = "") -> pl.Series:
    """The ERROR text of each rejected row (null for accepted rows); lines joined with `\\n`.

    `user` and `user_group` are the API user's (the group names the missing one of
    `USER_GROUP_MISSING`).

    Only the codes present in the frame are rendered; columns a code needs but the frame lacks
    count as empty.

    >>> df = pl.DataFrame({"reject_reason": ["DNC_SYSTEM", None], "phone_number": ["7275551212", "x"]})
    >>> error_lines(df, user="6666").to_list()
    ['ERROR: add_lead PHONE NUMBER IN DNC - 7275551212|6666', None]
    """
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in _NEEDED if c not in frame.columns]
    texts = _error_texts(pl.lit(user), pl.lit(user_group))
    present = frame.get_column(REJECT).drop_nulls().unique().to_list()
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for name in present:
        expr = pl.when(pl.col(REJECT) == name).then(texts[name]).otherwise(expr)
    return frame.with_columns(missing).with_columns(expr.alias("_error_line")).get_column("_error_line").alias("error_line")


def success_line(*, user: str) -> pl.Expr:
    """`SUCCESS: add_lead LEAD HAS BEEN ADDED - {phone_number}|{list_id}|{lead_id}|{gmt_offset}|{user}`.

    >>> df = pl.DataFrame({"phone_number": ["7275551213"], "list_id": ["101"], "lead_id": [9], "gmt_offset_text": ["-5.00"]})
    >>> df.select(success_line(user="6666")).item()
    'SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551213|101|9|-5.00|6666'
    """
    return _join(
        "SUCCESS: add_lead LEAD HAS BEEN ADDED - ", _s("phone_number"), "|", _s("list_id"), "|",
        _s("lead_id"), "|", _s("gmt_offset_text"), "|", user,
    )


def nanpa_notice(count: int, *, user: str) -> str:
    """The step A6 NOTICE printed before any ERROR or SUCCESS line when NANPA data is missing.

    >>> nanpa_notice(0, user="6666")
    'NOTICE: add_lead NANPA options disabled, NANPA prefix data not loaded - 0|6666'
    """
    return f"NOTICE: add_lead NANPA options disabled, NANPA prefix data not loaded - {count}|{user}"
