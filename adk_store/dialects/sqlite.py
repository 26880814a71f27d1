"""SQLite through aiosqlite: one writer connection, WAL, appends through a view's trigger."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.sql.elements import ColumnElement

from .._append_sql import (
    APPEND_INPUTS,
    NamedInputs,
    bump_session,
    delta_given,
    insert_event,
    laid_out,
    merge_state,
    new_revision,
)
from .._errors import AdkStoreError, DatabaseError, InvalidArgumentError
from .._locations import SqliteLocation, sqlite_read_only_uri, sqlite_url
from .._runtime import Connection, PoolLayout, run_to_completion
from .._schema import app_states, session_key, sessions, user_states
from .base import Dialect
from .fulltext import Fts5Index

APPEND_REFUSED = "adk-store: session missing or moved on"
"""What the ``adk_appends`` trigger raises when the session is not at the expected revision
(:meth:`SqliteDialect.stored_append` spells it into the trigger)."""

appends = sa.table("adk_appends", *(sa.column(name) for name in APPEND_INPUTS))
"""Not part of ``metadata``: a view that is never read. Inserting a row into it runs its
INSTEAD OF trigger (see :meth:`SqliteDialect.stored_append`), which appends an event, bumps
its session and merges the state deltas, so an append is one statement."""


WAL_SIZE_LIMIT = 8 * 1024 * 1024
"""Bytes the write-ahead log is cut back to once it has been checkpointed and restarted
(``PRAGMA journal_size_limit``). While a reader holds an old snapshot SQLite cannot restart
the log, so it grows with every write meanwhile; without a limit it would keep that size
until the last connection closes."""


@dataclass(frozen=True)
class SqliteOptions:
    """Per-connection SQLite settings; every connection adk-store opens gets them.

    ``synchronous="NORMAL"`` with WAL never corrupts the file and never loses a commit when the
    process dies; only a power cut can roll back the last commits. Use ``"FULL"`` to rule that
    out at the cost of one fsync per commit.
    """

    busy_timeout_ms: int = 30_000
    synchronous: str = "NORMAL"


def _merge_json_text(current: str, delta: str) -> str:
    if delta == "{}":
        return current
    merged = json.loads(current)
    merged.update(json.loads(delta))
    return json.dumps(merged, ensure_ascii=False, separators=(",", ":"))


class SqliteDialect(Dialect):
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    table_exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"
    memory_index = Fts5Index()

    def __init__(
        self, options: SqliteOptions, *, in_memory: bool, path: str | None = None
    ) -> None:
        self.options = options
        self.in_memory = in_memory
        self._path = None if in_memory else path
        self._file: tuple[int, int] | None = None
        """Device and inode of the file the first connection opened."""
        self._file_gone = False
        """Once the file was found deleted or replaced, it stays so (a new file could even
        reuse the old inode number once no connection holds the old one open)."""
        self.sqlalchemy = SQLiteDialect(paramstyle="named")
        self.sqlalchemy.insert_returning = True
        self.sqlalchemy.update_returning = True
        self.sqlalchemy.delete_returning = True

    @property
    def pool_layout(self) -> PoolLayout:
        # All writes of one service go through one connection, one at a time, so writers in
        # one process never meet SQLite's lock; WAL lets readers read meanwhile.
        return PoolLayout(separate_writer=True, one_connection_is_the_database=self.in_memory)

    def insert(self, table: sa.Table) -> Any:
        return sqlite.insert(table)

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.adk_json_merge(column, delta)

    def later_of(self, column: Any, value: ColumnElement[Any]) -> ColumnElement[Any]:
        later: ColumnElement[Any] = sa.func.max(column, value)  # SQLite's two-argument max
        return later

    def one_statement_append(self) -> sa.ClauseElement:
        """An insert into ``adk_appends``, whose INSTEAD OF trigger does the append.

        The row carries the later of the event's timestamp and the stored update time, read
        under the statement's write lock: the state rows take it as their update time, and the
        trigger of a database created before the trigger took the later one itself (see
        :meth:`stored_append`) sets the session's to it as it is.
        """
        values: dict[str, Any] = {
            column.name: sa.bindparam(column.name) for column in appends.columns
        }
        stored = sa.select(sessions.c.update_time).where(session_key(sessions)).scalar_subquery()
        values["update_time"] = self.later_of(
            sa.bindparam("update_time"), sa.func.coalesce(stored, sa.bindparam("update_time"))
        )
        return sa.insert(appends).values(values)

    def stored_append(self) -> tuple[str, ...]:
        """The ``adk_appends`` view and its trigger, which runs the append's writes, the
        refusal right after the session's bump: if that found no current session, it aborts
        the statement (``changes()`` counts the rows the trigger's last statement changed).

        The row's update time is already the later one (see :meth:`one_statement_append`):
        triggers of databases created before took it as it is.
        """
        nulls = ",\n".join(f"    NULL AS {name}" for name in APPEND_INPUTS)
        view = f"CREATE VIEW adk_appends AS\nSELECT\n{nulls}\nWHERE 0"
        new = NamedInputs("NEW.")
        refusal: sa.Select[Any] = sa.select(
            sa.literal_column(f"RAISE(ABORT, '{APPEND_REFUSED}')")
        ).where(sa.func.changes() == sa.literal_column("0"))
        writes = (
            bump_session(new, self, stale_check=True),
            refusal,
            insert_event(new, new_revision(new)),
            *(
                merge_state(self, table, new, delta, where=[delta_given(new, delta)])
                for table, delta in (
                    (app_states, "app_state_delta"),
                    (user_states, "user_state_delta"),
                )
            ),
        )
        body = "".join(f"{laid_out(self.compile(write), ' ' * 4)};\n" for write in writes)
        trigger = "CREATE TRIGGER adk_appends_insert INSTEAD OF INSERT ON adk_appends\n"
        return view, f"{trigger}BEGIN\n{body}END;"

    async def run_one_statement_append(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        # One statement in autocommit mode is its own transaction: SQLite takes the write lock
        # when the statement starts (waiting on the busy handler, retrying from a fresh
        # snapshot, as BEGIN IMMEDIATE would), and the trigger's work commits or aborts whole.
        try:
            await run_to_completion(connection, connection.execute(statement, values))
        except sqlite3.IntegrityError as error:
            if str(error) == APPEND_REFUSED:
                return None
            raise
        return int(values["expected"]) + 1

    async def insert_rows(
        self, connection: Connection, statement: str, rows: list[dict[str, Any]]
    ) -> None:
        # sqlite3 binds the compiled statement's :name parameters itself, all in one call.
        await connection.raw_connection.executemany(statement, rows)

    def is_unique_violation(self, error: BaseException) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)

    async def prepare_connection(self, connection: Connection) -> None:
        raw = connection.raw_connection
        self._check_file(opening=True)
        await raw.execute(f"PRAGMA busy_timeout = {int(self.options.busy_timeout_ms)}")
        synchronous = self.options.synchronous.upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise AdkStoreError(f"unknown SQLite synchronous setting {synchronous!r}")
        if raw.in_transaction:
            # The one connection of a force_rollback Database, inside its outer transaction:
            # SQLite cannot change these there (foreign_keys is ignored, so delete_session
            # deletes the events itself), and it is all rolled back anyway.
            await raw.create_function("adk_json_merge", 2, _merge_json_text, deterministic=True)
            return
        await raw.execute("PRAGMA foreign_keys = ON")
        if not self.in_memory:
            await self._use_wal(raw)
            await raw.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        await raw.execute(f"PRAGMA synchronous = {synchronous}")
        await raw.create_function("adk_json_merge", 2, _merge_json_text, deterministic=True)

    def is_alive(self, connection: Connection) -> bool:
        self._check_file(opening=False)
        return True

    def _check_file(self, *, opening: bool) -> None:
        """Raise :class:`DatabaseError` if the file at the path is no longer the one the
        service opened (deleted, or replaced by another): writes through connections to the
        old file would be acknowledged and lost, and its WAL would land on the new file.

        One ``stat`` per operation; a file replaced between that and the statement is not
        detected."""
        if self._path is None:
            return
        try:
            status = os.stat(self._path)
        except OSError:
            identity = None
        else:
            identity = (status.st_dev, status.st_ino)
        if opening and self._file is None:
            self._file = identity
            return
        if self._file_gone or identity is None or identity != self._file:
            self._file_gone = True
            raise DatabaseError(
                f"the SQLite file {self._path} was deleted or replaced since this service "
                "opened it; nothing was written. Open a new SessionService on the file."
            )

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

    # -- other applications' tables ----------------------------------------------------------

    list_tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
    list_columns = "SELECT name FROM pragma_table_info(:table)"
    begin_short_read = "BEGIN"
    holds_sqlite_session_files = True

    def other_database(self, url: str, *, read_only: bool) -> tuple[str, dict[str, Any]]:
        if self._path is None:
            raise InvalidArgumentError(
                f"{url!r} names an in-memory database: give a file path or a URL to a file"
            )
        path = Path(self._path).resolve()
        if not read_only:
            return sqlite_url(path), {}
        if not path.is_file():
            raise InvalidArgumentError(f"no SQLite database at {str(path)!r}")
        # databases decodes the URL's path once and SQLite the file: URI once more: quoting
        # as many times keeps any file name (spaces, %, ?, #) intact.
        return f"sqlite+aiosqlite:///{quote(sqlite_read_only_uri(path))}", {"uri": True}

    def database_missing(self) -> bool:
        return self._path is not None and not os.path.exists(self._path)

    async def prepare_other_connection(self, connection: Connection, *, read_only: bool) -> None:
        # Nothing that changes the file (no WAL): the database is another application's.
        if read_only:
            await connection.execute("PRAGMA query_only = ON")

    def naive_utc_param(self, moment: datetime.datetime) -> Any:
        # SQLAlchemy's SQLite DateTime stores this text.
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_dialect(location: SqliteLocation, options: SqliteOptions) -> SqliteDialect:
    """The dialect for a SQLite database (a file, or an in-memory database)."""
    file = location.file
    return SqliteDialect(options, in_memory=file is None, path=None if file is None else str(file))
