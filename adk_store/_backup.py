"""Backups: SQLite's online backup API, and the ``pg_dump`` command for PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ._errors import InvalidArgumentError
from ._schema import metadata


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` to ``target`` while other processes use it.

    SQLite's backup API copies a consistent snapshot, including commits still in the
    ``-wal`` file (which a plain file copy can miss). Blocking: run it in a worker thread.

    >>> await anyio.to_thread.run_sync(backup_sqlite, Path("app.db"), Path("app-copy.db"))
    """
    if target.exists():
        raise InvalidArgumentError(f"{target} already exists; choose a new file name")
    if not source.exists():
        raise InvalidArgumentError(f"no SQLite database at {source}")
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        reader.close()


def pg_dump_command(url: str, target: Path) -> list[str]:
    """The ``pg_dump`` command that saves adk-store's tables of the database at ``url``."""
    parts = urlsplit(url)
    libpq_url = urlunsplit(parts._replace(scheme="postgresql"))
    tables = [f"--table={name}" for name in sorted(metadata.tables)]
    return ["pg_dump", "--format=custom", *tables, f"--file={target}", libpq_url]
