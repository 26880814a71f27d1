"""Reading and writing a test database directly, with the plain drivers (sqlite3, asyncpg,
asyncmy).

These helpers never go through the code under test, so they show what the database really
holds. They run in a worker thread, so they work the same under asyncio and trio.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio

TABLES = ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states")

Dump = dict[str, list[tuple[Any, ...]]]


def is_sqlite(db_url: str) -> bool:
    return db_url.startswith("sqlite")


def is_mysql(db_url: str) -> bool:
    return db_url.startswith("mysql")


def placeholder(db_url: str, number: int = 1) -> str:
    """The plain driver's placeholder for the ``number``-th argument."""
    if is_sqlite(db_url):
        return "?"
    return "%s" if is_mysql(db_url) else f"${number}"


def sqlite_path(db_url: str) -> str:
    return db_url.split(":///", 1)[1]


def asyncpg_dsn(db_url: str) -> str:
    parts = urlsplit(db_url)
    return parts._replace(scheme="postgresql").geturl()


def database_name(db_url: str) -> str:
    return urlsplit(db_url).path.lstrip("/")


async def raw_fetch(db_url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of one query run with the plain driver (``?`` placeholders on SQLite, ``$n`` on
    PostgreSQL, ``%s`` on MariaDB: see :func:`placeholder`)."""
    return await anyio.to_thread.run_sync(_raw_fetch, db_url, sql, args)


async def raw_script(db_url: str, statements: Iterable[str]) -> None:
    """Run statements with the plain driver, each in its own autocommit transaction."""
    await anyio.to_thread.run_sync(_raw_script, db_url, list(statements))


async def raw_executemany(db_url: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """One statement for many rows, in one transaction, with the plain driver."""
    await anyio.to_thread.run_sync(_raw_executemany, db_url, sql, rows)


async def dump(db_url: str) -> Dump:
    """Every row of adk-store's four tables, sorted, JSON as text."""
    result: Dump = {}
    for table in TABLES:
        whole_row = "t::text" if db_url.startswith("postgresql") else "*"
        rows = await raw_fetch(db_url, f"SELECT {whole_row} FROM {table} AS t")
        result[table] = sorted(rows, key=repr)
    return result


def _mysql_connect(db_url: str) -> Any:
    import asyncmy

    parts = urlsplit(db_url)
    return asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        database=database_name(db_url),
        autocommit=True,
    )


def _mysql_run(db_url: str, steps: list[tuple[str, Any]], *, many: bool = False) -> list[Any]:
    """Run ``(sql, args)`` steps on one autocommit connection; the last one's rows."""

    async def run() -> list[Any]:
        connection = await _mysql_connect(db_url)
        rows: list[Any] = []
        try:
            async with connection.cursor() as cursor:
                for sql, args in steps:
                    if many:
                        await cursor.executemany(sql, args)
                    else:
                        await cursor.execute(sql, args or None)
                    rows = [tuple(row) for row in await cursor.fetchall() or ()]
        finally:
            connection.close()
        return rows

    return asyncio.run(run())


def _raw_fetch(db_url: str, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if is_mysql(db_url):
        return _mysql_run(db_url, [(sql, args)])
    if is_sqlite(db_url):
        with _sqlite(db_url) as connection:
            return [tuple(row) for row in connection.execute(sql, args).fetchall()]

    async def fetch() -> list[tuple[Any, ...]]:
        import asyncpg

        connection = await asyncpg.connect(asyncpg_dsn(db_url))
        try:
            return [tuple(row) for row in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def _raw_script(db_url: str, statements: list[str]) -> None:
    if is_mysql(db_url):
        _mysql_run(db_url, [(statement, None) for statement in statements])
        return
    if is_sqlite(db_url):
        with _sqlite(db_url) as connection:
            for statement in statements:
                connection.execute(statement)
        return

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(asyncpg_dsn(db_url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _raw_executemany(db_url: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if is_mysql(db_url):
        _mysql_run(db_url, [(sql, rows)], many=True)
        return
    if is_sqlite(db_url):
        with _sqlite(db_url) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(sql, rows)
            connection.execute("COMMIT")
        return

    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(asyncpg_dsn(db_url))
        try:
            async with connection.transaction():
                await connection.executemany(sql, rows)
        finally:
            await connection.close()

    asyncio.run(run())


class _sqlite:
    """A plain autocommit sqlite3 connection that waits for other writers."""

    def __init__(self, db_url: str) -> None:
        self._connection = sqlite3.connect(sqlite_path(db_url), isolation_level=None, timeout=30.0)

    def __enter__(self) -> sqlite3.Connection:
        return self._connection

    def __exit__(self, *exc_info: object) -> None:
        self._connection.close()
