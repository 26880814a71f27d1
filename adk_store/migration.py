"""adk-store's tables inside an application's own Alembic migrations.

Call :func:`up` from a revision's ``upgrade()`` and :func:`down` from its ``downgrade()``;
they run adk-store's versioned SQL (``migrations/<database>/``) through Alembic's current
``op`` context, on the application's connection and in its transaction, and keep
``adk_schema_versions`` true, so ``SessionService``, ``adk-store status`` and
``adk-store migrate --check`` see what Alembic applied. In offline mode
(``alembic upgrade --sql``) the same statements are printed instead.

    from alembic import op  # noqa: F401  (the revision's usual import)
    from adk_store import migration

    def upgrade() -> None:
        migration.up(version=1)

    def downgrade() -> None:
        migration.down()

Give autogenerate :func:`include_object` so that it leaves adk-store's tables alone.

Needs Alembic: ``pip install 'adk-store[alembic]'``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

try:
    from alembic import op
    from alembic.runtime.migration import MigrationContext
except ImportError as error:
    raise ImportError(
        "adk_store.migration needs Alembic; install it with: pip install 'adk-store[alembic]'"
    ) from error

import sqlalchemy as sa

from . import _migrations
from ._errors import InvalidArgumentError
from ._schema import MEMORY_SEARCH_TABLES, SCHEMA_VERSION, metadata
from ._statements import Statements
from .dialects import MysqlDialect, PostgresDialect, dialect_named

__all__ = ["combine_include_object", "down", "include_object", "up"]

TABLE_NAMES = frozenset(table.name for table in metadata.tables.values()) | MEMORY_SEARCH_TABLES
"""The tables adk-store owns (their indexes and constraints go with them), SQLite's
full-text tables of memories included."""

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]
"""The signature of Alembic's ``include_object`` hook."""

_offline_versions: weakref.WeakKeyDictionary[MigrationContext, dict[str | None, int]] = (
    weakref.WeakKeyDictionary()
)
"""Offline, the version each schema reached by the earlier calls of the same run."""


def up(
    version: int | None = None, *, schema: str | None = None, from_version: int | None = None
) -> None:
    """Create adk-store's tables, or bring them to ``version`` (by default this release's
    :data:`~adk_store.SCHEMA_VERSION`) from the version the database holds; a database
    already there (or past it, up to this release's version) is left as it is.

    Pin ``version`` in each revision, so that the revision applies the same migrations
    whichever adk-store runs it. ``schema``: the PostgreSQL schema holding the tables
    (created when missing), as ``SessionService(schema=...)`` takes it.

    ``from_version``: the version the database holds; online it is read from the database.
    Offline (``alembic upgrade --sql``) nothing can be read, so it is the version the earlier
    calls of the same run reached, or 0: pass it when a script starts after the revision that
    created the tables.
    """
    target = SCHEMA_VERSION if version is None else _checked_version(version, lowest=1)
    target_of = _Target(schema)
    found = target_of.stored_version(from_version, offline_default=0)
    _migrations.refuse_newer(found, SCHEMA_VERSION)
    steps = _migrations.upgrade_steps(target_of.dialect.name, found, target)
    if not steps:
        return
    with target_of.in_schema(create=True):
        for created, statements in steps:
            for statement in statements:
                target_of.execute(statement)
            op.execute(
                sa.text(target_of.statements.insert_schema_version).bindparams(
                    version=created, now=time.time()
                )
            )
    target_of.reached(target)


def down(version: int = 0, *, schema: str | None = None, from_version: int | None = None) -> None:
    """Take adk-store's tables back to ``version``; by default (0) drop every table, view,
    trigger and index :func:`up` created, the version table included, and every session
    with them. A PostgreSQL ``schema`` itself stays.

    A migration without a down file cannot be undone: going back past it raises
    :class:`~adk_store.SchemaVersionError` before any statement runs. Every migration so
    far can be undone. ``from_version`` as for :func:`up`; offline its default is the version
    the earlier calls of the run reached, or this release's version.
    """
    target = _checked_version(version, lowest=0)
    target_of = _Target(schema)
    found = target_of.stored_version(from_version, offline_default=SCHEMA_VERSION)
    _migrations.refuse_newer(found, SCHEMA_VERSION)
    if found <= target:
        return
    steps = _migrations.downgrade_steps(target_of.dialect.name, found, target)
    with target_of.in_schema(create=False):
        for undone, statements in steps:
            op.execute(
                sa.text(target_of.statements.delete_schema_version).bindparams(version=undone)
            )
            for statement in statements:
                target_of.execute(statement)
    target_of.reached(target)


