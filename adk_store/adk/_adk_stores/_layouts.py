"""google-adk's session database layouts: which one a database holds, and the v1 tables.

google-adk keeps sessions in three layouts, all with tables named ``sessions``, ``events``,
``app_states`` and ``user_states``:

* ``DatabaseSessionService``, schema v1: an ``adk_internal_metadata`` table records
  ``schema_version`` ``1``; each event is one JSON document (``events.event_data``);
* ``DatabaseSessionService``, legacy schema v0: no metadata table; one column per event
  field, with the event's actions pickled (``events.actions``);
* ``SqliteSessionService`` (SQLite only): no metadata table, ``events.event_data`` JSON and
  times as REAL epoch seconds.

:func:`detect_layout` tells them apart. The v1 tables are described here as SQLAlchemy Core
tables (google-adk's names, columns, types, key widths and index), for ``export-adk`` to create
and write them.
"""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from ..._runtime import Connection
from ._database import AdkDatabase, fetch
from ._values import SourceFormatError

SCHEMA_VERSION_KEY = "schema_version"
KEY_LENGTH = 128
"""google-adk's width for app names, user ids, session ids and event ids."""
INVOCATION_ID_LENGTH = 256


class StoreKind(enum.Enum):
    """Which google-adk service wrote a database, and in which schema."""

    DATABASE_V1 = "google-adk DatabaseSessionService database (schema v1)"
    DATABASE_V0 = "google-adk DatabaseSessionService database (legacy schema v0, pickled)"
    SQLITE_SERVICE = "google-adk SqliteSessionService file"

    def __str__(self) -> str:
        return self.value


_metadata = sa.MetaData()
_Json = (
    sa.Text()
    .with_variant(postgresql.JSONB(), "postgresql")
    .with_variant(mysql.LONGTEXT(), "mysql")
)
_Time = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")
"""As google-adk's types: MySQL's TEXT holds only 64 KB, its DATETIME only whole seconds."""
_MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
"""google-adk's tables take the database's character set; these hold any text and compare
ids exactly whatever it is."""


def _key(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(KEY_LENGTH), primary_key=True)


v1_metadata = sa.Table(
    "adk_internal_metadata",
    _metadata,
    _key("key"),
    sa.Column("value", sa.String(256), nullable=False),
    **_MYSQL_TABLE,
)
v1_sessions = sa.Table(
    "sessions",
    _metadata,
    _key("app_name"),
    _key("user_id"),
    _key("id"),
    sa.Column("state", _Json, nullable=False),
    sa.Column("create_time", _Time, nullable=False),
    sa.Column("update_time", _Time, nullable=False),
    **_MYSQL_TABLE,
)
v1_app_states = sa.Table(
    "app_states",
    _metadata,
    _key("app_name"),
    sa.Column("state", _Json, nullable=False),
    sa.Column("update_time", _Time, nullable=False),
    **_MYSQL_TABLE,
)
v1_user_states = sa.Table(
    "user_states",
    _metadata,
    _key("app_name"),
    _key("user_id"),
    sa.Column("state", _Json, nullable=False),
    sa.Column("update_time", _Time, nullable=False),
    **_MYSQL_TABLE,
)
v1_events = sa.Table(
    "events",
    _metadata,
    _key("id"),
    _key("app_name"),
    _key("user_id"),
    _key("session_id"),
    sa.Column("invocation_id", sa.String(INVOCATION_ID_LENGTH), nullable=False),
    sa.Column("timestamp", _Time, nullable=False),
    sa.Column("event_data", _Json, nullable=True),
    sa.ForeignKeyConstraint(
        ["app_name", "user_id", "session_id"],
        ["sessions.app_name", "sessions.user_id", "sessions.id"],
        ondelete="CASCADE",
    ),
    sa.Index(
        "idx_events_app_user_session_ts_id",
        "app_name",
        "user_id",
        "session_id",
        sa.desc("timestamp"),
        sa.desc("id"),
    ),
    **_MYSQL_TABLE,
)
V1_TABLES = (v1_metadata, v1_sessions, v1_app_states, v1_user_states, v1_events)
"""In the order they are created."""

_ADK_TABLES = frozenset({"sessions", "events", "app_states", "user_states"})


async def detect_layout(database: AdkDatabase) -> StoreKind | None:
    """Which google-adk layout ``database`` holds; ``None`` when it has no google-adk tables
    at all (a new, empty database). A database that is none of them raises
    :class:`SourceFormatError`."""
    dialect = database.dialect
    stored_version = dialect.compile(
        sa.select(v1_metadata.c.value).where(v1_metadata.c.key == sa.bindparam("key"))
    )

    async def detect(connection: Connection) -> StoreKind | None:
        tables = {row[0] for row in await fetch(connection, dialect.list_tables)}
        if v1_metadata.name in tables:
            rows = await fetch(connection, stored_version, {"key": SCHEMA_VERSION_KEY})
            version = rows[0][0] if rows else None
            if version == "1":
                return StoreKind.DATABASE_V1
            if version == "0":
                return StoreKind.DATABASE_V0
            raise SourceFormatError(
                f"{database.location}: google-adk schema version {version!r} is not one "
                "adk-store reads (it reads 0 and 1)"
            )
        if "events" not in tables or "sessions" not in tables:
            if tables & _ADK_TABLES:
                raise SourceFormatError(
                    f"{database.location}: has some of google-adk's tables but not "
                    "'sessions' and 'events'"
                )
            return None
        columns = {
            row[0] for row in await fetch(connection, dialect.list_columns, {"table": "events"})
        }
        if "actions" in columns and "event_data" not in columns:
            return StoreKind.DATABASE_V0
        if "event_data" in columns and dialect.holds_sqlite_session_files:
            return StoreKind.SQLITE_SERVICE
        raise SourceFormatError(
            f"{database.location}: its 'events' table is not one google-adk writes "
            f"(columns: {', '.join(sorted(columns))})"
        )

    return await database.run("detect_schema", detect)
