"""``import-adk`` prints its report and nothing else: no driver warning on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..cli._run import adk_store_command
from ..conftest import PostgresProvider
from . import _adk_sources as sources


@pytest.mark.postgresql
def test_an_import_from_postgresql_prints_no_driver_warning(
    postgres: PostgresProvider, tmp_path: Path
) -> None:
    source = postgres.new_database()
    sources.build_database(source, sessions=2, events=3)

    finished = adk_store_command(
        "import-adk", source, url=f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    )

    assert finished.returncode == 0, finished.stderr
    assert "copied 2 sessions" in finished.stdout
    assert finished.stderr == ""
