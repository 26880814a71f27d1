"""Every query the service runs, built from the Core tables and compiled once per dialect.

Each attribute of :class:`Statements` is SQL text with ``:name`` parameters. Compiling once
at start-up keeps SQLAlchemy's compiler off the hot path; ``databases`` only binds values.
Every id and value travels as a bound parameter, never as SQL text.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ._append_sql import BoundInputs, bump_session, insert_event, insert_session, merge_state
from ._schema import (
    EVENT_COLUMNS,
    app_states,
    events,
    memories,
    schema_versions,
    session_key,
    sessions,
    user_states,
)
from .dialects import Dialect

_LIMIT: sa.BindParameter[int] = sa.bindparam("limit")
_NO_OFFSET: sa.ColumnClause[int] = sa.literal_column("0")


def _of_event_at(
    column: sa.Column[Any], seq: sa.ColumnElement[Any], *, bound: tuple[str, ...]
) -> sa.ScalarSelect[Any]:
    """``column`` of the session row's event numbered ``seq`` (``NULL`` when there is none),
    as a column of a query over ``adk_sessions``.

    ``bound`` names the key parts (``app_name``, ``user_id``, ``session_id``) the query binds:
    the subquery takes them from the bound values, not from the row, so that a database
    partitioned by app and user plans it on one partition.
    """
    key = (
        (events.c.app_name, sessions.c.app_name, "app_name"),
        (events.c.user_id, sessions.c.user_id, "user_id"),
        (events.c.session_id, sessions.c.id, "session_id"),
    )
    return (
        sa.select(column)
        .where(
            *(
                event_column == (sa.bindparam(name) if name in bound else session_column)
                for event_column, session_column, name in key
            ),
            events.c.seq == seq,
        )
        .correlate(sessions)
        .scalar_subquery()
    )


def _session_with_scopes(*, bound: tuple[str, ...]) -> sa.Select[Any]:
    """Session rows with their app and user state: the columns every session query returns
    (see ``Statements.select_session``), for a query that binds the key parts ``bound``."""
    last_event_time = _of_event_at(events.c.timestamp, sessions.c.revision, bound=bound)
    return (
        sa.select(
            sessions.c.app_name,
            sessions.c.user_id,
            sessions.c.id,
            sessions.c.state,
            sessions.c.revision,
            sessions.c.update_time,
            app_states.c.state,
            user_states.c.state,
            sessions.c.create_time,
            last_event_time.label("last_event_time"),
        )
        .select_from(sessions)
        .outerjoin(app_states, app_states.c.app_name == sessions.c.app_name)
        .outerjoin(
            user_states,
            sa.and_(
                user_states.c.app_name == sessions.c.app_name,
                user_states.c.user_id == sessions.c.user_id,
            ),
        )
    )


class Statements:
    """Compiled SQL for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        bound = BoundInputs(dialect)

        one_session = ("app_name", "user_id", "session_id")
        session_with_scopes = _session_with_scopes(bound=one_session)
        self.select_session = self._sql(session_with_scopes.where(session_key(sessions)))
        """A session row with its app and user state, as ``_codec.session_from_row`` reads it:
        app_name, user_id, id, state, revision, update_time, app state, user state,
        create_time, last_event_time (the timestamp of the event at the revision). Every
        session query returns these columns."""
        known_event_id = _of_event_at(
            events.c.id, sa.bindparam("known_revision"), bound=one_session
        )
        self.select_session_and_known_event = self._sql(
            session_with_scopes.add_columns(known_event_id.label("known_event_id")).where(
                session_key(sessions)
            )
        )
        """``select_session``'s columns and then the id of the event at ``:known_revision``
        (``NULL`` when there is none), so that a reader can tell in one round trip whether
        the events it holds are still the stored ones."""

        page_of_app = _session_with_scopes(bound=("app_name",)).where(
            sessions.c.app_name == sa.bindparam("app_name")
        )
        page_of_user = _session_with_scopes(bound=("app_name", "user_id")).where(
            sessions.c.app_name == sa.bindparam("app_name"),
            sessions.c.user_id == sa.bindparam("user_id"),
        )
        self._session_lists: dict[tuple[bool, bool], tuple[str, str, str]] = {}
        """``list_sessions`` queries (all, first page, page after a token) by (of one user,
        newest first). Pages are keyset pages over (update_time, [user_id,] id)."""
        by_time, by_user, by_id = sessions.c.update_time, sessions.c.user_id, sessions.c.id
        for of_user, listed, order, token_names in (
            (False, page_of_app, (by_time, by_user, by_id), ("time", "user_id", "id")),
            (True, page_of_user, (by_time, by_id), ("time", "id")),
        ):
            last_seen = sa.tuple_(*(sa.bindparam(f"after_{name}") for name in token_names))
            for newest_first in (False, True):
                ordered = listed.order_by(*(c.desc() if newest_first else c for c in order))
                past: sa.ColumnElement[bool] = (
                    sa.tuple_(*order) < last_seen
                    if newest_first
                    else sa.tuple_(*order) > last_seen
                )
                self._session_lists[of_user, newest_first] = (
                    self._sql(ordered),
                    self._sql(ordered.limit(_LIMIT).offset(_NO_OFFSET)),
                    self._sql(ordered.where(past).limit(_LIMIT).offset(_NO_OFFSET)),
                )

        self.select_scopes = self._sql(
            sa.select(
                sa.select(app_states.c.state)
                .where(app_states.c.app_name == sa.bindparam("app_name"))
                .scalar_subquery(),
                sa.select(user_states.c.state)
                .where(
                    user_states.c.app_name == sa.bindparam("app_name"),
                    user_states.c.user_id == sa.bindparam("user_id"),
                )
                .scalar_subquery(),
            )
        )
        self.select_app_state = self._sql(
            sa.select(app_states.c.state).where(app_states.c.app_name == sa.bindparam("app_name"))
        )
        self.select_user_state = self._sql(
            sa.select(user_states.c.state).where(
                user_states.c.app_name == sa.bindparam("app_name"),
                user_states.c.user_id == sa.bindparam("user_id"),
            )
        )

        self.insert_session = self._sql(insert_session(bound))
        self.delete_session = self._sql(
            sa.delete(sessions).where(session_key(sessions)).returning(sessions.c.create_time)
        )
        """Returns the create time of the session it deleted (no row: there was none)."""
        self.delete_events = self._sql(sa.delete(events).where(session_key(events, "session_id")))
        """Run before ``delete_session``: the foreign key's cascade does the same, except where
        SQLite cannot turn foreign keys on (inside a ``force_rollback`` Database)."""
        self.select_revision = self._sql(
            sa.select(sessions.c.revision, sessions.c.create_time).where(session_key(sessions))
        )
        self.bump_session = tuple(
            self._sql(statement)
            for statement in dialect.bump_session(bump_session(bound, dialect, stale_check=False))
        )
        """Bump a session's revision and merge its delta, whatever its revision; run in order
        in a transaction, the last statement returns the new revision (see
        ``Dialect.bump_session``)."""

        # Each merges one delta, bound as :state_delta, updated :now.
        one_delta = {"app_state_delta": "state_delta", "user_state_delta": "state_delta"}
        merged = BoundInputs(dialect, bound_as={**one_delta, "update_time": "now"})
        self.upsert_app_state = self._sql(
            merge_state(dialect, app_states, merged, "app_state_delta")
        )
        self.upsert_user_state = self._sql(
            merge_state(dialect, user_states, merged, "user_state_delta")
        )

        self.insert_event = self._sql(insert_event(bound, sa.bindparam("seq")))

        create = dialect.one_statement_create()
        self.one_statement_create = None if create is None else self._sql(create)
        """See ``Dialect.one_statement_create``; ``None``: create in a transaction."""

        self.one_statement_append = self._sql(dialect.one_statement_append())
        """See ``Dialect.one_statement_append``; run it with ``run_one_statement_append``."""

        event_columns = [events.c[name] for name in EVENT_COLUMNS]
        # Only while the session read before is still the same incarnation (create time):
        # events with a seq up to its revision never change, so together with that session
        # row they are one snapshot. Deleted and created again in between, it yields nothing.
        still_that_session = (
            sa.exists()
            .where(session_key(sessions), sessions.c.create_time == sa.bindparam("created"))
            .correlate_except(sessions)
        )
        of_session = sa.select(*event_columns).where(
            session_key(events, "session_id"),
            events.c.seq <= sa.bindparam("revision"),
            still_that_session,
        )
        after = events.c.timestamp >= sa.bindparam("after_timestamp")
        self.select_events = self._sql(of_session.order_by(events.c.seq))
        self.select_events_after = self._sql(of_session.where(after).order_by(events.c.seq))
        self.select_recent_events = self._sql(
            of_session.order_by(events.c.seq.desc()).limit(_LIMIT).offset(_NO_OFFSET)
        )
        self.select_recent_events_after = self._sql(
            of_session.where(after).order_by(events.c.seq.desc()).limit(_LIMIT).offset(_NO_OFFSET)
        )
        self.select_events_since = self._sql(
            of_session.where(events.c.seq > sa.bindparam("after_seq")).order_by(events.c.seq)
        )
        self.select_events_between = self._sql(
            sa.select(*event_columns)
            .where(
                session_key(events, "session_id"),
                events.c.seq > sa.bindparam("after_seq"),
                events.c.seq < sa.bindparam("before_seq"),
            )
            .order_by(events.c.seq)
        )

        self.select_schema_version = self._sql(sa.select(sa.func.max(schema_versions.c.version)))
        self.insert_schema_version = self._sql(
            sa.insert(schema_versions).values(
                version=sa.bindparam("version"), applied_time=sa.bindparam("now")
            )
        )
        self.delete_schema_version = self._sql(
            sa.delete(schema_versions).where(schema_versions.c.version == sa.bindparam("version"))
        )
        self.count_sessions = self._sql(sa.select(sa.func.count()).select_from(sessions))
        self.count_memories = self._sql(sa.select(sa.func.count()).select_from(memories))

    def session_list(
        self, *, of_user: bool, page: bool, after_token: bool, newest_first: bool = False
    ) -> str:
        """The query for ``list_sessions``: of an app or of one user, all or one page, from
        the start or after a page token, oldest or newest update first."""
        every, first_page, next_page = self._session_lists[of_user, newest_first]
        if not page:
            return every
        return next_page if after_token else first_page

    def event_list(self, *, recent_only: bool, after_timestamp: bool) -> str:
        """The query for a session's events: all (oldest first) or the most recent (newest
        first), optionally from a timestamp on."""
        if recent_only:
            return (
                self.select_recent_events_after if after_timestamp else self.select_recent_events
            )
        return self.select_events_after if after_timestamp else self.select_events

    def _sql(self, statement: sa.ClauseElement) -> str:
        return self._dialect.compile(statement)
