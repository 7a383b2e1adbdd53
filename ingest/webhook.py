"""An add_lead-compatible HTTP receiver: VICIdial's answers, leadpipe's spool and bulk pipeline.

Routes (Starlette, served by uvicorn; `ingest.cli_serve` binds 127.0.0.1 by default):

* `GET|POST /vicidial/non_agent_api.php` — `function=add_lead` with add_lead's parameters (query
  string and form body; the query string wins on duplicates, ingest.md 2 G1) and its response
  lines; `function=version`; after login, an unknown or empty function gets
  `ERROR: NO FUNCTION SPECIFIED`, and another non-agent API function a leadpipe line with 501.
  VICIdial prints its lines with HTTP 200 whatever they say (no status code is set by the API),
  and so does this route; only leadpipe's own refusals (body too large, spool full, …) use 4xx/5xx.
* `POST /leads` — a JSON batch: a list of lead objects, or `{"user", "pass", "leads": [...], ...}`
  whose other keys are defaults for every lead; one result per lead.
* `GET /leads/results/{request_id}` — the results of a request (queued mode answers with its id).
* `GET /health` — spool and drainer state.

The receiver checks the payload's *shape* only (pydantic, `extra="ignore"`, length limits) and the
login (ingest.md 4.1: password, 15-minute lock after 10 failures, IP lists, two-factor sessions);
cleaning and every add_lead rule from step A1 on (source, function permission, allowed lists, …)
run in the pipeline when the spool is drained, so webhook leads get exactly the checks file leads
get. Logins that succeed are cached for `auth_cache_seconds` (the `last_login_date` update is then
made once per cache period, not per request); failed logins always reach the database and are
also rate-limited per client address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ingest.clock import Clock
from ingest.spool import Drainer, Record, Spool, SpoolFullError
from rules.fields import LEAD_FIELDS, OPTION_FIELDS
from sinks import tables
from sinks.users import load_user

__all__ = [
    "API_BUILD",
    "API_VERSION",
    "Authenticator",
    "LeadIn",
    "Login",
    "LoginLimiter",
    "ServeSettings",
    "WebhookServer",
    "create_app",
    "version_line",
]

log = logging.getLogger(__name__)

API_VERSION = "2.14-194"
API_BUILD = "241004-1518"
API_PATH = "/vicidial/non_agent_api.php"

# Other non-agent API functions: answered with a leadpipe line, not VICIdial's, since this
# receiver does not implement them (seeds/000 lists them).
_OTHER_FUNCTIONS = frozenset(
    {
        "sounds_list",
        "moh_list",
        "vm_list",
        "blind_monitor",
        "agent_ingroup_info",
        "recording_lookup",
        "did_log_export",
        "agent_stats_export",
        "user_group_status",
        "in_group_status",
        "agent_status",
        "callid_info",
        "lead_field_info",
        "lead_all_info",
        "lead_status_search",
        "call_status_stats",
        "call_dispo_report",
        "phone_number_log",
        "update_lead",
        "batch_update_lead",
        "add_user",
        "copy_user",
        "update_user",
        "add_group_alias",
        "add_phone",
        "update_phone",
        "add_phone_alias",
        "update_phone_alias",
        "update_list",
        "add_list",
        "list_info",
        "list_custom_fields",
        "check_phone_number",
        "update_campaign",
        "update_did",
        "update_alt_url",
        "update_presets",
        "update_remote_agent",
        "lead_callback_info",
        "logged_in_agents",
        "server_refresh",
        "agent_campaigns",
        "campaigns_list",
        "hopper_list",
        "lead_search",
        "ccc_lead_info",
        "update_cid_group_entry",
        "add_did",
        "copy_did",
        "delete_lead",
        "update_log_entry",
    }
)

# ingest.md 3.3 / exports.md 1.2: characters kept in `user`, `pass` and `function`.
_AUTH_LATIN = re.compile(r"[^-_0-9a-zA-Z]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _clean_auth(value: str, *, non_latin: bool) -> str:
    """Keep letters, digits, `-` and `_` (letters: ASCII, or any Unicode letter with non-latin).

    >>> _clean_auth("66 6'6", non_latin=False), _clean_auth("jöe", non_latin=True)
    ('6666', 'jöe')
    """
    if non_latin:
        return "".join(
            c for c in value if c in "-_" or (c.isalnum() and (c.isalpha() or c in "0123456789"))
        )
    return _AUTH_LATIN.sub("", value)


# -- request shapes -----------------------------------------------------------------------
_Short = Annotated[str, StringConstraints(max_length=255)]
_Long = Annotated[str, StringConstraints(max_length=4000)]
_LONG_FIELDS = frozenset({"comments", "multi_alt_phones", "callback_comments"})
_MAX_CUSTOM = 200
_MAX_CUSTOM_VALUE = 10_000


class _LeadBase(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)

    user: Annotated[str, StringConstraints(max_length=100)] = ""
    pass_: Annotated[str, StringConstraints(max_length=100)] = Field("", alias="pass")
    custom: dict[
        Annotated[str, StringConstraints(max_length=64)],
        Annotated[str, StringConstraints(max_length=_MAX_CUSTOM_VALUE)],
    ] = Field(default_factory=dict, max_length=_MAX_CUSTOM)

    @model_validator(mode="before")
    @classmethod
    def _split_custom(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for key, value in data.items():
            if value is None or key == "custom":
                continue
            if key in _KNOWN:
                out[key] = value
            elif isinstance(key, str) and _NAME.match(key) and key not in _NOT_CUSTOM:
                custom[key] = value
        out["custom"] = custom
        return out

    def fields(self) -> dict[str, str]:
        """The lead's parameters that were given, custom ones included, without the login."""
        given = self.model_dump(exclude_unset=True, exclude={"user", "pass_", "custom"})
        return {**given, **self.custom}