def include_object(
    object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's ``include_object`` hook: False for adk-store's tables and everything on
    them, so autogenerate neither drops them (when the application's metadata leaves them
    out) nor alters them (when it includes :data:`adk_store.metadata`).

        context.configure(..., include_object=migration.include_object)
    """
    if type_ == "table":
        return name not in TABLE_NAMES
    table = getattr(object, "table", None)
    return getattr(table, "name", None) not in TABLE_NAMES


def combine_include_object(own: IncludeObject) -> IncludeObject:
    """The application's ``include_object`` hook, with adk-store's tables left out too.

    context.configure(..., include_object=migration.combine_include_object(mine))
    """

    def combined(
        object: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        return include_object(object, name, type_, reflected, compare_to) and own(
            object, name, type_, reflected, compare_to
        )

    return combined


class _Target:
    """The database of Alembic's current migration context, as adk-store's dialect sees it."""

    def __init__(self, schema: str | None) -> None:
        self.context = op.get_context()
        self.schema = schema
        self.dialect = dialect_named(self.context.dialect.name, schema=schema)
        self.statements = Statements(self.dialect)

    @property
    def offline(self) -> bool:
        return bool(self.context.as_sql)

    def stored_version(self, given: int | None, *, offline_default: int) -> int:
        if given is not None:
            return _checked_version(given, lowest=0)
        if self.offline:
            return _offline_versions.get(self.context, {}).get(self.schema, offline_default)
        bind = op.get_bind()
        exists = bind.execute(
            sa.text(self.dialect.table_exists), {"name": "adk_schema_versions"}
        ).first()
        if exists is None:
            return 0
        return int(bind.execute(sa.text(self.statements.select_schema_version)).scalar() or 0)

    def execute(self, statement: str) -> None:
        """Run one statement of a migration, or print it offline. MariaDB's client splits a
        script at each ``;``, so offline a routine (whose body holds statements of its own)
        is printed between ``DELIMITER`` lines, as ``mariadb < script.sql`` reads it."""
        if not (self.offline and isinstance(self.dialect, MysqlDialect) and ";" in statement):
            op.execute(statement)
            return
        self.context.impl.static_output("DELIMITER //")
        self.context.impl.static_output(f"{statement}\n//")
        self.context.impl.static_output("DELIMITER ;")

    def reached(self, version: int) -> None:
        if self.offline:
            _offline_versions.setdefault(self.context, {})[self.schema] = version

    @contextmanager
    def in_schema(self, *, create: bool) -> Iterator[None]:
        """Hold adk-store's schema lock, as its own upgrades do (PostgreSQL's ends with the
        transaction, MariaDB's is released here); on PostgreSQL, run the DDL in ``schema``,
        the search path put back afterwards."""
        if self.dialect.schema_lock is not None:
            op.execute(self.dialect.schema_lock)
        try:
            if self.schema is None or not isinstance(self.dialect, PostgresDialect):
                yield
            else:
                with self._search_path(self.schema, create=create):
                    yield
        finally:
            if self.dialect.schema_unlock is not None:
                op.execute(self.dialect.schema_unlock)

    @contextmanager
    def _search_path(self, schema: str, *, create: bool) -> Iterator[None]:
        quoted = self.dialect.sqlalchemy.identifier_preparer.quote(schema)
        if create and (self.offline or not self._schema_exists()):
            op.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        op.execute(
            "SELECT set_config('adk_store.search_path', current_setting('search_path'), false)"
        )
        op.execute(f"SET search_path TO {quoted}")
        yield
        op.execute(
            "SELECT set_config('search_path', current_setting('adk_store.search_path'), false)"
        )

    def _schema_exists(self) -> bool:
        found = op.get_bind().execute(
            sa.text("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :schema"),
            {"schema": self.schema},
        )
        return found.first() is not None


def _checked_version(version: int, *, lowest: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidArgumentError(f"version must be an int, not {type(version).__name__}")
    if not lowest <= version <= SCHEMA_VERSION:
        raise InvalidArgumentError(
            f"version={version} is not a schema version this adk-store knows "
            f"({lowest} to {SCHEMA_VERSION})"
        )
    return version
