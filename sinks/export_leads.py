"""`phone_number_log` and `lead_callback_info`, as non-agent API 2.14-194 prints them.

Spec: `shared/spec/exports.md` sections 6 and 10. `phone_number_log` streams each number's
outbound rows (newest first) and then its inbound rows, never merged by date, and answers
"no rows" with a NOTICE (not an ERROR). `lead_callback_info` decides found / not found by the
length of the text it built, so a header-only answer counts as "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from sinks import export_format as fmt
from sinks import tables
from sinks.export_access import ApiUser, begin
from sinks.export_format import ApiParams, delimiter, field_text
from sinks.export_sql import as_text, has_table

__all__ = ["CallbackParams", "PhoneLogParams", "lead_callback_info", "phone_number_log"]

_STREAM = {"stream_results": True, "yield_per": 5_000}

PHONE_LOG_HEADER = (
    "phone_number",
    "call_date",
    "list_id",
    "length_in_sec",
    "lead_status",
    "hangup_reason",
    "call_status",
    "source_id",
    "user",
)
CALLBACK_HEADER = (
    "lead_id",
    "callback_type",
    "recipient",
    "callback_status",
    "lead_status",
    "callback_date",
    "entry_date",
    "user",
    "list_id",
    "campaign_id",
    "user_group",
    "customer_timezone",
    "customer_time",
    "comments",
)


class PhoneLogParams(ApiParams):
    """Parameters of `phone_number_log` (spec 6.1); `lead_id`/`date` only echo in messages."""

    phone_number: str = ""
    type: str = ""
    detail: str = ""
    archived_lead: str = ""
    stage: str = ""
    header: str = ""
    lead_id: str = ""
    date: str = ""
    source: str = "leadpipe"


class CallbackParams(ApiParams):
    """Parameters of `lead_callback_info` (spec 10)."""

    lead_id: str = ""
    search_location: str = ""
    stage: str = ""
    header: str = ""
    source: str = "leadpipe"


def _numbers(raw: str) -> list[str]:
    """Usable numbers of `phone_number` (spec 6.1): pieces longer than 3, order and repeats kept."""
    if len(raw) <= 3:
        return []
    if "," not in raw:
        return [raw]
    return [piece for piece in raw.split(",") if len(piece) > 3]


def _lead_table(conn: sa.Connection, *, archived: bool) -> Any:
    """`vicidial_list`, or `vicidial_list_archive` with `archived_lead=Y` (None when absent)."""
    if not archived:
        return tables.vicidial_list
    if not has_table(conn, "vicidial_list_archive"):
        return None
    return sa.table(
        "vicidial_list_archive", sa.column("lead_id"), sa.column("status"), sa.column("source_id")
    ).alias("vla")


def _log_query(conn: sa.Connection, log: sa.Table, number: str, leads: Any, limit: int) -> Any:
    cols = [
        as_text(log.c.call_date, conn.dialect),
        log.c.list_id,
        log.c.length_in_sec,
        log.c.status,
        log.c.term_reason,
        log.c.user,
    ]
    if leads is None:
        query = sa.select(*cols, sa.null(), sa.null(), sa.null()).select_from(log)
    else:
        query = sa.select(*cols, leads.c.lead_id, leads.c.status, leads.c.source_id).select_from(
            log.outerjoin(leads, leads.c.lead_id == log.c.lead_id)
        )
    return query.where(log.c.phone_number == number).order_by(log.c.call_date.desc()).limit(limit)


def phone_number_log(
    engine: sa.Engine, params: PhoneLogParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `phone_number_log`: every call to or from the given numbers."""
    del now
    with engine.connect() as conn:
        request, errors = begin(conn, "phone_number_log", params, user)
        if request is None:
            yield from errors
            return
        p = request.params
        numbers = _numbers(p["phone_number"])
        if not numbers:
            yield (
                "ERROR: phone_number_log NO VALID PHONE NUMBERS DEFINED: "
                f"{request.user}|{p['phone_number']}|{p['date']}\n"
            )
            return
        kind = p["type"] if p["type"] in ("IN", "OUT", "ALL") else "OUT"
        limit = 1 if p["detail"] == "LAST" else fmt.RESULT_LIMIT
        leads = _lead_table(conn, archived=p["archived_lead"] == "Y")
        logs = [(tables.vicidial_log, True)] if kind in ("OUT", "ALL") else []
        if kind in ("IN", "ALL"):
            logs.append((tables.vicidial_closer_log, False))
        dl = delimiter(p["stage"])
        started = False
        for number in numbers:
            for log, outbound in logs:
                rows = conn.execution_options(**_STREAM).execute(
                    _log_query(conn, log, number, leads, limit)
                )
                for (
                    call_date,
                    list_id,
                    length,
                    status,
                    term,
                    agent,
                    lead,
                    lead_status,
                    source_id,
                ) in rows:
                    if not started:
                        started = True
                        if p["header"] == "YES":
                            yield dl.join(PHONE_LOG_HEADER) + "\n"
                    if lead is None:
                        lead_status, source_id = (status if outbound else None), None
                    yield (
                        dl.join(
                            (
                                number,
                                field_text(call_date),
                                field_text(list_id),
                                field_text(length),
                                field_text(lead_status),
                                field_text(term),
                                field_text(status),
                                field_text(source_id),
                                field_text(agent),
                            )
                        )
                        + "\n"
                    )
        if not started:
            yield (
                "NOTICE: phone_number_log NO RECORDS FOUND FOR THIS PHONE NUMBER - "
                f"{request.user}|{p['phone_number']}|{p['lead_id']}|{p['date']}\n"
            )