_KNOWN = frozenset({"user", "pass", *LEAD_FIELDS, *OPTION_FIELDS})
_NOT_CUSTOM = frozenset({"function", "DB", "leads"})

_LEAD_FIELDS: dict[str, Any] = {
    name: (_Long if name in _LONG_FIELDS else _Short, "") for name in (*LEAD_FIELDS, *OPTION_FIELDS)
}
LeadIn: type[_LeadBase] = create_model(
    "LeadIn",
    __base__=_LeadBase,
    __doc__="""The shape of one lead: add_lead's parameters as strings with length limits.

    Numbers are taken as their text; keys that are not add_lead parameters but look like field
    names are kept in `custom` (custom-field values, ingest.md 12); anything else is ignored.

    >>> LeadIn.model_validate({"phone_number": 7275551212, "zip_extra": "9", "bad key": 1}).fields()
    {'phone_number': '7275551212', 'zip_extra': '9'}
    """,
    **_LEAD_FIELDS,
)
_LEADS: TypeAdapter[list[_LeadBase]] = TypeAdapter(list[LeadIn])  # type: ignore[valid-type]


class _Problem(Exception):
    """A request leadpipe refuses before VICIdial's logic runs (shape, size, capacity)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers, self.detail = (
            status,
            message,
            headers or {},
            detail,
        )


# -- login ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Login:
    """The verdict of ingest.md 4.1 for one (user, pass, address)."""

    user: str
    line: str = ""
    """The ERROR line; empty when the login succeeded."""
    code: str = ""
    """`BAD`, `LOCK`, `IPBLOCK` or `2FA` when it failed."""

    @property
    def ok(self) -> bool:
        """True when the user may call the API."""
        return not self.line


_LOCK_FAILURES = 10
_LOCK_MINUTES = 15


def _text_time(value: Any) -> str:
    """A DATETIME as `YYYY-MM-DD HH:MM:SS` text (SQLite stores text, MySQL returns datetimes)."""
    return "" if value is None else str(value)[:19]


class Authenticator:
    """Checks API logins against `vicidial_users` as VICIdial does, caching successes briefly."""

    def __init__(self, engine: sa.Engine, clock: Clock, *, cache_seconds: float = 5.0) -> None:
        self.engine, self.clock, self.cache_seconds = engine, clock, cache_seconds
        self._cache: dict[tuple[str, str, str], tuple[float, Login]] = {}
        self._lock = threading.Lock()
        with engine.connect() as conn:
            value = conn.execute(
                sa.select(tables.system_settings.c.use_non_latin).limit(1)
            ).scalar()
        self.non_latin = str(value or "0") == "1"

    def clean(self, value: str) -> str:
        """`user`/`pass` as VICIdial filters them before use."""
        return _clean_auth(value, non_latin=self.non_latin)

    def cached(self, user: str, password: str, ip: str) -> Login | None:
        """A recent successful login of the same user, password and address, if any."""
        hit = self._cache.get((user.lower(), password, ip))
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def forget(self, user: str) -> None:
        """Drop the cached logins of a user (after a failure)."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == user.lower()]:
                self._cache.pop(key, None)

    def login(self, user: str, password: str, ip: str) -> Login:
        """Run ingest.md 4.1 against the database; counts failures and records successes.

        Checks in order: credentials (`BAD`; unknown user, wrong password, `user_level` <= 6 or
        inactive), then the lock (`LOCK`: 10 or more failures and a `last_login_date` within 15
        minutes, as the spec words it; failures themselves do not move `last_login_date`), then
        IP lists (`IPBLOCK`), then two-factor sessions (`2FA`). Every failure of an existing user
        increments its counters with `failed_last_type_today` = `a{code}`.
        """
        now = self.clock.now()
        now_text = now.strftime("%Y-%m-%d %H:%M:%S")
        bad = Login(
            user, f"ERROR: Login incorrect, please try again: |{user}|{password}|BAD|", "BAD"
        )
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(tables.system_settings).limit(1)).mappings().first()
            ss: Mapping[str, Any] = dict(found) if found is not None else {}
            row = load_user(conn, user) if user else None
            if row is None:
                return bad
            if str(ss.get("pass_hash_enabled") or "0") == "1":
                # NOTE: VICIdial hashes with its own bcrypt helper (agc/bp.pl); leadpipe cannot
                # reproduce it, so hashed-password systems are refused rather than guessed at.
                log.error(
                    "system_settings.pass_hash_enabled=1 is not supported by `leadpipe serve`"
                )
                return self._failed(conn, row, bad, ip)
            # MySQL compares `pass` with the table collation: case-insensitive, as here.
            matches = (
                str(row.get("pass") or "").lower() == password.lower()
                and int(row.get("user_level") or 0) > 6
                and row.get("active") == "Y"
            )
            if not matches:
                return self._failed(conn, row, bad, ip)
            cutoff = (now - timedelta(minutes=_LOCK_MINUTES)).strftime("%Y-%m-%d %H:%M:%S")
            if (
                int(row.get("failed_login_count") or 0) >= _LOCK_FAILURES
                and _text_time(row.get("last_login_date")) > cutoff
            ):
                line = f"ERROR: Too many login attempts, try again in 15 minutes: |{user}|LOCK|"
                return self._failed(conn, row, Login(user, line, "LOCK"), ip)
            if not self._ip_allowed(conn, ss, row, ip):
                return self._failed(
                    conn,
                    row,
                    Login(
                        user, f"ERROR: Your IP Address is not allowed: {ip}: ||IPBLOCK|", "IPBLOCK"
                    ),
                    ip,
                )
            if self._needs_2fa(conn, ss, row, now_text):
                line = f"ERROR: Login incorrect, please try again: |{user}|{password}|2FA|"
                return self._failed(conn, row, Login(user, line, "2FA"), ip)
            conn.execute(
                sa.update(tables.vicidial_users)
                .where(tables.vicidial_users.c.user_id == row["user_id"])
                .values(last_login_date=now_text, last_ip=ip[:15], failed_login_count=0)
            )
        login = Login(user)
        if self.cache_seconds > 0:
            with self._lock:
                self._cache[(user.lower(), password, ip)] = (
                    time.monotonic() + self.cache_seconds,
                    login,
                )
        return login

    def _failed(self, conn: sa.Connection, row: dict[str, Any], login: Login, ip: str) -> Login:
        t = tables.vicidial_users
        conn.execute(
            sa.update(t)
            .where(t.c.user_id == row["user_id"])
            .values(
                failed_login_count=sa.case(
                    (t.c.failed_login_count < 255, t.c.failed_login_count + 1), else_=255
                ),
                failed_login_attempts_today=t.c.failed_login_attempts_today + 1,
                failed_login_count_today=t.c.failed_login_count_today + 1,
                failed_last_ip_today=ip[:50],
                failed_last_type_today=f"a{login.code}",
            )
        )
        self.forget(login.user)
        return login

    @staticmethod
    def _ip_allowed(conn: sa.Connection, ss: Any, row: dict[str, Any], ip: str) -> bool:
        """ingest.md 4.1: the group's `api_ip_list` (if set) must hold the address or its class C
        (`a.b.c.x`), `system_ip_blacklist` must not, unless the user has `ignore_ip_list`."""
        if int(ss.get("allow_ip_lists") or 0) <= 0 or str(row.get("ignore_ip_list") or "0") == "1":
            return True
        forms = [ip]
        if ip.count(".") == 3:
            forms.append(ip.rsplit(".", 1)[0] + ".x")
        entries = tables.vicidial_ip_list_entries

        def listed(list_id: str) -> bool:
            stmt = (
                sa.select(sa.func.count())
                .select_from(entries)
                .where(entries.c.ip_list_id == list_id, entries.c.ip_address.in_(forms))
            )
            return bool(conn.execute(stmt).scalar())

        groups = tables.vicidial_user_groups
        api_list = conn.execute(
            sa.select(groups.c.api_ip_list)
            .where(groups.c.user_group == (row.get("user_group") or ""))
            .limit(1)
        ).scalar()
        if api_list and not listed(str(api_list)):
            return False
        blacklist = str(ss.get("system_ip_blacklist") or "")
        return not (blacklist and listed(blacklist))

    @staticmethod
    def _needs_2fa(conn: sa.Connection, ss: Any, row: dict[str, Any], now_text: str) -> bool:
        container = str(ss.get("two_factor_container") or "")
        enabled = int(ss.get("two_factor_auth_hours") or 0) > 0 and container not in (
            "",
            "---DISABLED---",
        )
        if not enabled or row.get("two_factor_override") == "DISABLED":
            return False
        t = tables.vicidial_two_factor_auth
        sessions = (
            conn.execute(
                sa.select(t.c.auth_exp_date).where(t.c.user == row["user"], t.c.auth_stage == "1")
            )
            .scalars()
            .all()
        )
        return not any(_text_time(exp) > now_text for exp in sessions)


