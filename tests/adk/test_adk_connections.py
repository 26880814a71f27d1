"""google-adk's databases as import-adk and export-adk open them: a source can write nothing,
and a target keeps the settings its own application chose."""

from __future__ import annotations

import sqlite3

import pytest

from adk_store import DatabaseError
from adk_store._runtime import Connection
from adk_store.adk._adk_stores._database import AdkDatabase, fetch


async def _create_table(connection: Connection) -> None:
    await connection.execute("CREATE TABLE visited (n INTEGER)")


async def _insert(connection: Connection) -> None:
    await connection.execute("INSERT INTO visited (n) VALUES (1)")


async def _count(connection: Connection) -> int:
    rows = await fetch(connection, "SELECT COUNT(*) FROM visited")
    return int(rows[0][0])


async def test_a_source_is_read_on_a_connection_that_cannot_write(db_url: str) -> None:
    async with AdkDatabase(db_url, read_only=False) as target:
        await target.run_write("create", _create_table)
    async with AdkDatabase(db_url, read_only=True) as source:
        with pytest.raises(DatabaseError):
            await source.run("insert", _insert)
        assert await source.run("count", _count) == 0


@pytest.mark.databases("sqlite")
async def test_writing_leaves_a_sqlite_file_in_its_journal_mode(db_url: str) -> None:
    async with AdkDatabase(db_url, read_only=False) as target:
        await target.run_write("create", _create_table)
        await target.run_write("insert", _insert)
    path = db_url.partition(":///")[2]
    with sqlite3.connect(path) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "delete"
