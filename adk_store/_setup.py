"""Start-up helpers: create, upgrade or inspect adk-store's schema in a database."""

from __future__ import annotations

import databases

from ._service import SessionService


async def create_schema(database: str | databases.Database) -> None:
    """Create adk-store's tables, or upgrade them, in ``database`` (a URL or a Database).

    Idempotent, and safe when several processes call it at once: exactly one applies each
    migration, the others wait and find it done. Works under asyncio and trio.

    >>> await create_schema("postgresql+asyncpg://app@localhost/app")
    """
    async with SessionService(database, create_schema=True, pool_size=1):
        pass


async def schema_version(database: str | databases.Database) -> int:
    """The adk-store schema version stored in ``database``; 0 when it has no adk-store tables.

    >>> await schema_version("sqlite+aiosqlite:///app.db")
    1
    """
    service = SessionService(database, pool_size=1)
    service._schema_mode = "none"
    async with service:
        return await service._stored_schema_version()
