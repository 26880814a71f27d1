"""Reading a test database directly, bypassing the library, to check what it really holds."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import anyio

TABLES = ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states")


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def query_sync(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (no parameters) on the database at ``url``."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(_sqlite_path(url))
        try:
            rows = [tuple(row) for row in connection.execute(sql).fetchall()]
            connection.commit()
            return rows
        finally:
            connection.close()

    async def fetch() -> list[tuple[Any, ...]]:
        import asyncpg

        connection = await asyncpg.connect(_pg_dsn(url))
        try:
            return [tuple(row) for row in await connection.fetch(sql)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


async def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """``query_sync`` from any async test (it runs in a worker thread)."""
    return await anyio.to_thread.run_sync(query_sync, url, sql)


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of adk-store's tables, sorted: equal dumps mean an unchanged database."""
    result = {}
    for table in TABLES:
        rows = await query(url, f"SELECT * FROM {table}")
        result[table] = sorted(rows, key=repr)
    return result
