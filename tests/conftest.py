"""Shared fixtures: real engines on SQLite always and on a real MariaDB server when installed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sinks import tables
from tests import _mariadb

REQUIRE_MARIADB = os.environ.get("LEADPIPE_REQUIRE_MARIADB") == "1"


def mariadb_url() -> str:
    """A fresh, empty database on the session's MariaDB server (skip or fail when absent)."""
    if not _mariadb.available():
        if REQUIRE_MARIADB:
            pytest.fail("LEADPIPE_REQUIRE_MARIADB=1 but no mariadbd is installed")
        pytest.skip("mariadbd is not installed")
    return _mariadb.server().new_database()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database, once on SQLite and once on MariaDB."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vicidial.db'}"
        return
    url = mariadb_url()
    yield url
    _mariadb.server().drop_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty database holding every VICIdial table of the schema spec."""
    from sinks.database import connect

    eng = connect(db_url)
    tables.metadata.create_all(eng)
    yield eng
    eng.dispose()
