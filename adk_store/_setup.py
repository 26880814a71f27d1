"""Start-up helpers: create, upgrade or inspect adk-store's schema in a database."""

from __future__ import annotations

from . import _migrations
from ._runtime import ConnectionPool, Connector, Database
from ._service import SessionService
from ._statements import Statements
from .dialects import SqliteOptions, dialect_for


async def create_schema(database: str | Database, *, schema: str | None = None) -> None:
    """Create adk-store's tables, or upgrade them, in ``database`` (a URL or a Database),
    inside the PostgreSQL ``schema`` if given (created when missing).

    Idempotent, and safe when several processes call it at once: exactly one applies each
    migration, the others wait and find it done. Works under asyncio and trio.

    >>> await create_schema("postgresql+asyncpg://app@localhost/app")
    """
    async with SessionService(database, create_schema=True, pool_size=1, schema=schema):
        pass


async def schema_version(database: str | Database, *, schema: str | None = None) -> int:
    """The adk-store schema version stored in ``database`` (in the PostgreSQL ``schema`` if
    given); 0 when it has no adk-store tables.

    >>> await schema_version("sqlite+aiosqlite:///app.db")
    1
    """
    url = database if isinstance(database, str) else str(database.url)
    dialect = dialect_for(url, SqliteOptions(), schema=schema)
    statements = Statements(dialect)
    connector = Connector(database, dialect, pool_size=1, on_open=None)

    async def read(pool: ConnectionPool) -> int:
        async with pool.reader() as connection:
            return await _migrations.stored_version(connection, dialect, statements)

    await connector.open()
    try:
        return await connector.call("schema_version", read)
    finally:
        await connector.close()
