"""`recording_lookup` and `did_log_export`, byte for byte as non-agent API 2.14-194 prints them.

Spec: `shared/spec/exports.md` sections 3 and 4. Rows are streamed from the database (at most
`RESULT_LIMIT` of them) and turned into lines one at a time; nothing holds the whole result.
VICIdial's quirks are kept on purpose, because scripts parse this text: with `duration=Y` the
header keeps 5 names while lines carry 6 values, and did_log_export prints the caller id under
the `call_date` header and the call date under `caller_id_number`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from sinks import export_format as fmt
from sinks import tables
from sinks.export_access import begin
from sinks.export_format import ApiParams, delimiter, field_text
from sinks.export_sql import as_text, epoch

__all__ = ["DidLogParams", "RecordingParams", "did_log_export", "recording_lookup"]

_REC = tables.recording_log
_DID = tables.vicidial_did_log
_CLOSER = tables.vicidial_closer_log
_OUTBOUND = tables.vicidial_log
_STREAM = {"stream_results": True, "yield_per": 5_000}


class RecordingParams(ApiParams):
    """Parameters of `recording_lookup` (spec 3.1)."""

    agent_user: str = ""
    lead_id: str = ""
    date: str = ""
    uniqueid: str = ""
    extension: str = ""
    duration: str = ""
    stage: str = ""
    header: str = ""
    source: str = "leadpipe"


class DidLogParams(ApiParams):
    """Parameters of `did_log_export` (spec 4.1); `agent_user`/`lead_id` only echo in errors."""

    phone_number: str = ""
    date: str = ""
    stage: str = ""
    header: str = ""
    agent_user: str = ""
    lead_id: str = ""
    source: str = "leadpipe"


def _uniqueid_filter(conn: sa.Connection, uniqueid: str) -> sa.ColumnElement[bool] | None:
    """The `vicidial_id` condition of a found `uniqueid`, or None (spec 3.1)."""
    # NOTE: VICIdial puts the prefix into LIKE unescaped, so `_` in it is a wildcard there too.
    pattern = uniqueid.split(".", 1)[0] + "%"
    found: list[sa.ColumnElement[bool]] = []
    if conn.execute(
        sa.select(_OUTBOUND.c.uniqueid).where(_OUTBOUND.c.uniqueid.like(pattern)).limit(1)
    ).first():
        found.append(_REC.c.vicidial_id.like(pattern))
    closer_ids = sa.select(sa.cast(_CLOSER.c.closecallid, sa.String)).where(
        _CLOSER.c.uniqueid.like(pattern)
    )
    if conn.execute(closer_ids.limit(1)).first():
        found.append(_REC.c.vicidial_id.in_(closer_ids))
    return sa.or_(*found) if found else None


def _duration(length: int | None, start: int | None, end: int | None) -> int:
    if length and length > 0:
        return int(length)
    span = (end or 0) - (start or 0)
    return span if 0 < span < 86_400 else 0


def recording_lookup(
    engine: sa.Engine, params: RecordingParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `recording_lookup`: recordings by lead, call, agent, extension, date."""
    del now  # same signature as every export; this one does not depend on the date
    with engine.connect() as conn:
        request, errors = begin(conn, "recording_lookup", params, user)
        if request is None:
            yield from errors
            return
        p = request.params
        points = 0
        where: list[sa.ColumnElement[bool]] = []
        if len(p["uniqueid"]) > 8 and (cond := _uniqueid_filter(conn, p["uniqueid"])) is not None:
            where.append(cond)
            points += 2
        if 3 <= len(p["agent_user"]) <= 20:
            where.append(_REC.c.user == p["agent_user"])
            points += 1
        if 1 <= len(p["lead_id"]) <= 10:
            where.append(_REC.c.lead_id == int(p["lead_id"]))
            points += 2
        if 3 <= len(p["extension"]) <= 100:
            where.append(_REC.c.extension == p["extension"])
            points += 1
        if len(p["date"]) == 10:
            where.append(
                _REC.c.start_time.between(f"{p['date']} 00:00:00", f"{p['date']} 23:59:59")
            )
            points += 1
        echo = f"{request.user}|{p['agent_user']}|{p['lead_id']}|{p['date']}|{p['uniqueid']}"
        if points < 2:
            yield f"ERROR: recording_lookup INVALID SEARCH PARAMETERS: {echo}\n"
            return
        dl = delimiter(p["stage"])
        with_duration = "Y" in p["duration"]
        query = (
            sa.select(
                as_text(_REC.c.start_time, conn.dialect),
                _REC.c.user,
                _REC.c.recording_id,
                _REC.c.lead_id,
                _REC.c.location,
                _REC.c.length_in_sec,
                _REC.c.start_epoch,
                _REC.c.end_epoch,
            )
            .where(*where)
            .order_by(_REC.c.start_time)
            .limit(fmt.RESULT_LIMIT)
        )
        started = False
        for row in conn.execution_options(**_STREAM).execute(query):
            if not started:
                started = True
                if p["header"] == "YES":
                    yield (
                        dl.join(("start_time", "user", "recording_id", "lead_id", "location"))
                        + "\n"
                    )
            values = [field_text(v) for v in row[:4]]
            if with_duration:
                values.append(str(_duration(row[5], row[6], row[7])))
            values.append(field_text(row[4]))
            yield dl.join(values) + "\n"
        if not started:
            yield f"ERROR: recording_lookup NO RECORDINGS FOUND - {echo}\n"


