"""List resets, deletes, hopper resets (lists.md 2.5, 2.8-2.10, 4.2, 5) on SQLite and MariaDB."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.chunks import ChunkProgress
from sinks.deletes import delete_leads, delete_lists
from sinks.errors import SinkError, SinkRetryableError
from sinks.jobs import JobStore, leadpipe_list_jobs
from sinks.lists import reset_hopper, reset_lists
from sinks.resets import reset_due
from tests.sinks._list_fixtures import NOW, leads_by_list, seed, shared_engine, snapshot

__all__ = ["shared_engine"]

Snap = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def engine(shared_engine: sa.Engine) -> sa.Engine:
    """The module's database, filled with the fixture rows afresh."""
    seed(shared_engine)
    return shared_engine


class Stop(Exception):
    """Raised by a test callback to interrupt a job."""


def stop_after(k: int) -> Any:
    def hook(progress: ChunkProgress) -> None:
        if progress.chunk >= k:
            raise Stop(progress.last_key)

    return hook


def _reset(
    before: Snap, lists: set[int], *, counters: dict[int, int], changedate: bool = True
) -> Snap:
    """The state a reset of `lists` should leave, derived from `before` (one big UPDATE)."""
    after = dict(before)
    after["vicidial_list"] = sorted(
        (lead, lst, "N" if int(lst) in lists else csr, status, phone)
        for lead, lst, csr, status, phone in before["vicidial_list"]
    )
    after["vicidial_lists"] = sorted(
        (
            lid,
            camp,
            str(counters.get(int(lid), int(today))),
            stamp_of(NOW) if changedate and int(lid) in counters else changed,
        )
        for lid, camp, today, changed in before["vicidial_lists"]
    )
    return after


def stamp_of(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _without_leads(before: Snap, doomed: set[int], *, related: bool) -> Snap:
    """The state `delete_leads` should leave for the leads `doomed`."""
    after = dict(before)
    keep = lambda rows, i=1: sorted(r for r in rows if int(r[i]) not in doomed)  # noqa: E731
    after["vicidial_list"] = keep(before["vicidial_list"], 0)
    if related:
        after["vicidial_callbacks"] = keep(before["vicidial_callbacks"])
        after["vicidial_callbacks_archive"] = sorted(
            [
                *before["vicidial_callbacks_archive"],
                *[
                    (cid, lead, "ACTIVE", f"cb {cid}")
                    for cid, lead in before["vicidial_callbacks"]
                    if int(lead) in doomed
                ],
            ]
        )
        after["vicidial_list_alt_phones"] = keep(before["vicidial_list_alt_phones"])
        after["vicidial_hopper"] = keep(before["vicidial_hopper"])
        after["custom_101"] = keep(before["custom_101"], 0)
        after["custom_555"] = keep(before["custom_555"], 0)
    return after


def _jobs(engine: sa.Engine) -> list[tuple[Any, ...]]:
    if not sa.inspect(engine).has_table("leadpipe_list_jobs"):
        return []
    with engine.connect() as conn:
        t = leadpipe_list_jobs
        return [tuple(r) for r in conn.execute(sa.select(t.c.operation, t.c.status, t.c.phase))]


# --- reset_list=Y ------------------------------------------------------------------------------


def test_reset_sets_every_lead_of_the_list_to_n_and_counts_the_reset(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = reset_lists(engine, [101], user="6666", now=NOW)
    assert result.lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN RESET - 6666|101|",
    ]
    assert snapshot(engine) == _reset(before, {101}, counters={101: 1})
    assert dict(result.lists[101].counts) == {"matched": 18, "changed": 6}
    assert result.admin_log == [
        {
            "user": "6666",
            "event_section": "LISTS",
            "event_type": "RESET",
            "event_code": "ADMIN API RESET LIST",
            "record_id": "101",
            "notes": "6 leads reset, list resets today: 1",
        }
    ]
    assert _jobs(engine) == [("reset", "done", "leads")]


def test_reset_limit_reached_prints_the_notice_and_changes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = reset_lists(engine, [102], user="6666", now=NOW)
    assert result.lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LIST RESET FAILED, daily reset limit reached: 2 / 2 - 6666|102",
    ]
    assert snapshot(engine) == before
    assert result.admin_log[0]["event_code"] == "ADMIN API RESET LIST FAILED"
    assert result.admin_log[0]["notes"] == "daily list resets limit reached: 2 / 2"


