"""Statements turned into driver SQL once, and run on the driver connection ``databases`` opened.

Every statement adk-store runs is SQL text compiled once per dialect (``_statements``). Given
such text, ``databases`` wraps it in a new SQLAlchemy ``text()`` on every call, binds each
value into it (one cloned ``BindParameter`` per value) and compiles it again; on SQLite it then
makes three trips to aiosqlite's thread (open a cursor, execute, close it). That was over half
the time of an append. :class:`Connection` does the translation once per statement text and
hands the values to the driver connection that ``databases`` opened and holds:

* aiosqlite: the text as it is (``sqlite3`` binds ``:name`` parameters itself) and the values
  as a mapping, in one trip to the driver's thread;
* asyncpg: ``:name`` parameters numbered ``$1``, ``$2``… once, the values in that order
  (asyncpg prepares each statement once per connection and reuses it);
* asyncmy: ``:name`` parameters as ``%(name)s`` once, the values quoted by the driver.

Every value still travels as a bound parameter. Transactions are unchanged: they are the
statements ``BEGIN``/``COMMIT``/``ROLLBACK`` on this same connection (see ``transactions``).
A driver this module does not know goes through ``databases`` as before.

>>> async with pool.writer() as connection:
...     row = await connection.fetch_one("SELECT 1 WHERE :a = :a", {"a": 1})
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import databases.core

_NAMED_PARAMETER = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
"""A ``:name`` parameter, as SQLAlchemy's ``text()`` finds it (not ``::cast``, not ``\\:``)."""

