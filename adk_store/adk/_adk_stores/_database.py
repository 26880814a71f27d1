"""A connection to another application's database: google-adk's session database.

:class:`AdkDatabase` holds one connection to it and runs every query on it through the core's
layers: the :class:`~adk_store.dialects.Dialect` that :func:`~adk_store.dialects.dialect_for`
picks for its URL, and the core's connector (the loop bridge and held connection the service
uses), so all of this works under asyncio and trio alike.

What differs between the databases for tables adk-store does not own is the dialect's section
on other applications' tables. A source is opened read-only (SQLite in ``mode=ro``,
PostgreSQL and MariaDB/MySQL in a ``READ ONLY`` transaction). PostgreSQL and MariaDB/MySQL
sources are read in one snapshot; SQLite sources one session at a time, each in a short read
transaction, so that writers of the same file are never held up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ... import AdkStoreError, DatabaseError, InvalidArgumentError
from ..._lifecycle import Lifecycle
from ..._locations import sqlite_url, with_own_driver
from ..._runtime import Connection, ConnectionPool, Connector, PoolLayout, write_transaction
from ...dialects import Dialect, SqliteOptions, dialect_for
from .._uri import hide_password

T = TypeVar("T")

_UNSUPPORTED = (
    "give a SQLite file path, sqlite+aiosqlite:///path.db, "
    "postgresql+asyncpg://user@host/dbname or mysql+asyncmy://user@host/dbname"
)


def location_url(location: str) -> str:
    """The database URL of ``location``: a URL as given (google-adk's own, with whichever
    driver its SQLAlchemy engine uses: adk-store reads it with its own), a plain path as its
    SQLite file's.

    A URL is read as the service reads it (see :mod:`adk_store._locations`: ``a%23b.db`` is
    the file ``a#b.db``); a plain path is the file name as written (``~`` expanded), so
    ``sessions.db`` is ``sqlite+aiosqlite:///`` and the absolute path of that file.
    """
    if "://" in location:
        return with_own_driver(location)
    return sqlite_url(Path(location).expanduser().resolve())


def location_dialect(url: str) -> Dialect:
    """The dialect of the database ``url`` names; an unsupported URL raises
    :class:`InvalidArgumentError`."""
    try:
        return dialect_for(url, SqliteOptions())
    except InvalidArgumentError:
        raise
    except AdkStoreError:
        raise InvalidArgumentError(
            f"unsupported database URL scheme {url.partition(':')[0]!r}: {_UNSUPPORTED}"
        ) from None


def database_missing(location: str) -> bool:
    """Whether connecting to ``location`` would create its database (a SQLite file not there
    yet)."""
    return location_dialect(location_url(location)).database_missing()


class _OtherDatabaseSetup:
    """How the connector opens another application's database: one held connection, set up
    by the dialect's members for other applications' tables."""

    def __init__(self, dialect: Dialect, options: dict[str, Any], *, read_only: bool):
        # One connection, held; over a network, its shielded waits (a COMMIT) are bounded and
        # a failed connection aborted, as for adk-store's own database there.
        self.pool_layout = PoolLayout(over_network=dialect.pool_layout.over_network)
        self.name = dialect.name
        self._dialect = dialect
        self._options = options
        self._read_only = read_only

    async def prepare_connection(self, connection: Connection) -> None:
        await self._dialect.prepare_other_connection(connection, read_only=self._read_only)

    def is_alive(self, connection: Connection) -> bool:
        return True

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]:
        return {**self._dialect.database_options(pool_size, connect_timeout), **self._options}


class AdkDatabase(Lifecycle):
    """A connection to a google-adk session database, usable under asyncio and trio.

    >>> async with AdkDatabase("sessions.db", read_only=True) as source:
    ...     kind = await detect_layout(source)

    Opened ``read_only``, the connection can write nothing. Otherwise :meth:`run_write` runs
    an operation in its own write transaction. Driver errors are reported as
    :class:`~adk_store.DatabaseError`. Messages name the database by :attr:`location`, which
    never holds its password.
    """

    def __init__(self, location: str, *, read_only: bool) -> None:
        url = location_url(location)
        self.dialect = location_dialect(url)
        """Builds the statements, and says what differs for another application's tables."""
        connect_url, options = self.dialect.other_database(url, read_only=read_only)
        self.location = hide_password(location)
        """The database as messages name it: ``location`` without its password."""
        self.read_only = read_only
        setup = _OtherDatabaseSetup(self.dialect, options, read_only=read_only)
        self._connector = Connector(connect_url, setup, pool_size=1, on_open=None)

    async def open(self) -> None:
        try:
            await self._connector.open()
        except DatabaseError as error:
            raise DatabaseError(f"{self.location}: {error}") from error.__cause__

    async def close(self) -> None:
        try:
            if self.read_only and self.dialect.end_snapshot is not None:
                await self._call("end_read", None, self._end_snapshot)
        finally:
            await self._connector.close()

    async def _end_snapshot(self, connection: Connection) -> None:
        if self.dialect.end_snapshot is not None:
            await connection.execute(self.dialect.end_snapshot)

    async def run(self, what: str, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``operation(connection)``, reading consistently. ``what`` names the operation
        (``google_adk.<what>`` in traces and errors)."""
        begin = self.dialect.begin_short_read if self.read_only else None
        return await self._call(what, begin, operation)

    async def run_write(self, what: str, operation: Callable[[Connection], Awaitable[T]]) -> T:
        """:meth:`run` inside one write transaction: committed if ``operation`` returns,
        rolled back if it raises."""
        if self.read_only:
            raise AdkStoreError(f"{self.location} is open read-only")
        return await self._call(what, self.dialect.begin_write, operation)

    async def _call(
        self, what: str, begin: str | None, operation: Callable[[Connection], Awaitable[T]]
    ) -> T:
        async def on_pool(pool: ConnectionPool) -> T:
            async with pool.writer() as connection:
                if begin is None:
                    return await operation(connection)
                async with write_transaction(connection, begin):
                    return await operation(connection)

        try:
            return await self._connector.call(f"google_adk.{what}", on_pool)
        except DatabaseError as error:
            raise DatabaseError(f"{self.location}: {error}") from error.__cause__

    async def columns(self, table: str) -> frozenset[str]:
        """The column names of ``table``."""

        async def read(connection: Connection) -> frozenset[str]:
            rows = await fetch(connection, self.dialect.list_columns, {"table": table})
            return frozenset(row[0] for row in rows)

        return await self.run("list_columns", read)


async def fetch(
    connection: Connection, query: str, values: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """The rows of ``query`` as tuples of the driver's values."""
    rows = await connection.fetch_all(query, dict(values) if values else None)
    # A record's ``_mapping`` is the driver's row, which iterates over its values.
    return [tuple(getattr(row, "_mapping", row)) for row in rows]
