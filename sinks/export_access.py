"""Who may run an export: the API user's login, `source`, allowed functions and report rights.

Follows `shared/spec/exports.md` 1.1 and 1.3-1.5. A batch job has no password and no client IP,
so of the API's login step only what the database can tell is checked: the user must exist with
`active='Y'` and `user_level > 6`, else the API's bad-credentials line is printed (with an empty
password field). Lock-out, IP lists and two-factor sessions guard interactive logins and do not
apply to a job run by the operator. Nothing is written to `vicidial_api_log`: the read database
may be a replica.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from sinks import tables
from sinks.export_format import ApiParams, sanitize

__all__ = [
    "ApiUser",
    "Permission",
    "Request",
    "begin",
    "function_errors",
    "login",
    "non_latin",
    "source_errors",
]

_USERS = tables.vicidial_users


@dataclass(frozen=True)
class Permission:
    """One row of the permission table (spec 1.5)."""

    min_level: int
    api_access: bool
    message: str


_AGENT_LEVEL = 6
_ADMIN_LEVEL = 8
PERMISSIONS: dict[str, Permission] = {
    "recording_lookup": Permission(
        _AGENT_LEVEL, True, "recording_lookup USER DOES NOT HAVE PERMISSION TO GET RECORDING INFO"
    ),
    "did_log_export": Permission(
        _AGENT_LEVEL, True, "did_log_export USER DOES NOT HAVE PERMISSION TO GET DID INFO"
    ),
    "phone_number_log": Permission(
        _AGENT_LEVEL, True, "phone_number_log USER DOES NOT HAVE PERMISSION TO GET CALL LOG INFO"
    ),
    "agent_stats_export": Permission(
        _AGENT_LEVEL, True, "agent_stats_export USER DOES NOT HAVE PERMISSION TO GET AGENT INFO"
    ),
    "call_status_stats": Permission(
        _ADMIN_LEVEL, False, "call_status_stats USER DOES NOT HAVE PERMISSION TO VIEW STATS"
    ),
    # NOTE: the API names the wrong function in this message (spec 1.5).
    "call_dispo_report": Permission(
        _ADMIN_LEVEL, False, "call_status_stats USER DOES NOT HAVE PERMISSION TO VIEW STATS"
    ),
    "lead_callback_info": Permission(
        _AGENT_LEVEL, True, "lead_callback_info USER DOES NOT HAVE PERMISSION TO GET LEAD INFO"
    ),
}


@dataclass(frozen=True)
class ApiUser:
    """The columns of the API user that the exports read."""

    user: str
    user_level: int
    user_group: str
    view_reports: str
    api_access: str
    allowed_functions: str
    list_restrict: str


def non_latin(conn: sa.Connection) -> bool:
    """True when `system_settings.use_non_latin` is 1 (letters then include any Unicode letter)."""
    value = conn.execute(sa.select(tables.system_settings.c.use_non_latin).limit(1)).scalar()
    return str(value or "0") == "1"


def login(conn: sa.Connection, user: str) -> tuple[ApiUser | None, list[str]]:
    """Look up the active API user; return it, or the API's bad-credentials line."""
    row = conn.execute(
        sa.select(
            _USERS.c.user,
            _USERS.c.user_level,
            _USERS.c.user_group,
            _USERS.c.view_reports,
            _USERS.c.vdc_agent_api_access,
            _USERS.c.api_allowed_functions,
            _USERS.c.api_list_restrict,
        ).where(_USERS.c.user == user, _USERS.c.active == "Y", _USERS.c.user_level > _AGENT_LEVEL)
    ).first()
    if row is None:
        return None, [f"ERROR: Login incorrect, please try again: |{user}||BAD|\n"]
    api_user = ApiUser(
        user=user,
        user_level=int(row.user_level or 0),
        user_group=row.user_group or "",
        view_reports=str(row.view_reports or ""),
        api_access=str(row.vdc_agent_api_access or ""),
        allowed_functions=row.api_allowed_functions or "",
        list_restrict=str(row.api_list_restrict or "0"),
    )
    return api_user, []


def source_errors(source: str) -> list[str]:
    """The two `Invalid Source` lines when `source` is shorter than 2 characters (spec 1.3)."""
    if len(source) >= 2:
        return []
    return [f"ERROR: Invalid Source - {source}\n", f"ERROR: Invalid Source: |{source}|\n"]


def function_errors(api_user: ApiUser, function: str) -> list[str]:
    """The allowed-functions check, then the function's permission query (spec 1.4, 1.5)."""
    allowed = api_user.allowed_functions
    if f" {function} " not in allowed and "ALL_FUNCTIONS" not in allowed:
        return [
            "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: "
            f"|{api_user.user}|{function}|\n"
        ]
    perm = PERMISSIONS[function]
    permitted = (
        api_user.view_reports == "1"
        and api_user.user_level > perm.min_level
        and (api_user.api_access == "1" or not perm.api_access)
    )
    if permitted:
        return []
    return [f"ERROR: {perm.message}: |{api_user.user}|0|\n"]


@dataclass(frozen=True)
class Request:
    """A request that passed every access check: sanitised parameters and the API user."""

    params: dict[str, str]
    api_user: ApiUser

    @property
    def user(self) -> str:
        """The API user's name, as the response lines print it."""
        return self.api_user.user


def begin(
    conn: sa.Connection,
    function: str,
    params: ApiParams,
    user: str,
    *,
    check_source: bool = True,
    precheck: Callable[[dict[str, str]], list[str]] | None = None,
) -> tuple[Request | None, list[str]]:
    """Sanitise, log in, then run the checks of spec 1.1 step 5; return the request or the lines.

    `precheck` runs right after the login (call_status_stats and call_dispo_report test their
    campaign parameters before anything else).
    """
    latin = non_latin(conn)
    values = params.sanitized(non_latin=latin)
    api_user, errors = login(conn, sanitize("user", user, non_latin=latin))
    if api_user is None:
        return None, errors
    if precheck is not None and (errors := precheck(values)):
        return None, errors
    if check_source and (errors := source_errors(values.get("source", ""))):
        return None, errors
    if errors := function_errors(api_user, function):
        return None, errors
    return Request(values, api_user), []
