"""The service's connection to its database: open, run each call, close.

A :class:`Connector` owns the ``databases.Database`` (when it created or connected it), the
loop bridge every call runs through, and the held connections. It knows nothing of sessions:
the service hands it operations that take the :class:`ConnectionPool`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import anyio
import databases

from .._errors import AdkStoreError, DatabaseError
from .._telemetry import logger, operation_span
from .bridge import LoopBridge, open_bridge
from .compiled import Connection
from .pool import ConnectionPool, PoolLayout

T = TypeVar("T")

OnOpen = Callable[[Connection], Awaitable[None]]
"""Run once on the writer connection when the connector opens (schema check or upgrade)."""


async def _driver_threads_ended(threads_before: set[threading.Thread]) -> None:
    """Wait (at most a second) for the threads a failed connect started to end.

    aiosqlite stops the worker thread of a connection that failed to open without waiting
    for it; the thread then reports to the loop, and if the loop was closed meanwhile (the
    caller's ``asyncio.run`` ended, or the bridge's loop under trio) it prints "Event loop
    is closed" tracebacks after the caller's error.
    """
    deadline = time.monotonic() + 1.0
    for thread in set(threading.enumerate()) - threads_before:
        remaining = deadline - time.monotonic()
        if thread.daemon or remaining <= 0:
            continue
        await anyio.to_thread.run_sync(thread.join, remaining)


def _seconds(bound: float | None) -> float:
    return float("inf") if bound is None else bound


class ConnectionSetup(Protocol):
    """What the connector needs from a dialect (``adk_store.dialects.Dialect`` provides it)."""

    name: str

    @property
    def pool_layout(self) -> PoolLayout: ...

    async def prepare_connection(self, connection: Connection) -> None: ...

    def is_alive(self, connection: Connection) -> bool: ...

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]: ...


class Connector:
    """Opens on first use under asyncio or trio; ``close()`` waits for calls in progress."""

    def __init__(
        self,
        database: str | databases.Database,
        setup: ConnectionSetup,
        *,
        pool_size: int,
        on_open: OnOpen | None,
        pool_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        write_timeout: float = 10.0,
    ) -> None:
        self._setup = setup
        self._shared = isinstance(database, databases.Database)
        """The Database is the application's: connections of its bounded pool are not held."""
        self._pool_timeout = pool_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._close_timeout = (
            write_timeout + connect_timeout if setup.pool_layout.over_network else None
        )
        """How long ``close()`` waits for calls in progress, and then for the server, before
        it drops the connections: a silent network must not hold it forever."""
        self._database = (
            database
            if isinstance(database, databases.Database)
            else databases.Database(database, **setup.database_options(pool_size, connect_timeout))
        )
        self._pool_size = pool_size
        self._on_open = on_open
        self._bridge: LoopBridge | None = None
        self._pool: ConnectionPool | None = None
        self._opening: anyio.Event | None = None
        self._connected_database = False
        self._closed = False
        self._closing: anyio.Event | None = None
        self._in_flight = 0
        """Calls running on the bridge; ``close()`` waits until there are none."""
        self._drained: anyio.Event | None = None

    async def open(self) -> None:
        """Connect and run ``on_open``. Called for you on first use."""
        while self._opening is not None:
            # Another caller is opening; if it fails or is cancelled, try again ourselves.
            await self._opening.wait()
        if self._closed:
            raise AdkStoreError("the service is closed; create a new SessionService")
        if self._bridge is not None:
            return
        self._opening = anyio.Event()
        bridge = open_bridge()
        threads_before = set(threading.enumerate())
        try:
            await bridge.run(self._connect)
        except BaseException as error:
            if self._pool is not None:
                # Opened after all: the caller was cancelled once the work was done.
                self._bridge = bridge
                bridge.release_at_end(self._release_at_end)
                raise
            # ``_connect`` cleaned up after itself; nothing of this attempt is left.
            with anyio.CancelScope(shield=True):
                await _driver_threads_ended(threads_before)
                await bridge.aclose()
            if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
                url = self._database.url
                raise DatabaseError(
                    f"cannot open the {self._setup.name} database at "
                    f"{url.hostname}:{url.port or 'default port'}: no answer within "
                    f"{self._connect_timeout:g} s (connect_timeout)"
                ) from error
            if isinstance(error, Exception) and not isinstance(error, AdkStoreError):
                raise DatabaseError(
                    f"cannot open the {self._setup.name} database: {type(error).__name__}: {error}"
                ) from error
            raise
        else:
            self._bridge = bridge
            bridge.release_at_end(self._release_at_end)
            logger.debug("opened the %s database", self._setup.name)
        finally:
            self._opening.set()
            self._opening = None

    async def close(self) -> None:
        """Wait for the calls in progress, release held connections, and disconnect the
        database if the connector connected it. New calls are refused from now on."""
        self._closed = True
        with anyio.CancelScope(shield=True):
            if self._closing is not None:
                await self._closing.wait()
                return
            self._closing = anyio.Event()
            try:
                while self._opening is not None:
                    await self._opening.wait()
                if self._in_flight:
                    self._drained = anyio.Event()
                    with anyio.move_on_after(_seconds(self._close_timeout)):
                        await self._drained.wait()
                bridge, self._bridge = self._bridge, None
                if bridge is not None:
                    try:
                        await bridge.run(self._disconnect)
                    finally:
                        await bridge.aclose()
            finally:
                self._closing.set()

    async def _connect(self) -> None:
        """Connect, then open and prepare the writer connection and run ``on_open``.

        ``self._pool`` is set only once all of that succeeded. Whatever interrupts it,
        cancellation included, undoes it completely (shielded) before it propagates: no
        connection stays taken and the database is disconnected again if this connected it,
        so the next attempt starts from scratch.
        """
        pool = None
        try:
            if not self._database.is_connected:
                # Shielded: a connect cancelled half-way leaves a pool nobody can close. The
                # driver gives up after connect_timeout; the deadline is a backstop for an
                # application's Database configured without one.
                with anyio.CancelScope(shield=True) as connecting:
                    connecting.deadline = anyio.current_time() + 2 * self._connect_timeout
                    await self._database.connect()
                if connecting.cancelled_caught:
                    raise TimeoutError
                self._connected_database = True
            pool = ConnectionPool(
                self._database,
                self._setup.prepare_connection,
                self._setup.is_alive,
                size=self._pool_size,
                layout=self._setup.pool_layout,
                timeout=self._pool_timeout,
                write_timeout=self._write_timeout,
                shared=self._shared,
            )
            # The writer connection is opened and prepared in every case, so that opening
            # checks that the database can be reached and set up.
            async with pool.writer() as connection:
                if self._on_open is not None:
                    await self._on_open(connection)
        except BaseException:
            with anyio.CancelScope(shield=True):
                if pool is not None:
                    await pool.close()
                await self._disconnect()
            raise
        self._pool = pool

    async def _release_at_end(self) -> None:
        """The service's loop or the process ends while the service is open: release it."""
        self._closed = True
        with anyio.CancelScope(shield=True):
            await self._disconnect()

    async def _disconnect(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._connected_database:
            self._connected_database = False
            # Cut short, asyncpg's pool closes its connections without waiting for the server.
            with anyio.move_on_after(_seconds(self._close_timeout)) as disconnecting:
                await self._database.disconnect()
            if disconnecting.cancelled_caught:
                logger.warning(
                    "the %s database did not answer within %g s while closing; "
                    "its connections were dropped",
                    self._setup.name,
                    self._close_timeout,
                )

    async def call(
        self,
        what: str,
        operation: Callable[[ConnectionPool], Awaitable[T]],
        *,
        app_name: str | None = None,
    ) -> T:
        """Run ``operation`` on the service's loop; driver errors become DatabaseError.

        The call is traced as the span ``adk_store.<what>`` (see ``_telemetry``).
        """
        with operation_span(what, self._setup.name, app_name):
            return await self._call(what, operation)

    async def _call(self, what: str, operation: Callable[[ConnectionPool], Awaitable[T]]) -> T:
        if self._bridge is None:
            await self.open()
        bridge = self._bridge
        if bridge is None or self._closed:
            raise AdkStoreError("the service is closed; create a new SessionService")

        async def with_pool() -> T:
            if self._pool is None:
                raise AdkStoreError("the service is closed")
            return await operation(self._pool)

        self._in_flight += 1
        try:
            return await bridge.run(with_pool)
        except AdkStoreError:
            raise
        except Exception as error:
            raise DatabaseError(f"{what} failed: {type(error).__name__}: {error}") from error
        finally:
            self._in_flight -= 1
            if not self._in_flight and self._drained is not None:
                self._drained.set()
