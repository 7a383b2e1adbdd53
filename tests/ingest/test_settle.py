"""`settle_columns`: settings fill absent parameters already cleaned, and `prepare` may skip them."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ingest.errors import InputError
from ingest.runner import settle_columns, settled_constants
from rules.addlead import prepare

OPTIONS = {
    "source": "te st!", "first_name": "Ann+Marie", "dnc_check": "y", "duplicate_check": "DUPLIST;",
    "comments": 'say "hi"; #1', "list_id": "10x1",
}


@pytest.mark.parametrize("use_non_latin", [False, True])
def test_skipping_the_settled_constants_changes_nothing(*, use_non_latin: bool) -> None:
    raw = pl.DataFrame({"source_row": [1, 2], "phone_number": ["727-555+0001", ""],
                        "last_name": ["O'Neil+Jr", "Łukasz"], "source": ["", "web"]})
    settled = settle_columns(raw, OPTIONS, "t.csv", use_non_latin=use_non_latin)
    every = prepare(settled.lazy(), use_non_latin=use_non_latin).collect()
    skipping = prepare(settled.lazy(), use_non_latin=use_non_latin, cleaned=settled_constants(raw)).collect()
    assert_frame_equal(skipping, every)
    assert "source" not in settled_constants(raw)
    assert every.row(0, named=True)["first_name"] == "Ann Marie"
    assert every.get_column("source").to_list() == ["test", "web"]  # the file's own value wins
    assert every.get_column("comments").to_list() == ["say hi 1"] * 2
    assert every.get_column("list_id_raw").to_list() == ["101"] * 2


def test_a_batch_without_phone_number_is_an_input_error() -> None:
    with pytest.raises(InputError, match="has no `phone_number` column"):
        settle_columns(pl.DataFrame({"source_row": [1], "first_name": ["a"]}), {}, "t.csv")