class LoginLimiter:
    """Failed logins per client address in a sliding window; over the limit the address waits."""

    def __init__(self, *, limit: int = 30, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, ip: str) -> int:
        """Seconds the address must wait (0: it may try)."""
        now = time.monotonic()
        with self._lock:
            times = self._failures.get(ip)
            if not times:
                return 0
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return 0
            return max(1, int(times[0] + self.window - now) + 1)

    def failed(self, ip: str) -> None:
        """Count one failed login of the address."""
        with self._lock:
            if len(self._failures) > 100_000:  # bounded memory under an address sweep
                self._failures.clear()
            self._failures.setdefault(ip, deque()).append(time.monotonic())


# -- the server -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ServeSettings:
    """Limits and modes of `leadpipe serve`."""

    mode: str = "sync"
    """`sync`: answer with the real lead id lines; `queued`: answer at once with a request id."""
    max_body_bytes: int = 10 << 20
    max_leads_per_request: int = 10_000
    read_timeout: float = 30.0
    """Seconds to receive a request body."""
    result_timeout: float = 60.0
    """Seconds a sync request waits for its micro-batch before it is answered as queued."""
    auth_cache_seconds: float = 5.0
    failed_logins_per_ip: int = 30
    failed_login_window: float = 300.0
    drain_timeout: float = 60.0


