"""Every difference between databases, one module per database behind :class:`Dialect`.

To add a database: write ``dialects/<name>.py`` with a :class:`Dialect` subclass, add its
migrations under ``migrations/<name>/``, and recognise its URL in :func:`dialect_for`.

>>> dialect_for("sqlite+aiosqlite:///app.db", SqliteOptions()).name
'sqlite'
"""

from __future__ import annotations

from .._errors import AdkStoreError, InvalidArgumentError
from .._validate import check_schema_name
from .base import Dialect
from .postgresql import PostgresDialect
from .sqlite import SqliteDialect, SqliteOptions, sqlite_dialect

__all__ = ["Dialect", "PostgresDialect", "SqliteDialect", "SqliteOptions", "dialect_for"]


def dialect_for(url: str, sqlite_options: SqliteOptions, *, schema: str | None = None) -> Dialect:
    """The dialect of a ``databases`` URL (``sqlite+aiosqlite://…``, ``postgresql://…``), with
    adk-store's tables in ``schema`` (PostgreSQL only)."""
    scheme = url.split(":", 1)[0].lower()
    family = scheme.split("+", 1)[0]
    if schema is not None:
        check_schema_name(schema)
    if family == "sqlite":
        if schema is not None:
            raise InvalidArgumentError(
                f"schema={schema!r} places the tables in a PostgreSQL schema; SQLite has none "
                "(use a database file of their own instead)"
            )
        return sqlite_dialect(url, sqlite_options)
    if family in {"postgresql", "postgres"}:
        return PostgresDialect(schema)
    raise AdkStoreError(
        f"unsupported database URL scheme {scheme!r}: use sqlite+aiosqlite:///path.db "
        "or postgresql+asyncpg://user@host/dbname"
    )
