"""SQL for the store-wide operations: status, paged export, import and pruning.

Like :class:`Statements`, built from the Core tables and compiled once per dialect. Export
pages walk each table in its key order, compared byte by byte (``Dialect.byte_order``), so an
export lists the same contents in the same order on every database.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ._memory_codec import MEMORY_COLUMNS
from ._schema import app_states, events, memories, sessions, user_states
from .dialects import Dialect

EXPORT_SESSION_COLUMNS = (
    "app_name",
    "user_id",
    "id",
    "state",
    "revision",
    "create_time",
    "update_time",
)

_LIMIT: sa.BindParameter[int] = sa.bindparam("limit")
_NO_OFFSET: sa.ColumnClause[int] = sa.literal_column("0")


class StoreStatements:
    """Compiled SQL for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.status = self._sql(_status_query())
        self.app_names = self._sql(
            sa.select(sessions.c.app_name).distinct().order_by(sessions.c.app_name)
        )

        self.app_states_page = self._filtered_pages(
            sa.select(app_states.c.app_name, app_states.c.state), app_states, ("app_name",)
        )
        self.user_states_page = self._filtered_pages(
            sa.select(user_states.c.app_name, user_states.c.user_id, user_states.c.state),
            user_states,
            ("app_name", "user_id"),
        )
        self.sessions_page = self._filtered_pages(
            sa.select(*(sessions.c[name] for name in EXPORT_SESSION_COLUMNS)),
            sessions,
            ("app_name", "user_id", "id"),
        )
        self.memories_page = self._filtered_pages(
            sa.select(*(memories.c[name] for name in MEMORY_COLUMNS)),
            memories,
            ("app_name", "user_id", "id"),
        )

        self.import_session = self._sql(
            sa.insert(sessions).values(
                app_name=sa.bindparam("app_name"),
                user_id=sa.bindparam("user_id"),
                id=sa.bindparam("session_id"),
                state=dialect.json_param("session_state"),
                revision=sa.bindparam("revision"),
                create_time=sa.bindparam("create_time"),
                update_time=sa.bindparam("update_time"),
            )
        )

        prunable = sessions.c.update_time < sa.bindparam("updated_before")
        key_and_time = (
            sessions.c.app_name,
            sessions.c.user_id,
            sessions.c.id,
            sessions.c.update_time,
        )
        self.prune_batch: dict[bool, str] = {}
        self.prunable_page: dict[bool, str] = {}
        for by_app in (False, True):
            conditions = [prunable]
            if by_app:
                conditions.append(sessions.c.app_name == sa.bindparam("app_name"))
            self.prune_batch[by_app] = self._sql(dialect.prune_batch(conditions, key_and_time))
            self.prunable_page[by_app] = self._sql(
                sa.select(*key_and_time)
                .where(
                    *conditions,
                    sa.tuple_(key_and_time[3], *key_and_time[:3])
                    > sa.tuple_(
                        sa.bindparam("after_time"),
                        sa.bindparam("after_app_name"),
                        sa.bindparam("after_user_id"),
                        sa.bindparam("after_id"),
                    ),
                )
                .order_by(key_and_time[3], *key_and_time[:3])
                .limit(_LIMIT)
                .offset(_NO_OFFSET)
            )

    def _filtered_pages(
        self, select: sa.Select[Any], table: sa.Table, key: tuple[str, ...]
    ) -> dict[tuple[bool, bool, bool], str]:
        """Pages of ``table`` in byte order of ``key``: the first, or the next after
        ``:after_<key>``.

        Keyed by (filtered by app, filtered by user, after a key); ``:app_name`` and
        ``:user_id`` filter.
        """
        ordered = [self._dialect.byte_order(table.c[name]) for name in key]
        after = sa.tuple_(*ordered) > sa.tuple_(*(sa.bindparam(f"after_{name}") for name in key))
        pages: dict[tuple[bool, bool, bool], str] = {}
        for by_app, by_user in ((False, False), (True, False), (True, True)):
            if by_user and "user_id" not in table.c:
                continue
            conditions = []
            if by_app:
                conditions.append(table.c.app_name == sa.bindparam("app_name"))
            if by_user:
                conditions.append(table.c.user_id == sa.bindparam("user_id"))
            for after_key in (False, True):
                page = select.where(*conditions, *([after] if after_key else []))
                pages[by_app, by_user, after_key] = self._sql(
                    page.order_by(*ordered).limit(_LIMIT).offset(_NO_OFFSET)
                )
        return pages

    def _sql(self, statement: sa.ClauseElement) -> str:
        return self._dialect.compile(statement)


def _status_query() -> sa.Select[Any]:
    app_names = sa.union(
        sa.select(sessions.c.app_name),
        sa.select(app_states.c.app_name),
        sa.select(user_states.c.app_name),
    ).subquery("app_names")
    users = sa.union(
        sa.select(sessions.c.app_name, sessions.c.user_id),
        sa.select(user_states.c.app_name, user_states.c.user_id),
    ).subquery("users")
    return sa.select(
        sa.select(sa.func.count()).select_from(app_names).scalar_subquery(),
        sa.select(sa.func.count()).select_from(users).scalar_subquery(),
        sa.select(sa.func.count()).select_from(sessions).scalar_subquery(),
        sa.select(sa.func.count()).select_from(events).scalar_subquery(),
        sa.select(sa.func.min(sessions.c.update_time)).scalar_subquery(),
        sa.select(sa.func.max(sessions.c.update_time)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(memories).scalar_subquery(),
    )
