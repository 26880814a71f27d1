"""Connections the service holds open between operations.

``databases`` opens a fresh SQLite connection for every top-level query (it has no SQLite
pool) and releases PostgreSQL connections with a reset round trip. Holding a few connections
keeps per-connection settings (PRAGMAs, the JSON merge function) and saves those round trips.

On SQLite all writes of one service go through one writer connection, one at a time, so writers
in one process never meet SQLite's lock; readers use their own connections (WAL lets them read
while a write is in progress). Writers in other processes wait for the write lock with the busy
timeout. On PostgreSQL every connection reads and writes.

A connection whose operation failed for any reason but a caller's mistake (one of adk-store's
own errors, raised after a clean rollback) is closed rather than reused, so a broken or
half-rolled-back connection never serves the next operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass

import anyio
import databases
from databases.core import Connection

from .._errors import AdkStoreError, DatabaseError
from .._telemetry import logger

Prepare = Callable[[Connection], Awaitable[None]]
IsAlive = Callable[[Connection], bool]


@dataclass(frozen=True)
class PoolLayout:
    """How a database's held connections share reads and writes; each dialect names its own."""

    separate_writer: bool = False
    """Writes take turns on one connection of their own; reads use the others (SQLite)."""
    one_connection_is_the_database: bool = False
    """One connection serves everything and is kept after failures, because it holds the
    data (in-memory SQLite): a new connection would open a new, empty database."""


class _HeldConnections:
    """Up to ``size`` held connections, each used by one operation at a time."""

    def __init__(
        self,
        database: databases.Database,
        prepare: Prepare,
        is_alive: IsAlive,
        size: int,
        *,
        keep_after_failure: bool = False,
    ) -> None:
        """``keep_after_failure``: the connection *is* the database (in-memory SQLite), so it
        is kept after failures rather than replaced by a new, empty one."""
        self._database = database
        self._prepare = prepare
        self._is_alive = is_alive
        self._keep_after_failure = keep_after_failure
        self._idle: list[Connection] = []
        self._open: set[Connection] = set()
        self._available = asyncio.Semaphore(size)
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._available:
            if self._closed:
                raise AdkStoreError("the service is closed; create a new SessionService")
            connection = await self._checkout()
            try:
                yield connection
            except BaseException as error:
                caller_mistake = isinstance(error, AdkStoreError) and not isinstance(
                    error, DatabaseError
                )
                if (caller_mistake or self._keep_after_failure) and not self._closed:
                    self._idle.append(connection)
                else:
                    await self._discard(connection)
                raise
            if self._closed:
                await self._discard(connection)
            else:
                self._idle.append(connection)

    async def _checkout(self) -> Connection:
        while self._idle:
            connection = self._idle.pop()
            try:
                alive = self._is_alive(connection)
            except Exception:
                alive = False
            if alive:
                return connection
            logger.debug("dropped a dead held connection; opening a new one")
            await self._discard(connection)
        return await self._connect()

    async def _connect(self) -> Connection:
        connection = self._database.connection()
        await connection.__aenter__()
        self._open.add(connection)
        try:
            await self._prepare(connection)
        except BaseException:
            await self._discard(connection)
            raise
        return connection

    async def _discard(self, connection: Connection) -> None:
        self._open.discard(connection)
        with anyio.CancelScope(shield=True), suppress(Exception):
            await connection.__aexit__(None, None, None)

    async def close(self) -> None:
        """Close the idle connections now; one in use is closed when its operation ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await self._discard(connection)


class ConnectionPool:
    """Hands out held connections for reading or writing."""

    def __init__(
        self,
        database: databases.Database,
        prepare: Prepare,
        is_alive: IsAlive,
        *,
        size: int,
        layout: PoolLayout,
    ) -> None:
        if layout.one_connection_is_the_database:
            self._readers = self._writers = _HeldConnections(
                database, prepare, is_alive, 1, keep_after_failure=True
            )
        elif layout.separate_writer:
            self._readers = _HeldConnections(database, prepare, is_alive, size)
            self._writers = _HeldConnections(database, prepare, is_alive, 1)
        else:
            self._readers = self._writers = _HeldConnections(database, prepare, is_alive, size)

    def reader(self) -> AbstractAsyncContextManager[Connection]:
        return self._readers.connection()

    def writer(self) -> AbstractAsyncContextManager[Connection]:
        return self._writers.connection()

    async def close(self) -> None:
        await self._readers.close()
        if self._writers is not self._readers:
            await self._writers.close()
