"""Time-zone reference data shipped in the package, and its loading into any target database."""

from __future__ import annotations

import gzip
import io
import logging
from importlib import resources

import polars as pl
import sqlalchemy as sa

from sinks import tables

__all__ = ["REFERENCE_TABLES", "load_reference_data", "read_shipped"]

log = logging.getLogger(__name__)

REFERENCE_TABLES = {
    "vicidial_phone_codes": "phone_codes.tsv",
    "vicidial_postal_codes": "postal_codes.tsv.gz",
}
"""Table name → shipped file under `sinks/refdata/` (built by `scripts/build_refdata.py`)."""

_CHUNK = 5_000


def read_shipped(table: str) -> pl.DataFrame:
    """Read the shipped rows of a reference table, every column as text, in file order."""
    name = REFERENCE_TABLES[table]
    raw = resources.files("sinks").joinpath("refdata", name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return pl.read_csv(
        io.BytesIO(raw), separator="\t", infer_schema=False, quote_char=None,
        empty_string_is_null=False,
    ).fill_null("")


def load_reference_data(bind: sa.Engine | sa.Connection, *, only_empty: bool = True) -> dict[str, int]:
    """Fill the reference tables from the shipped files; returns rows written per table.

    With `only_empty` (the default) a table that already has rows is left as it is, so a real
    VICIdial database keeps the data its own installation loaded.
    """
    if isinstance(bind, sa.Engine):
        with bind.begin() as conn:
            return load_reference_data(conn, only_empty=only_empty)
    conn = bind
    written: dict[str, int] = {}
    for name in REFERENCE_TABLES:
        table = tables.metadata.tables[name]
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count and only_empty:
            written[name] = 0
            continue
        frame = read_shipped(name)
        rows = frame.to_dicts()
        for start in range(0, len(rows), _CHUNK):
            conn.execute(sa.insert(table), rows[start : start + _CHUNK])
        written[name] = len(rows)
        log.info("loaded %d rows into %s", len(rows), name)
    return written
