"""``create_schema``: the start-up helper that creates or upgrades adk-store's tables."""

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
