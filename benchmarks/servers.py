"""Where the benchmarks run: a temporary SQLite directory or a throwaway PostgreSQL cluster.

Every implementation gets its own database (file or PostgreSQL database) in the same place,
so that they run on the same disk, server and settings.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests._postgres import start_server


@dataclass(frozen=True)
class Target:
    """One database system: ``url(name)`` gives implementation ``name`` its own database."""

    name: str
    description: str
    url: Callable[[str], str]


@contextmanager
def sqlite_target() -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="adk-store-bench-") as directory:
        yield Target(
            "sqlite",
            f"SQLite {sqlite3.sqlite_version}: one file per implementation in {directory}",
            lambda name: f"sqlite+aiosqlite:///{Path(directory) / name}.db",
        )


@contextmanager
def postgres_target() -> Iterator[Target]:
    """A new cluster (the one the test suite uses), removed afterwards."""
    server = start_server()
    try:
        version = server.psql("SHOW server_version").strip()
        settings = ", ".join(
            f"{name}={server.psql(f'SHOW {name}').strip()}"
            for name in ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers")
        )
        yield Target(
            "postgresql",
            f"PostgreSQL {version} on 127.0.0.1 ({settings})",
            lambda name: server.create_database(f"bench_{name}"),
        )
    finally:
        server.cleanup()


TARGETS = {"sqlite": sqlite_target, "postgresql": postgres_target}
