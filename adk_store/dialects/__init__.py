"""Every difference between databases, one module per database behind :class:`Dialect`.

To add a database: write ``dialects/<name>.py`` with a :class:`Dialect` subclass, add its
migrations under ``migrations/<name>/``, and recognise its URL in :func:`dialect_for`.

>>> dialect_for("sqlite+aiosqlite:///app.db", SqliteOptions()).name
'sqlite'
"""

from __future__ import annotations

from .._errors import AdkStoreError
from .base import Dialect
from .postgresql import PostgresDialect
from .sqlite import SqliteDialect, SqliteOptions, sqlite_dialect

__all__ = ["Dialect", "PostgresDialect", "SqliteDialect", "SqliteOptions", "dialect_for"]


def dialect_for(url: str, sqlite_options: SqliteOptions) -> Dialect:
    """The dialect of a ``databases`` URL (``sqlite+aiosqlite://…``, ``postgresql://…``)."""
    scheme = url.split(":", 1)[0].lower()
    family = scheme.split("+", 1)[0]
    if family == "sqlite":
        return sqlite_dialect(url, sqlite_options)
    if family in {"postgresql", "postgres"}:
        return PostgresDialect()
    raise AdkStoreError(
        f"unsupported database URL scheme {scheme!r}: use sqlite+aiosqlite:///path.db "
        "or postgresql+asyncpg://user@host/dbname"
    )