def test_reset_by_campaign_resets_each_list_within_its_limit(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = reset_lists(engine, campaign_id="TESTCAMP", user="6666", now=NOW, chunk_rows=4)
    assert [line.split(" - ")[0] for line in result.lines] == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN RESET",
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LIST RESET FAILED, daily reset limit reached: 2 / 2",
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN RESET",
    ]
    assert snapshot(engine) == _reset(before, {101, 103}, counters={101: 1, 103: 2})


@pytest.mark.parametrize(
    ("user", "list_id", "line"),
    [
        ("9999", 101, "ERROR: update_list USER DOES NOT HAVE PERMISSION TO UPDATE LISTS: |9999|0"),
        (
            "5555",
            101,
            "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |5555|update_list|",
        ),
        (
            "nobody",
            101,
            "ERROR: auth USER DOES NOT HAVE PERMISSION TO USE THIS FUNCTION: |nobody|update_list|",
        ),
        ("8888", 101, "ERROR: update_list NOT AN ALLOWED LIST ID - 101"),
        ("6666", 1, "ERROR: update_list YOU MUST USE ALL REQUIRED FIELDS: |6666|1||"),
        ("6666", 555, "ERROR: update_list LIST DOES NOT EXIST: |6666|555"),
    ],
    ids=[
        "no-modify-lists",
        "function-not-allowed",
        "unknown-user",
        "list-restrict",
        "short-id",
        "missing",
    ],
)
def test_reset_refusals_print_the_api_error_and_change_nothing(
    engine: sa.Engine, user: str, list_id: int, line: str
) -> None:
    before = snapshot(engine)
    assert reset_lists(engine, [list_id], user=user, now=NOW).lines == [line]
    assert snapshot(engine) == before


def test_restricted_user_may_reset_lists_of_allowed_campaigns(engine: sa.Engine) -> None:
    assert reset_lists(engine, [201], user="8888", now=NOW).lines[-1] == (
        "NOTICE: update_list LEADS IN LIST HAVE BEEN RESET - 8888|201|"
    )


@pytest.mark.parametrize("chunk_rows", [1, 3, 10**9], ids=["1", "3", "huge"])
def test_chunked_reset_equals_one_statement(engine: sa.Engine, chunk_rows: int) -> None:
    before = snapshot(engine)
    result = reset_lists(engine, [101, 103], user="6666", now=NOW, chunk_rows=chunk_rows)
    assert snapshot(engine) == _reset(before, {101, 103}, counters={101: 1, 103: 2})
    assert result.totals["changed"] == 12
    assert result.chunks == {1: 24, 3: 8, 10**9: 1}[chunk_rows]


def test_interrupted_reset_resumes_to_the_same_end_state(engine: sa.Engine) -> None:
    before = snapshot(engine)
    with pytest.raises(Stop):
        reset_lists(engine, [101, 103], user="6666", now=NOW, chunk_rows=3, on_chunk=stop_after(2))
    partial = snapshot(engine)
    assert (
        partial["vicidial_lists"]
        == _reset(before, {101, 103}, counters={101: 1, 103: 2})["vicidial_lists"]
    )
    assert partial["vicidial_list"] not in (
        before["vicidial_list"],
        _reset(before, {101, 103}, counters={})["vicidial_list"],
    )
    assert _jobs(engine) == [("reset", "running", "leads")]
    result = reset_lists(engine, [101, 103], user="6666", now=NOW, chunk_rows=3)
    assert result.resumed
    assert snapshot(engine) == _reset(before, {101, 103}, counters={101: 1, 103: 2})  # counted once
    assert result.totals["changed"] == 12
    assert result.totals["matched"] == 24
    assert _jobs(engine) == [("reset", "done", "leads")]
    again = reset_lists(engine, [101, 103], user="6666", now=NOW)  # a finished job starts afresh
    assert not again.resumed
    assert again.totals["changed"] == 0