def _allowed_campaigns(conn: sa.Connection, api_user: ApiUser) -> list[str] | None:
    """Campaigns an `api_list_restrict` user may see, or None when unrestricted (spec 10.2)."""
    if api_user.list_restrict in ("", "0"):
        return None
    groups = tables.vicidial_user_groups
    allowed = (
        conn.execute(
            sa.select(groups.c.allowed_campaigns).where(groups.c.user_group == api_user.user_group)
        ).scalar()
        or ""
    )
    if "ALL-CAMPAIGNS" in allowed:
        return None
    return [item for item in allowed.split() if item != "-"]


def lead_callback_info(
    engine: sa.Engine, params: CallbackParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `lead_callback_info`: a lead's scheduled callbacks (spec 10)."""
    del now
    with engine.connect() as conn:
        request, errors = begin(conn, "lead_callback_info", params, user)
        if request is None:
            yield from errors
            return
        p = request.params
        lead_id = p["lead_id"]
        if not 1 <= len(lead_id) <= 11:
            yield f"ERROR: lead_callback_info INVALID SEARCH PARAMETERS: {request.user}|{lead_id}\n"
            return
        where = p["search_location"]
        sources = {
            "ARCHIVE": ["ARCHIVE"],
            "ALL": ["ARCHIVE", "CURRENT"],
            "": ["CURRENT"],
            "CURRENT": ["CURRENT"],
        }.get(where, [])
        stage = p["stage"] if p["stage"] in ("csv", "tab", "pipe", "newline") else "pipe"
        dl = "\n" if stage == "newline" else delimiter(stage)
        allowed = _allowed_campaigns(conn, request.api_user)
        text = dl.join(CALLBACK_HEADER) + "\n" if p["header"] == "YES" else ""
        for label in sources:
            table = (
                tables.vicidial_callbacks_archive
                if label == "ARCHIVE"
                else tables.vicidial_callbacks
            )
            rows = conn.execute(
                sa.select(
                    table.c.recipient,
                    table.c.status,
                    table.c.lead_status,
                    as_text(table.c.callback_time, conn.dialect),
                    as_text(table.c.entry_time, conn.dialect),
                    table.c.user,
                    table.c.list_id,
                    table.c.campaign_id,
                    table.c.user_group,
                    table.c.customer_timezone,
                    as_text(table.c.customer_time, conn.dialect),
                    table.c.comments,
                )
                .where(table.c.lead_id == int(lead_id))
                .order_by(table.c.callback_id)
            ).all()
            for row in rows:
                if allowed is not None and not _list_allowed(conn, row.list_id, allowed):
                    yield f"ERROR: lead_callback_info LEAD NOT FOUND: |{request.user}|1|\n"
                    return
                values = [field_text(v) for v in row]
                values[9] = values[9].replace(",", "-")  # customer_timezone
                text += dl.join([lead_id, label, *values]) + "\n"
    header = p["header"]
    found = (
        len(text) > 10 if header in ("", "NO") else len(text) > 170 if header == "YES" else False
    )
    if found:
        yield text
    else:
        yield (
            "ERROR: lead_callback_info CALLBACK NOT FOUND: "
            f"{request.user}|{lead_id}|{stage}|{where}\n"
        )


def _list_allowed(conn: sa.Connection, list_id: Any, campaigns: list[str]) -> bool:
    lists = tables.vicidial_lists
    if list_id is None or not campaigns:
        return False
    return (
        conn.execute(
            sa.select(lists.c.list_id).where(
                lists.c.list_id == list_id, lists.c.campaign_id.in_(campaigns)
            )
        ).first()
        is not None
    )
