"""Meta-tests: the README keeps up with the code (reject codes, commands, the shipped config)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.config import load_config
from rules import REJECT_CODES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        out.append((path, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{path} "))
    return out


@pytest.mark.parametrize("code", REJECT_CODES)
def test_every_reject_code_is_tabled_in_the_readme(code: str) -> None:
    assert f"| `{code}` |" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`leadpipe {name}" in README


@pytest.mark.parametrize(("path", "command"), _commands(cli), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(path: str, command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert (command.help or "").strip(), f"`leadpipe {path}` has no help text"


def test_shipped_pipelines_validate() -> None:
    config = load_config(ROOT / "pipelines.toml")
    assert "nightly" in config.pipelines


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install '.[test]' && python -m pytest -q -p no:cacheprovider"
    assert command in README
    assert "python3 -m pip install -q '.[test]' && python3 -m pytest -q -p no:cacheprovider" in ci
