"""A load into an empty MyISAM `vicidial_list` switches its indexes off and builds them at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sinks import indexes
from sinks.indexes import disabled_indexes, restore_abandoned
from tests import _mariadb
from tests.conftest import mariadb_url
from tests.ingest._pipeline import load, prepare, results, settings, snapshot, write_csv

pytestmark = pytest.mark.mariadb


@pytest.fixture
def engines() -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two prepared MariaDB databases, `vicidial_list` empty in both."""
    urls = [mariadb_url(), mariadb_url()]
    made = [prepare(url) for url in urls]
    yield made[0], made[1]
    for engine, url in zip(made, urls, strict=True):
        engine.dispose()
        _mariadb.server().drop_database(url)


def sent_statements(engine: sa.Engine) -> list[str]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    return sent


def leads_file(tmp: Path) -> Path:
    """40 leads, every fifth phone again a few rows later (in-file duplicates across batches)."""
    rows = []
    for i in range(40):
        phone = f"72755501{i - 3 if i % 5 == 4 else i:02d}"
        rows.append({"phone_number": phone, "first_name": f"N{i}", "postal_code": "33701"})
    return write_csv(tmp / "leads.csv", rows)


def test_empty_table_loads_with_indexes_off_and_ends_the_same(
    engines: tuple[sa.Engine, sa.Engine], tmp_path: Path
) -> None:
    deferred, kept = engines
    path = leads_file(tmp_path)
    sent = sent_statements(deferred)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = load(deferred, [path], settings(tmp_path / "a", options={"duplicate_check": "DUPLIST"}, batch_rows=7))
    two = load(kept, [path], settings(tmp_path / "b", options={"duplicate_check": "DUPLIST"}, batch_rows=7,
                                      defer_indexes=False))
    disable = next(i for i, s in enumerate(sent) if "DISABLE KEYS" in s)
    enable = next(i for i, s in enumerate(sent) if "ENABLE KEYS" in s)
    loads = [i for i, s in enumerate(sent) if s.startswith("LOAD DATA") and "INTO TABLE `vicidial_list`" in s]
    assert disable < loads[0] and loads[-1] < enable
    with deferred.connect() as conn:
        assert disabled_indexes(conn) == []
    assert (one.added, one.rejected) == (two.added, two.rejected) == (32, 8)
    assert snapshot(deferred) == snapshot(kept)
    assert results(tmp_path / "a" / "results.jsonl") == results(tmp_path / "b" / "results.jsonl")
    assert "build_indexes" in one.stages


def test_a_table_with_leads_keeps_its_indexes(engines: tuple[sa.Engine, sa.Engine], tmp_path: Path) -> None:
    engine, _ = engines
    load(engine, [write_csv(tmp_path / "first.csv", [{"phone_number": "7275550999"}])], settings(tmp_path))
    sent = sent_statements(engine)
    load(engine, [leads_file(tmp_path)], settings(tmp_path))
    assert not any("KEYS" in s for s in sent)


def test_indexes_are_built_once_the_limit_is_reached(
    engines: tuple[sa.Engine, sa.Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = engines
    monkeypatch.setattr(indexes, "DEFER_MAX_ROWS", 10)
    sent = sent_statements(engine)
    load(engine, [leads_file(tmp_path)], settings(tmp_path, batch_rows=7))
    enables = [i for i, s in enumerate(sent) if "ENABLE KEYS" in s]
    loads = [i for i, s in enumerate(sent) if s.startswith("LOAD DATA") and "INTO TABLE `vicidial_list`" in s]
    assert len(enables) == 1
    assert loads[1] < enables[0] < loads[2]  # after the batch that made 14 leads


def test_indexes_left_off_by_a_dead_run_are_built_by_the_next(
    engines: tuple[sa.Engine, sa.Engine], tmp_path: Path
) -> None:
    """What a `kill -9` mid-load leaves: the indexes off and nobody holding the named lock."""
    engine, _ = engines
    load(engine, [write_csv(tmp_path / "first.csv", [{"phone_number": "7275550999"}])], settings(tmp_path))
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE vicidial_list DISABLE KEYS")
        assert "ix_vicidial_list_phone_number" in disabled_indexes(conn)
    load(engine, [leads_file(tmp_path)], settings(tmp_path))
    with engine.connect() as conn:
        assert disabled_indexes(conn) == []


def test_a_live_run_keeps_its_indexes_off(engines: tuple[sa.Engine, sa.Engine]) -> None:
    """While a run holds the lock, another run does not build the indexes under it."""
    engine, _ = engines
    with indexes.deferred_indexes(engine) as deferral:
        assert deferral.active
        assert restore_abandoned(engine) is False
        with engine.connect() as conn:
            assert "ix_vicidial_list_phone_number" in disabled_indexes(conn)
    with engine.connect() as conn:
        assert disabled_indexes(conn) == []
