"""`pipelines.toml`: named pipelines, parsed into frozen pydantic models with precise errors.

A pipeline is a `[pipelines.<name>]` table whose `kind` is `load` (default: read the files in
`source`), `folder` (take every file arriving in `incoming`, then move it to `done/` or
`failed/`), `export` or `list` (jobs; their keys are kept in `job` for their own models).
Every add_lead setting is a top-level key named like the API parameter, except the API's
`source` (the caller's name), which is `api_source` here: `source` is the input file.
Relative paths are relative to the folder of the TOML file.
"""

from __future__ import annotations

import codecs
import difflib
import glob as globlib
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ingest.errors import ConfigError
from ingest.mapping import DobFormat, MappingOptions
from ingest.readers import FileFormat, Layout, ReadOptions

__all__ = [
    "ADDLEAD_KEYS",
    "FolderPipelineSpec",
    "JobSpec",
    "NewListSpec",
    "PipelineSpec",
    "ProjectConfig",
    "load_config",
]

_KINDS = ("load", "folder", "export", "list")


def _to_text(value: Any) -> Any:
    """TOML integers are accepted where VICIdial expects digit strings (`list_id = 101`)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _to_flag(value: Any) -> Any:
    """TOML booleans are accepted for `Y`/`N` flags."""
    return ("Y" if value else "N") if isinstance(value, bool) else value


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            msg = f"must be {what}, got {value!r}"
            raise ValueError(msg)
        return value

    return AfterValidator(check)


Digits = Annotated[str, BeforeValidator(_to_text), _pattern(r"[0-9]{1,10}", "1 to 10 digits")]
ListId = Annotated[str, BeforeValidator(_to_text), _pattern(r"[0-9]{3,14}", "3 to 14 digits")]
Word = Annotated[
    str,
    BeforeValidator(_to_text),
    _pattern(r"[A-Za-z0-9_\-]{1,20}", "1 to 20 letters, digits, `-` or `_`"),
]
CampaignId = Annotated[
    str,
    BeforeValidator(_to_text),
    _pattern(r"[A-Za-z0-9_\-]{2,8}", "2 to 8 letters, digits, `-` or `_`"),
]
ApiSource = Annotated[str, _pattern(r"[A-Za-z0-9]{2,20}", "2 to 20 letters or digits")]
Status = Annotated[str, _pattern(r"[A-Za-z0-9_\-]{1,6}", "1 to 6 letters, digits, `-` or `_`")]
YesNo = Annotated[Literal["Y", "N"], BeforeValidator(_to_flag)]
DncCheck = Annotated[Literal["Y", "N", "AREACODE"], BeforeValidator(_to_flag)]
TzMethod = Literal["POSTAL", "TZCODE", "NANPA"]
TimeZoneSetting = Literal[
    "COUNTRY_AND_AREA_CODE", "POSTAL_CODE", "NANPA_PREFIX", "OWNER_TIME_ZONE_CODE"
]

_DUP_TOKENS = tuple(
    f"DUP{what}{scope}"
    for what in ("", "PHONEALT", "TITLEALTPHONE", "NAMEPHONE")
    for scope in ("LIST", "CAMP", "SYS")
)
_CALLBACK_WHEN = re.compile(
    r"NOW|.*[0-9]DAYS|\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", re.IGNORECASE
)


def _check_duplicate(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
        msg = f"must hold only letters, digits, `-` and `_`, got {value!r}"
        raise ValueError(msg)
    if not any(token in value.upper() for token in _DUP_TOKENS):
        msg = (
            "names no duplicate check: use e.g. DUPLIST, DUPCAMP, DUPSYS, DUPNAMEPHONELIST "
            f"(ingest.md 9), got {value!r}"
        )
        raise ValueError(msg)
    return value


def _check_when(value: str) -> str:
    if not _CALLBACK_WHEN.fullmatch(value):
        msg = f"must be NOW, <n>DAYS or `YYYY-MM-DD HH:MM:SS`, got {value!r}"
        raise ValueError(msg)
    return value


ADDLEAD_KEYS: dict[str, str] = {
    "list_id": "list_id",
    "phone_code": "phone_code",
    "campaign_id": "campaign_id",
    "api_source": "source",
    "dnc_check": "dnc_check",
    "campaign_dnc_check": "campaign_dnc_check",
    "duplicate_check": "duplicate_check",
    "list_exists_check": "list_exists_check",
    "usacan_prefix_check": "usacan_prefix_check",
    "usacan_areacode_check": "usacan_areacode_check",
    "nanpa_ac_prefix_check": "nanpa_ac_prefix_check",
    "tz_method": "tz_method",
    "lookup_state": "lookup_state",
    "custom_fields": "custom_fields",
    "add_to_hopper": "add_to_hopper",
    "remove_from_hopper": "remove_from_hopper",
    "hopper_priority": "hopper_priority",
    "hopper_local_call_time_check": "hopper_local_call_time_check",
    "callback": "callback",
    "callback_status": "callback_status",
    "callback_datetime": "callback_datetime",
    "callback_type": "callback_type",
    "callback_user": "callback_user",
    "callback_comments": "callback_comments",
}
"""Model field → add_lead parameter name (only `api_source` differs: it is the API's `source`)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _LeadPipeline(_Frozen):
    """What load and folder pipelines share: reading, mapping, add_lead settings, outputs."""

    description: str = ""
    db: str | None = None
    """Database URL for this pipeline (else `--db`, `LEADPIPE_DB`, the top-level `db`)."""
    user: Word = "6666"
    """VICIdial user on whose behalf leads are added (add_lead's `user`)."""
    server_tz: str | None = None
    """IANA time zone of the VICIdial web server (not an add_lead parameter)."""
    # reading
    format: FileFormat | None = None
    encoding: str | None = None
    layout: Layout = "header"
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    batch_rows: int = Field(default=100_000, ge=1, le=10_000_000)
    max_field_chars: int = Field(default=65_535, ge=1)
    # mapping
    column_map: dict[str, str] = Field(default_factory=dict)
    constants: dict[str, Annotated[str, BeforeValidator(_to_text)]] = Field(default_factory=dict)
    dob_format: DobFormat | None = None
    clean_phone: bool = False
    strip_phone_prefix: str = ""
    force_phone_code: Digits | None = None
    # outputs
    results: Path | None = None
    rejects: Path | None = None
    report: Path | None = None
    # add_lead settings (ingest.md 3.3)
    list_id: ListId | None = None
    phone_code: Digits | None = None
    campaign_id: CampaignId | None = None
    api_source: ApiSource | None = None
    dnc_check: DncCheck | None = None
    campaign_dnc_check: DncCheck | None = None
    duplicate_check: Annotated[str, AfterValidator(_check_duplicate)] | None = None
    list_exists_check: YesNo | None = None
    usacan_prefix_check: YesNo | None = None
    usacan_areacode_check: YesNo | None = None
    nanpa_ac_prefix_check: YesNo | None = None
    tz_method: TzMethod | None = None
    lookup_state: YesNo | None = None
    custom_fields: YesNo | None = None
    add_to_hopper: YesNo | None = None
    remove_from_hopper: YesNo | None = None
    hopper_priority: int | None = Field(default=None, ge=-99, le=99)
    hopper_local_call_time_check: YesNo | None = None
    callback: YesNo | None = None
    callback_status: Status | None = None
    callback_datetime: Annotated[str, AfterValidator(_check_when)] | None = None
    callback_type: Literal["ANYONE", "USERONLY"] | None = None
    callback_user: Word | None = None
    callback_comments: str | None = Field(default=None, max_length=255)

    @field_validator("results", "rejects", "report", mode="after")
    @classmethod
    def _relative_to_config(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return _resolve(value, info)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                msg = f"unknown encoding {value!r}: use utf-8, cp1252, latin-1 or utf-16"
                raise ValueError(msg) from None
        return value

    @field_validator("server_tz")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                msg = f"unknown time zone {value!r}: use an IANA name such as America/New_York"
                raise ValueError(msg) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> _LeadPipeline:
        problems = []
        if self.campaign_dnc_check in ("Y", "AREACODE") and not self.campaign_id:
            problems.append(
                "`campaign_dnc_check` needs `campaign_id` (the DNC campaign, ingest.md 7)"
            )
        if self.callback == "Y" and not self.campaign_id:
            problems.append("`callback` = Y needs `campaign_id` (ingest.md 14)")
        if self.callback_type == "USERONLY" and not self.callback_user:
            problems.append("`callback_type` = USERONLY needs `callback_user`")
        if self.layout != "header" and self.format not in (None, "csv", "tsv", "pipe", "txt"):
            problems.append(f"`layout` = {self.layout} needs a text `format`, not {self.format}")
        if self.layout != "header" and self.column_map:
            problems.append(
                f"`column_map` does not apply to the headerless `layout` = {self.layout}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def addlead_options(self) -> dict[str, str]:
        """The add_lead settings that are set, as API parameter name → text value.

        >>> spec = PipelineSpec(source="x.csv", list_id=101, api_source="cron", add_to_hopper=True)
        >>> spec.addlead_options()
        {'list_id': '101', 'source': 'cron', 'add_to_hopper': 'Y'}
        """
        out: dict[str, str] = {}
        for key, param in ADDLEAD_KEYS.items():
            value = getattr(self, key)
            if value is not None:
                out[param] = str(value)
        return out

    @property
    def options(self) -> dict[str, str]:
        """Alias of `addlead_options()` (the former `[pipelines.<name>.options]` table)."""
        return self.addlead_options()

    def read_options(self) -> ReadOptions:
        """How the reader should open this pipeline's files."""
        return ReadOptions(
            fmt=self.format,
            encoding=self.encoding,
            layout=self.layout,
            delimiter=self.delimiter,
            batch_rows=self.batch_rows,
            max_field_chars=self.max_field_chars,
        )

    def mapping_options(self) -> MappingOptions:
        """How columns are named and transformed after reading."""
        return MappingOptions(
            column_map=dict(self.column_map),
            constants=dict(self.constants),
            dob_format=self.dob_format,
            clean_phone=self.clean_phone,
            strip_phone_prefix=self.strip_phone_prefix,
            force_phone_code=self.force_phone_code,
        )


class PipelineSpec(_LeadPipeline):
    """`kind = "load"`: load the files named by `source` (a path, a glob, or a list of them)."""

    kind: Literal["load"] = "load"
    source: tuple[Path, ...] = Field(min_length=1)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | Path) else value

    @field_validator("source", mode="after")
    @classmethod
    def _sources_relative(cls, value: tuple[Path, ...], info: ValidationInfo) -> tuple[Path, ...]:
        return tuple(p for v in value if (p := _resolve(v, info)) is not None)

    def source_files(self) -> list[Path]:
        """`source` with globs expanded (sorted); a plain path is kept even if missing."""
        files: list[Path] = []
        for entry in self.source:
            if globlib.has_magic(str(entry)):
                matches = sorted(globlib.glob(str(entry)))
                files.extend(Path(p) for p in matches if Path(p).is_file())
            else:
                files.append(entry)
        return files


class NewListSpec(_Frozen):
    """`[pipelines.<name>.new_list]`: the list row made per file (loader.md 2.2 step 6)."""

    id_prefix: Annotated[
        str, BeforeValidator(_to_text), _pattern(r"[0-9]{0,4}", "0 to 4 digits")
    ] = ""
    name_prefix: str = Field(default="", max_length=20)
    campaign_id: CampaignId | None = None
    active: YesNo = "N"
    reset_time: Annotated[str, _pattern(r"(\d{4}(-\d{4})*)?", "times `HHMM` joined by `-`")] = ""
    time_zone_setting: TimeZoneSetting = "COUNTRY_AND_AREA_CODE"


class FolderPipelineSpec(_LeadPipeline):
    """`kind = "folder"`: every file arriving in `incoming`, then moved to done/ or failed/."""

    kind: Literal["folder"]
    incoming: Path
    glob: str = "*"
    prefix: str = ""
    """Only names starting with this text (the loader's `--file-prefix-filter`)."""
    done_dir: Path | None = None
    """Default: `<incoming>/done`."""
    failed_dir: Path | None = None
    """Default: `<incoming>/failed`."""
    list_id_from_filename: bool = False
    new_list_per_file: bool = False
    new_list: NewListSpec = Field(default_factory=NewListSpec)
    stable_seconds: float = Field(default=2.0, ge=0, le=600)
    """A file whose size changes during this wait is still being written: left for the next run."""

    @field_validator("incoming", "done_dir", "failed_dir", mode="after")
    @classmethod
    def _dirs_relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return _resolve(value, info)

    @model_validator(mode="after")
    def _one_list_source(self) -> FolderPipelineSpec:
        chosen = [
            k for k in ("list_id", "list_id_from_filename", "new_list_per_file") if getattr(self, k)
        ]
        if len(chosen) > 1:
            msg = (
                "choose one of `list_id`, `list_id_from_filename`, `new_list_per_file` "
                f"(set: {', '.join(chosen)})"
            )
            raise ValueError(msg)
        if "new_list" in self.model_fields_set and not self.new_list_per_file:
            msg = "`new_list` settings need `new_list_per_file` = true"
            raise ValueError(msg)
        if "/" in self.glob or "\\" in self.glob:
            msg = f"`glob` matches file names inside `incoming` only, got {self.glob!r}"
            raise ValueError(msg)
        return self

    @property
    def done_path(self) -> Path:
        """Where processed files go."""
        return self.done_dir or self.incoming / "done"

    @property
    def failed_path(self) -> Path:
        """Where unreadable files go."""
        return self.failed_dir or self.incoming / "failed"


class JobSpec(_Frozen):
    """`kind = "export"` or `"list"`: every other key is kept in `job` for the job's own model."""

    kind: Literal["export", "list"]
    description: str = ""
    db: str | None = None
    job: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect(cls, data: Any) -> Any:
        if isinstance(data, dict) and "job" not in data:
            own = {"kind", "description", "db"}
            return {
                **{k: v for k, v in data.items() if k in own},
                "job": {k: v for k, v in data.items() if k not in own},
            }
        return data


def _kind_of(value: Any) -> str | None:
    kind = value.get("kind", "load") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in _KINDS else None


AnyPipeline = Annotated[
    Annotated[PipelineSpec, Tag("load")]
    | Annotated[FolderPipelineSpec, Tag("folder")]
    | Annotated[JobSpec, Tag("export")]
    | Annotated[JobSpec, Tag("list")],
    Discriminator(
        _kind_of,
        custom_error_type="invalid_kind",
        custom_error_message="`kind` must be one of load, folder, export, list",
    ),
]


class ProjectConfig(_Frozen):
    """The whole file."""

    db: str | None = None
    pipelines: dict[
        Annotated[str, _pattern(r"[A-Za-z0-9_\-]{1,64}", "letters, digits, `-` or `_`")],
        AnyPipeline,
    ] = Field(default_factory=dict)

    def pipeline(self, name: str) -> PipelineSpec | FolderPipelineSpec | JobSpec:
        """The pipeline called `name`.

        Raises:
            ConfigError: there is none.
        """
        if name not in self.pipelines:
            known = ", ".join(sorted(self.pipelines)) or "none"
            msg = f"pipeline `{name}` not in the config (known: {known})"
            raise ConfigError(msg)
        return self.pipelines[name]


def _resolve(value: Path | None, info: ValidationInfo) -> Path | None:
    base = (info.context or {}).get("base")
    if value is None:
        return None
    value = value.expanduser()
    return value if value.is_absolute() or base is None else Path(base) / value


# --- error messages with line numbers -----------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)
_PART = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _PART.findall(text))


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (1-based) of every table header and key of a TOML text, by dotted path."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if (header := _HEADER.match(line)) and not line.lstrip().startswith("[["):
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
        elif key := _KEY.match(line):
            lines.setdefault(table + _dotted(key.group(1)), number)
    return lines


def _line_of(
    known: dict[tuple[str, ...], int], loc: tuple[str, ...], msg: str, *, whole: bool
) -> int | None:
    if whole:  # a problem of the whole table: the line of the first key it names
        for name in re.findall(r"`([a-z_]+)`", msg):
            if (*loc, name) in known:
                return known[(*loc, name)]
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in known:
            return known[loc[:cut]]
    return None


def _message(err: Any, loc: tuple[str, ...], spec: Any) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and len(loc) >= 3 and loc[0] == "pipelines":
        kind = _kind_of(spec) if isinstance(spec, dict) else None
        models: dict[str, type[BaseModel]] = {"load": PipelineSpec, "folder": FolderPipelineSpec}
        model = models.get(kind or "", PipelineSpec)
        close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
        msg = "unknown key" + (f" (did you mean `{close[0]}`?)" if close else "")
    elif err["type"] == "missing":
        msg = "required key is missing"
    return msg


def load_config(path: Path) -> ProjectConfig:
    """Parse and validate `pipelines.toml`; every problem is listed in one `ConfigError`.

    Each problem is one line `PATH:LINE: pipelines.NAME.KEY: message`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read config `{path}`: {exc.strerror}"
        raise ConfigError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"cannot read config `{path}`: not UTF-8 ({exc.reason} at byte {exc.start})"
        raise ConfigError(msg) from exc
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{found.group(1)}" if found else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        msg = f"{where}: not valid TOML: {reason}"
        raise ConfigError(msg) from exc
    try:
        return ProjectConfig.model_validate(data, context={"base": path.parent})
    except ValidationError as exc:
        known = _key_lines(text)
        problems: list[tuple[int, str]] = []
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            if len(loc) >= 3 and loc[0] == "pipelines" and loc[2] in _KINDS:
                loc = loc[:2] + loc[3:]  # drop the union tag pydantic inserts
            spec = (
                data.get("pipelines", {}).get(loc[1])
                if len(loc) > 1 and loc[0] == "pipelines"
                else None
            )
            msg = _message(err, loc, spec)
            whole = err["type"] == "value_error" and len(loc) == 2 and loc[0] == "pipelines"
            line = _line_of(known, loc, msg, whole=whole)
            at = f"{path}:{line}" if line else str(path)
            problems.append((line or 0, f"{at}: {'.'.join(loc)}: {msg}"))
        problems.sort(key=lambda p: p[0])
        raise ConfigError("\n".join(text for _, text in problems)) from exc
