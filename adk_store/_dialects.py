"""Everything that differs between SQLite and PostgreSQL, chosen once per service.

The service never asks which database it talks to; it asks its :class:`Dialect` for an upsert,
a JSON merge, the statement that opens a write transaction, or how to prepare a connection.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
import sqlalchemy as sa
from databases.core import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect as SqlalchemyDialect
from sqlalchemy.sql.elements import ColumnElement

from ._errors import AdkStoreError, StateSerializationError

APPEND_REFUSED = "adk-store: session missing or moved on"
"""What the ``adk_appends`` trigger raises (SQLite) when the session is not at the expected
revision; the migration that creates the trigger spells the same text."""

_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_JSON_STRING_OR_BIG_FLOAT = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?e\+\d+')


def _spell_out_big_float(match: re.Match[str]) -> str:
    """``1e+16`` as ``10000000000000000.0``.

    JSONB stores numbers as ``numeric`` and prints ``1e+16`` without an exponent or a
    fraction, which would read back as an int (of another value than the float). Spelled out
    with ``.0`` it reads back as the same float. Strings are matched only to be skipped.
    """
    token = match.group()
    if token.startswith('"'):
        return token
    return format(Decimal(token), "f") + ".0"


@dataclass(frozen=True)
class SqliteOptions:
    """Per-connection SQLite settings; every connection adk-store opens gets them.

    ``synchronous="NORMAL"`` with WAL never corrupts the file and never loses a commit when the
    process dies; only a power cut can roll back the last commits. Use ``"FULL"`` to rule that
    out at the cost of one fsync per commit.
    """

    busy_timeout_ms: int = 30_000
    synchronous: str = "NORMAL"


class Dialect:
    """The interface: what the service needs to know about a database."""

    name: str
    begin_write: str
    """Opens a transaction that will write."""
    sqlalchemy: SqlalchemyDialect
    """Compiles our Core statements (named parameters, for ``databases``)."""

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that supports ``on_conflict_do_update``."""
        raise NotImplementedError

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        """``column`` with the top-level keys of ``delta`` set (a JSON ``null`` is kept)."""
        raise NotImplementedError

    def json_param(self, name: str) -> ColumnElement[Any]:
        """A bound parameter that carries JSON text."""
        return sa.bindparam(name)

    def byte_order(self, column: Any) -> ColumnElement[Any]:
        """``column`` compared and sorted by its bytes, whatever the database's collation."""
        ordered: ColumnElement[Any] = column
        return ordered

    async def prepare_connection(self, connection: Connection) -> None:
        """Settings every new connection needs before its first query."""

    def check_text(self, text: str, where: str) -> None:
        """Raise if the database cannot store ``text`` in a TEXT column."""

    def adapt_json(self, json_text: str, where: str) -> str:
        """``json_text`` as this database must receive it to give back the same values.

        Raises :class:`StateSerializationError` if the database cannot store it at all.
        """
        return json_text

    def is_unique_violation(self, error: BaseException) -> bool:
        raise NotImplementedError

    def is_alive(self, connection: Connection) -> bool:
        """Whether a held connection can still be used (checked without a round trip)."""
        return True

    def database_options(self, pool_size: int) -> dict[str, Any]:
        """Options for a ``databases.Database`` adk-store creates itself."""
        return {}

    one_statement_append: str
    """How an append becomes one statement: ``"cte"`` (data-modifying CTEs) or ``"view"``
    (an insert into the ``adk_appends`` view, whose trigger does the work)."""

    async def append_at_revision(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        """Run the one-statement append (see :class:`Statements`).

        Returns the session's new revision, or ``None`` when the session is missing or not at
        ``values["expected"]``; then nothing was written.
        """
        raise NotImplementedError

    schema_lock: str | None = None
    """Serialises schema creation across processes (inside the write transaction)."""

    table_exists: str
    """A query with parameter ``:name`` that returns a row when that table exists."""


def _merge_json_text(current: str, delta: str) -> str:
    if delta == "{}":
        return current
    merged = json.loads(current)
    merged.update(json.loads(delta))
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":"))


