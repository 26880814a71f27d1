"""A service that is never closed releases its connections quietly when its loop or the
process ends: the program exits at once with status 0, prints no traceback, and SQLite's WAL
is checkpointed into the file (as a clean close leaves it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from .._db import is_sqlite, raw_fetch, sqlite_path

pytestmark = pytest.mark.reliability

REPO_ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 60


async def test_a_service_never_closed_exits_cleanly(db_url: str, anyio_backend: str) -> None:
    command = [sys.executable, "-m", "tests.reliability._never_closed", db_url, anyio_backend]
    finished = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=HANG_GUARD
        )
    )
    assert finished.returncode == 0, finished.stderr
    assert "finished without close()" in finished.stdout
    assert finished.stderr == "", finished.stderr
    if is_sqlite(db_url):
        path = sqlite_path(db_url)
        wal_left = await anyio.Path(path + "-wal").exists()
        assert not wal_left, "the WAL was not checkpointed at exit"
    assert await raw_fetch(db_url, "SELECT revision FROM adk_sessions") == [(1,)]
