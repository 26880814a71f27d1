"""A command that fails prints its one line and nothing after it, every time."""

from __future__ import annotations

from pathlib import Path

from ._run import adk_store_command


def test_a_sqlite_database_that_cannot_be_opened_prints_one_line_every_time(
    tmp_path: Path,
) -> None:
    # A directory: SQLite fails to open it after the driver's worker thread started.
    folder = tmp_path / "folder.db"
    folder.mkdir()

    for _ in range(8):
        finished = adk_store_command("status", url=f"sqlite+aiosqlite:///{folder}")

        assert finished.returncode == 2
        assert finished.stderr.startswith("adk-store: cannot open the sqlite database")
        assert len(finished.stderr.splitlines()) == 1, finished.stderr