@dataclass
class WebhookServer:
    """Everything the routes share: database, spool, drainer, login checks."""

    engine: sa.Engine
    spool: Spool
    clock: Clock
    settings: ServeSettings = field(default_factory=ServeSettings)
    drainer: Drainer | None = None
    auth: Authenticator = field(init=False)
    limiter: LoginLimiter = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.auth = Authenticator(self.engine, self.clock, cache_seconds=s.auth_cache_seconds)
        self.limiter = LoginLimiter(limit=s.failed_logins_per_ip, window=s.failed_login_window)
        if self.drainer is None:
            self.drainer = Drainer(self.spool, engine=self.engine, clock=self.clock)

    async def login(self, user: str, password: str, ip: str) -> Login:
        """A cached success, or the database's verdict (run in a worker thread)."""
        hit = self.auth.cached(user, password, ip)
        if hit is not None:
            return hit
        try:
            result = await run_in_threadpool(self.auth.login, user, password, ip)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("login check failed: %s", exc)
            raise _Problem(
                503,
                "the VICIdial database is unavailable: retry later",
                headers={"Retry-After": "5"},
            ) from exc
        if not result.ok:
            self.limiter.failed(ip)
        return result

    def gate(self, ip: str) -> None:
        """Refuse an address that failed too many logins lately."""
        wait = self.limiter.retry_after(ip)
        if wait:
            raise _Problem(
                429,
                f"too many failed logins from {ip}: retry in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )

    async def spool_leads(
        self, *, user: str, leads: list[dict[str, str]], meta: dict[str, Any]
    ) -> Record:
        """Append a request to the spool and wait until it is on disk."""
        try:
            record = self.spool.append(user=user, leads=leads, meta=meta)
        except SpoolFullError as exc:
            raise _Problem(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
        try:
            await asyncio.wrap_future(record.durable)
        except OSError as exc:
            log.error("spool write failed: %s", exc)
            raise _Problem(
                503, "the spool could not be written: retry later", headers={"Retry-After": "5"}
            ) from exc
        return record

    async def results(self, record: Record) -> list[dict[str, Any]] | None:
        """The record's results once drained, or None when `result_timeout` passes first."""
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(record.done)), self.settings.result_timeout
            )
        except TimeoutError:
            return None


