"""Every memory query, built from the ``adk_memories`` Core table and compiled once per
dialect; the full-text parts come from the dialect's :class:`~.dialects.fulltext.MemoryIndex`.
"""

from __future__ import annotations

import sqlalchemy as sa

from ._memory_codec import MEMORY_COLUMNS
from ._schema import memories
from .dialects import Dialect

_COLUMNS = [memories.c[name] for name in MEMORY_COLUMNS]


def _of_user() -> sa.ColumnElement[bool]:
    return sa.and_(
        memories.c.app_name == sa.bindparam("app_name"),
        memories.c.user_id == sa.bindparam("user_id"),
    )


def _of_session() -> sa.ColumnElement[bool]:
    return sa.and_(_of_user(), memories.c.session_id == sa.bindparam("session_id"))


class MemoryStatements:
    """Compiled memory SQL for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        index = dialect.memory_index
        json_param = dialect.json_param

        self.insert_memory = self._sql(
            dialect.insert_unless_exists(
                memories,
                {
                    "app_name": sa.bindparam("app_name"),
                    "user_id": sa.bindparam("user_id"),
                    "id": sa.bindparam("id"),
                    "session_id": sa.bindparam("session_id"),
                    "event_id": sa.bindparam("event_id"),
                    "author": sa.bindparam("author"),
                    "timestamp": sa.bindparam("timestamp"),
                    "text": sa.bindparam("text"),
                    "content": json_param("content"),
                    "custom_metadata": json_param("custom_metadata"),
                    "search_text": index.indexed_value(),
                },
                [memories.c.app_name, memories.c.user_id, memories.c.id],
                memories.c.id,
            )
        )
        """Store a memory unless one with its id exists; returns its id when stored."""
        self.select_memory_ids = self._sql(sa.select(memories.c.id).where(_of_session()))
        """The ids of a session's memories (a session added again stores only new ones)."""
        self.search = self._sql(index.search(_COLUMNS))
        self.check_config = "SELECT CAST(CAST(:config AS TEXT) AS regconfig)"
        """Raises unless ``:config`` names a text search configuration (PostgreSQL)."""

        listed = sa.select(*_COLUMNS).order_by(memories.c.timestamp, memories.c.seq)
        listed = listed.limit(sa.bindparam("limit")).offset(sa.literal_column("0"))
        self.list_user = self._sql(listed.where(_of_user()))
        self.list_session = self._sql(listed.where(_of_session()))
        self.delete_memory = self._sql(
            sa.delete(memories)
            .where(_of_user(), memories.c.id == sa.bindparam("id"))
            .returning(memories.c.id)
        )
        self.delete_user = self._sql(sa.delete(memories).where(_of_user()))
        self.delete_session = self._sql(sa.delete(memories).where(_of_session()))
        count = sa.select(sa.func.count()).select_from(memories)
        self.count_all = self._sql(count)
        self.count_app = self._sql(count.where(memories.c.app_name == sa.bindparam("app_name")))
        self.count_user = self._sql(count.where(_of_user()))
        self.count_session = self._sql(count.where(_of_session()))

    def _sql(self, statement: sa.ClauseElement) -> str:
        return self._dialect.compile(statement)
