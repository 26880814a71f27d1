"""Start-up helpers: create, upgrade, inspect or drop adk-store's schema in a database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from . import _migrations
from ._runtime import ConnectionPool, Connector, Database
from ._service import SessionService
from ._statements import Statements
from .dialects import Dialect, SqliteOptions, dialect_for


async def create_schema(database: str | Database, *, schema: str | None = None) -> None:
    """Create adk-store's tables, or upgrade them, in ``database`` (a URL or a Database),
    inside the PostgreSQL ``schema`` if given (created when missing).

    Idempotent, and safe when several processes call it at once: exactly one applies each
    migration, the others wait and find it done. Works under asyncio and trio.

    >>> await create_schema("postgresql+asyncpg://app@localhost/app")
    """
    async with SessionService(database, create_schema=True, pool_size=1, schema=schema):
        pass


async def drop_schema(
    database: str | Database, *, schema: str | None = None, force: bool = False
) -> int:
    """Drop every table, view, trigger and index adk-store created in ``database`` (in the
    PostgreSQL ``schema`` if given; the schema itself stays), its version table included;
    return the schema version that was there (0: nothing to drop).

    Refuses with :class:`StoreNotEmptyError`, changing nothing, while the store holds
    sessions, unless ``force``. Serialised with concurrent upgrades like
    :func:`create_schema`. Works under asyncio and trio.

    >>> await drop_schema("sqlite+aiosqlite:///app.db", force=True)
    1
    """

    async def drop(pool: ConnectionPool, dialect: Dialect, statements: Statements) -> int:
        async with pool.writer() as connection:
            return await _migrations.downgrade(connection, dialect, statements, force=force)

    return await _with_connector(database, schema, "drop_schema", drop)


async def schema_version(database: str | Database, *, schema: str | None = None) -> int:
    """The adk-store schema version stored in ``database`` (in the PostgreSQL ``schema`` if
    given); 0 when it has no adk-store tables.

    >>> await schema_version("sqlite+aiosqlite:///app.db")
    1
    """

    async def read(pool: ConnectionPool, dialect: Dialect, statements: Statements) -> int:
        async with pool.reader() as connection:
            return await _migrations.stored_version(connection, dialect, statements)

    return await _with_connector(database, schema, "schema_version", read)


async def _with_connector(
    database: str | Database,
    schema: str | None,
    what: str,
    operation: Callable[[ConnectionPool, Dialect, Statements], Awaitable[int]],
) -> int:
    """Run ``operation`` on a one-connection pool to ``database``, opened and closed here."""
    url = database if isinstance(database, str) else str(database.url)
    dialect = dialect_for(url, SqliteOptions(), schema=schema)
    statements = Statements(dialect)
    connector = Connector(database, dialect, pool_size=1, on_open=None)
    await connector.open()
    try:
        return await connector.call(what, lambda pool: operation(pool, dialect, statements))
    finally:
        await connector.close()