def _fmt_offset(hours: float) -> str:
    return f"{hours:g}"


def version_line(clock: Clock) -> str:
    """`function=version`: API version and build, server time, epoch and time-zone offsets."""
    now = clock.now()
    offset = clock.utc_offset_hours(now)
    dst = clock.is_dst(now)
    epoch = int(clock.utc(now).replace(tzinfo=UTC).timestamp())
    return (
        f"VERSION: {API_VERSION}|BUILD: {API_BUILD}|DATE: {now:%Y-%m-%d %H:%M:%S}|EPOCH: {epoch}|"
        f"DST: {int(dst)}|TZ: {_fmt_offset(offset - 1 if dst else offset)}|"
        f"TZNOW: {_fmt_offset(offset)}|"
    )


def _api_text(
    lines: list[str], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = "".join(f"{line}\n" for line in lines)
    return Response(
        body, status_code=status, media_type="text/html; charset=utf-8", headers=headers
    )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _read_body(request: Request, server: WebhookServer) -> bytes:
    limit = server.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise _Problem(400, f"`Content-Length` `{declared}` is not a number")
        if int(declared) > limit:
            raise _Problem(
                413, f"request body of {declared} bytes exceeds the limit of {limit} bytes"
            )
    chunks: list[bytes] = []
    size = 0

    async def receive() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Problem(413, f"request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(receive(), server.settings.read_timeout)
    except TimeoutError as exc:
        raise _Problem(
            408, f"request body not received within {server.settings.read_timeout:g} seconds"
        ) from exc
    return b"".join(chunks)


def _form(body: bytes, content_type: str) -> dict[str, str]:
    """POST parameters of a urlencoded or multipart body (last value of a name wins, as in PHP)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise _Problem(400, "multipart body could not be parsed: check its boundary")
        out: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str) and part.get_filename() is None:
                payload = part.get_payload(decode=True)
                out[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        return out
    if kind in ("application/x-www-form-urlencoded", "", "text/plain"):
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    raise _Problem(
        415, f"content type `{kind}` is not supported: send a query string or a form body"
    )


def _validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err["loc"]), "msg": err["msg"]} for err in exc.errors(include_url=False)[:20]
    ]


# -- routes ---------------------------------------------------------------------------------
async def non_agent_api(request: Request) -> Response:
    """`/vicidial/non_agent_api.php`: add_lead and version, answered as VICIdial answers."""
    server: WebhookServer = request.app.state.server
    try:
        return await _non_agent_api(request, server)
    except _Problem as problem:
        return _api_text([f"ERROR: leadpipe {problem.message}"], problem.status, problem.headers)


async def _non_agent_api(request: Request, server: WebhookServer) -> Response:
    body = await _read_body(request, server) if request.method == "POST" else b""
    params = _form(body, request.headers.get("content-type", "")) if body else {}
    params.update(parse_qsl(request.url.query, keep_blank_values=True))  # G1: the query string wins
    function = _clean_auth(params.get("function", ""), non_latin=False)
    if function == "version":
        return _api_text([version_line(server.clock)])
    ip = _client_ip(request)
    server.gate(ip)
    user = server.auth.clean(params.get("user", ""))
    password = server.auth.clean(params.get("pass", ""))
    login = await server.login(user, password, ip)
    if not login.ok:
        return _api_text([login.line])
    if function in _OTHER_FUNCTIONS:
        return _api_text(
            [f"ERROR: leadpipe FUNCTION NOT SUPPORTED BY THIS RECEIVER: |{user}|{function}|"], 501
        )
    if function != "add_lead":
        return _api_text(["ERROR: NO FUNCTION SPECIFIED"])
    try:
        lead = LeadIn.model_validate(params)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Problem(400, f"INVALID PARAMETER `{where}`: {first['msg']}") from exc
    raw = "&".join(f"{k}={v}" for k, v in params.items() if k != "pass")
    fields = lead.fields()
    record = await server.spool_leads(
        user=user, leads=[fields], meta={"ip": ip, "raw": raw[:20_000]}
    )
    if server.settings.mode == "queued":
        return _api_text([_queued_line(fields, record, user)], 202)
    results = await server.results(record)
    if results is None:
        return _api_text([_queued_line(fields, record, user)], 202)
    return _api_text(
        list(results[0]["response"])
        or [f"NOTICE: add_lead ALREADY LOADED - {results[0]['lead_id']}|{user}"]
    )


def _queued_line(fields: dict[str, str], record: Record, user: str) -> str:
    return (
        "NOTICE: add_lead LEAD QUEUED - "
        f"{fields.get('phone_number', '')}|{fields.get('list_id', '')}|"
        f"{record.request_id}|{user}"
    )


async def post_leads(request: Request) -> Response:
    """`POST /leads`: a JSON batch of leads; one result per lead."""
    server: WebhookServer = request.app.state.server
    try:
        return await _post_leads(request, server)
    except _Problem as problem:
        content: dict[str, Any] = {"error": problem.message}
        if problem.detail is not None:
            content["detail"] = problem.detail
        return JSONResponse(content, problem.status, headers=problem.headers)


def _batch_shape(payload: Any) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(payload, list):
        return payload, {}
    if isinstance(payload, dict) and isinstance(payload.get("leads"), list):
        defaults = {k: v for k, v in payload.items() if k != "leads"}
        return payload["leads"], defaults
    raise _Problem(422, "body must be a JSON list of lead objects or an object with a `leads` list")


async def _post_leads(request: Request, server: WebhookServer) -> Response:
    body = await _read_body(request, server)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise _Problem(400, f"body is not valid JSON: {exc}") from exc
    items, defaults = _batch_shape(payload)
    if not items:
        raise _Problem(422, "the `leads` list is empty")
    limit = server.settings.max_leads_per_request
    if len(items) > limit:
        raise _Problem(413, f"{len(items)} leads in one request exceed the limit of {limit}")
    if not all(isinstance(item, dict) for item in items):
        raise _Problem(422, "every lead must be a JSON object")
    try:
        base = LeadIn.model_validate(defaults)
        leads = _LEADS.validate_python([{**defaults, **item} for item in items])
    except ValidationError as exc:
        raise _Problem(
            422, "leads do not have the expected shape", detail=_validation_detail(exc)
        ) from exc
    ip = _client_ip(request)
    server.gate(ip)
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    logins: dict[tuple[str, str], Login] = {}
    creds: list[tuple[str, str]] = []
    for lead in leads:
        pair = (
            server.auth.clean(lead.user or base.user or query.get("user", "")),
            server.auth.clean(lead.pass_ or base.pass_ or query.get("pass", "")),
        )
        creds.append(pair)
        if pair not in logins:
            logins[pair] = await server.login(*pair, ip)
    skipped: dict[str, dict[str, Any]] = {}
    refusals: dict[int, dict[str, Any]] = {}
    spooled: list[dict[str, str]] = []
    users = [login.user for login in logins.values() if login.ok]
    main_user = users[0] if users else ""
    for index, (lead, pair) in enumerate(zip(leads, creds, strict=True)):
        login = logins[pair]
        if not login.ok:
            refusals[index] = {
                "status": "rejected",
                "lead_id": None,
                "reject_reason": f"LOGIN_{login.code}",
                "response": [login.line],
            }
            # NOTE: the spooled copy omits the password VICIdial echoes in its login errors.
            skipped[str(index)] = {
                **refusals[index],
                "response": [login.line.replace(f"|{pair[1]}|{login.code}|", f"||{login.code}|")],
            }
            continue
        fields = lead.fields()
        if login.user != main_user:
            fields["user"] = login.user
        spooled.append(fields)
    if not spooled:
        refused = [refusals[i] for i in range(len(leads))]
        return JSONResponse({"request_id": None, "status": "done", "results": _indexed(refused)})
    record = await server.spool_leads(
        user=main_user, leads=spooled, meta={"ip": ip, "skipped": skipped, "total": len(leads)}
    )
    if server.settings.mode == "queued":
        return _queued_json(record)
    results = await server.results(record)
    if results is None:
        return _queued_json(record)
    answer = [refusals.get(i, result) for i, result in enumerate(results)]
    return JSONResponse(
        {"request_id": record.request_id, "status": "done", "results": _indexed(answer)}
    )


def _indexed(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": i, **r} for i, r in enumerate(results)]


def _queued_json(record: Record) -> Response:
    return JSONResponse(
        {
            "request_id": record.request_id,
            "status": "queued",
            "results_url": f"/leads/results/{record.request_id}",
        },
        202,
    )


async def lead_results(request: Request) -> Response:
    """`GET /leads/results/{request_id}`: `done` with results, `pending`, or 404."""
    server: WebhookServer = request.app.state.server
    request_id = request.path_params["request_id"]
    state, results = server.spool.result(request_id)
    if state == "done":
        assert results is not None
        return JSONResponse(
            {"request_id": request_id, "status": "done", "results": _indexed(results)}
        )
    if state == "pending":
        return JSONResponse({"request_id": request_id, "status": "pending"}, 202)
    return JSONResponse(
        {"error": f"request id `{request_id}` is unknown or its results expired"}, 404
    )


async def health(request: Request) -> Response:
    """`GET /health`: 200 while the drainer runs, 503 when it stopped."""
    server: WebhookServer = request.app.state.server
    drainer = server.drainer
    assert drainer is not None
    alive = drainer.alive
    body = {
        "status": "ok" if alive else "draining stopped",
        "mode": server.settings.mode,
        **server.spool.stats(),
        "drained_batches": drainer.batches,
        "drained_leads": drainer.leads,
        "last_error": drainer.last_error,
    }
    return JSONResponse(body, 200 if alive else 503)


def create_app(server: WebhookServer) -> Starlette:
    """The ASGI app; its lifespan starts the drainer and at shutdown drains and closes the spool."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        assert server.drainer is not None
        server.drainer.start()
        try:
            yield
        finally:
            drained = await run_in_threadpool(
                server.drainer.stop, timeout=server.settings.drain_timeout
            )
            if not drained:
                log.warning("shutdown: undrained records stay in the spool for the next start")
            server.spool.close()

    routes = [
        Route(API_PATH, non_agent_api, methods=["GET", "POST"]),
        Route("/leads", post_leads, methods=["POST"]),
        Route("/leads/results/{request_id}", lead_results, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.server = server
    return app
