"""VICIdial's non-agent API exports as batch jobs: one registry over the per-domain modules.

Each export is a function `(engine, params, *, user, now=None) -> Iterator[str]` whose chunks,
joined, are byte for byte what `non_agent_api.php` (2.14-194) prints for the same rows —
including its ERROR/NOTICE lines, its row limits and its documented quirks
(`shared/spec/exports.md`). `engine` is the database read from (it may be a replica: nothing
is written), `params` the export's parameter model (every API parameter as text), `user` the
VICIdial user whose permissions are checked and whose name the answer lines carry.

>>> sorted(EXPORTS)[:3]
['agent_stats_export', 'call_dispo_report', 'call_status_stats']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from sinks.errors import SinkConfigError
from sinks.export_agents import AgentStatsParams, agent_stats_export
from sinks.export_calls import DidLogParams, RecordingParams, did_log_export, recording_lookup
from sinks.export_dispo import DispoParams, call_dispo_report
from sinks.export_format import ApiParams
from sinks.export_leads import CallbackParams, PhoneLogParams, lead_callback_info, phone_number_log
from sinks.export_stats import StatusStatsParams, call_status_stats

__all__ = [
    "EXPORTS",
    "AgentStatsParams",
    "ApiParams",
    "CallbackParams",
    "DidLogParams",
    "DispoParams",
    "ExportDef",
    "PhoneLogParams",
    "RecordingParams",
    "StatusStatsParams",
    "agent_stats_export",
    "call_dispo_report",
    "call_status_stats",
    "did_log_export",
    "export_params",
    "export_text",
    "is_refusal",
    "lead_callback_info",
    "phone_number_log",
    "recording_lookup",
    "run_export",
]

ExportFn = Callable[..., Iterator[str]]


@dataclass(frozen=True)
class ExportDef:
    """One API export: its name, parameter model and function."""

    name: str
    params: type[ApiParams]
    run: ExportFn
    summary: str


EXPORTS: dict[str, ExportDef] = {
    d.name: d
    for d in (
        ExportDef(
            "recording_lookup",
            RecordingParams,
            recording_lookup,
            "Recordings of a lead, call, agent, extension or day.",
        ),
        ExportDef(
            "did_log_export",
            DidLogParams,
            did_log_export,
            "Calls that reached one DID on one day, with talk length.",
        ),
        ExportDef(
            "agent_stats_export",
            AgentStatsParams,
            agent_stats_export,
            "Per-agent login, pause, wait, talk, dispo and dead time over a window.",
        ),
        ExportDef(
            "phone_number_log",
            PhoneLogParams,
            phone_number_log,
            "Every outbound and inbound call of some phone numbers.",
        ),
        ExportDef(
            "call_status_stats",
            StatusStatsParams,
            call_status_stats,
            "Calls per campaign and in-group, by hour and by status.",
        ),
        ExportDef(
            "call_dispo_report",
            DispoParams,
            call_dispo_report,
            "Calls per campaign, in-group or DID, by disposition.",
        ),
        ExportDef(
            "lead_callback_info",
            CallbackParams,
            lead_callback_info,
            "Scheduled callbacks of one lead.",
        ),
    )
}


def export_params(name: str, values: Mapping[str, Any]) -> ApiParams:
    """Build the parameter model of export `name`; unknown names or keys raise `SinkConfigError`."""
    if name not in EXPORTS:
        msg = f"export `{name}` is unknown (known: {', '.join(sorted(EXPORTS))})"
        raise SinkConfigError(msg)
    try:
        return EXPORTS[name].params.model_validate({k: str(v) for k, v in values.items()})
    except ValidationError as exc:
        problems = "; ".join(f"`{'.'.join(map(str, e['loc']))}`: {e['msg']}" for e in exc.errors())
        msg = f"export `{name}`: bad parameters: {problems}"
        raise SinkConfigError(msg) from exc


def run_export(
    engine: sa.Engine,
    name: str,
    params: ApiParams | Mapping[str, Any],
    *,
    user: str,
    now: dt.datetime | None = None,
) -> Iterator[str]:
    """Stream the text of export `name`; `now` gives the default date of the stats exports."""
    model = export_params(name, params if isinstance(params, Mapping) else params.model_dump())
    return EXPORTS[name].run(engine, model, user=user, now=now)


def export_text(
    engine: sa.Engine,
    name: str,
    params: ApiParams | Mapping[str, Any],
    *,
    user: str,
    now: dt.datetime | None = None,
) -> str:
    """The whole text of export `name` (for small answers and tests)."""
    return "".join(run_export(engine, name, params, user=user, now=now))


_EMPTY_RESULT = ("NO RECORDS FOUND", "NO RECORDINGS FOUND", "CALLBACK NOT FOUND")


def is_refusal(first_chunk: str) -> bool:
    """True when an answer is an ERROR line other than "nothing found" (login, rights, input)."""
    first_line = first_chunk.split("\n", 1)[0]
    return first_line.startswith("ERROR:") and not any(s in first_line for s in _EMPTY_RESULT)
