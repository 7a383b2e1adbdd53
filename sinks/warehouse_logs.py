"""Row-level warehouse feeds: DID calls, recordings, call logs and callbacks.

One output row per database row, streamed in bounded batches; see `sinks.warehouse_feeds`
for the list of corrections against the API text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

from sinks import tables
from sinks.export_sql import as_text, epoch
from sinks.warehouse_arrow import TS, stream_batches

__all__ = [
    "CALLBACKS",
    "CALLS",
    "DID_LOG",
    "RECORDINGS",
    "call_batches",
    "callback_batches",
    "did_batches",
    "recording_batches",
]


# --- did_log ----------------------------------------------------------------------------------

DID_LOG = pa.schema(
    [
        ("call_date", TS),
        ("uniqueid", pa.string()),
        ("did_number", pa.string()),
        ("did_id", pa.string()),
        ("did_route", pa.string()),
        ("caller_id_number", pa.string()),
        ("caller_id_name", pa.string()),
        ("in_group", pa.string()),
        ("closer_status", pa.string()),
        ("call_length_sec", pa.int64()),
    ]
)


def did_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    did, closer, newest = (
        tables.vicidial_did_log,
        tables.vicidial_closer_log,
        tables.vicidial_closer_log.alias("n"),
    )
    latest = (
        sa.select(sa.func.max(newest.c.closecallid))
        .where(newest.c.uniqueid == did.c.uniqueid)
        .scalar_subquery()
    )
    length = sa.case(
        (closer.c.closecallid.is_(None), sa.null()),
        else_=sa.func.coalesce(epoch(closer.c.call_date, conn.dialect), 0)
        + sa.func.coalesce(closer.c.length_in_sec, 0)
        - epoch(did.c.call_date, conn.dialect),
    )
    query = (
        sa.select(
            as_text(did.c.call_date, conn.dialect),
            did.c.uniqueid,
            did.c.extension,
            did.c.did_id,
            did.c.did_route,
            did.c.caller_id_number,
            did.c.caller_id_name,
            closer.c.campaign_id,
            closer.c.status,
            length,
        )
        .select_from(did.outerjoin(closer, closer.c.closecallid == latest))
        .where(did.c.call_date >= start, did.c.call_date <= end)
        .order_by(did.c.call_date)
    )
    yield from stream_batches(conn, query, DID_LOG)


# --- recordings -------------------------------------------------------------------------------

RECORDINGS = pa.schema(
    [
        ("recording_id", pa.int64()),
        ("start_time", TS),
        ("end_time", TS),
        ("user", pa.string()),
        ("lead_id", pa.int64()),
        ("extension", pa.string()),
        ("vicidial_id", pa.string()),
        ("length_sec", pa.int64()),
        ("location", pa.string()),
        ("filename", pa.string()),
    ]
)


def recording_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    rec = tables.recording_log
    span = sa.cast(rec.c.end_epoch, sa.BigInteger) - sa.cast(rec.c.start_epoch, sa.BigInteger)
    length = sa.case(
        (rec.c.length_in_sec > 0, rec.c.length_in_sec),
        (sa.and_(span > 0, span < 86_400), span),
        else_=sa.null(),
    )
    query = (
        sa.select(
            rec.c.recording_id,
            as_text(rec.c.start_time, conn.dialect),
            as_text(rec.c.end_time, conn.dialect),
            rec.c.user,
            rec.c.lead_id,
            rec.c.extension,
            rec.c.vicidial_id,
            length,
            rec.c.location,
            rec.c.filename,
        )
        .where(rec.c.start_time >= start, rec.c.start_time <= end)
        .order_by(rec.c.start_time, rec.c.recording_id)
    )
    yield from stream_batches(conn, query, RECORDINGS)


# --- calls ------------------------------------------------------------------------------------

CALLS = pa.schema(
    [
        ("direction", pa.string()),
        ("call_date", TS),
        ("uniqueid", pa.string()),
        ("closecallid", pa.int64()),
        ("lead_id", pa.int64()),
        ("list_id", pa.int64()),
        ("campaign_id", pa.string()),
        ("phone_number", pa.string()),
        ("length_in_sec", pa.int64()),
        ("status", pa.string()),
        ("term_reason", pa.string()),
        ("user", pa.string()),
        ("lead_status", pa.string()),
        ("source_id", pa.string()),
    ]
)


def call_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    leads = tables.vicidial_list
    for direction, log in (("OUT", tables.vicidial_log), ("IN", tables.vicidial_closer_log)):
        closecallid = log.c.closecallid if direction == "IN" else sa.null()
        query = (
            sa.select(
                sa.literal(direction),
                as_text(log.c.call_date, conn.dialect),
                log.c.uniqueid,
                closecallid,
                log.c.lead_id,
                log.c.list_id,
                log.c.campaign_id,
                log.c.phone_number,
                log.c.length_in_sec,
                log.c.status,
                log.c.term_reason,
                log.c.user,
                leads.c.status,
                leads.c.source_id,
            )
            .select_from(log.outerjoin(leads, leads.c.lead_id == log.c.lead_id))
            .where(log.c.call_date >= start, log.c.call_date <= end)
            .order_by(log.c.call_date)
        )
        yield from stream_batches(conn, query, CALLS)


# --- callbacks --------------------------------------------------------------------------------

CALLBACKS = pa.schema(
    [
        ("location", pa.string()),
        ("callback_id", pa.int64()),
        ("lead_id", pa.int64()),
        ("list_id", pa.int64()),
        ("campaign_id", pa.string()),
        ("status", pa.string()),
        ("lead_status", pa.string()),
        ("recipient", pa.string()),
        ("user", pa.string()),
        ("user_group", pa.string()),
        ("entry_time", TS),
        ("callback_time", TS),
        ("modify_date", TS),
        ("customer_timezone", pa.string()),
        ("customer_time", TS),
        ("comments", pa.string()),
    ]
)


def callback_batches(conn: sa.Connection, start: str, end: str) -> Iterator[pa.RecordBatch]:
    for label, cb in (
        ("ARCHIVE", tables.vicidial_callbacks_archive),
        ("CURRENT", tables.vicidial_callbacks),
    ):
        text = [
            as_text(cb.c[c], conn.dialect) for c in ("entry_time", "callback_time", "modify_date")
        ]
        query = (
            sa.select(
                sa.literal(label),
                cb.c.callback_id,
                cb.c.lead_id,
                cb.c.list_id,
                cb.c.campaign_id,
                cb.c.status,
                cb.c.lead_status,
                cb.c.recipient,
                cb.c.user,
                cb.c.user_group,
                *text,
                cb.c.customer_timezone,
                as_text(cb.c.customer_time, conn.dialect),
                cb.c.comments,
            )
            .where(cb.c.entry_time >= start, cb.c.entry_time <= end)
            .order_by(cb.c.callback_id)
        )
        yield from stream_batches(conn, query, CALLBACKS)
