"""MariaDB (and MySQL) through asyncmy: utf8mb4, READ COMMITTED, appends through a stored
procedure, state merged key by key by a stored function.

Tested on MariaDB 10.11. MySQL 8 has no ``RETURNING`` and no ``UNIQUE … USING HASH``, both
used here; it is not run by the tests.
"""

from __future__ import annotations

from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.mysql.base import MySQLDialect
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
from .._errors import StateSerializationError
from .._runtime import Connection, PoolLayout, run_to_completion
from .._schema import app_states, sessions, user_states
from .base import Dialect
from .fulltext import InnodbFulltextIndex

SQL_MODE = "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
"""Every connection's ``sql_mode``: strict, so a value that does not fit is an error, never
silently cut short."""

SCHEMA_LOCK = "adk-store schema"
"""The name of the ``GET_LOCK`` lock that serialises migrations across processes."""

MAX_JSON_NESTING = 31
"""The most arrays and objects a stored JSON document may nest inside one another: MariaDB's
JSON functions and ``JSON_VALID`` stop at a depth of 32, counting the innermost value as one
more level (``JSON_DEPTH('[[1]]')`` is 3)."""

_DUPLICATE_KEY = 1062
_SERVER_ERRORS_BELOW = 2000
"""Error numbers from 2000 on are the client's own (lost connection, server gone): the
statement may have run to its commit all the same."""


class _MariadbCompiler(MySQLDialect):
    """SQLAlchemy's MySQL dialect as for a MariaDB server it has not connected to: MariaDB
    10.4.5 and later cast to DOUBLE (SQLAlchemy learns that only from a connection)."""

    _support_float_cast = True


