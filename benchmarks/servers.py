"""Where the benchmarks run: a temporary SQLite directory, a throwaway PostgreSQL cluster or
a throwaway MariaDB server (the test suite's, started from the system's binaries).

Every implementation gets its own database (a file, or a database on the one server) in the
same place, so that they run on the same disk, server and settings.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import _mariadb, _postgres


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
    server = _postgres.start_server()
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


@contextmanager
def mariadb_target() -> Iterator[Target]:
    """A new MariaDB server (the one the test suite uses), removed afterwards."""
    server = _mariadb.start_server()
    try:
        version = server.sql("SELECT VERSION()").strip()
        settings = ", ".join(
            f"{name}={server.sql(f'SELECT @@{name}').strip()}"
            for name in (
                "innodb_flush_log_at_trx_commit",
                "innodb_doublewrite",
                "sync_binlog",
                "innodb_buffer_pool_size",
            )
        )
        yield Target(
            "mysql",
            f"MariaDB {version} on 127.0.0.1 ({settings})",
            lambda name: server.create_database(f"bench_{name}"),
        )
    finally:
        server.cleanup()


TARGETS = {"sqlite": sqlite_target, "postgresql": postgres_target, "mysql": mariadb_target}
"""Each database a run can take, by the name ``--db`` gives it."""
