"""The schema as SQLAlchemy Core tables: the one description every query is built from.

The DDL under ``migrations/`` creates exactly these tables (a test compares the two).
Times are float seconds since the epoch (``DOUBLE PRECISION``; ``DOUBLE`` on SQLite and
MariaDB), so a Python float comes back bit for bit on every database. JSON is ``JSONB`` on
PostgreSQL and JSON text on SQLite and MariaDB (``LONGTEXT`` there); ids are ``VARCHAR(255)``
on MariaDB, ``TEXT`` on the others.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

SCHEMA_VERSION = 2
"""The schema version this release of adk-store reads and writes."""

metadata = sa.MetaData()

MAX_KEY_CHARS = 255
"""Characters of a key column on MariaDB (``VARCHAR``; on the others ``TEXT``): ids are
checked against this bound before they are stored (``_validate``)."""

Id = sa.Text().with_variant(mysql.VARCHAR(MAX_KEY_CHARS, collation="utf8mb4_nopad_bin"), "mysql")
"""An id: exact text on every database (on MariaDB compared code point by code point,
trailing spaces included, which the default collations ignore)."""
LongText = sa.Text().with_variant(mysql.LONGTEXT(collation="utf8mb4_bin"), "mysql")
JsonText = (
    sa.Text()
    .with_variant(postgresql.JSONB(), "postgresql")
    .with_variant(mysql.LONGTEXT(collation="utf8mb4_bin"), "mysql")
)

sessions = sa.Table(
    "adk_sessions",
    metadata,
    sa.Column("app_name", Id, primary_key=True),
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("id", Id, primary_key=True),
    sa.Column("state", JsonText, nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("create_time", sa.Double, nullable=False),
    sa.Column("update_time", sa.Double, nullable=False),
    sa.Index("ix_adk_sessions_app_update", "app_name", "update_time", "user_id", "id"),
    sa.Index("ix_adk_sessions_user_update", "app_name", "user_id", "update_time", "id"),
)

events = sa.Table(
    "adk_events",
    metadata,
    sa.Column("app_name", Id, primary_key=True),
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("session_id", Id, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", Id, nullable=False),
    sa.Column("invocation_id", LongText, nullable=False),
    sa.Column("author", LongText, nullable=False),
    sa.Column("branch", LongText, nullable=True),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("error_code", LongText, nullable=True),
    sa.Column("error_message", LongText, nullable=True),
    sa.Column("content", JsonText, nullable=True),
    sa.Column("actions", JsonText, nullable=False),
    sa.Column("extra_fields", JsonText, nullable=False),
    sa.ForeignKeyConstraint(
        ["app_name", "user_id", "session_id"],
        ["adk_sessions.app_name", "adk_sessions.user_id", "adk_sessions.id"],
        name="fk_adk_events_session",
        ondelete="CASCADE",
    ),
    sa.UniqueConstraint("app_name", "user_id", "session_id", "id", name="uq_adk_events_id").ddl_if(
        # MariaDB's is the unique index below. A tuple of names is documented, not typed.
        dialect=("sqlite", "postgresql")  # type: ignore[arg-type]
    ),
    sa.Index("ix_adk_events_timestamp", "app_name", "user_id", "session_id", "timestamp"),
)

app_states = sa.Table(
    "adk_app_states",
    metadata,
    sa.Column("app_name", Id, primary_key=True),
    sa.Column("state", JsonText, nullable=False),
    sa.Column("update_time", sa.Double, nullable=False),
)

user_states = sa.Table(
    "adk_user_states",
    metadata,
    sa.Column("app_name", Id, primary_key=True),
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("state", JsonText, nullable=False),
    sa.Column("update_time", sa.Double, nullable=False),
)

memories = sa.Table(
    "adk_memories",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("app_name", Id, nullable=False),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("id", Id, nullable=False),
    sa.Column("session_id", Id, nullable=True),
    sa.Column("event_id", Id, nullable=True),
    sa.Column("author", LongText, nullable=True),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("text", LongText, nullable=False),
    sa.Column("content", JsonText, nullable=True),
    sa.Column("custom_metadata", JsonText, nullable=False),
    sa.Column(
        "search_text",
        LongText.with_variant(postgresql.TSVECTOR(), "postgresql"),
        nullable=False,
    ),
    sa.UniqueConstraint("app_name", "user_id", "id", name="uq_adk_memories_id"),
    sa.Index("ix_adk_memories_session", "app_name", "user_id", "session_id"),
)
"""Memories (schema version 2): text an agent may recall, scoped to an app and a user, with
its source (session, event, author, time). ``search_text`` is what the full-text index reads:
on PostgreSQL a ``tsvector`` with a GIN index, on SQLite text that the FTS5 table
``adk_memory_search`` indexes (kept up to date by triggers; it is not a Core table). Either
way it holds the memory's scope token as one more word, so a search's own index lookup is
confined to one app and user. ``seq`` is the row's stable number, the FTS5 rowid on SQLite."""
# Four ids are longer than InnoDB's longest index key: MariaDB keeps them unique by a hash.
sa.Index(
    "uq_adk_events_id",
    events.c.app_name,
    events.c.user_id,
    events.c.session_id,
    events.c.id,
    unique=True,
    mysql_using="hash",
).ddl_if(dialect="mysql")
sa.Index("ix_adk_memories_search", memories.c.search_text, postgresql_using="gin").ddl_if(
    dialect="postgresql"
)
sa.Index("ix_adk_memories_fulltext", memories.c.search_text, mysql_prefix="FULLTEXT").ddl_if(
    dialect="mysql"
)

MEMORY_SEARCH_TABLE = "adk_memory_search"
"""SQLite's FTS5 table over ``adk_memories.search_text``."""
MEMORY_SEARCH_TABLES = frozenset(
    [MEMORY_SEARCH_TABLE]
    + [f"{MEMORY_SEARCH_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")]
)
"""The FTS5 table and the shadow tables SQLite keeps for it: adk-store's, not in
:data:`metadata`."""

schema_versions = sa.Table(
    "adk_schema_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_time", sa.Double, nullable=False),
)


EVENT_COLUMNS = (
    "seq",
    "id",
    "invocation_id",
    "author",
    "branch",
    "timestamp",
    "error_code",
    "error_message",
    "content",
    "actions",
    "extra_fields",
)
"""Event columns in the order every event query returns them."""


def session_key(table: sa.Table, id_column: str = "id") -> sa.ColumnElement[bool]:
    """``table``'s rows of the session named by ``:app_name``, ``:user_id``, ``:session_id``."""
    return sa.and_(
        table.c.app_name == sa.bindparam("app_name"),
        table.c.user_id == sa.bindparam("user_id"),
        table.c[id_column] == sa.bindparam("session_id"),
    )
