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

When the connections come from a bounded pool of the application's own ``databases.Database``
(PostgreSQL), adk-store holds none between operations: each goes back to that pool when its
operation ends, so adk-store never keeps connections the application is waiting for, and the
application may disconnect its Database before or after closing the service. Waiting for a
connection is bounded by ``timeout``.

In a ``force_rollback=True`` Database every query runs on one connection inside a transaction
that is rolled back at disconnect. adk-store then uses that one connection, one operation at a
time, each operation inside a savepoint (and its write transactions as nested savepoints; see
:mod:`.transactions`), so a failed statement never spoils the outer transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass

import anyio
import databases

from .._errors import AdkStoreError, DatabaseError
from .._telemetry import logger
from .compiled import Connection
from .transactions import nested_in_outer_transaction, operation_savepoint

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
    bounded_driver_pool: bool = False
    """Connections come from the driver's bounded pool (asyncpg): when that pool is the
    application's, they go back to it after every operation instead of being held."""
    over_network: bool = False
    """Connections cross a network that can fall silent (PostgreSQL): shielded waits are
    bounded by ``write_timeout``, and a failed connection is aborted, not closed politely."""


class _Outage:
    """Says once, as a warning, that connections cannot be opened any more, and once that
    they can again: a database that is down fails every call, and that is the calls' to
    report. A database that never opened is not an outage: the failing call says so alone."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._opened = False

    def failed(self, error: BaseException) -> None:
        if self._opened and self._since is None:
            self._since = time.monotonic()
            logger.warning(
                "cannot open a database connection (%s: %s); calls fail until one opens",
                type(error).__name__,
                error,
            )

    def ended(self) -> None:
        self._opened = True
        if self._since is not None:
            logger.warning(
                "a database connection opened again after %.1f s", time.monotonic() - self._since
            )
            self._since = None


class _HeldConnections:
    """Up to ``size`` held connections, each used by one operation at a time."""

    def __init__(
        self,
        database: databases.Database,
        prepare: Prepare,
        is_alive: IsAlive,
        size: int,
        *,
        timeout: float,
        outage: _Outage,
        write_timeout: float | None = None,
        keep_after_failure: bool = False,
        hold_idle: bool = True,
        nested: bool = False,
    ) -> None:
        """``keep_after_failure``: the connection *is* the database (in-memory SQLite, or the
        one connection of a ``force_rollback`` Database), so it is kept after failures rather
        than replaced. ``hold_idle``: keep connections between operations. ``nested``: run
        each operation in a savepoint of the connection's outer transaction.
        ``write_timeout``: the bound on shielded waits (``None`` for a local database)."""
        self._database = database
        self._prepare = prepare
        self._is_alive = is_alive
        self._size = size
        self._timeout = timeout
        self._write_timeout = write_timeout
        self._outage = outage
        self._keep_after_failure = keep_after_failure
        self._hold_idle = hold_idle
        self._nested = nested
        self._idle: list[Connection] = []
        self._open: set[Connection] = set()
        self._available = asyncio.Semaphore(size)
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        with anyio.move_on_after(self._timeout) as waiting:
            await self._available.acquire()
        if waiting.cancelled_caught:
            raise self._timed_out()
        try:
            if self._closed:
                raise AdkStoreError("the service is closed; create a new SessionService")
            connection = await self._checkout()
            try:
                if self._nested:
                    async with operation_savepoint(connection):
                        yield connection
                else:
                    yield connection
            except BaseException as error:
                caller_mistake = isinstance(error, AdkStoreError) and not isinstance(
                    error, DatabaseError
                )
                if (caller_mistake or self._keep_after_failure) and not self._closed:
                    await self._keep(connection)
                else:
                    await self._discard(connection, failed=not caller_mistake)
                raise
            if self._closed:
                await self._discard(connection)
            else:
                await self._keep(connection)
        finally:
            self._available.release()

    async def _keep(self, connection: Connection) -> None:
        """Hold ``connection`` for the next operation, or give it back to the driver's pool."""
        if self._hold_idle:
            self._idle.append(connection)
        else:
            await self._discard(connection)

    def _timed_out(self) -> DatabaseError:
        limit = self._database.options.get("max_size") or self._database.url.options.get(
            "max_size"
        )
        theirs = f"its pool allows {limit} (max_size)" if limit else "its pool's own limit"
        return DatabaseError(
            f"no database connection became free within {self._timeout:g} s (pool_timeout): "
            f"adk-store uses up to {self._size} at once (pool_size) and {theirs}"
        )

    async def _checkout(self) -> Connection:
        while self._idle:
            connection = self._idle.pop()
            try:
                alive = self._is_alive(connection)
            except DatabaseError:
                # Not this connection but the database is unusable (a SQLite file replaced).
                await self._discard(connection)
                raise
            except Exception:
                alive = False
            if alive:
                return connection
            logger.debug("dropped a dead held connection; opening a new one")
            await self._discard(connection)
        return await self._connect()

    async def _connect(self) -> Connection:
        connection = Connection(self._database.connection())
        connection.write_timeout = self._write_timeout
        # Shielded, so that a connection being opened is never abandoned half-open by a
        # cancelled caller (an aiosqlite connection would stay open until garbage collection,
        # beyond the pool's bound); bounded by the timeout instead.
        try:
            with anyio.CancelScope(shield=True) as waiting:
                waiting.deadline = anyio.current_time() + self._timeout
                await connection.__aenter__()
        except Exception as error:
            self._outage.failed(error)
            raise
        if waiting.cancelled_caught:
            raise self._timed_out()
        self._outage.ended()
        self._open.add(connection)
        try:
            await self._prepare(connection)
        except BaseException:
            await self._discard(connection)
            raise
        return connection

    async def _discard(self, connection: Connection, *, failed: bool = False) -> None:
        """Close ``connection``; one that ``failed`` is aborted first (see ``abort``). Closing
        waits at most ``write_timeout`` for the server, then aborts."""
        self._open.discard(connection)
        if failed:
            with suppress(Exception):
                connection.abort()
        # A task of its own, not cancelled on time out: asyncpg finishes a release in a task
        # it shields, which would report its error to nobody.
        closing = asyncio.ensure_future(connection.__aexit__(None, None, None))
        with anyio.CancelScope(shield=True):
            await asyncio.wait({closing}, timeout=self._write_timeout)
            if not closing.done():
                logger.debug("closing a connection timed out; aborted it")
                with suppress(Exception):
                    connection.abort()
                await asyncio.wait({closing})
        if not closing.cancelled():
            closing.exception()

    async def close(self) -> None:
        """Close the idle connections now; one in use is closed when its operation ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        # At once: each waits up to write_timeout for a server that may have gone silent.
        async with anyio.create_task_group() as closing:
            for connection in idle:
                closing.start_soon(self._discard, connection)


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
        timeout: float,
        write_timeout: float,
        shared: bool,
    ) -> None:
        """``shared``: ``database`` is the application's; ``timeout``: seconds an operation
        waits for a connection before :class:`DatabaseError`; ``write_timeout``: seconds a
        shielded write waits for a server across a network (see ``transactions``)."""
        bound = write_timeout if layout.over_network else None
        outage = _Outage()
        if nested_in_outer_transaction(database):
            self._readers = self._writers = _HeldConnections(
                database,
                prepare,
                is_alive,
                1,
                timeout=timeout,
                outage=outage,
                write_timeout=bound,
                keep_after_failure=True,
                nested=True,
            )
        elif layout.one_connection_is_the_database:
            self._readers = self._writers = _HeldConnections(
                database,
                prepare,
                is_alive,
                1,
                timeout=timeout,
                outage=outage,
                keep_after_failure=True,
            )
        else:
            hold_idle = not (shared and layout.bounded_driver_pool)
            self._readers = _HeldConnections(
                database,
                prepare,
                is_alive,
                size,
                timeout=timeout,
                outage=outage,
                write_timeout=bound,
                hold_idle=hold_idle,
            )
            self._writers = (
                _HeldConnections(
                    database,
                    prepare,
                    is_alive,
                    1,
                    timeout=timeout,
                    outage=outage,
                    write_timeout=bound,
                    hold_idle=hold_idle,
                )
                if layout.separate_writer
                else self._readers
            )

    def reader(self) -> AbstractAsyncContextManager[Connection]:
        return self._readers.connection()

    def writer(self) -> AbstractAsyncContextManager[Connection]:
        return self._writers.connection()

    async def close(self) -> None:
        await self._readers.close()
        if self._writers is not self._readers:
            await self._writers.close()
