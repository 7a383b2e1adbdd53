"""`pipelines.toml`: the shipped file validates; every problem is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import FolderPipelineSpec, JobSpec, PipelineSpec, load_config
from ingest.errors import ConfigError
from ingest.mapping import MappingOptions
from ingest.readers import ReadOptions

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipelines.toml"
    path.write_text(text)
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value).splitlines()


def test_shipped_pipelines_toml_validates() -> None:
    config = load_config(ROOT / "pipelines.toml")
    nightly = config.pipelines["nightly"]
    assert isinstance(nightly, PipelineSpec)
    assert nightly.source == (ROOT / "sample_data" / "leads.csv",)
    assert nightly.source_files() == [ROOT / "sample_data" / "leads.csv"]
    assert nightly.addlead_options() == {"list_id": "101", "duplicate_check": "DUPLIST"}
    assert nightly.options == nightly.addlead_options()
    assert nightly.user == "6666"
    folder = config.pipelines["leads_in"]
    assert isinstance(folder, FolderPipelineSpec)
    assert folder.incoming == ROOT / "sample_data" / "incoming"
    assert folder.done_path == ROOT / "sample_data" / "incoming" / "done"
    for spec in config.pipelines.values():
        if isinstance(spec, PipelineSpec):
            assert all(p.is_file() for p in spec.source_files()), spec


def test_typo_key_wrong_type_and_missing_source_name_their_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[pipelines.nightly]\n"
        'source = "leads.csv"\n'
        'campain_id = "TESTCAMP"\n'
        'list_id = "10x"\n'
        "batch_rows = 1.5\n"
        "\n"
        "[pipelines.nosource]\n"
        "list_id = 101\n",
    )
    assert _problems(path) == [
        f"{path}:3: pipelines.nightly.campain_id: unknown key (did you mean `campaign_id`?)",
        f"{path}:4: pipelines.nightly.list_id: must be 3 to 14 digits, got '10x'",
        f"{path}:5: pipelines.nightly.batch_rows: Input should be a valid integer, got a number "
        "with a fractional part",
        f"{path}:7: pipelines.nosource.source: required key is missing",
    ]


def test_cross_field_problems_point_at_the_first_key_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[pipelines.cb]\n"
        'source = "x.csv"\n'
        'callback = "Y"\n'
        'campaign_dnc_check = "AREACODE"\n'
        "\n"
        "[pipelines.f]\n"
        'kind = "folder"\n'
        'incoming = "in"\n'
        "list_id_from_filename = true\n"
        "new_list_per_file = true\n",
    )
    assert _problems(path) == [
        f"{path}:4: pipelines.cb: `campaign_dnc_check` needs `campaign_id` (the DNC campaign, "
        "ingest.md 7); `callback` = Y needs `campaign_id` (ingest.md 14)",
        f"{path}:9: pipelines.f: choose one of `list_id`, `list_id_from_filename`, "
        "`new_list_per_file` (set: list_id_from_filename, new_list_per_file)",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('kind = "loader"', "pipelines.p: `kind` must be one of load, folder, export, list"),
        (
            'source = "x"\ndnc_check = "yes"',
            "pipelines.p.dnc_check: Input should be 'Y', 'N' or 'AREACODE'",
        ),
        (
            'source = "x"\nduplicate_check = "DUPLSIT"',
            "pipelines.p.duplicate_check: names no duplicate "
            "check: use e.g. DUPLIST, DUPCAMP, DUPSYS, DUPNAMEPHONELIST (ingest.md 9), "
            "got 'DUPLSIT'",
        ),
        (
            'source = "x"\nserver_tz = "Mars/Olympus"',
            "pipelines.p.server_tz: unknown time zone "
            "'Mars/Olympus': use an IANA name such as America/New_York",
        ),
        (
            'source = "x"\nencoding = "klingon"',
            "pipelines.p.encoding: unknown encoding 'klingon': use "
            "utf-8, cp1252, latin-1 or utf-16",
        ),
        (
            'source = "x"\nhopper_priority = 100',
            "pipelines.p.hopper_priority: Input should be less than or equal to 99",
        ),
        (
            'source = "x"\nlayout = "standard"\nformat = "xlsx"',
            "pipelines.p: `layout` = standard needs a text `format`, not xlsx",
        ),
        (
            'kind = "folder"\nincoming = "in"\nnew_list = { active = "Y" }',
            "pipelines.p: `new_list` settings need `new_list_per_file` = true",
        ),
        (
            'source = "x"\ncallback_datetime = "tomorrow"',
            "pipelines.p.callback_datetime: must be NOW, "
            "<n>DAYS or `YYYY-MM-DD HH:MM:SS`, got 'tomorrow'",
        ),
    ],
    ids=["kind", "flag", "dup", "tz", "encoding", "priority", "layout", "new-list", "callback"],
)
def test_single_problems(tmp_path: Path, body: str, problem: str) -> None:
    path = _write(tmp_path, f"[pipelines.p]\n{body}\n")
    [line] = _problems(path)
    assert line.split(": ", 1)[1] == problem


def test_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[pipelines.p]\nsource = "x.csv"\nlist_id 101\n')
    assert _problems(path) == [
        f"{path}:3: not valid TOML: Expected '=' after a key in a key/value pair"
    ]


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config `.*nope.toml`: No such file"):
        load_config(tmp_path / "nope.toml")


def test_values_settings_and_paths(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'db = "sqlite:///x.db"\n'
        "[pipelines.p]\n"
        'source = ["a.csv", "/abs/b.csv"]\n'
        "list_id = 101\n"
        'api_source = "cron"\n'
        "add_to_hopper = true\n"
        "lookup_state = false\n"
        "hopper_priority = -5\n"
        'format = "csv"\n'
        'encoding = "cp1252"\n'
        'delimiter = ";"\n'
        "batch_rows = 500\n"
        'column_map = { "Cell" = "alt_phone" }\n'
        "constants = { source_id = 42 }\n"
        'dob_format = "DD/MM/YYYY"\n'
        'force_phone_code = "44"\n'
        'rejects = "out/rejects.csv"\n'
        "\n"
        "[pipelines.x]\n"
        'kind = "export"\n'
        'what = "leads"\n'
        "lists = [101, 102]\n",
    )
    config = load_config(path)
    assert config.db == "sqlite:///x.db"
    spec = config.pipelines["p"]
    assert isinstance(spec, PipelineSpec)
    assert spec.source == (tmp_path / "a.csv", Path("/abs/b.csv"))
    assert spec.rejects == tmp_path / "out" / "rejects.csv"
    assert spec.addlead_options() == {
        "list_id": "101",
        "source": "cron",
        "lookup_state": "N",
        "add_to_hopper": "Y",
        "hopper_priority": "-5",
    }
    assert spec.read_options() == ReadOptions(
        fmt="csv", encoding="cp1252", delimiter=";", batch_rows=500
    )
    assert spec.mapping_options() == MappingOptions(
        column_map={"Cell": "alt_phone"},
        constants={"source_id": "42"},
        dob_format="DD/MM/YYYY",
        force_phone_code="44",
    )
    job = config.pipelines["x"]
    assert isinstance(job, JobSpec)
    assert job.job == {"what": "leads", "lists": [101, 102]}
    with pytest.raises(ConfigError, match=r"pipeline `nope` not in the config \(known: p, x\)"):
        config.pipeline("nope")


def test_source_globs_expand_sorted(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name in ("b.csv", "a.csv", "c.txt"):
        (tmp_path / "in" / name).write_text("phone_number\n1\n")
    config = load_config(_write(tmp_path, '[pipelines.p]\nsource = "in/*.csv"\n'))
    spec = config.pipelines["p"]
    assert isinstance(spec, PipelineSpec)
    assert spec.source_files() == [tmp_path / "in" / "a.csv", tmp_path / "in" / "b.csv"]