def test_dry_run_reports_counts_and_writes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = reset_lists(
        engine, campaign_id="TESTCAMP", user="6666", now=NOW, dry_run=True, chunk_rows=2
    )
    assert {k: v.counts["changed"] for k, v in result.lists.items() if "changed" in v.counts} == {
        101: 6,
        103: 6,
    }
    assert (
        result.lines[3]
        == "NOTICE: update_list LIST RESET FAILED, daily reset limit reached: 2 / 2 - 6666|102"
    )
    assert snapshot(engine) == before
    assert not sa.inspect(engine).has_table("leadpipe_list_jobs")


def test_a_job_running_elsewhere_is_not_run_twice(engine: sa.Engine) -> None:
    store = JobStore(engine, now=NOW)
    store.open(
        "reset", {"lists": [101], "campaign_id": None, "user": "6666"}
    )  # held, never released
    with pytest.raises(SinkRetryableError, match="running in another process"):
        reset_lists(engine, [101], user="6666", now=NOW)
    later = NOW + dt.timedelta(hours=1)  # the lease expired: taken over
    assert reset_lists(engine, [101], user="6666", now=later).resumed


def test_a_twin_job_started_at_the_same_moment_is_refused(engine: sa.Engine) -> None:
    store = JobStore(engine, now=NOW)
    job = store.open("reset", {"lists": [101], "campaign_id": None, "user": "6666"})
    with engine.begin() as conn:  # as if the other process had not committed when we looked
        conn.execute(sa.update(leadpipe_list_jobs).where(leadpipe_list_jobs.c.job_id == job.job_id)
                     .values(status="starting"))  # fmt: skip
    with pytest.raises(SinkRetryableError, match="started by another process just now"):
        reset_lists(engine, [101], user="6666", now=NOW)


# --- delete_leads / delete_list ----------------------------------------------------------------


@pytest.mark.parametrize("keep_related", [False, True], ids=["cleanup", "keep-related"])
def test_delete_leads_removes_the_leads_and_their_orphans(
    engine: sa.Engine, *, keep_related: bool
) -> None:
    before = snapshot(engine)
    doomed = set(leads_by_list(engine)[101])
    result = delete_leads(
        engine, [101], user="6666", now=NOW, confirm=True, keep_related=keep_related, chunk_rows=4
    )
    assert result.lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - 6666|101|18",
    ]
    assert snapshot(engine) == _without_leads(before, doomed, related=not keep_related)
    if not keep_related:
        assert {
            k: result.totals[k]
            for k in ("callbacks", "callbacks_archived", "alt_phones", "hopper", "custom_rows")
        } == {
            "callbacks": 1,
            "callbacks_archived": 1,
            "alt_phones": 2,
            "hopper": 1,
            "custom_rows": 2,
        }


def test_delete_leads_dry_run_counts_and_writes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = delete_leads(engine, [101, 201], user="6666", now=NOW, dry_run=True, chunk_rows=5)
    assert {k: v.counts["deleted"] for k, v in result.lists.items()} == {101: 18, 201: 12}
    assert result.totals["callbacks"] == 5
    assert result.totals["custom_rows"] == 5
    assert snapshot(engine) == before


def test_deletes_refuse_without_confirmation(engine: sa.Engine) -> None:
    with pytest.raises(SinkError, match="refusing to delete leads without confirmation"):
        delete_leads(engine, [101], user="6666", now=NOW)
    with pytest.raises(SinkError, match="refusing to delete lists"):
        delete_lists(engine, [101], user="6666", now=NOW)


@pytest.mark.parametrize("chunk_rows", [1, 3, 10**9], ids=["1", "3", "huge"])
def test_interrupted_delete_resumes_to_the_same_end_state(
    engine: sa.Engine, chunk_rows: int
) -> None:
    before = snapshot(engine)
    doomed = set(leads_by_list(engine)[101]) | set(leads_by_list(engine)[201])
    if chunk_rows < 10:
        with pytest.raises(Stop):
            delete_leads(
                engine,
                [101, 201],
                user="6666",
                now=NOW,
                confirm=True,
                chunk_rows=chunk_rows,
                on_chunk=stop_after(3),
            )
    result = delete_leads(
        engine, [101, 201], user="6666", now=NOW, confirm=True, chunk_rows=chunk_rows
    )
    assert snapshot(engine) == _without_leads(before, doomed, related=True)
    assert result.lines[1] == "NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - 6666|101|18"
    assert result.lines[3] == "NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - 6666|201|12"


