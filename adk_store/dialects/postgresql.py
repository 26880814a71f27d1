"""PostgreSQL through asyncpg: JSONB, READ COMMITTED, appends as data-modifying CTEs."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql.elements import ColumnElement

from .._append_sql import (
    BoundInputs,
    bump_session,
    delta_given,
    event_row,
    insert_session,
    merge_state,
)
from .._errors import DatabaseError
from .._runtime import Connection, PoolLayout, run_to_completion
from .._runtime.compiled import numbered
from .._schema import app_states, events, sessions, user_states
from .base import Dialect
from .fulltext import TsvectorIndex

NUL_ESCAPE = "\x01"
"""PostgreSQL cannot store NUL (U+0000) in TEXT or JSONB. adk-store stores NUL as U+0001 "0",
and U+0001 itself as U+0001 "1", in text columns and in every JSON string (keys included);
text holding neither character is stored unchanged."""

_NUL_OR_ESCAPE = re.compile("[\x00\x01]")
_ESCAPED = re.compile("\x01([01])")
_JSON_NUL_OR_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u000([01])")
"""``\\u0000`` or ``\\u0001`` in JSON text, not preceded by an escaping backslash."""
_JSON_ESCAPED = re.compile(r"(?<!\\)((?:\\\\)*)\\u0001([01])")
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


class PostgresDialect(Dialect):
    name = "postgresql"
    # Stale appends are detected by re-checking the revision after waiting on the session's
    # row lock; under REPEATABLE READ or SERIALIZABLE (a role's or database's default may be
    # either) the loser would get a serialization failure instead. So every connection
    # adk-store holds defaults to READ COMMITTED (one-statement appends run in an implicit
    # transaction), and explicit write transactions say so too.
    begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED"
    memory_index = TsvectorIndex()

    def __init__(self, schema: str | None = None) -> None:
        self.sqlalchemy = PGDialect(paramstyle="named")  # type: ignore[no-untyped-call]
        self.schema = schema
        self.schema_lock = f"SELECT pg_advisory_xact_lock({_schema_lock_key(schema)})"
        # Read from the catalog table, not through to_regclass: a lookup that found nothing
        # before the schema lock was taken may be cached and not see the tables another process
        # created meanwhile.
        where = "current_schema()" if schema is None else self._literal(schema)
        self.table_exists = (
            f"SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = {where} AND tablename = :name"
        )

    def _literal(self, text: str) -> str:
        return str(
            sa.literal(text, sa.Text).compile(
                dialect=self.sqlalchemy, compile_kwargs={"literal_binds": True}
            )
        )

    async def prepare_migrations(self, connection: Connection) -> None:
        if self.schema is None:
            return
        quoted = self.sqlalchemy.identifier_preparer.quote(self.schema)
        exists = await connection.fetch_val(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :schema",
            {"schema": self.schema},
        )
        if exists is None:
            try:
                await connection.execute(f"CREATE SCHEMA {quoted}")
            except Exception as error:
                if getattr(error, "sqlstate", None) == "42501":
                    raise DatabaseError(
                        f"cannot create schema {self.schema!r}: this role may not create schemas "
                        f"in the database; create it once as its owner (CREATE SCHEMA {quoted} "
                        "AUTHORIZATION <this role>)"
                    ) from error
                raise
        await connection.execute(f"SET LOCAL search_path TO {quoted}")

    def insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table)

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        merged: ColumnElement[Any] = column.op("||")(delta)
        return merged

    def json_param(self, name: str) -> ColumnElement[Any]:
        return sa.cast(sa.bindparam(name), postgresql.JSONB)

    def byte_order(self, column: Any) -> ColumnElement[Any]:
        # The "C" collation compares bytes, as SQLite does. On a database whose default
        # collation is another, export pages sort instead of walking the primary key index.
        ordered: ColumnElement[Any] = column.collate("C")
        return ordered

    def one_statement_append(self) -> sa.ClauseElement:
        """Data-modifying CTEs: bump the session, then insert the event and merge the deltas
        only if the bump found the session at ``:expected``."""
        bumped = (
            bump_session(BoundInputs(self), self, stale_check=True)
            .returning(sessions.c.revision)
            .cte("bumped")
        )
        # In a SELECT list a parameter has no column to take its type from.
        selected = BoundInputs(self, typed_values=True)
        event = event_row(selected, bumped.c.revision)
        inserted = sa.insert(events).from_select(
            list(event), sa.select(*event.values()).select_from(bumped)
        )
        app_upsert, user_upsert = self._shared_state_upserts(bumped)
        return sa.select(bumped.c.revision).add_cte(
            inserted.cte("inserted"), app_upsert, user_upsert
        )

    def one_statement_create(self) -> sa.ClauseElement:
        """Data-modifying CTEs: insert the session, then merge the deltas; the app and user
        state after them (as merged, or as they were when there was nothing to merge)."""
        inserted = insert_session(BoundInputs(self)).returning(sessions.c.revision).cte("inserted")
        app_upsert, user_upsert = self._shared_state_upserts(inserted, return_state=True)
        stored_app_state = (
            sa.select(app_states.c.state)
            .where(app_states.c.app_name == sa.bindparam("app_name"))
            .scalar_subquery()
        )
        stored_user_state = (
            sa.select(user_states.c.state)
            .where(
                user_states.c.app_name == sa.bindparam("app_name"),
                user_states.c.user_id == sa.bindparam("user_id"),
            )
            .scalar_subquery()
        )
        return sa.select(
            sa.func.coalesce(sa.select(app_upsert.c.state).scalar_subquery(), stored_app_state),
            sa.func.coalesce(sa.select(user_upsert.c.state).scalar_subquery(), stored_user_state),
        ).select_from(inserted)

    def _shared_state_upserts(
        self, session_written: sa.CTE, *, return_state: bool = False
    ) -> tuple[sa.CTE, sa.CTE]:
        """The app-state and user-state merges, run once ``session_written`` has a row;
        with ``return_state`` each returns the merged state."""
        selected = BoundInputs(self, typed_values=True)

        def merged(table: sa.Table, delta: str, *after: ColumnElement[bool]) -> sa.CTE:
            merge = merge_state(
                self,
                table,
                selected,
                delta,
                where=[delta_given(selected, delta), *after],
                select_from=session_written,
            )
            returned = table.c.state if return_state else table.c.app_name
            upsert: sa.CTE = merge.returning(returned).cte(delta.replace("state_delta", "upsert"))
            return upsert

        app_upsert = merged(app_states, "app_state_delta")
        # Data-modifying CTEs run in no promised order. Reading app_upsert's result before
        # touching the user row makes every writer (append or create) lock session, app, user
        # rows in that order, so concurrent writers cannot deadlock.
        app_done = sa.select(sa.func.count()).select_from(app_upsert).scalar_subquery() >= (
            sa.literal_column("0")
        )
        return app_upsert, merged(user_states, "user_state_delta", app_done)

    async def run_one_statement_append(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        revision = await run_to_completion(connection, connection.fetch_val(statement, values))
        return None if revision is None else int(revision)

    text_escape = NUL_ESCAPE

    def encode_text(self, text: str) -> str:
        if "\x00" in text or NUL_ESCAPE in text:
            return _NUL_OR_ESCAPE.sub(lambda found: NUL_ESCAPE + str(ord(found.group())), text)
        return text

    def restore_text(self, text: str) -> str:
        if NUL_ESCAPE in text:
            return _ESCAPED.sub(lambda found: chr(int(found.group(1))), text)
        return text

    def adapt_json(self, json_text: str, where: str) -> str:
        if "\\u000" in json_text:
            # JSON text spells NUL and U+0001 as \u0000 and \u0001: both become \u0001
            # followed by the digit, as in text columns.
            json_text = _JSON_NUL_OR_ESCAPE.sub(r"\1\\u0001\2", json_text)
        if "e+" in json_text:
            return _JSON_STRING_OR_BIG_FLOAT.sub(_spell_out_big_float, json_text)
        return json_text

    async def insert_rows(
        self, connection: Connection, statement: str, rows: list[dict[str, Any]]
    ) -> None:
        # asyncpg pipelines executemany; it takes $n parameters, not :name ones.
        positional, names = numbered(statement)
        await connection.raw_connection.executemany(
            positional, [tuple(row[name] for name in names) for row in rows]
        )

    def restore_json(self, json_text: str) -> str:
        if "\\u0001" in json_text:
            return _JSON_ESCAPED.sub(_restore_json_escape, json_text)
        return json_text

    def is_unique_violation(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) == "23505"

    def outcome_unknown(self, error: BaseException) -> bool:
        # Only an error the server reported for the statement (not a lost connection, class
        # 08, or an ended server process, class 57) proves that it was rolled back.
        sqlstate = getattr(error, "sqlstate", None)
        return not isinstance(sqlstate, str) or sqlstate[:2] in {"08", "57"}

    async def end_server_process(self, connection: Connection, server_process: int) -> None:
        # A backend whose client went silent may still run (or wait for a lock with) the
        # write: end it, and wait until it is gone. Only a backend of this role and database.
        await connection.fetch_all(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = :pid "
            "AND datname = current_database() AND usename = current_user",
            {"pid": server_process},
        )
        delay = 0.01
        while await connection.fetch_val(
            "SELECT 1 FROM pg_stat_activity WHERE pid = :pid", {"pid": server_process}
        ):
            await anyio.sleep(delay)
            delay = min(2 * delay, 0.2)

    async def prepare_connection(self, connection: Connection) -> None:
        # A connection of a shared pool gets this undone by the pool's RESET ALL on release.
        await connection.execute(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
        )

    def is_alive(self, connection: Connection) -> bool:
        import asyncpg

        try:
            return not connection.raw_connection.is_closed()
        except asyncpg.InterfaceError:
            # The pool already took back a connection whose server process died.
            return False

    @property
    def pool_layout(self) -> PoolLayout:
        return PoolLayout(bounded_driver_pool=True, over_network=True)

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]:
        # asyncpg's ``timeout``: how long opening one connection may take. No connection
        # floor: asyncpg would reopen it in the background while the server is down, logging
        # a traceback every few seconds; the held connections are adk-store's own anyway.
        return {"min_size": 0, "max_size": pool_size, "timeout": connect_timeout}

    # -- other applications' tables ----------------------------------------------------------

    list_tables = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    list_columns = (
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = :table"
    )
    end_snapshot = "ROLLBACK"

    async def prepare_other_connection(self, connection: Connection, *, read_only: bool) -> None:
        if read_only:
            # The whole database is read in this one snapshot: a long read holds up no writer.
            await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _schema_lock_key(schema: str | None) -> int:
    """The advisory lock that serialises migrations of one schema (a signed 64-bit key)."""
    if schema is None:
        return 4242424242
    digest = hashlib.blake2b(f"adk-store schema {schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _restore_json_escape(found: re.Match[str]) -> str:
    return found.group(1) + ("\\u0000" if found.group(2) == "0" else "\\u0001")
