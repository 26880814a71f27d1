"""Creating, upgrading and checking the schema from the versioned SQL under ``migrations/``.

``migrations/<dialect>/NNNN_name.sql`` holds the DDL that takes a database from version
``NNNN - 1`` to ``NNNN``, and ``migrations/<dialect>/down/NNNN_name.sql`` takes it back (a
version without a down file cannot be undone). Each file is applied in one write transaction
together with its row in ``adk_schema_versions``; on PostgreSQL an advisory lock and on SQLite
``BEGIN IMMEDIATE`` make concurrent callers (several processes starting at once) apply it
exactly once. The steps themselves (:func:`upgrade_steps`, :func:`downgrade_steps`) are plain
SQL, which ``adk_store.migration`` runs inside an Alembic revision instead.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from ._errors import SchemaVersionError, StoreNotEmptyError
from ._runtime import Connection, write_transaction
from ._schema import SCHEMA_VERSION
from ._statements import Statements
from ._telemetry import logger
from .dialects import Dialect

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_WITH_BODY = re.compile(r"\s*CREATE\s+(OR\s+REPLACE\s+)?(TRIGGER|PROCEDURE|FUNCTION)\b", re.I)

UPGRADE_HINT = "adk-store migrate DATABASE_URL"


def migrations_root() -> Traversable:
    """The ``migrations`` folder: inside the installed package, or beside it in a checkout."""
    packaged = resources.files("adk_store") / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "migrations"


def migration_files(dialect_name: str, root: Traversable | None = None) -> dict[int, Traversable]:
    """The migration files of a dialect (under ``root``, by default the shipped ones), by
    the version each one creates."""
    folder = (root or migrations_root()) / dialect_name
    found: dict[int, Traversable] = {}
    for entry in folder.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found[int(match.group(1))] = entry
    return found


def down_migration_files(
    dialect_name: str, root: Traversable | None = None
) -> dict[int, Traversable]:
    """The files under ``<dialect>/down/`` by the version each one undoes."""
    folder = (root or migrations_root()) / dialect_name / "down"
    if not folder.is_dir():
        return {}
    return {
        int(match.group(1)): entry
        for entry in folder.iterdir()
        if (match := _FILE_NAME.match(entry.name))
    }


def upgrade_steps(
    dialect_name: str, found: int, target: int, root: Traversable | None = None
) -> list[tuple[int, list[str]]]:
    """``(version, statements)`` for each migration from version ``found`` up to ``target``."""
    files = migration_files(dialect_name, root)
    return [
        (version, split_statements(files[version].read_text(encoding="utf-8")))
        for version in range(found + 1, target + 1)
    ]


def downgrade_steps(
    dialect_name: str, found: int, target: int, root: Traversable | None = None
) -> list[tuple[int, list[str]]]:
    """``(version, statements)`` undoing each migration from ``found`` down to ``target``,
    newest first; :class:`SchemaVersionError` before any step if one of them cannot be
    undone."""
    files = down_migration_files(dialect_name, root)
    missing = [version for version in range(found, target, -1) if version not in files]
    if missing:
        raise SchemaVersionError(
            f"schema version {missing[0]} cannot be undone (it has no down migration), so the "
            f"{dialect_name} schema cannot go back from version {found} to {target}; "
            f"the lowest version reachable is {missing[0]}"
        )
    return [
        (version, split_statements(files[version].read_text(encoding="utf-8")))
        for version in range(found, target, -1)
    ]


def split_statements(sql: str) -> list[str]:
    """The statements of a migration file.

    Each ends with ``;`` at the end of a line, except that a ``CREATE TRIGGER``, ``CREATE
    [OR REPLACE] PROCEDURE`` or ``FUNCTION`` runs to the ``END;`` that starts a line (its
    body holds statements of its own, and blocks ending in indented ``END;`` lines).
    ``--`` comment lines are dropped.
    """
    statements: list[str] = []
    current: list[str] = []
    for line in sql.splitlines():
        if line.lstrip().startswith("--") or not (current or line.strip()):
            continue
        current.append(line)
        in_trigger = bool(_WITH_BODY.match(current[0]))
        ended = line.rstrip().upper() == "END;" if in_trigger else line.rstrip().endswith(";")
        if ended:
            statements.append("\n".join(current).strip()[: -1 if not in_trigger else None])
            current = []
    if any(line.strip() for line in current):
        statements.append("\n".join(current).strip())
    return statements


async def stored_version(connection: Connection, dialect: Dialect, statements: Statements) -> int:
    """The schema version recorded in the database; 0 when adk-store's tables are absent."""
    exists = await connection.fetch_one(dialect.table_exists, {"name": "adk_schema_versions"})
    if exists is None:
        return 0
    version = await connection.fetch_val(statements.select_schema_version)
    return int(version or 0)