def test_delete_list_removes_the_row_and_its_hopper_rows_only(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = delete_lists(engine, [201], user="6666", now=NOW, confirm=True)
    assert result.lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LIST HAS BEEN DELETED - 6666|201|1",
    ]
    after = snapshot(engine)
    assert after["vicidial_lists"] == [r for r in before["vicidial_lists"] if r[0] != "201"]
    assert after["vicidial_hopper"] == [r for r in before["vicidial_hopper"] if r[3] != "201"]
    assert after["vicidial_list"] == before["vicidial_list"]  # the API leaves the leads


def test_delete_list_keep_related_and_with_leads(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = delete_lists(
        engine, [201], user="6666", now=NOW, confirm=True, keep_related=True, with_leads=True
    )
    assert result.lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |6666|",
        "NOTICE: update_list LIST HAS BEEN DELETED - 6666|201|1",
        "NOTICE: update_list LEADS IN LIST HAVE BEEN DELETED - 6666|201|12",
    ]
    expected = _without_leads(
        before,
        set(leads_by_list(engine).get(201, []))
        or {int(r[0]) for r in before["vicidial_list"] if r[1] == "201"},
        related=False,
    )
    expected["vicidial_lists"] = [r for r in before["vicidial_lists"] if r[0] != "201"]
    assert snapshot(engine) == expected


def test_delete_permissions_stop_with_the_api_notice(engine: sa.Engine) -> None:
    before = snapshot(engine)
    assert delete_lists(
        engine, [101], user="7777", now=NOW, confirm=True, with_leads=True
    ).lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |7777|",
        "NOTICE: update_list USER DOES NOT HAVE PERMISSION TO DELETE LISTS: |7777|0",
    ]
    assert delete_leads(engine, [101], user="7778", now=NOW, confirm=True).lines == [
        "NOTICE: update_list NO UPDATES DEFINED: |7778|",
        "NOTICE: update_list USER DOES NOT HAVE PERMISSION TO DELETE LEADS: |7778|0",
    ]
    assert snapshot(engine) == before


# --- reset_hopper=Y ----------------------------------------------------------------------------


