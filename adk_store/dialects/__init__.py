"""Every difference between databases, one module per database behind :class:`Dialect`.

To add a database: write ``dialects/<name>.py`` with a :class:`Dialect` subclass, add its
migrations under ``migrations/<name>/``, and recognise its URL in :func:`dialect_for`.

>>> dialect_for("sqlite+aiosqlite:///app.db", SqliteOptions()).name
'sqlite'
"""

from __future__ import annotations

from .._errors import InvalidArgumentError
from .._locations import MysqlLocation, PostgresLocation, parse_location
from .._validate import check_schema_name
from .base import Dialect
from .mysql import MysqlDialect
from .postgresql import PostgresDialect
from .sqlite import SqliteDialect, SqliteOptions, sqlite_dialect

__all__ = [
    "Dialect",
    "MysqlDialect",
    "PostgresDialect",
    "SqliteDialect",
    "SqliteOptions",
    "dialect_for",
    "dialect_named",
]


def dialect_for(url: str, sqlite_options: SqliteOptions, *, schema: str | None = None) -> Dialect:
    """The dialect of a ``databases`` URL (``sqlite+aiosqlite://…``, ``postgresql://…``,
    ``mysql+asyncmy://…``), with
    adk-store's tables in ``schema`` (PostgreSQL only). The URL is read by
    :func:`~adk_store._locations.parse_location`, which refuses one naming a file ambiguously
    or carrying a parameter the connection would ignore."""
    location = parse_location(url)
    if schema is not None:
        check_schema_name(schema)
    if isinstance(location, PostgresLocation):
        location.check_parameters()
        return PostgresDialect(schema)
    database = (
        "MariaDB's schemas are databases"
        if isinstance(location, MysqlLocation)
        else ("SQLite has none")
    )
    if schema is not None:
        raise InvalidArgumentError(
            f"schema={schema!r} places the tables in a PostgreSQL schema; {database} "
            "(use a database of their own instead)"
        )
    if isinstance(location, MysqlLocation):
        location.check_parameters()
        return MysqlDialect()
    return sqlite_dialect(location, sqlite_options)


def dialect_named(name: str, *, schema: str | None = None) -> Dialect:
    """The dialect of a SQLAlchemy dialect name (``engine.dialect.name``: ``sqlite``,
    ``postgresql``, ``mysql`` or ``mariadb``), for SQL that runs on a connection adk-store did
    not open (an Alembic revision's); SQLite's as for a file. ``schema`` as for
    :func:`dialect_for`."""
    if schema is not None:
        check_schema_name(schema)
    if name == "postgresql":
        return PostgresDialect(schema)
    if name not in ("sqlite", "mysql", "mariadb"):
        raise InvalidArgumentError(
            f"adk-store has no migrations for {name!r} databases; it supports sqlite, "
            "postgresql and mysql (MariaDB)"
        )
    if schema is not None:
        raise InvalidArgumentError(
            f"schema={schema!r} places the tables in a PostgreSQL schema; "
            f"{'SQLite' if name == 'sqlite' else 'MariaDB'} has none (use a database of its own)"
        )
    if name == "sqlite":
        return SqliteDialect(SqliteOptions(), in_memory=False)
    return MysqlDialect()
