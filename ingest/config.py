"""`pipelines.toml`: named pipelines, parsed into frozen pydantic models with precise errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ingest.errors import ConfigError

__all__ = ["PipelineSpec", "ProjectConfig", "load_config"]


class PipelineSpec(BaseModel):
    """One `[pipelines.<name>]` table: a lead load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: list[Path] = Field(min_length=1)
    list_id: str | None = None
    user: str = "6666"
    options: dict[str, str] = Field(default_factory=dict)


class ProjectConfig(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    db: str | None = None
    pipelines: dict[str, PipelineSpec] = Field(default_factory=dict)


def _line_of(text: str, name: str, key: str | None) -> int | None:
    header = f"[pipelines.{name}]"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        return None
    if key is None:
        return start + 1
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("["):
            break
        if stripped.split("=", 1)[0].strip() == key:
            return i + 1
    return start + 1


def load_config(path: Path) -> ProjectConfig:
    """Parse and validate `pipelines.toml`; every problem is listed in one `ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read config `{path}`: {exc.strerror}"
        raise ConfigError(msg) from exc
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise ConfigError(msg) from exc
    base = path.parent
    for spec in data.get("pipelines", {}).values():
        if isinstance(spec, dict) and "source" in spec:
            src = spec["source"]
            spec["source"] = [str(base / s) for s in ([src] if isinstance(src, str) else src)]
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            where = ".".join(loc)
            line = None
            if len(loc) >= 2 and loc[0] == "pipelines":
                line = _line_of(text, loc[1], loc[2] if len(loc) > 2 else None)
            at = f"{path}:{line}: " if line else f"{path}: "
            problems.append(f"{at}{where}: {err['msg']}")
        raise ConfigError("\n".join(problems)) from exc