async def open_schema(
    connection: Connection, dialect: Dialect, statements: Statements, *, upgrade_older: bool
) -> None:
    """The schema check a service runs when it opens.

    A database without adk-store's tables gets them; a schema at this version is used as it
    is; an older one is upgraded only if ``upgrade_older`` (otherwise it raises
    :class:`SchemaVersionError` naming the command that upgrades it); a newer one raises.
    """
    found = await stored_version(connection, dialect, statements)
    logger.debug("schema check: version %d stored, %d needed", found, SCHEMA_VERSION)
    if found == SCHEMA_VERSION:
        return
    refuse_newer(found, SCHEMA_VERSION)
    if found and not upgrade_older:
        raise _older_schema(found)
    await upgrade(connection, dialect, statements, upgrade_older=upgrade_older)


async def upgrade(
    connection: Connection,
    dialect: Dialect,
    statements: Statements,
    *,
    upgrade_older: bool = True,
    root: Traversable | None = None,
    target: int = SCHEMA_VERSION,
) -> int:
    """Bring the schema to ``target`` (this release's :data:`SCHEMA_VERSION`) with the
    migrations under ``root`` (the shipped ones); return the version found before.

    With ``upgrade_older=False`` only an empty database is set up: an older schema (perhaps
    created by another process meanwhile) raises :class:`SchemaVersionError`.
    """
    async with schema_locked(connection, dialect):
        await dialect.prepare_migrations(connection)
        found = await stored_version(connection, dialect, statements)
        refuse_newer(found, target)
        if 0 < found < target and not upgrade_older:
            raise _older_schema(found)
        if found == target:
            logger.debug("schema at version %d; nothing to upgrade", found)
        for version, step in upgrade_steps(dialect.name, found, target, root):
            logger.info("upgrading the %s schema to version %d", dialect.name, version)
            for statement in step:
                await connection.execute(statement)
            await connection.execute(
                statements.insert_schema_version, {"version": version, "now": time.time()}
            )
        return found


async def downgrade(
    connection: Connection,
    dialect: Dialect,
    statements: Statements,
    *,
    target: int = 0,
    force: bool = False,
) -> int:
    """Take the schema back to ``target`` (0: no adk-store table left); return the version
    found before. Unless ``force``, a store holding what the steps would drop raises
    :class:`StoreNotEmptyError` and nothing changes: sessions when going back to 0, memories
    when going back below version 2 (going back to 1 keeps the sessions)."""
    async with schema_locked(connection, dialect):
        found = await stored_version(connection, dialect, statements)
        if found <= target:
            return found
        refuse_newer(found, SCHEMA_VERSION)
        steps = downgrade_steps(dialect.name, found, target)
        if not force:
            await _refuse_dropping_data(connection, statements, found, target)
        await dialect.prepare_migrations(connection)
        for version, step in steps:
            logger.info("taking the %s schema back from version %d", dialect.name, version)
            await connection.execute(statements.delete_schema_version, {"version": version})
            for statement in step:
                await connection.execute(statement)
        return found


_MEMORIES_VERSION = 2
"""The schema version that added memories; going back below it drops them."""


async def _refuse_dropping_data(
    connection: Connection, statements: Statements, found: int, target: int
) -> None:
    """Raise :class:`StoreNotEmptyError` if going from ``found`` back to ``target`` would
    drop stored sessions or memories."""
    sessions = memories = 0
    if target < 1:
        sessions = int(await connection.fetch_val(statements.count_sessions) or 0)
    if target < _MEMORIES_VERSION <= found:
        memories = int(await connection.fetch_val(statements.count_memories) or 0)
    if sessions or memories:
        raise StoreNotEmptyError(sessions, memories)


@asynccontextmanager
async def schema_locked(connection: Connection, dialect: Dialect) -> AsyncIterator[None]:
    """A write transaction holding the dialect's schema lock.

    Where DDL commits on its own (MariaDB), the transaction holds only the version row: each
    migration's DDL is written to be run again (``IF NOT EXISTS``, ``OR REPLACE``) and its
    version row is written last, so one cut short is completed by the next run, under a
    lock of the connection (``GET_LOCK``) released here.
    """
    try:
        async with write_transaction(connection, dialect.begin_write):
            if dialect.schema_lock is not None:
                await connection.execute(dialect.schema_lock)
            yield
    finally:
        if dialect.schema_unlock is not None:
            await connection.execute(dialect.schema_unlock)


def _older_schema(found: int) -> SchemaVersionError:
    return SchemaVersionError(
        f"the database schema is version {found}, this adk-store needs {SCHEMA_VERSION}; "
        f"upgrade it with `{UPGRADE_HINT}` (or open the service once with create_schema=True)"
    )


def refuse_newer(found: int, known: int) -> None:
    if found > known:
        raise SchemaVersionError(
            f"the database schema is version {found}, newer than the {known} this "
            "adk-store understands; upgrade adk-store (pip install -U adk-store)"
        )
