"""The interface every database fulfils: what the rest of adk-store may ask of a dialect.

The service never asks which database it talks to. It asks its :class:`Dialect` for an upsert,
a JSON merge, the statement that opens a write transaction, how to prepare a connection, how
to lay out the held connections, and how an append becomes one statement. ``import-adk`` and
``export-adk`` ask it, in a section of its own, what differs in another application's tables
(google-adk's), which adk-store reads and writes but does not own.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SqlalchemyDialect
from sqlalchemy.sql.elements import ColumnElement

from .._runtime import Connection, PoolLayout
from .._schema import sessions
from .fulltext import MemoryIndex


class Dialect:
    """The interface: what the service needs to know about a database."""

    name: str
    """The dialect's name, also the folder of its migrations: ``migrations/<name>/``."""
    begin_write: str
    """Opens a transaction that will write."""
    sqlalchemy: SqlalchemyDialect
    """Compiles our Core statements (named parameters, for ``databases``)."""
    schema_lock: str | None = None
    """Serialises schema creation across processes (inside the write transaction)."""
    schema_unlock: str | None = None
    """Releases :attr:`schema_lock` when the transaction does not (a session-level lock)."""
    schema: str | None = None
    """The database schema (namespace) holding adk-store's tables; ``None`` for the
    connection's default."""
    table_exists: str
    """A query with parameter ``:name`` that returns a row when that table exists."""
    memory_index: MemoryIndex
    """How memories are indexed and searched with the database's full-text engine."""

    # -- SQL building ------------------------------------------------------------------------

    def compile(self, statement: sa.ClauseElement) -> str:
        """SQL text with ``:name`` parameters for ``statement``, its tables in :attr:`schema`."""
        options: dict[str, Any] = {}
        if self.schema is not None:
            options = {
                "schema_translate_map": {None: self.schema},
                "render_schema_translate": True,
            }
        return str(
            statement.compile(
                dialect=self.sqlalchemy, compile_kwargs={"render_postcompile": True}, **options
            )
        )

    async def prepare_migrations(self, connection: Connection) -> None:
        """Run inside the migration transaction, after :attr:`schema_lock`: make the DDL of
        ``migrations/`` land in :attr:`schema`."""

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that supports ``on_conflict_do_update``."""
        raise NotImplementedError

    def merge_state_upsert(self, insert: Any) -> Any:
        """``insert`` (an :meth:`insert` into a state table, of values or of a SELECT) that,
        where the row's key exists, merges the row's ``state`` with the new one
        (:meth:`merge_json`) and sets its ``update_time``."""
        table = insert.table
        return insert.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={
                "state": self.merge_json(table.c.state, insert.excluded.state),
                "update_time": insert.excluded.update_time,
            },
        )

    def insert_unless_exists(
        self,
        table: sa.Table,
        values: dict[str, Any],
        key: list[sa.Column[Any]],
        returning: sa.Column[Any] | None = None,
    ) -> sa.ClauseElement:
        """Insert ``values`` unless a row with the same ``key`` exists; returns
        ``returning`` of the row when it was inserted (if given), nothing otherwise."""
        insert = self.insert(table).values(values).on_conflict_do_nothing(index_elements=key)
        return insert if returning is None else insert.returning(returning)  # type: ignore[no-any-return]

    def bump_session(self, update: sa.Update) -> tuple[sa.ClauseElement, ...]:
        """The statements that run ``update`` (of one session row) and then return the row's
        new revision, run in order in one transaction (no row: nothing was updated)."""
        return (update.returning(sessions.c.revision),)

    def prune_batch(
        self,
        conditions: list[ColumnElement[bool]],
        returning: tuple[sa.Column[Any], ...],
    ) -> sa.ClauseElement:
        """Delete at most ``:limit`` sessions meeting ``conditions``, least recently updated
        first, and return ``returning`` of each."""
        key = (sessions.c.app_name, sessions.c.user_id, sessions.c.id)
        batch = (
            sa.select(*key)
            .where(*conditions)
            .order_by(sessions.c.update_time)
            .limit(sa.bindparam("limit"))
            .offset(sa.literal_column("0"))
        )
        # The conditions are checked again as each row is deleted: a session appended to
        # since the batch was chosen is kept.
        return (
            sa.delete(sessions)
            .where(sa.tuple_(*key).in_(batch), *conditions)
            .returning(*returning)
        )

    def later_of(self, column: Any, value: ColumnElement[Any]) -> ColumnElement[Any]:
        """The greater of ``column`` and ``value``: a session's update time never goes back."""
        later: ColumnElement[Any] = sa.func.greatest(column, value)
        return later

    def merge_json(self, column: Any, delta: ColumnElement[Any]) -> ColumnElement[Any]:
        """``column`` with the top-level keys of ``delta`` set (a JSON ``null`` is kept)."""
        raise NotImplementedError

    def json_param(self, name: str) -> ColumnElement[Any]:
        """A bound parameter that carries JSON text."""
        return sa.bindparam(name)

    def byte_order(self, column: Any) -> ColumnElement[Any]:
        """``column`` compared and sorted by its bytes, whatever the database's collation
        (so that exports list the same contents in the same order on every database)."""
        ordered: ColumnElement[Any] = column
        return ordered

    def one_statement_append(self) -> sa.ClauseElement:
        """The whole append as one statement.

        It bumps the session if it is still at ``:expected`` (and, when ``:created`` is not
        null, still the incarnation created then), inserts the event with the new revision
        as its ``seq``, and merges ``:app_state_delta`` and ``:user_state_delta`` (``NULL``
        for none). Nothing is written when the session is missing or has moved on.
        """
        raise NotImplementedError

    def one_statement_create(self) -> sa.ClauseElement | None:
        """``create_session`` as one statement, or ``None`` to run it as a transaction.

        It inserts the session (``:session_state``, created and updated ``:now``), merges
        ``:app_state_delta`` and ``:user_state_delta`` (``NULL`` for none; updated
        ``:update_time``), and returns one row: the app and the user state after it, as
        ``Statements.select_scopes`` does. A session that exists already raises the
        database's unique violation and nothing is written.
        """
        return None

    def stored_append(self) -> tuple[str, ...]:
        """The DDL of the append this database keeps (migration 0001 creates it, and a test
        checks that it holds this text), generated from :mod:`adk_store._append_sql`; none
        where :meth:`one_statement_append` states the whole append itself."""
        return ()

    async def run_one_statement_append(
        self, connection: Connection, statement: str, values: dict[str, Any]
    ) -> int | None:
        """Run the compiled :meth:`one_statement_append` in autocommit mode.

        Returns the session's new revision, or ``None`` when the session is missing or not at
        ``values["expected"]``; then nothing was written.
        """
        raise NotImplementedError

    # -- values ------------------------------------------------------------------------------

    text_escape: str | None = None
    """The character :meth:`encode_text` escapes with; text read back that does not hold it
    needs no :meth:`restore_text` (``None`` when the database stores every text as it is)."""

    def encode_text(self, text: str) -> str:
        """``text`` as this database stores it in a TEXT column (:meth:`restore_text` undoes
        it)."""
        return text

    def restore_text(self, text: str) -> str:
        """The text :meth:`encode_text` was given, from what the database stored."""
        return text

    def adapt_json(self, json_text: str, where: str) -> str:
        """``json_text`` as this database must receive it to give back the same values
        (:meth:`restore_json` undoes what reading back does not).

        Raises :class:`StateSerializationError` if the database cannot store it at all.
        """
        return json_text

    def restore_json(self, json_text: str) -> str:
        """The JSON text :meth:`adapt_json` was given (up to formatting), from what the
        database returns."""
        return json_text

    def is_unique_violation(self, error: BaseException) -> bool:
        raise NotImplementedError

    def outcome_unknown(self, error: BaseException) -> bool:
        """Whether a write that raised ``error`` may have been committed all the same (the
        connection failed after the write was sent, before its reply arrived). ``False``
        where a failed statement is always rolled back (a local database)."""
        return False

    async def end_server_process(self, connection: Connection, server_process: int) -> None:
        """Make sure the server process of a failed connection has ended (its transaction
        committed or rolled back), so that a write it was running can no longer commit;
        run on another connection, before looking the write up."""

    async def insert_rows(
        self, connection: Connection, statement: str, rows: list[dict[str, Any]]
    ) -> None:
        """Run one compiled INSERT for every row of ``rows`` (imports), in as few round
        trips as the driver allows."""
        await connection.executemany(statement, rows)

    # -- connections -------------------------------------------------------------------------

    @property
    def pool_layout(self) -> PoolLayout:
        """How held connections share reads and writes (every connection does both here)."""
        return PoolLayout()

    async def prepare_connection(self, connection: Connection) -> None:
        """Settings every new connection needs before its first query."""

    def is_alive(self, connection: Connection) -> bool:
        """Whether a held connection can still be used (checked without a round trip)."""
        return True

    def database_options(self, pool_size: int, connect_timeout: float) -> dict[str, Any]:
        """Options for a ``databases.Database`` adk-store creates itself."""
        return {}

    # -- other applications' tables ----------------------------------------------------------
    # ``import-adk`` and ``export-adk`` read and write google-adk's session tables: a database
    # adk-store does not own, on a connection of its own. It is set up by
    # :meth:`prepare_other_connection`, never by :meth:`prepare_connection` (which may change
    # the database: SQLite's WAL). Statements are still built with the members above.

    list_tables: str
    """A query that returns the name of every table of the connection's default schema."""
    list_columns: str
    """A query with parameter ``:table`` that returns the name of each column of that table
    (in the connection's default schema)."""
    end_snapshot: str | None = None
    """Ends the snapshot :meth:`prepare_other_connection` opened for reading, before the
    connection closes (a connection released inside a transaction is reset by the driver,
    which warns about it); ``None`` where it opens none."""
    begin_short_read: str | None = None
    """Opens a short read transaction around each read, where one snapshot held for the
    whole read would keep the database's writers from committing (SQLite); ``None`` where
    reads run in the snapshot :meth:`prepare_other_connection` opened."""
    holds_sqlite_session_files: bool = False
    """Whether google-adk's ``SqliteSessionService`` layout can occur (it writes SQLite
    files only)."""

    def other_database(self, url: str, *, read_only: bool) -> tuple[str, dict[str, Any]]:
        """The ``databases`` URL and options that open another application's database at
        ``url`` (a URL of this dialect), opened ``read_only`` where the database can refuse
        writes from the start.

        Raises :class:`InvalidArgumentError` where no such database can be (in memory) or, to
        read, where there is none.
        """
        return url, {}

    def database_missing(self) -> bool:
        """Whether connecting would create the database (a SQLite file not there yet): a dry
        run, which must leave everything as it was, does not connect then."""
        return False

    async def prepare_other_connection(self, connection: Connection, *, read_only: bool) -> None:
        """Settings a connection to another application's database needs, changing nothing in
        that database. ``read_only``: the connection can write nothing from now on; where a
        long read holds up no writer, it also opens the one snapshot the whole database is
        read in (:attr:`end_snapshot` ends it)."""

    def naive_utc_param(self, moment: datetime.datetime) -> Any:
        """``moment`` (naive UTC) as a parameter for a SQLAlchemy ``DateTime`` column, which
        is how other applications' tables hold times."""
        return moment
