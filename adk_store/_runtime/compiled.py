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
  (asyncpg prepares each statement once per connection and reuses it).

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


class _Sqlite:
    """aiosqlite: ``sqlite3`` binds ``:name`` itself; one trip to the driver's thread."""

    @staticmethod
    async def fetch_all(raw: Any, sql: str, values: Values) -> Sequence[Any]:
        rows: Sequence[Any] = await raw.execute_fetchall(sql, {} if values is None else values)
        return rows


class _Asyncpg:
    """asyncpg: numbered parameters; a prepared statement per text, kept by asyncpg."""

    @staticmethod
    def bind(sql: str, values: Values) -> tuple[str, list[Any]]:
        text, names = numbered(sql)
        if not names:
            return text, []
        assert values is not None, f"values are needed for {names}"
        return text, [values[name] for name in names]


class Connection:
    """A held ``databases`` connection that runs adk-store's SQL text without recompiling it.

    It offers the query methods of ``databases.core.Connection`` that adk-store uses
    (``execute``, ``fetch_one``, ``fetch_all``, ``fetch_val``, ``raw_connection``). Rows come
    back as the driver returns them (tuples, ``asyncpg.Record``): ``_codec`` reads both. The
    pool lends a connection to one operation at a time, so its statements never overlap.
    """

    def __init__(self, connection: databases.core.Connection) -> None:
        self.databases_connection = connection
        self._driver: type[_Sqlite] | type[_Asyncpg] | None = None
        self.server_process: int | None = None
        """The server process serving this connection (PostgreSQL's backend pid), if any."""
        self.write_timeout: float | None = None
        """Seconds a write that is shielded from cancellation may wait for the server
        (``None``: no bound, for a local database); see ``transactions``."""

    async def __aenter__(self) -> Connection:
        await self.databases_connection.__aenter__()
        self._driver = _driver_of(self.databases_connection.raw_connection)
        if self._driver is _Asyncpg:
            self.server_process = self.raw_connection.get_server_pid()
        return self

    def abort(self) -> None:
        """Close the network connection at once, without a word to the server.

        For a connection that failed: closing it politely (asyncpg resets it first) waits
        for a server that may never answer again. A no-op for a local SQLite connection.
        """
        if self._driver is _Asyncpg:
            self.raw_connection.terminate()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.databases_connection.__aexit__(exc_type, exc, traceback)

    @property
    def raw_connection(self) -> Any:
        """The driver's connection (``aiosqlite.Connection`` or asyncpg's)."""
        return self.databases_connection.raw_connection

    async def execute(self, query: str, values: Values = None) -> None:
        """Run a statement whose rows, if any, are not wanted."""
        if self._driver is _Sqlite:
            await _Sqlite.fetch_all(self.raw_connection, query, values)
        elif self._driver is _Asyncpg:
            text, arguments = _Asyncpg.bind(query, values)
            await self.raw_connection.execute(text, *arguments)
        else:
            await self.databases_connection.execute(query, _dict(values))

    async def fetch_all(self, query: str, values: Values = None) -> Sequence[Any]:
        if self._driver is _Sqlite:
            return await _Sqlite.fetch_all(self.raw_connection, query, values)
        if self._driver is _Asyncpg:
            text, arguments = _Asyncpg.bind(query, values)
            rows: Sequence[Any] = await self.raw_connection.fetch(text, *arguments)
            return rows
        return await self.databases_connection.fetch_all(query, _dict(values))

    async def fetch_one(self, query: str, values: Values = None) -> Any:
        """The first row, or ``None``; for statements that return at most a row or two."""
        if self._driver is _Sqlite:
            rows = await _Sqlite.fetch_all(self.raw_connection, query, values)
            return rows[0] if rows else None
        if self._driver is _Asyncpg:
            text, arguments = _Asyncpg.bind(query, values)
            return await self.raw_connection.fetchrow(text, *arguments)
        return await self.databases_connection.fetch_one(query, _dict(values))

    async def fetch_val(self, query: str, values: Values = None) -> Any:
        """The first column of the first row, or ``None``."""
        if self._driver is _Sqlite:
            rows = await _Sqlite.fetch_all(self.raw_connection, query, values)
            return rows[0][0] if rows else None
        if self._driver is _Asyncpg:
            text, arguments = _Asyncpg.bind(query, values)
            return await self.raw_connection.fetchval(text, *arguments)
        return await self.databases_connection.fetch_val(query, _dict(values))


def _driver_of(raw: Any) -> type[_Sqlite] | type[_Asyncpg] | None:
    # asyncpg hands out pool proxies (asyncpg.pool), aiosqlite its own connection class.
    module = type(raw).__module__
    if module.startswith("aiosqlite"):
        return _Sqlite
    if module.startswith("asyncpg"):
        return _Asyncpg
    return None


def _dict(values: Values) -> dict[str, Any] | None:
    return None if values is None else dict(values)
