"""DNC loads (add, remove, atomic replace) and lead scrubs, on SQLite and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from sinks import tables
from sinks.chunks import ChunkProgress
from sinks.dnc import load_dnc
from sinks.errors import SinkError
from sinks.scrub import scrub_dnc
from tests.sinks._list_fixtures import NOW, seed, shared_engine, snapshot

__all__ = ["shared_engine"]

OLD = ["7275550001", "7275550005", "813XXXXXXX"]
OTHER_CAMP = [("7275550001", "OTHER"), ("3125550000", "OTHER")]


@pytest.fixture
def engine(shared_engine: sa.Engine) -> sa.Engine:
    """The module's database with the fixture rows and an old system and campaign DNC list."""
    seed(shared_engine)
    with shared_engine.begin() as conn:
        conn.execute(sa.insert(tables.vicidial_dnc), [{"phone_number": n} for n in OLD])
        conn.execute(
            sa.insert(tables.vicidial_campaign_dnc),
            [{"phone_number": n, "campaign_id": "TESTCAMP"} for n in OLD]
            + [{"phone_number": n, "campaign_id": c} for n, c in OTHER_CAMP],
        )
    return shared_engine


class Stop(Exception):
    """Raised by a test callback to interrupt a job."""


def batches(*entries: list[str]) -> list[pl.Series]:
    return [pl.Series("raw", e, dtype=pl.String) for e in entries]


def dnc(engine: sa.Engine, campaign: str | None = None) -> list[str]:
    if campaign is None:
        return [r[0] for r in snapshot(engine)["vicidial_dnc"]]
    return [n for n, c in snapshot(engine)["vicidial_campaign_dnc"] if c == campaign]


# --- loads -------------------------------------------------------------------------------------

NEW = batches(["727-555-0002", "7275550001", "bad", ""], ["999xxxxxxx", "(727) 555 0002"])


@pytest.mark.parametrize("campaign", [None, "TESTCAMP"], ids=["system", "campaign"])
@pytest.mark.parametrize("chunk_rows", [1, 3, 10**9], ids=["1", "3", "huge"])
@pytest.mark.parametrize(
    ("mode", "final", "added", "removed"),
    [
        ("add", [*OLD, "7275550002", "999XXXXXXX"], 2, 0),
        ("remove", ["7275550005", "813XXXXXXX"], 0, 1),
        ("replace", ["7275550001", "7275550002", "999XXXXXXX"], 2, 2),
    ],
)
def test_load_modes_give_the_same_rows_whatever_the_chunk_size(
    engine: sa.Engine,
    campaign: str | None,
    chunk_rows: int,
    mode: Any,
    final: list[str],
    added: int,
    removed: int,
) -> None:
    before = snapshot(engine)
    result = load_dnc(
        engine, NEW, now=NOW, source="f", campaign_id=campaign, mode=mode, chunk_rows=chunk_rows
    )
    assert dict(result.totals) == {
        "read": 6, "invalid": 2, "unique": 3, "added": added, "removed": removed,
    }  # fmt: skip
    assert dnc(engine, campaign) == sorted(final)
    other = "vicidial_dnc" if campaign else "vicidial_campaign_dnc"
    assert snapshot(engine)[other] == before[other]  # the other list is untouched
    assert dnc(engine, "OTHER") == sorted(n for n, _ in OTHER_CAMP)
    assert not [t for t in sa.inspect(engine).get_table_names() if "dnc_stage" in t]


def test_dry_run_counts_and_writes_nothing(engine: sa.Engine) -> None:
    before = snapshot(engine)
    result = load_dnc(engine, NEW, now=NOW, source="f", mode="replace", dry_run=True)
    assert dict(result.totals) == {"read": 6, "invalid": 2, "unique": 3, "added": 2, "removed": 2}
    assert snapshot(engine) == before
    assert not sa.inspect(engine).has_table("leadpipe_list_jobs")


def test_failure_while_staging_leaves_the_old_list_whole(engine: sa.Engine) -> None:
    def broken() -> Iterator[pl.Series]:
        yield from batches(["7275550009"])
        msg = "disk gone"
        raise OSError(msg)

    with pytest.raises(OSError, match="disk gone"):
        load_dnc(engine, broken(), now=NOW, source="f", mode="replace")
    assert dnc(engine) == sorted(OLD)
    result = load_dnc(engine, batches(["7275550009"]), now=NOW, source="f", mode="replace")
    assert result.resumed
    assert dnc(engine) == ["7275550009"]


def test_interrupted_replace_never_empties_the_list_and_resumes(engine: sa.Engine) -> None:
    new = ["7275550001", "7275550002", "7275550003", "999XXXXXXX"]
    seen: list[list[str]] = []

    def watch(progress: ChunkProgress) -> None:
        with engine.connect() as conn:
            seen.append(list(conn.execute(sa.select(tables.vicidial_dnc.c.phone_number)).scalars()))
        if len(seen) == 5:
            raise Stop

    with pytest.raises(Stop):
        load_dnc(engine, batches(new), now=NOW, source="f", mode="replace", chunk_rows=1,
                 on_chunk=watch)  # fmt: skip
    for numbers in seen:  # a number on both lists is never missing
        assert "7275550001" in numbers
    assert set(seen[-1]) >= set(new)  # the inserts are done before anything is deleted
    result = load_dnc(engine, batches(new), now=NOW, source="f", mode="replace", chunk_rows=1)
    assert result.resumed
    assert dnc(engine) == new
    assert result.totals["added"] == 3
    assert result.totals["removed"] == 2


