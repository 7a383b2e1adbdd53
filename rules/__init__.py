"""add_lead's validation stage as polars rules over whole batches.

Modules, in add_lead's order: `cleaning` (G3, A0, A5), `addlead` (the chain and its inputs),
`auth` (G6–A4), `phone` (A6, A7), `timezone` (A8, A12) with `dst`, `dnc` (A9, A10),
`duplicates` (A11), `leadrow` (A13), `responses` (the lines), and the child rows `altphones`
(A15), `custom` (A16), `hopper` (A17), `callbacks` (A18).
"""

from __future__ import annotations

from rules._frame import REJECT, REJECT_CODES, RejectCode, flag, pending, with_reject_column
from rules.addlead import Actor, Lookups, check_duplicates, prepare, screen
from rules.altphones import alt_phone_rows
from rules.auth import authenticated, judge_actor
from rules.callbacks import callback_rows, resolve_callback_datetime
from rules.cleaning import apply_defaults, clean, mysql_date
from rules.custom import custom_field_plan, custom_rows
from rules.dnc import dnc_checks
from rules.dst import dst_in_effect, lead_local_standard, server_offset
from rules.duplicates import duplicates, parse_duplicate_check
from rules.hopper import hopper_added_notice, hopper_rows
from rules.leadrow import lead_rows
from rules.phone import nanpa_notice_needed, phone_checks, strip_nanpa_tz
from rules.responses import error_lines, nanpa_notice, success_line
from rules.timezone import gmt_offset, lookup_state

__all__ = [
    "REJECT",
    "REJECT_CODES",
    "Actor",
    "Lookups",
    "RejectCode",
    "alt_phone_rows",
    "apply_defaults",
    "authenticated",
    "callback_rows",
    "check_duplicates",
    "clean",
    "custom_field_plan",
    "custom_rows",
    "dnc_checks",
    "dst_in_effect",
    "duplicates",
    "error_lines",
    "flag",
    "gmt_offset",
    "hopper_added_notice",
    "hopper_rows",
    "judge_actor",
    "lead_local_standard",
    "lead_rows",
    "lookup_state",
    "mysql_date",
    "nanpa_notice",
    "nanpa_notice_needed",
    "parse_duplicate_check",
    "pending",
    "phone_checks",
    "prepare",
    "resolve_callback_datetime",
    "screen",
    "server_offset",
    "strip_nanpa_tz",
    "success_line",
    "with_reject_column",
]
