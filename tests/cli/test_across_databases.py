"""Moving a store between databases: the export comes out byte for byte the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import DATABASES, PostgresProvider, new_database
from ..operations._contents import write_generated_export
from ._run import cli_environment, filled_store, remember, succeeded


@pytest.mark.postgresql
@pytest.mark.mysql
def test_a_store_moved_through_every_database_exports_the_same_bytes(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    remembered = remember(
        sqlite_url, filled_store(sqlite_url, sessions_per_user=4, events_per_session=6)
    )
    from_sqlite = succeeded("export", "-", url=sqlite_url)
    assert from_sqlite.count('"kind":"memory"') == remembered
    # Each database imports the previous one's export and exports it again, back to SQLite:
    # every database gives the same bytes, so an export from any imports into any other.
    previous = from_sqlite
    servers = [kind for kind in DATABASES if kind != "sqlite"]
    for number, kind in enumerate([*servers, "sqlite"]):
        url = new_database(kind, request, tmp_path / f"copy-{number}.db")
        succeeded("init", url=url)
        succeeded("import", "-", url=url, stdin=previous)
        previous = succeeded("export", "-", url=url)
        assert previous == from_sqlite, f"the export from {kind} differs"


def peak_memory_of(*args: str) -> float:
    """Run ``adk-store ARGS``; the process's peak resident memory in MiB."""
    process = subprocess.Popen(
        [sys.executable, "-m", "adk_store", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=cli_environment(),
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024  # KiB on Linux


@pytest.mark.slow
@pytest.mark.postgresql
def test_ten_thousand_sessions_move_exactly_and_export_memory_stays_flat(
    postgres: PostgresProvider, tmp_path: Path
) -> None:
    sizes = {}
    exports = {}
    for sessions in (1_000, 10_000):
        generated = tmp_path / f"generated-{sessions}.jsonl"
        write_generated_export(generated, sessions)
        sqlite_url = f"sqlite+aiosqlite:///{tmp_path / f'store-{sessions}.db'}"
        succeeded("init", url=sqlite_url)
        succeeded("import", str(generated), url=sqlite_url)
        exports[sessions] = tmp_path / f"from-sqlite-{sessions}.jsonl"
        sizes[sessions] = peak_memory_of("export", "--url", sqlite_url, str(exports[sessions]))
    postgres_url = postgres.new_database()
    succeeded("init", url=postgres_url)
    succeeded("import", str(exports[10_000]), url=postgres_url)
    from_postgres = tmp_path / "from-postgresql.jsonl"
    succeeded("export", str(from_postgres), url=postgres_url)

    assert from_postgres.read_bytes() == exports[10_000].read_bytes()
    assert sum(1 for _ in exports[10_000].open()) == 1 + 100 + 10_000 + 1
    # Ten times the sessions, about the same peak: memory does not grow with the store.
    assert sizes[10_000] < sizes[1_000] + 16, sizes
