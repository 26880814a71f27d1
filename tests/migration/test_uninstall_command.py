"""``adk-store uninstall``: confirmation, refusal while sessions are stored, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio

import adk_store

from ..cli._run import adk_store_command, cli_environment, filled_store
from ._objects import objects


def test_uninstall_is_refused_while_sessions_are_stored_and_changes_nothing(
    db_url: str,
) -> None:
    filled_store(db_url, sessions_per_user=2, events_per_session=1)
    before = anyio.run(objects, db_url)

    finished = adk_store_command("uninstall", "--yes", url=db_url)

    assert finished.returncode == 2
    assert finished.stderr.count("\n") == 1
    assert "session(s); dropping the schema would delete them" in finished.stderr
    assert anyio.run(objects, db_url) == before


def test_uninstall_force_yes_leaves_no_adk_store_object(db_url: str) -> None:
    filled_store(db_url, sessions_per_user=1, events_per_session=1)

    finished = adk_store_command("uninstall", "--force", "--yes", url=db_url)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == f"dropped adk-store's schema (version {adk_store.SCHEMA_VERSION})\n"
    assert anyio.run(objects, db_url) == set()


def test_uninstall_without_a_terminal_needs_yes(db_url: str) -> None:
    anyio.run(adk_store.create_schema, db_url)

    finished = adk_store_command("uninstall", url=db_url)

    assert finished.returncode == 2
    assert finished.stderr == (
        "adk-store: pass --yes to uninstall without a terminal to confirm on\n"
    )
    assert anyio.run(adk_store.schema_version, db_url) == adk_store.SCHEMA_VERSION


def uninstall_on_a_terminal(url: str, answer: str) -> int:
    """Run ``adk-store uninstall`` with a terminal as stdin, answering its question."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "adk_store", "uninstall", "--url", url],
        stdin=terminal,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_environment(),
    )
    os.close(terminal)
    os.write(controller, answer.encode())
    status = process.wait(timeout=60)
    os.close(controller)
    return status


def test_uninstall_asks_on_a_terminal_and_a_no_keeps_the_store(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    anyio.run(adk_store.create_schema, url)

    assert uninstall_on_a_terminal(url, "n\n") == 1
    assert anyio.run(adk_store.schema_version, url) == adk_store.SCHEMA_VERSION
    assert uninstall_on_a_terminal(url, "y\n") == 0
    assert anyio.run(objects, url) == set()


def test_uninstall_of_a_database_without_the_schema_does_nothing(db_url: str) -> None:
    anyio.run(adk_store.create_schema, db_url)
    adk_store_command("uninstall", "--yes", url=db_url)

    finished = adk_store_command("uninstall", "--yes", url=db_url)

    assert finished.returncode == 0
    assert finished.stdout == "no adk-store schema in this database; nothing to do\n"


def test_uninstall_of_a_missing_sqlite_file_is_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.db"

    finished = adk_store_command("uninstall", "--yes", url=f"sqlite+aiosqlite:///{missing}")

    assert finished.returncode == 2
    assert finished.stderr.startswith("adk-store: no SQLite database at")
    assert not missing.exists()