def test_bad_mode_and_unknown_campaign_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(SinkError, match="dnc mode `merge` is unknown"):
        load_dnc(engine, NEW, now=NOW, source="f", mode="merge")  # type: ignore[arg-type]
    with pytest.raises(SinkError, match="campaign `NOPE` does not exist"):
        load_dnc(engine, NEW, now=NOW, source="f", campaign_id="NOPE")


# --- scrub -------------------------------------------------------------------------------------


@pytest.fixture
def listed(engine: sa.Engine) -> sa.Engine:
    """Lead 1 (list 101) on the system list, lead 4 (103) by area code, lead 3 (201) via OTHER's
    `use_other_campaign_dnc` = TESTCAMP, lead 2 (102) on OTHER's own list (not consulted)."""
    vl = tables.vicidial_list
    with engine.begin() as conn:
        conn.execute(sa.update(vl).where(vl.c.lead_id == 4).values(phone_number="8135550004"))
        conn.execute(sa.update(vl).where(vl.c.lead_id == 3).values(phone_number="3125550003"))
        conn.execute(
            sa.update(tables.vicidial_campaigns)
            .where(tables.vicidial_campaigns.c.campaign_id == "OTHER")
            .values(use_other_campaign_dnc="TESTCAMP")
        )
        conn.execute(
            sa.insert(tables.vicidial_campaign_dnc),
            [{"phone_number": "3125550003", "campaign_id": "TESTCAMP"},
             {"phone_number": "7275550002", "campaign_id": "OTHER"}],
        )  # fmt: skip
    return engine


EXPECTED = [
    {"lead_id": 1, "list_id": 101, "phone_number": "7275550001", "status": "NEW", "dnc": "SYSTEM"},
    {"lead_id": 3, "list_id": 201, "phone_number": "3125550003", "status": "NEW",
     "dnc": "CAMPAIGN:TESTCAMP"},
    {"lead_id": 4, "list_id": 103, "phone_number": "8135550004", "status": "NEW", "dnc": "SYSTEM"},
    {"lead_id": 5, "list_id": 101, "phone_number": "7275550005", "status": "NEW", "dnc": "SYSTEM"},
]  # fmt: skip


def test_scrub_reports_leads_on_a_dnc_list_and_writes_nothing(listed: sa.Engine) -> None:
    before = snapshot(listed)
    result = scrub_dnc(listed, [101, 102, 103, 201], now=NOW, chunk_rows=2)
    assert sorted(result.details, key=lambda d: d["lead_id"]) == EXPECTED
    assert {k: v.counts["on_dnc"] for k, v in result.lists.items()} == {
        101: 2, 102: 0, 103: 1, 201: 1,
    }  # fmt: skip
    assert snapshot(listed) == before
    assert not sa.inspect(listed).has_table("leadpipe_list_jobs")


def test_scrub_switches_sources_off(listed: sa.Engine) -> None:
    exact = scrub_dnc(listed, [101, 103, 201], now=NOW, areacode=False, campaign=False)
    assert sorted(d["lead_id"] for d in exact.details) == [1, 5]
    campaign_only = scrub_dnc(listed, [101, 103, 201], now=NOW, system=False)
    assert [d["lead_id"] for d in campaign_only.details] == [1, 3, 4, 5]  # TESTCAMP holds OLD too


@pytest.mark.parametrize("chunk_rows", [1, 3, 10**9], ids=["1", "3", "huge"])
def test_scrub_sets_a_status_resumably(listed: sa.Engine, chunk_rows: int) -> None:
    def stop(progress: ChunkProgress) -> None:
        if progress.chunk == 2:
            raise Stop

    if chunk_rows < 10:
        with pytest.raises(Stop):
            scrub_dnc(listed, [101, 103, 201], now=NOW, set_status="DNCL", chunk_rows=chunk_rows,
                      on_chunk=stop)  # fmt: skip
    result = scrub_dnc(listed, [101, 103, 201], now=NOW, set_status="DNCL", chunk_rows=chunk_rows)
    statuses = {int(r[0]): r[3] for r in snapshot(listed)["vicidial_list"]}
    assert sorted(k for k, v in statuses.items() if v == "DNCL") == [1, 3, 4, 5]
    assert sum(v.counts["status_set"] for v in result.lists.values()) == 4
    assert result.resumed == (chunk_rows < 10)
    dry = scrub_dnc(listed, [101], now=NOW, set_status="DNCL", dry_run=True)
    assert dry.lists[101].counts["status_set"] == 0  # already set
    assert dry.lists[101].counts["on_dnc"] == 2