def test_reset_hopper_deletes_every_row_of_the_campaign(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = reset_hopper(engine, "TESTCAMP", user="6666")
    assert result.lines == [
        "NOTICE: update_campaign NO UPDATES DEFINED: |6666|",
        "NOTICE: update_campaign HOPPER HAS BEEN RESET - 6666|TESTCAMP|",
    ]
    assert snapshot(engine)["vicidial_hopper"] == [
        r for r in before["vicidial_hopper"] if r[2] != "TESTCAMP"
    ]
    assert result.totals["hopper"] == 3


@pytest.mark.parametrize(
    ("user", "campaign", "line"),
    [
        (
            "9999",
            "TESTCAMP",
            "ERROR: update_campaign USER DOES NOT HAVE PERMISSION TO UPDATE CAMPAIGNS: |9999|0",
        ),
        ("6666", "NOPE", "ERROR: update_campaign CAMPAIGN DOES NOT EXIST: |6666|NOPE"),
        ("8888", "TESTCAMP", "ERROR: update_campaign CAMPAIGN DOES NOT EXIST: |8888|TESTCAMP"),
        ("6666", "X", "ERROR: update_campaign YOU MUST USE ALL REQUIRED FIELDS: |6666|X||X"),
    ],
    ids=["permission", "missing", "not-allowed", "short"],
)
def test_reset_hopper_refusals(engine: sa.Engine, user: str, campaign: str, line: str) -> None:
    before = snapshot(engine)
    assert reset_hopper(engine, campaign, user=user).lines == [line]
    assert snapshot(engine) == before


# --- scheduled resets --------------------------------------------------------------------------


def _schedule(engine: sa.Engine, **reset_times: str) -> None:
    with engine.begin() as conn:
        for key, value in reset_times.items():
            conn.execute(
                sa.update(tables.vicidial_lists)
                .where(tables.vicidial_lists.c.list_id == int(key[1:]))
                .values(reset_time=value)
            )


def test_due_resets_catch_up_once_per_slot_and_respect_the_limit(engine: sa.Engine) -> None:
    _schedule(engine, l101="0800-1700", l102="0900", l103="----")
    with engine.begin() as conn:
        conn.execute(sa.update(tables.system_settings).values(timeclock_end_of_day="2359"))
    before = snapshot(engine)
    result = reset_due(engine, now=NOW, chunk_rows=4)  # 10:30: 101's 08:00 and 102's 09:00 passed
    assert result.lines == [
        "ADMIN RESET LIST - VDAD|101|18 leads reset, list resets today: 1",
        "ADMIN RESET LIST FAILED - VDAD|102|Reset Limit Reached 2 / 2",
    ]
    after = _reset(before, {101}, counters={101: 1}, changedate=False)
    assert snapshot(engine) == after
    assert reset_due(engine, now=NOW + dt.timedelta(minutes=5)).lines == []  # nothing new is due
    assert snapshot(engine) == after
    late = reset_due(engine, now=NOW.replace(hour=17, minute=20))
    assert late.lines == ["ADMIN RESET LIST - VDAD|101|18 leads reset, list resets today: 2"]


def test_end_of_day_clears_the_counters_before_the_resets(engine: sa.Engine) -> None:
    _schedule(engine, l102="0900")
    with engine.begin() as conn:
        conn.execute(
            sa.update(tables.vicidial_list)
            .where(tables.vicidial_list.c.lead_id < 4)
            .values(user="QUEUEX")
        )
    dry = reset_due(engine, now=NOW, dry_run=True)
    assert dry.lines == [
        "ADMIN END OF DAY - VDAD|2026-03-02 00:00:00|4 list counters cleared, "
        "QUEUE users cleared: 3",
        "ADMIN RESET LIST - VDAD|102|6 leads reset, list resets today: 1",
    ]
    result = reset_due(engine, now=NOW, chunk_rows=2)
    assert result.lines == dry.lines
    with engine.connect() as conn:
        lists = dict(
            conn.execute(
                sa.select(tables.vicidial_lists.c.list_id, tables.vicidial_lists.c.resets_today)
            ).all()
        )
        users = conn.execute(
            sa.select(sa.func.count()).where(tables.vicidial_list.c.user.like("QUEUE%"))
        ).scalar()
    assert lists == {101: 0, 102: 1, 103: 0, 201: 0}
    assert users == 0


def test_weekday_resets_follow_the_container(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(tables.system_settings).values(
                weekday_resets="1", timeclock_end_of_day="2359"
            )
        )
        conn.execute(
            sa.insert(tables.vicidial_settings_containers).values(
                container_id="WEEKDAYS", container_entry="monday=0915 ; morning\nTUESDAY=0800\n"
            )
        )
        conn.execute(
            sa.update(tables.vicidial_lists)
            .where(tables.vicidial_lists.c.list_id.in_([101, 102]))
            .values(weekday_resets_container="WEEKDAYS", reset_time="0900")
        )
    result = reset_due(engine, now=NOW)  # Monday 10:30
    assert result.lines == [
        "ADMIN RESET LIST - VDAD|101|18 leads reset, list resets today: 1",
        "ADMIN RESET LIST - VDAD|101|18 leads reset, list resets today: 2, weekday reset",
        "ADMIN RESET LIST FAILED - VDAD|102|Reset Limit Reached 2 / 2",
    ]


def test_a_job_table_from_an_earlier_leadpipe_gets_its_new_columns(engine: sa.Engine) -> None:
    columns = [
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in leadpipe_list_jobs.columns
        if c.name != "running_hash"
    ]
    old = sa.Table("leadpipe_list_jobs", sa.MetaData(), *columns)
    old.create(engine)
    assert reset_lists(engine, [101], user="6666", now=NOW).totals["changed"] == 6
    columns = {c["name"] for c in sa.inspect(engine).get_columns("leadpipe_list_jobs")}
    assert "running_hash" in columns