class SqliteDialect(Dialect):
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    one_statement_append = "view"
    table_exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"

    def __init__(self, options: SqliteOptions, *, in_memory: bool) -> None:
        self.options = options
        self.in_memory = in_memory
        self.sqlalchemy = SQLiteDialect(paramstyle="named")
        self.sqlalchemy.insert_returning = True
        self.sqlalchemy.update_returning = True
        self.sqlalchemy.delete_returning = True

    def insert(self, table: sa.Table) -> Any:
        return sqlite.insert(table)

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.adk_json_merge(column, delta)

    async def prepare_connection(self, connection: Connection) -> None:
        raw = connection.raw_connection
        await raw.execute(f"PRAGMA busy_timeout = {int(self.options.busy_timeout_ms)}")
        await raw.execute("PRAGMA foreign_keys = ON")
        if not self.in_memory:
            await self._use_wal(raw)
        synchronous = self.options.synchronous.upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise AdkStoreError(f"unknown SQLite synchronous setting {synchronous!r}")
        await raw.execute(f"PRAGMA synchronous = {synchronous}")
        await raw.create_function("adk_json_merge", 2, _merge_json_text, deterministic=True)

    async def _use_wal(self, raw: Any) -> None:
        """Switch the file to WAL (it stays so); retry while another process holds a lock.

        SQLite does not wait on its busy handler while it changes the journal mode, so
        several processes opening a new file at once would see "database is locked".
        """
        async with await raw.execute("PRAGMA journal_mode") as cursor:
            (mode,) = await cursor.fetchone()
        if str(mode).lower() == "wal":
            return
        deadline = time.monotonic() + self.options.busy_timeout_ms / 1000
        delay = 0.005
        while True:
            try:
                await raw.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    async def append_at_revision(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        # One statement in autocommit mode is its own transaction: SQLite takes the write lock
        # when the statement starts (waiting on the busy handler, retrying from a fresh
        # snapshot, as BEGIN IMMEDIATE would), and the trigger's work commits or aborts whole.
        # Shielded, as it commits on its own: a cancelled caller learns that it did.
        try:
            with anyio.CancelScope(shield=True):
                await connection.execute(statement, values)
        except sqlite3.IntegrityError as error:
            if str(error) == APPEND_REFUSED:
                return None
            raise
        return int(values["expected"]) + 1

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


class PostgresDialect(Dialect):
    name = "postgresql"
    # Stale appends are detected by re-checking the revision after waiting on the session's
    # row lock; under REPEATABLE READ or SERIALIZABLE (a role's or database's default may be
    # either) the loser would get a serialization failure instead. So every connection
    # adk-store holds defaults to READ COMMITTED (one-statement appends run in an implicit
    # transaction), and explicit write transactions say so too.
    begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED"
    one_statement_append = "cte"
    schema_lock = "SELECT pg_advisory_xact_lock(4242424242)"
    table_exists = "SELECT to_regclass(:name)::text WHERE to_regclass(:name) IS NOT NULL"

    def __init__(self) -> None:
        self.sqlalchemy = PGDialect(paramstyle="named")  # type: ignore[no-untyped-call]

    async def prepare_connection(self, connection: Connection) -> None:
        # A connection of a shared pool gets this undone by the pool's RESET ALL on release.
        await connection.execute(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
        )

    def insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table)

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        merged: ColumnElement[Any] = column.op("||")(delta)
        return merged

    def json_param(self, name: str) -> ColumnElement[Any]:
        return sa.cast(sa.bindparam(name), postgresql.JSONB)

    def byte_order(self, column: Any) -> ColumnElement[Any]:
        ordered: ColumnElement[Any] = column.collate("C")
        return ordered

    def check_text(self, text: str, where: str) -> None:
        if "\x00" in text:
            raise StateSerializationError(where, "PostgreSQL cannot store NUL characters in text")

    def adapt_json(self, json_text: str, where: str) -> str:
        if "\\u0000" in json_text and _JSON_NUL.search(json_text):
            raise StateSerializationError(
                where, "PostgreSQL cannot store NUL characters (\\u0000) in JSONB"
            )
        if "e+" in json_text:
            return _JSON_STRING_OR_BIG_FLOAT.sub(_spell_out_big_float, json_text)
        return json_text

    def is_unique_violation(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) == "23505"

    async def append_at_revision(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        # The statement commits on its own; shielded, so that a caller cancelled while it
        # runs still learns (and records) that it committed instead of being left guessing.
        with anyio.CancelScope(shield=True):
            revision = await connection.fetch_val(statement, values)
        return None if revision is None else int(revision)

    def is_alive(self, connection: Connection) -> bool:
        import asyncpg

        try:
            return not connection.raw_connection.is_closed()
        except asyncpg.InterfaceError:
            # The pool already took back a connection whose server process died.
            return False

    def database_options(self, pool_size: int) -> dict[str, Any]:
        return {"min_size": 1, "max_size": pool_size}


def dialect_for(url: str, sqlite_options: SqliteOptions) -> Dialect:
    """The dialect of a ``databases`` URL (``sqlite+aiosqlite://…``, ``postgresql://…``)."""
    scheme = url.split(":", 1)[0].lower()
    family = scheme.split("+", 1)[0]
    if family == "sqlite":
        in_memory = url.rstrip("/").endswith(":memory:") or "mode=memory" in url
        return SqliteDialect(sqlite_options, in_memory=in_memory)
    if family in {"postgresql", "postgres"}:
        return PostgresDialect()
    raise AdkStoreError(
        f"unsupported database URL scheme {scheme!r}: use sqlite+aiosqlite:///path.db "
        "or postgresql+asyncpg://user@host/dbname"
    )