class MysqlDialect(Dialect):
    name = "mysql"
    # Each connection reads at READ COMMITTED (set once per connection): the stale check is
    # an UPDATE of the session row, which reads the latest committed revision either way,
    # and READ COMMITTED takes no gap locks, so concurrent upserts do not deadlock on them.
    begin_write = "START TRANSACTION"
    schema_lock = f"SELECT GET_LOCK('{SCHEMA_LOCK}', 600)"
    schema_unlock = f"SELECT RELEASE_LOCK('{SCHEMA_LOCK}')"
    table_exists = (
        "SELECT 1 FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
    )
    memory_index = InnodbFulltextIndex()

    def __init__(self) -> None:
        self.sqlalchemy = _MariadbCompiler(paramstyle="named")
        # MariaDB has DELETE … RETURNING and INSERT … RETURNING (not UPDATE … RETURNING).
        self.sqlalchemy.insert_returning = True
        self.sqlalchemy.delete_returning = True

    def insert(self, table: sa.Table) -> Any:
        return mysql.insert(table)

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        # adk_json_merge is created by migration 0001 (MariaDB's JSON_MERGE_PATCH would drop
        # keys set to null and merge nested objects instead of replacing them).
        merged: ColumnElement[Any] = sa.func.adk_json_merge(column, delta)
        return merged

    def merge_state_upsert(self, insert: Any) -> Any:
        table = insert.table
        return insert.on_duplicate_key_update(
            state=self.merge_json(table.c.state, insert.inserted.state),
            update_time=insert.inserted.update_time,
        )

    def insert_unless_exists(
        self,
        table: sa.Table,
        values: dict[str, Any],
        key: list[sa.Column[Any]],
        returning: sa.Column[Any] | None = None,
    ) -> sa.ClauseElement:
        insert = mysql.insert(table).values(values)
        if returning is None:
            # Setting a key column to itself leaves the row as it is, with no warning, and
            # needs no RETURNING (which MySQL 8 lacks: google-adk's own databases may be there).
            return insert.on_duplicate_key_update({key[0].name: key[0]})
        # IGNORE turns only errors that strict mode raises into warnings; every value is
        # checked before it gets here, so a row left out is one whose key exists.
        return insert.prefix_with("IGNORE").returning(returning)

    def bump_session(self, update: sa.Update) -> tuple[sa.ClauseElement, ...]:
        # No UPDATE … RETURNING: read the revision back in the same transaction, only if the
        # update matched the row (ROW_COUNT() is that of the statement before).
        revision = sa.select(sessions.c.revision).where(
            sessions.c.app_name == sa.bindparam("app_name"),
            sessions.c.user_id == sa.bindparam("user_id"),
            sessions.c.id == sa.bindparam("session_id"),
            sa.func.row_count() == sa.literal_column("1"),
        )
        return update, revision

    def prune_batch(
        self,
        conditions: list[ColumnElement[bool]],
        returning: tuple[sa.Column[Any], ...],
    ) -> sa.ClauseElement:
        deleted = self.compile(sa.delete(sessions).where(*conditions))
        columns = ", ".join(column.name for column in returning)
        return sa.text(f"{deleted} ORDER BY update_time LIMIT :limit RETURNING {columns}")

    def one_statement_append(self) -> sa.ClauseElement:
        """``CALL adk_append(…)``: the stored procedure of migration 0001 appends in a
        transaction of its own and returns the new revision (``NULL``: nothing written)."""
        arguments = ", ".join(f":{name}" for name in APPEND_INPUTS)
        return sa.text(f"CALL adk_append({arguments})")

    def stored_append(self) -> tuple[str, ...]:
        new = NamedInputs("new_")
        parameters = ",\n".join(
            f"    IN new_{name} {self._parameter_type(column)}"
            for name, column in APPEND_INPUTS.items()
        )
        merges = "".join(
            f"        IF {self.compile(delta_given(new, delta))} THEN\n"
            f"{laid_out(self.compile(merge_state(self, table, new, delta)), ' ' * 12)};\n"
            "        END IF;\n"
            for table, delta in (
                (app_states, "app_state_delta"),
                (user_states, "user_state_delta"),
            )
        )
        return (
            f"CREATE OR REPLACE PROCEDURE adk_append(\n{parameters}\n)\n"
            + _APPEND_PROCEDURE.format(
                bump=laid_out(self.compile(bump_session(new, self, stale_check=True)), " " * 4),
                insert=laid_out(self.compile(insert_event(new, new_revision(new))), " " * 8),
                merges=merges,
                revision=self.compile(new_revision(new)),
            ),
        )

    def _parameter_type(self, column: sa.Column[Any]) -> str:
        # Text parameters in the tables' character set, compared as their columns are.
        compiled = column.type.compile(dialect=self.sqlalchemy)
        return compiled.replace(" COLLATE ", " CHARACTER SET utf8mb4 COLLATE ")

    async def run_one_statement_append(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        revision = await run_to_completion(connection, connection.fetch_val(statement, values))
        return None if revision is None else int(revision)

    def adapt_json(self, json_text: str, where: str) -> str:
        if json_text.count("{") + json_text.count("[") > MAX_JSON_NESTING:
            nesting = _json_nesting(json_text)
            if nesting > MAX_JSON_NESTING:
                raise StateSerializationError(
                    where,
                    f"its arrays and objects nest {nesting} deep; MariaDB's JSON holds at "
                    f"most {MAX_JSON_NESTING}",
                )
        return json_text

    def is_unique_violation(self, error: BaseException) -> bool:
        return _error_number(error) == _DUPLICATE_KEY

    def outcome_unknown(self, error: BaseException) -> bool:
        number = _error_number(error)
        return number is None or number >= _SERVER_ERRORS_BELOW

    async def end_server_process(self, connection: Connection, server_process: int) -> None:
        exists = "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = :id"
        if await connection.fetch_val(exists, {"id": server_process}):
            try:
                await connection.execute("KILL CONNECTION :id", {"id": server_process})
            except Exception as error:
                if _error_number(error) != 1094:  # unknown thread: it ended meanwhile
                    raise
        delay = 0.01
        while await connection.fetch_val(exists, {"id": server_process}):
            await anyio.sleep(delay)
            delay = min(2 * delay, 0.2)

    async def prepare_connection(self, connection: Connection) -> None:
        await connection.execute(f"SET SESSION sql_mode = '{SQL_MODE}'")
        await connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")

    @property
    def pool_layout(self) -> PoolLayout:
        return PoolLayout(bounded_driver_pool=True, over_network=True)

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]:
        return {"min_size": 0, "max_size": pool_size, "connect_timeout": connect_timeout}

    # -- other applications' tables ----------------------------------------------------------

    list_tables = (
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
    )
    list_columns = (
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
    )
    end_snapshot = "ROLLBACK"

    async def prepare_other_connection(self, connection: Connection, *, read_only: bool) -> None:
        await connection.execute(f"SET SESSION sql_mode = '{SQL_MODE}'")
        # A consistent snapshot is taken only at REPEATABLE READ (ignored below it).
        await connection.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if read_only:
            await connection.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")


_APPEND_PROCEDURE = """MODIFIES SQL DATA
BEGIN
    DECLARE own_transaction BOOLEAN DEFAULT @@in_transaction = 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        IF own_transaction THEN
            ROLLBACK;
        END IF;
        RESIGNAL;
    END;
    IF own_transaction THEN
        START TRANSACTION;
    END IF;
{bump};
    IF ROW_COUNT() = 0 THEN
        IF own_transaction THEN
            ROLLBACK;
        END IF;
        SELECT NULL AS revision;
    ELSE
{insert};
{merges}        IF own_transaction THEN
            COMMIT;
        END IF;
        SELECT {revision} AS revision;
    END IF;
END;"""
"""``adk_append`` after its parameters: the append in one transaction of its own, or in the
caller's when one is open (an application's outer transaction, where each operation runs in
a savepoint: START TRANSACTION would commit the caller's work)."""


def _json_nesting(json_text: str) -> int:
    """How deeply arrays and objects nest in ``json_text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for character in json_text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def _error_number(error: BaseException) -> int | None:
    """The MariaDB error number of an asyncmy error; ``None`` for any other error."""
    if type(error).__module__.startswith("asyncmy") and error.args:
        number = error.args[0]
        if isinstance(number, int):
            return number
    return None
