"""Every query the service runs, built from the Core tables and compiled once per dialect.

Each attribute of :class:`Statements` is SQL text with ``:name`` parameters. Compiling once
at start-up keeps SQLAlchemy's compiler off the hot path; ``databases`` only binds values.
Every id and value travels as a bound parameter, never as SQL text.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

from ._dialects import Dialect
from ._schema import app_states, appends, events, schema_versions, sessions, user_states

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

SESSION_COLUMNS = (
    "app_name",
    "user_id",
    "id",
    "session_state",
    "revision",
    "update_time",
    "app_state",
    "user_state",
    "create_time",
)
"""Session columns (with the merged scopes) in the order every session query returns them."""


class ListQueries(NamedTuple):
    """The three ``list_sessions`` queries of one ordering: all, a first page, a later page."""

    every: str
    first_page: str
    next_page: str


_LIMIT: sa.BindParameter[int] = sa.bindparam("limit")
_NO_OFFSET: sa.ColumnClause[int] = sa.literal_column("0")


def _session_key(table: sa.Table, id_column: str = "id") -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c.app_name == sa.bindparam("app_name"),
        table.c.user_id == sa.bindparam("user_id"),
        table.c[id_column] == sa.bindparam("session_id"),
    )


def _same_incarnation() -> sa.ColumnElement[bool]:
    """The session row is the one ``:created`` (its create time) names, when given.

    Revisions restart at 0 when a session is deleted and created again under the same id; the
    create time tells the two apart, so a copy of the old one cannot append to the new one.
    """
    created = sa.cast(sa.bindparam("created"), sa.Double)
    return sa.or_(created.is_(None), sessions.c.create_time == created)


class Statements:
    """Compiled SQL for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        json_param = dialect.json_param

        session_with_scopes = (
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
        self.select_session = self._sql(session_with_scopes.where(_session_key(sessions)))

        page_of_app = session_with_scopes.where(sessions.c.app_name == sa.bindparam("app_name"))
        page_of_user = page_of_app.where(sessions.c.user_id == sa.bindparam("user_id"))
        app_order = (sessions.c.update_time, sessions.c.user_id, sessions.c.id)
        user_order = (sessions.c.update_time, sessions.c.id)
        self.list_sessions: dict[tuple[bool, bool], ListQueries] = {}
        """``list_sessions`` queries by (one user's, newest first)."""
        for of_user, select, order in (
            (False, page_of_app, app_order),
            (True, page_of_user, user_order),
        ):
            position = sa.tuple_(*order)
            last_seen: sa.ColumnElement[Any] = sa.tuple_(
                sa.bindparam("after_time"),
                *([] if of_user else [sa.bindparam("after_user_id")]),
                sa.bindparam("after_id"),
            )
            for newest_first in (False, True):
                ordered = [column.desc() if newest_first else column for column in order]
                past = position < last_seen if newest_first else position > last_seen
                self.list_sessions[of_user, newest_first] = ListQueries(
                    every=self._sql(select.order_by(*ordered)),
                    first_page=self._sql(
                        select.order_by(*ordered).limit(_LIMIT).offset(_NO_OFFSET)
                    ),
                    next_page=self._sql(
                        select.where(past).order_by(*ordered).limit(_LIMIT).offset(_NO_OFFSET)
                    ),
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

        self.insert_session = self._sql(
            sa.insert(sessions).values(
                app_name=sa.bindparam("app_name"),
                user_id=sa.bindparam("user_id"),
                id=sa.bindparam("session_id"),
                state=json_param("session_state"),
                revision=sa.literal_column("0"),
                create_time=sa.bindparam("now"),
                update_time=sa.bindparam("now"),
            )
        )
        self.delete_session = self._sql(sa.delete(sessions).where(_session_key(sessions)))
        self.select_revision = self._sql(
            sa.select(sessions.c.revision, sessions.c.create_time).where(_session_key(sessions))
        )
        self.bump_session = self._sql(
            sa.update(sessions)
            .where(_session_key(sessions), _same_incarnation())
            .values(
                state=dialect.merge_json(sessions.c.state, json_param("session_delta")),
                revision=sessions.c.revision + sa.literal_column("1"),
                update_time=sa.bindparam("update_time"),
            )
            .returning(sessions.c.revision)
        )

        self.upsert_app_state = self._upsert_state(app_states, app_name=sa.bindparam("app_name"))
        self.upsert_user_state = self._upsert_state(
            user_states, app_name=sa.bindparam("app_name"), user_id=sa.bindparam("user_id")
        )

        self.insert_event = self._sql(
            sa.insert(events).values(
                app_name=sa.bindparam("app_name"),
                user_id=sa.bindparam("user_id"),
                session_id=sa.bindparam("session_id"),
                seq=sa.bindparam("seq"),
                id=sa.bindparam("id"),
                invocation_id=sa.bindparam("invocation_id"),
                author=sa.bindparam("author"),
                branch=sa.bindparam("branch"),
                timestamp=sa.bindparam("timestamp"),
                error_code=sa.bindparam("error_code"),
                error_message=sa.bindparam("error_message"),
                content=json_param("content"),
                actions=json_param("actions"),
                extra_fields=json_param("extra_fields"),
            )
        )

        self.append_at_revision = self._sql(
            self._append_at_revision()
            if dialect.one_statement_append == "cte"
            else self._append_into_view()
        )
        """The whole append as one statement: bump the session if it is still at
        ``:expected``, insert the event with the new revision as its ``seq``, and merge the
        app and user deltas (``NULL`` for none). Nothing is written when the session is
        missing or has moved on. Run it with ``Dialect.append_at_revision``."""

        event_columns = [events.c[name] for name in EVENT_COLUMNS]
        of_session = sa.select(*event_columns).where(
            _session_key(events, "session_id"), events.c.seq <= sa.bindparam("revision")
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
        self.select_events_between = self._sql(
            sa.select(*event_columns)
            .where(
                _session_key(events, "session_id"),
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

    def _append_at_revision(self) -> sa.Select[Any]:
        json_param = self._dialect.json_param
        bumped = (
            sa.update(sessions)
            .where(
                _session_key(sessions),
                sessions.c.revision == sa.bindparam("expected"),
                _same_incarnation(),
            )
            .values(
                state=self._dialect.merge_json(sessions.c.state, json_param("session_delta")),
                revision=sessions.c.revision + sa.literal_column("1"),
                update_time=sa.bindparam("update_time"),
            )
            .returning(sessions.c.revision)
            .cte("bumped")
        )

        def typed(name: str, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
            # In a SELECT list a parameter has no column to take its type from.
            return sa.cast(sa.bindparam(name), column.type)

        event_values = {
            "app_name": typed("app_name", events.c.app_name),
            "user_id": typed("user_id", events.c.user_id),
            "session_id": typed("session_id", events.c.session_id),
            "seq": bumped.c.revision,
            **{
                name: typed(name, events.c[name])
                for name in EVENT_COLUMNS
                if name not in {"seq", "content", "actions", "extra_fields"}
            },
            **{name: json_param(name) for name in ("content", "actions", "extra_fields")},
        }
        inserted = sa.insert(events).from_select(
            list(event_values), sa.select(*event_values.values()).select_from(bumped)
        )
        app_upsert = self._upsert_from(
            bumped,
            app_states,
            "app_state_delta",
            app_name=typed("app_name", app_states.c.app_name),
        ).cte("app_upsert")
        # Data-modifying CTEs run in no promised order. Reading app_upsert's result before
        # touching the user row makes every writer lock session, app, user rows in that order
        # (as create_session does), so concurrent writers cannot deadlock.
        app_done = sa.select(sa.func.count()).select_from(app_upsert).scalar_subquery() >= (
            sa.literal_column("0")
        )
        user_upsert = self._upsert_from(
            bumped,
            user_states,
            "user_state_delta",
            app_name=typed("app_name", user_states.c.app_name),
            user_id=typed("user_id", user_states.c.user_id),
            after=app_done,
        ).cte("user_upsert")
        return sa.select(bumped.c.revision).add_cte(
            inserted.cte("inserted"), app_upsert, user_upsert
        )

    def _append_into_view(self) -> sa.Insert:
        """SQLite: an insert into ``adk_appends``, whose INSTEAD OF trigger does the append."""
        return sa.insert(appends).values(
            {column.name: sa.bindparam(column.name) for column in appends.columns}
        )

    def _upsert_from(
        self,
        bumped: sa.CTE,
        table: sa.Table,
        delta: str,
        after: sa.ColumnElement[bool] | None = None,
        **key: sa.ColumnElement[Any],
    ) -> Any:
        """Merge ``:delta`` into ``table``'s row for ``key`` once ``bumped`` has a row."""
        delta_json = self._dialect.json_param(delta)
        insert = self._dialect.insert(table).from_select(
            [*key, "state", "update_time"],
            sa.select(*key.values(), delta_json, sa.cast(sa.bindparam("update_time"), sa.Double))
            .select_from(bumped)
            .where(delta_json.is_not(None), *([] if after is None else [after])),
        )
        return insert.on_conflict_do_update(
            index_elements=list(key),
            set_={
                "state": self._dialect.merge_json(table.c.state, insert.excluded.state),
                "update_time": insert.excluded.update_time,
            },
        ).returning(table.c.app_name)

    def _upsert_state(self, table: sa.Table, **key: Any) -> str:
        insert = self._dialect.insert(table).values(
            **key,
            state=self._dialect.json_param("state_delta"),
            update_time=sa.bindparam("now"),
        )
        return self._sql(
            insert.on_conflict_do_update(
                index_elements=list(key),
                set_={
                    "state": self._dialect.merge_json(table.c.state, insert.excluded.state),
                    "update_time": insert.excluded.update_time,
                },
            )
        )

    def _sql(self, statement: sa.ClauseElement) -> str:
        return str(
            statement.compile(
                dialect=self._dialect.sqlalchemy, compile_kwargs={"render_postcompile": True}
            )
        )