Values = Mapping[str, Any] | None


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as ``$1``, ``$2``… and the names in that order.

    >>> numbered("SELECT :a, :b, :a")
    ('SELECT $1, $2, $1', ('a', 'b'))
    """
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        position = names.setdefault(match.group(1), len(names) + 1)
        return f"${position}"

    return _NAMED_PARAMETER.sub(number, sql), tuple(names)


class Driver:
    """How adk-store's SQL text runs on one driver's connection: the one place that knows
    each driver's parameter style and calls. Rows come back as the driver returns them."""

    async def fetch_all(self, raw: Any, sql: str, values: Values) -> Sequence[Any]:
        raise NotImplementedError

    async def execute(self, raw: Any, sql: str, values: Values) -> None:
        await self.fetch_all(raw, sql, values)

    async def fetch_one(self, raw: Any, sql: str, values: Values) -> Any:
        rows = await self.fetch_all(raw, sql, values)
        return rows[0] if rows else None

    async def fetch_val(self, raw: Any, sql: str, values: Values) -> Any:
        row = await self.fetch_one(raw, sql, values)
        return None if row is None else row[0]

    async def executemany(self, raw: Any, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement for every row of ``rows``, in as few round trips as the driver
        allows."""
        for row in rows:
            await self.execute(raw, sql, row)

    async def server_process(self, raw: Any) -> int | None:
        """The server process serving ``raw``, where there is one."""
        return None

    def abort(self, raw: Any) -> None:
        """Close the network connection at once (nothing to do for a local database)."""


class _Sqlite(Driver):
    """aiosqlite: ``sqlite3`` binds ``:name`` itself; one trip to the driver's thread."""

    async def fetch_all(self, raw: Any, sql: str, values: Values) -> Sequence[Any]:
        rows: Sequence[Any] = await raw.execute_fetchall(sql, {} if values is None else values)
        return rows

    async def executemany(self, raw: Any, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        await raw.executemany(sql, rows)


class _Asyncpg(Driver):
    """asyncpg: numbered parameters; a prepared statement per text, kept by asyncpg."""

    @staticmethod
    def bind(sql: str, values: Values) -> tuple[str, list[Any]]:
        text, names = numbered(sql)
        if not names:
            return text, []
        assert values is not None, f"values are needed for {names}"
        return text, [values[name] for name in names]

    async def execute(self, raw: Any, sql: str, values: Values) -> None:
        await raw.execute(*self._args(sql, values))

    async def fetch_all(self, raw: Any, sql: str, values: Values) -> Sequence[Any]:
        rows: Sequence[Any] = await raw.fetch(*self._args(sql, values))
        return rows

    async def fetch_one(self, raw: Any, sql: str, values: Values) -> Any:
        return await raw.fetchrow(*self._args(sql, values))

    async def fetch_val(self, raw: Any, sql: str, values: Values) -> Any:
        return await raw.fetchval(*self._args(sql, values))

    async def executemany(self, raw: Any, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        # asyncpg pipelines executemany.
        positional, names = numbered(sql)
        await raw.executemany(positional, [tuple(row[name] for name in names) for row in rows])

    def _args(self, sql: str, values: Values) -> list[Any]:
        text, arguments = self.bind(sql, values)
        return [text, *arguments]

    async def server_process(self, raw: Any) -> int | None:
        return int(raw.get_server_pid())

    def abort(self, raw: Any) -> None:
        raw.terminate()


class _Asyncmy(Driver):
    """asyncmy (MariaDB, MySQL): ``:name`` parameters as ``%(name)s``, values quoted by the
    driver into the statement text. Every result set of a statement is read, so that a
    ``CALL`` leaves the connection ready for the next one."""

    async def fetch_all(self, raw: Any, sql: str, values: Values) -> Sequence[Any]:
        async with raw.cursor(_quiet_cursor()) as cursor:
            await cursor.execute(pyformat(sql), values)
            rows: Sequence[Any] = await cursor.fetchall()
            while await cursor.nextset():
                await cursor.fetchall()
        return rows

    async def executemany(self, raw: Any, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        # asyncmy sends an INSERT … VALUES for many rows as one multi-row statement.
        async with raw.cursor(_quiet_cursor()) as cursor:
            await cursor.executemany(pyformat(sql), rows)

    async def server_process(self, raw: Any) -> int | None:
        return int(raw.thread_id())

    def abort(self, raw: Any) -> None:
        raw.close()


@functools.cache
def _quiet_cursor() -> type[Any]:
    """asyncmy's cursor, without fetching and logging a statement's warnings.

    By default asyncmy follows every statement that left a warning with ``SHOW WARNINGS`` (one
    more round trip) and logs each at WARNING level. adk-store's connections run in strict
    ``sql_mode``, where every problem is an error; the warnings left are the duplicates an
    ``INSERT IGNORE`` skips on purpose (a memory stored again), whose log lines would only
    print ids on the application's error stream.
    """
    from asyncmy.cursors import Cursor

    class QuietCursor(Cursor):
        async def _show_warnings(self, *arguments: Any) -> None:
            return None

    return QuietCursor


@functools.lru_cache(maxsize=1024)
def pyformat(sql: str) -> str:
    """``sql`` with its ``:name`` parameters as ``%(name)s`` (and ``%`` doubled).

    >>> pyformat("SELECT :a, '5%'")
    "SELECT %(a)s, '5%%'"
    """
    return _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


class Connection:
    """A held ``databases`` connection that runs adk-store's SQL text without recompiling it.

    It offers the query methods of ``databases.core.Connection`` that adk-store uses
    (``execute``, ``fetch_one``, ``fetch_all``, ``fetch_val``, ``executemany``,
    ``raw_connection``), through the :class:`Driver` of the connection ``databases`` opened.
    Rows come back as the driver returns them (tuples, ``asyncpg.Record``): ``_codec`` reads
    both. The pool lends a connection to one operation at a time, so its statements never
    overlap.
    """

    def __init__(self, connection: databases.core.Connection) -> None:
        self.databases_connection = connection
        self._driver: Driver | None = None
        self.server_process: int | None = None
        """The server process serving this connection (PostgreSQL's backend pid, MariaDB's
        connection id), if any."""
        self.write_timeout: float | None = None
        """Seconds a write that is shielded from cancellation may wait for the server
        (``None``: no bound, for a local database); see ``transactions``."""

    async def __aenter__(self) -> Connection:
        await self.databases_connection.__aenter__()
        self._driver = _driver_of(self.raw_connection)
        if self._driver is not None:
            self.server_process = await self._driver.server_process(self.raw_connection)
        return self

    def abort(self) -> None:
        """Close the network connection at once, without a word to the server.

        For a connection that failed: closing it politely (asyncpg resets it first) waits
        for a server that may never answer again. A no-op for a local SQLite connection.
        """
        if self._driver is not None:
            self._driver.abort(self.raw_connection)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.databases_connection.__aexit__(exc_type, exc, traceback)

    @property
    def raw_connection(self) -> Any:
        """The driver's connection (``aiosqlite.Connection``, asyncpg's or asyncmy's)."""
        return self.databases_connection.raw_connection

    async def execute(self, query: str, values: Values = None) -> None:
        """Run a statement whose rows, if any, are not wanted."""
        if self._driver is None:
            await self.databases_connection.execute(query, _dict(values))
        else:
            await self._driver.execute(self.raw_connection, query, values)

    async def fetch_all(self, query: str, values: Values = None) -> Sequence[Any]:
        if self._driver is None:
            return await self.databases_connection.fetch_all(query, _dict(values))
        return await self._driver.fetch_all(self.raw_connection, query, values)

    async def fetch_one(self, query: str, values: Values = None) -> Any:
        """The first row, or ``None``; for statements that return at most a row or two."""
        if self._driver is None:
            return await self.databases_connection.fetch_one(query, _dict(values))
        return await self._driver.fetch_one(self.raw_connection, query, values)

    async def fetch_val(self, query: str, values: Values = None) -> Any:
        """The first column of the first row, or ``None``."""
        if self._driver is None:
            return await self.databases_connection.fetch_val(query, _dict(values))
        return await self._driver.fetch_val(self.raw_connection, query, values)

    async def executemany(self, query: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement (an INSERT) for every row of ``rows``, in as few round trips as
        the driver allows."""
        if self._driver is None:
            for row in rows:
                await self.execute(query, row)
        else:
            await self._driver.executemany(self.raw_connection, query, rows)


_DRIVERS: dict[str, Driver] = {
    "aiosqlite": _Sqlite(),
    "asyncpg": _Asyncpg(),
    "asyncmy": _Asyncmy(),
}


def _driver_of(raw: Any) -> Driver | None:
    # asyncpg hands out pool proxies (asyncpg.pool), aiosqlite and asyncmy their own classes.
    return _DRIVERS.get(type(raw).__module__.partition(".")[0])


def _dict(values: Values) -> dict[str, Any] | None:
    return None if values is None else dict(values)
