"""What a database holds besides Alembic's own version table, read with the plain drivers."""

from __future__ import annotations

from .._db import is_mysql, is_sqlite, raw_fetch

ALEMBIC_OWN = {"alembic_version", "alembic_version_pkc", "sqlite_autoindex_alembic_version_1"}


async def objects(url: str) -> set[tuple[str, str]]:
    """``(kind, name)`` of every table, view, trigger, index and sequence outside the
    catalogs (PostgreSQL names carry their schema; MariaDB's routines count too), Alembic's
    version table left out."""
    if is_mysql(url):
        rows = await raw_fetch(
            url,
            "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() "
            "UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = DATABASE() "
            "UNION ALL SELECT 'TRIGGER', TRIGGER_NAME FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        return {(str(kind), str(name)) for kind, name in rows if name not in ALEMBIC_OWN}
    if is_sqlite(url):
        rows = await raw_fetch(url, "SELECT type, name FROM sqlite_master")
        return {(str(kind), str(name)) for kind, name in rows if name not in ALEMBIC_OWN}
    rows = await raw_fetch(
        url,
        "SELECT c.relkind::text, n.nspname || '.' || c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%'",
    )
    return {
        (str(kind), str(name)) for kind, name in rows if name.split(".")[-1] not in ALEMBIC_OWN
    }


async def schemas(url: str) -> set[str]:
    """The PostgreSQL schemas other than the catalogs and ``public``."""
    rows = await raw_fetch(
        url,
        "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg_%' "
        "AND nspname NOT IN ('information_schema', 'public')",
    )
    return {str(name) for (name,) in rows}
