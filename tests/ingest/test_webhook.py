"""`leadpipe serve` over real HTTP on 127.0.0.1: VICIdial's lines, limits, queued mode, kill -9."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import click
import pytest
import sqlalchemy as sa
import uvicorn
from click.testing import CliRunner

from ingest.cli_serve import serve
from ingest.clock import Clock
from ingest.spool import Drainer, Spool, SpoolBusyError, SpoolSettings
from ingest.webhook import ServeSettings, WebhookServer, create_app
from sinks import tables
from sinks.database import connect
from sinks.demo import seed_demo
from sinks.reference import load_reference_data

NOW = datetime(2026, 11, 23, 10, 18, 30)
CLOCK = Clock(fixed=NOW, server_tz_name="America/New_York")
API = "/vicidial/non_agent_api.php"
GOOD = {"source": "test", "user": "6666", "pass": "1234", "function": "add_lead"}


def _prepare(url: str) -> None:
    engine = connect(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        load_reference_data(conn)
        seed_demo(conn)
    engine.dispose()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("webhookdb") / "vicidial.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_file(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "vicidial.db"
    shutil.copy(template_db, path)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    """A server running in this process on 127.0.0.1."""

    port: int
    engine: sa.Engine
    server: WebhookServer

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
        finally:
            conn.close()

    def api(self, params: dict[str, str], *, post: dict[str, str] | None = None) -> tuple[int, str]:
        path = f"{API}?{urlencode(params)}"
        if post is None:
            status, _h, text = self.request("GET", path)
        else:
            status, _h, text = self.request(
                "POST",
                path,
                body=urlencode(post).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        return status, text

    def leads(self, payload: Any, *, query: str = "") -> tuple[int, dict[str, Any]]:
        status, _h, text = self.request(
            "POST",
            f"/leads{query}",
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        return status, json.loads(text)

    def sql(self, stmt: Any) -> list[Any]:
        with self.engine.begin() as conn:
            result = conn.execute(stmt)
            return list(result.all()) if result.returns_rows else []


class _Idle(Drainer):
    def start(self) -> None:  # a drainer that never drains: the spool only fills
        pass


@pytest.fixture
def live(db_file: Path, tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """Start servers on free loopback ports; each is stopped (and drained) at teardown."""
    running: list[tuple[uvicorn.Server, threading.Thread, sa.Engine]] = []

    def start(
        *,
        url: str | None = None,
        spool: SpoolSettings | None = None,
        drain: bool = True,
        **settings: Any,
    ) -> Live:
        engine = connect(url or f"sqlite:///{db_file}")
        spool_obj = Spool(tmp_path / f"spool{len(running)}", spool or SpoolSettings(batch_ms=5))
        options = ServeSettings(**{"auth_cache_seconds": 0.0, **settings})
        drainer = None if drain else _Idle(spool_obj, engine=engine, clock=CLOCK)
        server = WebhookServer(
            engine=engine, spool=spool_obj, clock=CLOCK, settings=options, drainer=drainer
        )
        port = _free_port()
        config = uvicorn.Config(
            create_app(server),
            host="127.0.0.1",
            port=port,
            log_level="error",
            access_log=False,
            lifespan="on",
        )
        uv = uvicorn.Server(config)
        thread = threading.Thread(target=uv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not uv.started:
            assert time.monotonic() < deadline, "server did not start"
            assert thread.is_alive(), "server thread died"
            time.sleep(0.01)
        running.append((uv, thread, engine))
        return Live(port, engine, server)

    yield start
    for uv, thread, engine in running:
        uv.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


def _lead_row(live: Live, lead_id: int) -> tuple[Any, ...]:
    t = tables.vicidial_list
    rows = live.sql(
        sa.select(t.c.phone_number, t.c.list_id, t.c.user, t.c.source_id).where(
            t.c.lead_id == lead_id
        )
    )
    return tuple(rows[0])


# -- VICIdial's lines -----------------------------------------------------------------------
def test_version_needs_no_login(live: Callable[..., Live]) -> None:
    server = live()
    status, headers, text = server.request("GET", f"{API}?function=version")
    epoch = int(NOW.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC).timestamp())
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert text == (
        f"VERSION: 2.14-194|BUILD: 241004-1518|DATE: 2026-11-23 10:18:30|EPOCH: {epoch}|"
        "DST: 0|TZ: -5|TZNOW: -5|\n"
    )


def test_add_lead_answers_with_the_real_lead_ids(live: Callable[..., Live]) -> None:
    server = live()
    status, text = server.api({**GOOD, "phone_number": "7275551111", "list_id": "101"})
    assert status == 200
    lead_id = int(text.split("|")[2])
    assert text == f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|101|{lead_id}|-5.00|6666\n"
    assert _lead_row(server, lead_id) == ("7275551111", 101, "6666", "")
    # POST form: the query string wins on duplicates (ingest.md 2, G1)
    status, text = server.api(
        {"list_id": "102"}, post={**GOOD, "phone_number": "7275551112", "list_id": "101"}
    )
    assert (
        text == f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551112|102|{lead_id + 1}|-5.00|6666\n"
    )
    # the pipeline's own checks answer with their lines
    status, text = server.api(
        {**GOOD, "phone_number": "7275551111", "list_id": "101", "duplicate_check": "DUPLIST"}
    )
    assert (status, text) == (
        200,
        f"ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551111|101|{lead_id}\n",
    )
    status, text = server.api({**GOOD, "phone_number": "72755", "list_id": "101"})
    assert text == "ERROR: add_lead INVALID PHONE NUMBER LENGTH - 72755|6666\n"
    status, text = server.api({**GOOD, "list_id": "101"})  # no phone_number at all
    assert text == "ERROR: add_lead INVALID PHONE NUMBER LENGTH - |6666\n"


def test_multipart_form_is_read_like_a_query_string(live: Callable[..., Live]) -> None:
    server = live()
    boundary = "leadpipeboundary"
    fields = {**GOOD, "phone_number": "7275551113", "list_id": "101", "first_name": "Bob"}
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        + f"--{boundary}--\r\n"
    )
    status, _h, text = server.request(
        "POST",
        API,
        body=body.encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 200
    assert text.startswith("SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551113|101|")


def test_source_and_permission_failures(live: Callable[..., Live]) -> None:
    server = live()
    status, text = server.api({**GOOD, "source": "t", "phone_number": "7275551111"})
    assert (status, text) == (200, "ERROR: Invalid Source - t\nERROR: Invalid Source: |t|\n")
    users = tables.vicidial_users
    server.sql(
        sa.update(users).where(users.c.user == "6666").values(api_allowed_functions=" update_lead ")
    )
    status, text = server.api({**GOOD, "phone_number": "7275551111"})
    assert (
        text == "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |6666|add_lead|\n"
    )
    server.sql(
        sa.update(users)
        .where(users.c.user == "6666")
        .values(api_allowed_functions=" add_lead ", modify_leads="0")
    )
    status, text = server.api({**GOOD, "phone_number": "7275551111"})
    assert (
        text
        == "ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM: |6666|0|\n"
    )


def test_allowed_lists_of_restricted_users(live: Callable[..., Live]) -> None:
    server = live()
    users, groups = tables.vicidial_users, tables.vicidial_user_groups
    server.sql(sa.update(users).where(users.c.user == "6666").values(api_list_restrict="1"))
    server.sql(
        sa.update(groups).where(groups.c.user_group == "ADMIN").values(allowed_campaigns=" OTHER -")
    )
    _status, text = server.api({**GOOD, "phone_number": "7275551111", "list_id": "101"})
    assert text == "ERROR: add_lead NOT AN ALLOWED LIST ID - 7275551111|101\n"
    server.sql(sa.update(users).where(users.c.user == "6666").values(user_group="NOGROUP"))
    _status, text = server.api({**GOOD, "phone_number": "7275551111", "list_id": "101"})
    assert text == "ERROR: user_group DOES NOT EXIST: |6666|NOGROUP|\n"


def test_unknown_and_unsupported_functions(live: Callable[..., Live]) -> None:
    server = live()
    assert server.api({**GOOD, "function": "nope"}) == (200, "ERROR: NO FUNCTION SPECIFIED\n")
    assert server.api({**GOOD, "function": ""}) == (200, "ERROR: NO FUNCTION SPECIFIED\n")
    assert server.api({**GOOD, "function": "update_lead"}) == (
        501,
        "ERROR: leadpipe FUNCTION NOT SUPPORTED BY THIS RECEIVER: |6666|update_lead|\n",
    )
    # the login comes first
    assert server.api({**GOOD, "pass": "x", "function": "nope"}) == (
        200,
        "ERROR: Login incorrect, please try again: |6666|x|BAD|\n",
    )


# -- logins (ingest.md 4.1) ----------------------------------------------------------------------
def _user(server: Live) -> dict[str, Any]:
    users = tables.vicidial_users
    return dict(server.sql(sa.select(users).where(users.c.user == "6666"))[0]._mapping)


def test_bad_password_and_lock_after_ten_failures(live: Callable[..., Live]) -> None:
    server = live()
    lead = {"phone_number": "7275551111", "list_id": "101"}
    assert server.api({**GOOD, **lead})[1].startswith("SUCCESS")  # sets last_login_date
    row = _user(server)
    assert (str(row["last_login_date"])[:19], row["last_ip"], row["failed_login_count"]) == (
        "2026-11-23 10:18:30",
        "127.0.0.1",
        0,
    )
    for _ in range(10):
        assert server.api({**GOOD, **lead, "pass": "wrong"}) == (
            200,
            "ERROR: Login incorrect, please try again: |6666|wrong|BAD|\n",
        )
    row = _user(server)
    assert (
        row["failed_login_count"],
        row["failed_login_attempts_today"],
        row["failed_last_ip_today"],
        row["failed_last_type_today"],
    ) == (10, 10, "127.0.0.1", "aBAD")
    assert server.api({**GOOD, **lead}) == (
        200,
        "ERROR: Too many login attempts, try again in 15 minutes: |6666|LOCK|\n",
    )
    assert _user(server)["failed_last_type_today"] == "aLOCK"
    # 15 minutes after the last login the lock is over, and a success resets the count
    users = tables.vicidial_users
    server.sql(
        sa.update(users).where(users.c.user == "6666").values(last_login_date="2026-11-23 10:03:29")
    )
    assert server.api({**GOOD, "phone_number": "7275551112"})[1].startswith("SUCCESS")
    assert _user(server)["failed_login_count"] == 0
    # an unknown user, an inactive one and a level-6 one all get the bad-credentials line
    assert (
        server.api({**GOOD, "user": "nobody"})[1]
        == "ERROR: Login incorrect, please try again: |nobody|1234|BAD|\n"
    )
    server.sql(sa.update(users).where(users.c.user == "6666").values(user_level=6))
    assert (
        server.api({**GOOD, "user": "6666"})[1]
        == "ERROR: Login incorrect, please try again: |6666|1234|BAD|\n"
    )


def test_hashed_passwords_are_refused_not_guessed(live: Callable[..., Live]) -> None:
    server = live()
    server.sql(sa.update(tables.system_settings).values(pass_hash_enabled="1"))
    assert server.api({**GOOD, "phone_number": "7275551111"})[1] == (
        "ERROR: Login incorrect, please try again: |6666|1234|BAD|\n"
    )


def test_user_and_pass_are_cleaned_before_use(live: Callable[..., Live]) -> None:
    server = live()
    _status, text = server.api(
        {**GOOD, "user": "66'66", "pass": "12 34", "phone_number": "7275551111"}
    )
    assert text.startswith("SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|")
    assert (
        server.api({**GOOD, "pass": "bad pass!"})[1]
        == "ERROR: Login incorrect, please try again: |6666|badpass|BAD|\n"
    )


def test_ip_lists(live: Callable[..., Live]) -> None:
    server = live()
    groups, entries, settings = (
        tables.vicidial_user_groups,
        tables.vicidial_ip_list_entries,
        tables.system_settings,
    )
    server.sql(sa.update(settings).values(allow_ip_lists="1"))
    server.sql(
        sa.update(groups).where(groups.c.user_group == "ADMIN").values(api_ip_list="APIHOSTS")
    )
    server.sql(sa.insert(entries).values(ip_list_id="APIHOSTS", ip_address="10.1.2.3"))
    lead = {**GOOD, "phone_number": "7275551111"}
    assert server.api(lead) == (
        200,
        "ERROR: Your IP Address is not allowed: 127.0.0.1: ||IPBLOCK|\n",
    )
    assert _user(server)["failed_last_type_today"] == "aIPBLOCK"
    server.sql(
        sa.insert(entries).values(ip_list_id="APIHOSTS", ip_address="127.0.0.x")
    )  # class C form
    assert server.api(lead)[1].startswith("SUCCESS")
    server.sql(sa.update(settings).values(system_ip_blacklist="BANNED"))
    server.sql(sa.insert(entries).values(ip_list_id="BANNED", ip_address="127.0.0.1"))
    assert server.api({**lead, "phone_number": "7275551112"})[1] == (
        "ERROR: Your IP Address is not allowed: 127.0.0.1: ||IPBLOCK|\n"
    )
    users = tables.vicidial_users
    server.sql(sa.update(users).where(users.c.user == "6666").values(ignore_ip_list="1"))
    assert server.api({**lead, "phone_number": "7275551112"})[1].startswith("SUCCESS")


def test_two_factor_sessions(live: Callable[..., Live]) -> None:
    server = live()
    settings, users, sessions = (
        tables.system_settings,
        tables.vicidial_users,
        tables.vicidial_two_factor_auth,
    )
    server.sql(
        sa.update(settings).values(two_factor_auth_hours=12, two_factor_container="2FA_SETTINGS")
    )
    server.sql(
        sa.update(users).where(users.c.user == "6666").values(two_factor_override="NOT_ACTIVE")
    )
    lead = {**GOOD, "phone_number": "7275551111"}
    assert server.api(lead)[1] == "ERROR: Login incorrect, please try again: |6666|1234|2FA|\n"
    server.sql(
        sa.insert(sessions).values(
            user="6666",
            auth_stage="1",
            auth_date="2026-11-23 09:00:00",
            auth_exp_date="2026-11-23 10:00:00",
        )
    )  # expired
    assert server.api(lead)[1].endswith("|2FA|\n")
    server.sql(
        sa.insert(sessions).values(
            user="6666",
            auth_stage="1",
            auth_date="2026-11-23 10:00:00",
            auth_exp_date="2026-11-23 22:00:00",
        )
    )
    assert server.api(lead)[1].startswith("SUCCESS")
    server.sql(sa.delete(sessions))
    server.sql(
        sa.update(users).where(users.c.user == "6666").values(two_factor_override="DISABLED")
    )
    assert server.api({**lead, "phone_number": "7275551112"})[1].startswith("SUCCESS")


def test_failed_logins_are_rate_limited_per_address(live: Callable[..., Live]) -> None:
    server = live(failed_logins_per_ip=3, failed_login_window=60)
    for _ in range(3):
        assert server.api({**GOOD, "pass": "x"})[1].endswith("|BAD|\n")
    status, headers, text = server.request("GET", f"{API}?{urlencode(GOOD)}")
    assert status == 429
    assert 1 <= int(headers["retry-after"]) <= 61
    assert (
        text == "ERROR: leadpipe too many failed logins from 127.0.0.1: "
        f"retry in {headers['retry-after']} seconds\n"
    )
    assert server.api({"function": "version"})[0] == 200


def test_successful_logins_are_cached_briefly(live: Callable[..., Live]) -> None:
    server = live(auth_cache_seconds=60)
    assert server.api({**GOOD, "phone_number": "7275551111"})[1].startswith("SUCCESS")
    users = tables.vicidial_users
    server.sql(sa.update(users).where(users.c.user == "6666").values(last_ip="0.0.0.0"))
    assert server.api({**GOOD, "phone_number": "7275551112"})[1].startswith("SUCCESS")
    assert _user(server)["last_ip"] == "0.0.0.0"  # no login query for a cached success
    assert server.api({**GOOD, "pass": "nope"})[1].endswith(
        "|BAD|\n"
    )  # failures always reach the DB


# -- the JSON batch ----------------------------------------------------------------------------
def test_json_batch_one_result_per_lead(live: Callable[..., Live]) -> None:
    server = live()
    status, body = server.leads(
        {
            "user": "6666",
            "pass": "1234",
            "source": "crm",
            "list_id": "101",
            "leads": [
                {"phone_number": 7275552001, "first_name": "Ann"},
                {"phone_number": "7275552002", "list_id": "102"},
                {"phone_number": "12"},
                {"phone_number": "7275552003", "pass": "wrong"},
            ],
        }
    )
    assert status == 200
    assert body["status"] == "done"
    results = body["results"]
    assert [r["status"] for r in results] == ["added", "added", "rejected", "rejected"]
    first, second = results[0]["lead_id"], results[1]["lead_id"]
    assert results[0]["response"] == [
        f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275552001|101|{first}|-5.00|6666"
    ]
    assert results[1]["response"] == [
        f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275552002|102|{second}|-5.00|6666"
    ]
    assert results[2] == {
        "index": 2,
        "status": "rejected",
        "lead_id": None,
        "reject_reason": "INVALID_PHONE_LENGTH",
        "response": ["ERROR: add_lead INVALID PHONE NUMBER LENGTH - 12|6666"],
    }
    assert results[3]["reject_reason"] == "LOGIN_BAD"
    assert results[3]["response"] == ["ERROR: Login incorrect, please try again: |6666|wrong|BAD|"]
    _status, _h, text = server.request("GET", f"/leads/results/{body['request_id']}")
    stored = json.loads(text)["results"]  # the spool never keeps a password
    assert stored[3]["response"] == ["ERROR: Login incorrect, please try again: |6666||BAD|"]
    assert stored[:3] == results[:3]
    assert _lead_row(server, first) == ("7275552001", 101, "6666", "")
    # a bare list takes the login from the query string
    status, body = server.leads(
        [{"phone_number": "7275552004", "list_id": "101", "source": "crm"}],
        query="?user=6666&pass=1234",
    )
    assert body["results"][0]["status"] == "added"


# -- limits and malformed requests ----------------------------------------------------------------
def test_malformed_and_oversized_requests_get_clear_errors(live: Callable[..., Live]) -> None:
    server = live(max_body_bytes=2_000, max_leads_per_request=3, read_timeout=0.5)
    big = json.dumps([{"phone_number": "7275551111", "comments": "x" * 3000}]).encode()
    status, _h, text = server.request(
        "POST", "/leads", body=big, headers={"Content-Type": "application/json"}
    )
    assert (status, json.loads(text)) == (
        413,
        {"error": f"request body of {len(big)} bytes exceeds the limit of 2000 bytes"},
    )
    status, _h, text = server.request(
        "POST", "/leads", body=b'[{"phone_number": ', headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert json.loads(text)["error"].startswith("body is not valid JSON")
    assert server.leads({"nope": 1}) == (
        422,
        {"error": "body must be a JSON list of lead objects or an object with a `leads` list"},
    )
    assert server.leads([{"phone_number": "1"}] * 4) == (
        413,
        {"error": "4 leads in one request exceed the limit of 3"},
    )
    status, body = server.leads([{"phone_number": ["7275551111"]}])
    assert status == 422
    assert body["detail"][0]["loc"] == [0, "phone_number"]
    status, text = server.api({**GOOD, "phone_number": "7" * 300})
    assert status == 400
    assert (
        text == "ERROR: leadpipe INVALID PARAMETER `phone_number`: "
        "String should have at most 255 characters\n"
    )
    status, _h, text = server.request(
        "POST", API, body=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert (status, text) == (
        415,
        "ERROR: leadpipe content type `application/xml` is not supported: "
        "send a query string or a form body\n",
    )
    status, _h, text = server.request(
        "POST", API, body=b"x" * 2001, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    assert server.request("GET", "/nowhere")[0] == 404
    assert server.request("DELETE", "/leads")[0] == 405
    # a client that never sends its body is cut off; the server keeps serving
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /leads HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[")
        assert sock.recv(4096).startswith(b"HTTP/1.1 408")
    status, text = server.api({**GOOD, "phone_number": "7275551111"})
    assert status == 200
    assert text.startswith("SUCCESS")
    status, _h, text = server.request("GET", "/health")
    assert status == 200
    assert json.loads(text)["status"] == "ok"


def test_full_spool_answers_503_with_retry_after(live: Callable[..., Live]) -> None:
    server = live(drain=False, spool=SpoolSettings(max_pending_bytes=600), mode="queued")
    answers = [server.api({**GOOD, "phone_number": f"72755510{n:02d}"})[0] for n in range(8)]
    assert answers[0] == 202
    assert 503 in answers
    status, headers, text = server.request(
        "GET", f"{API}?{urlencode({**GOOD, 'phone_number': '7275559999'})}"
    )
    assert status == 503
    assert int(headers["retry-after"]) >= 1
    assert text.startswith("ERROR: leadpipe spool ")
    assert text.endswith("retry later\n")
    status, _h, text = server.request("GET", "/health")
    assert status == 503  # nothing drains


# -- queued mode -----------------------------------------------------------------------------
def test_queued_mode_answers_at_once_with_a_request_id(live: Callable[..., Live]) -> None:
    server = live(mode="queued")
    status, body = server.leads(
        {
            "user": "6666",
            "pass": "1234",
            "source": "crm",
            "leads": [{"phone_number": "7275553001", "list_id": "101"}, {"phone_number": "1"}],
        }
    )
    assert status == 202
    assert body["status"] == "queued"
    request_id = body["request_id"]
    assert body["results_url"] == f"/leads/results/{request_id}"
    deadline = time.monotonic() + 20
    while True:
        status, _h, text = server.request("GET", body["results_url"])
        if status == 200 or time.monotonic() > deadline:
            break
        assert status == 202
        assert json.loads(text) == {"request_id": request_id, "status": "pending"}
        time.sleep(0.05)
    done = json.loads(text)
    assert [r["status"] for r in done["results"]] == ["added", "rejected"]
    assert done["results"][0]["response"][0].startswith(
        "SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275553001|101|"
    )
    status, text = server.api({**GOOD, "phone_number": "7275553002", "list_id": "101"})
    assert status == 202
    assert text.startswith("NOTICE: add_lead LEAD QUEUED - 7275553002|101|")
    assert server.request("GET", "/leads/results/nope")[0] == 404


def test_sync_request_that_outwaits_its_batch_is_answered_as_queued(
    live: Callable[..., Live],
) -> None:
    server = live(drain=False, result_timeout=0.3)
    status, text = server.api({**GOOD, "phone_number": "7275553003", "list_id": "101"})
    assert status == 202
    assert text.startswith("NOTICE: add_lead LEAD QUEUED - 7275553003|101|")
    request_id = text.split("|")[2]
    status, _h, body = server.request("GET", f"/leads/results/{request_id}")
    assert (status, json.loads(body)["status"]) == (202, "pending")


def test_graceful_shutdown_drains_the_spool(db_file: Path, tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{db_file}")
    spool = Spool(tmp_path / "spool", SpoolSettings(batch_ms=300))
    server = WebhookServer(
        engine=engine, spool=spool, clock=CLOCK, settings=ServeSettings(mode="queued")
    )
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(
            create_app(server), host="127.0.0.1", port=port, log_level="error", lifespan="on"
        )
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.01)
    live = Live(port, engine, server)
    phones = [f"72755540{n:02d}" for n in range(20)]
    for phone in phones:
        assert live.api({**GOOD, "phone_number": phone, "list_id": "101"})[0] == 202
    uv.should_exit = True
    thread.join(timeout=30)
    t = tables.vicidial_list
    assert sorted(live.sql(sa.select(t.c.phone_number).where(t.c.phone_number.in_(phones)))) == [
        (p,) for p in phones
    ]
    assert spool.closed
    engine.dispose()


# -- MariaDB ---------------------------------------------------------------------------------
def test_logins_and_leads_on_each_database(live: Callable[..., Live], db_url: str) -> None:
    _prepare(db_url)
    server = live(url=db_url)
    assert (
        server.api({**GOOD, "pass": "bad"})[1]
        == "ERROR: Login incorrect, please try again: |6666|bad|BAD|\n"
    )
    assert _user(server)["failed_login_count"] == 1
    _status, text = server.api({**GOOD, "phone_number": "7275551111", "list_id": "101"})
    lead_id = int(text.split("|")[2])
    assert text == f"SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|101|{lead_id}|-5.00|6666\n"
    assert _lead_row(server, lead_id)[:3] == ("7275551111", 101, "6666")
    assert str(_user(server)["last_login_date"])[:19] == "2026-11-23 10:18:30"


# -- kill -9 ---------------------------------------------------------------------------------
_SERVE = """
import sys, click
from ingest.cli_serve import serve
click.Group(commands={"serve": serve}).main(sys.argv[2:], obj={"db": sys.argv[1], "debug": False})
"""


def _get_json(port: int, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def _spawn(url: str, spool: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-c",
        _SERVE,
        url,
        "serve",
        "--port",
        str(port),
        "--spool",
        str(spool),
        "--now",
        "2026-11-23 10:18:30",
        "--server-tz",
        "America/New_York",
        *extra,
    ]
    log = spool.parent / f"serve-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            args, cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=err
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get_json(port, "/health")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.05)
        assert proc.poll() is None, log.read_text()
    proc.kill()
    proc.wait()
    pytest.fail(f"serve subprocess did not start: {log.read_text()}")


def test_kill_9_loses_no_acknowledged_lead_and_writes_none_twice(
    db_file: Path, tmp_path: Path
) -> None:
    url, spool, port = f"sqlite:///{db_file}", tmp_path / "spool", _free_port()
    proc = _spawn(url, spool, port, "--mode", "queued", "--batch-ms", "30", "--batch-rows", "200")
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post(worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            send(conn, worker)
        finally:
            conn.close()

    def send(conn: http.client.HTTPConnection, worker: int) -> None:
        for n in range(2000):
            if stop.is_set():
                return
            phones = [f"72{worker}{n:04d}{k:03d}" for k in range(5)]
            body = json.dumps(
                {
                    "user": "6666",
                    "pass": "1234",
                    "source": "kill",
                    "list_id": "101",
                    "leads": [{"phone_number": p} for p in phones],
                }
            )
            try:
                conn.request(
                    "POST", "/leads", body=body, headers={"Content-Type": "application/json"}
                )
                resp = conn.getresponse()
                resp.read()
            except (OSError, http.client.HTTPException):
                return  # the server died mid-request: that batch was never acknowledged
            if resp.status == 202:
                with lock:
                    acked.extend(phones)

    workers = [threading.Thread(target=post, args=(w,)) for w in range(1, 4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 20
    while len(acked) < 600 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stop.set()
    for w in workers:
        w.join(timeout=15)
    assert len(acked) >= 600
    left = Spool(spool)  # the crash left acknowledged records undrained
    undrained = left.stats()["pending_records"]
    left.close()
    assert undrained > 0

    proc = _spawn(url, spool, port, "--mode", "queued")
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            health = _get_json(port, "/health")[1]
            if health["pending_records"] == 0:
                break
            time.sleep(0.1)
        assert health["pending_records"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    engine = connect(url)
    t = tables.vicidial_list
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(t.c.phone_number, sa.func.count()).group_by(t.c.phone_number)
            ).all()
        )
    engine.dispose()
    assert not [p for p in acked if counts.get(p) != 1], "acknowledged leads missing or duplicated"
    assert max(counts.values()) == 1


def test_serve_command_reports_a_busy_spool(db_file: Path, tmp_path: Path) -> None:
    held = Spool(tmp_path / "spool")
    try:
        group = click.Group(commands={"serve": serve})
        result = CliRunner().invoke(
            group,
            ["serve", "--spool", str(tmp_path / "spool"), "--port", "0"],
            obj={"db": f"sqlite:///{db_file}", "debug": False},
        )
    finally:
        held.close()
    assert isinstance(result.exception, SpoolBusyError)
    assert "is in use by another `leadpipe serve`" in str(result.exception)
