"""Issue 16 item 5: help that teaches, and a "did you mean" for every close mistake,
through real pip and the installed ``wheelnext-pip`` script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._lib.index import IndexServer
from tests._lib.pipenv import PipEnv

# What this checks is ours, not pip's: the oldest and the newest pip suffice.
pytestmark = [pytest.mark.pipmatrix, pytest.mark.pip_bounds]

SUBCOMMANDS = ("doctor", "explain", "relink", "install", "download", "wheel")


def _both_forms(env: PipEnv, *args: str) -> list[str]:
    """stdout of ``wheelnext-pip ARGS`` and of ``python -m wheelnext_pip ARGS``."""
    script = env.run([*args], executable=env.root / "bin" / "wheelnext-pip", check=True)
    module = env.run(["-m", "wheelnext_pip", *args], check=True)
    return [script.stdout, module.stdout]


def test_top_level_help_describes_lists_commands_and_ends_with_an_example(
    plugin_env: PipEnv,
) -> None:
    for text in _both_forms(plugin_env, "--help"):
        assert "WheelNext features for the pip you already have" in text
        for command in SUBCOMMANDS:
            assert command in text
        assert "wheelnext-pip COMMAND" in text and "python -m wheelnext_pip COMMAND" in text
        last = text.rstrip().splitlines()
        assert last[-2] == "example:" and last[-1].strip().startswith("WHEELNEXT_PIP=1 ")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_subcommand_help_shows_both_forms_and_one_example(
    plugin_env: PipEnv, command: str
) -> None:
    for text in _both_forms(plugin_env, command, "--help"):
        assert f"wheelnext-pip {command}" in text
        assert f"python -m wheelnext_pip {command}" in text
        lines = text.rstrip().splitlines()
        assert lines[-2] == "example:", text
        assert "wheelnext-pip" in lines[-1]
        assert text.count("example:") == 1
    if command in ("install", "download", "wheel"):
        assert "--index-url" in text  # pip's own options follow our description


def test_a_mistyped_command_suggests_the_right_one(plugin_env: PipEnv) -> None:
    result = plugin_env.run(["-m", "wheelnext_pip", "doctr"])
    assert result.returncode == 2
    assert result.stderr.startswith("wheelnext-pip: unknown command 'doctr' (did you mean doctor?)")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("index_groups", "unknown value 'index_groups' (did you mean index-groups?)"),
        ("yes", "unknown value 'yes' (did you mean 1?)"),
        ("variants,,symlinks", "item 2 of 'variants,,symlinks' is empty"),
    ],
)
def test_a_wrong_switch_stops_pip_with_a_suggestion(
    plugin_env: PipEnv, small_index: IndexServer, value: str, expected: str
) -> None:
    small_index.clear_requests()
    result = plugin_env.pip(
        "install", "--dry-run", "--index-url", small_index.index_url, "alpha", wheelnext=value
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: wheelnext-pip: WHEELNEXT_PIP (from environment): ")
    assert expected in lines[0]
    assert small_index.project_requests("alpha") == []


def test_a_wrong_config_key_stops_pip_with_a_suggestion(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    config = tmp_path / "pip.conf"
    # (pip itself reads index_strategy as index-strategy, so a typo is what can go wrong)
    config.write_text("[wheelnext]\nindex-stratgy = fallthrough\n")
    result = plugin_env.pip(
        "install", "--dry-run", "--index-url", small_index.index_url, "alpha",
        wheelnext="1", config_file=config,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "wheelnext.index-stratgy" in lines[0] and str(config) in lines[0]
    assert "unknown setting (did you mean index-strategy?)" in lines[0]
