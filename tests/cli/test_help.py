"""Every command explains itself with an example; the console script is installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._run import adk_store_command, cli_environment

COMMANDS = [
    [],
    ["init"],
    ["migrate"],
    ["status"],
    ["sessions"],
    ["sessions", "list"],
    ["sessions", "show"],
    ["sessions", "delete"],
    ["export"],
    ["import"],
    ["import-adk"],
    ["export-adk"],
    ["prune"],
    ["backup"],
    ["demo"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "adk-store")
def test_help_shows_an_example(command: list[str]) -> None:
    finished = adk_store_command(*command, "--help")

    assert finished.returncode == 0, finished.stderr
    assert "Example:" in finished.stdout
    assert "adk-store" in finished.stdout.split("Example:")[1]


def test_help_lists_every_command() -> None:
    listed = adk_store_command("--help").stdout

    names = ("init", "migrate", "status", "sessions", "export", "import", "prune", "backup")
    for name in (*names, "import-adk", "export-adk"):
        assert f"  {name} " in listed


def test_the_adk_store_script_runs() -> None:
    script = shutil.which("adk-store", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("adk-store is not installed in this environment (pip install -e .)")
    finished = subprocess.run(
        [script, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=cli_environment(),
    )
    assert finished.returncode == 0, finished.stderr
    assert "Usage: adk-store" in finished.stdout