def did_log_export(
    engine: sa.Engine, params: DidLogParams, *, user: str, now: dt.datetime | None = None
) -> Iterator[str]:
    """Yield the output of `did_log_export`: one DID's calls of one day, with talk length."""
    del now
    with engine.connect() as conn:
        request, errors = begin(conn, "did_log_export", params, user)
        if request is None:
            yield from errors
            return
        p = request.params
        phone, day = p["phone_number"], p["date"]
        if not (1 <= len(phone) <= 20 and len(day) == 10):
            yield f"ERROR: did_log_export INVALID SEARCH PARAMETERS: {request.user}|{phone}|{day}\n"
            return
        dialect = conn.dialect
        calls = (
            sa.select(
                _DID.c.uniqueid,
                _DID.c.caller_id_number,
                _DID.c.call_date.label("sort_key"),
                as_text(_DID.c.call_date, dialect).label("call_date"),
                epoch(_DID.c.call_date, dialect).label("epoch"),
            )
            .where(
                _DID.c.extension == phone,
                _DID.c.call_date.between(f"{day} 00:00:00", f"{day} 23:59:59"),
            )
            .order_by(_DID.c.call_date)
            .limit(fmt.RESULT_LIMIT)
            .subquery("d")
        )
        # the latest closer-log row of the call: its start epoch plus its length
        closer_end = (
            sa.select(
                sa.func.coalesce(epoch(_CLOSER.c.call_date, dialect), 0)
                + sa.func.coalesce(_CLOSER.c.length_in_sec, 0)
            )
            .where(_CLOSER.c.uniqueid == calls.c.uniqueid)
            .order_by(_CLOSER.c.closecallid.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(
            calls.c.caller_id_number, calls.c.call_date, calls.c.epoch, closer_end.label("end")
        ).order_by(calls.c.sort_key)
        dl = delimiter(p["stage"])
        started = False
        for caller_id, call_date, start, end in conn.execution_options(**_STREAM).execute(query):
            if not started:
                started = True
                if p["header"] == "YES":
                    yield (
                        dl.join(("did_number", "call_date", "caller_id_number", "length_in_sec"))
                        + "\n"
                    )
            length = int(end) - int(start or 0) if end is not None else 0
            # NOTE: caller id before call date, under the swapped headers (spec 4.3).
            yield dl.join((phone, field_text(caller_id), field_text(call_date), str(length))) + "\n"
        if not started:
            yield (
                f"ERROR: did_log_export NO RECORDS FOUND - "
                f"{request.user}|{p['agent_user']}|{p['lead_id']}|{day}\n"
            )
