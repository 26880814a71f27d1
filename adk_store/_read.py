"""The read algorithms: one session as a consistent snapshot, and pages of sessions.

1. :func:`read_session` reads the session's row, then its events up to the revision that row
   names. If no events come back and the session was deleted (and perhaps created again)
   between the two statements, it reads again, at most :data:`READ_ATTEMPTS` times.
2. :func:`plan_session_list` picks the ``list_sessions`` query and its values (a page token
   decoded) before any I/O; :meth:`SessionListQuery.page` turns its rows into a page with the
   token of the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._codec import RowCodec, revision_from_row
from ._errors import DatabaseError
from ._models import ListSessionsResponse, Session, SessionDocuments, SessionVersion
from ._runtime import Connection, ConnectionPool
from ._statements import Statements
from ._store import Store
from ._validate import MAX_ROWS, decode_page_token, encode_page_token

READ_ATTEMPTS = 100
"""Reads of a session that was deleted and created again between a read's two statements."""


async def read_session(
    pool: ConnectionPool,
    store: Store,
    key: dict[str, str],
    *,
    recent: int | None,
    after: float | None,
) -> Session | None:
    """The session under ``key`` with its events (oldest first), or ``None``.

    >>> session = await read_session(pool, store, key, recent=None, after=None)
    """
    sql, codec = store.statements, store.codec
    events_query = sql.event_list(
        recent_only=recent is not None, after_timestamp=after is not None
    )
    async with pool.reader() as connection:
        for _ in range(READ_ATTEMPTS):
            row = await connection.fetch_one(sql.select_session, key)
            if row is None:
                return None
            session = codec.session_from_row(row, [])
            if recent == 0 or session.revision == 0:
                return session
            values: dict[str, Any] = {
                **key,
                "revision": session.revision,
                "created": session.create_time,
            }
            if after is not None:
                values["after_timestamp"] = after
            if recent is not None:
                values["limit"] = recent
            rows = await connection.fetch_all(events_query, values)
            # No rows: none selected, or the session was deleted (and perhaps created
            # again) since its row was read; then read it again.
            if rows or await _still_there(connection, sql, key, session):
                session.events = codec.events_from_rows(rows)
                if recent is not None:
                    session.events.reverse()
                return session
    raise _recreated_while_read(key)


async def read_session_documents(
    pool: ConnectionPool, store: Store, key: dict[str, str], known: SessionVersion | None
) -> SessionDocuments | None:
    """The session under ``key`` and its events as JSON documents: only those after
    ``known`` when the reader's events are still the stored ones, else all.

    One round trip reads the session row and the id of the event at ``known.revision``; the
    events the reader holds are still stored when the create time and that id match (events
    never change once stored, and their ids are unique within a session). When nothing
    is newer, that is the only round trip.

    >>> snapshot = await read_session_documents(pool, store, key, known=None)
    """
    sql, codec = store.statements, store.codec
    known_revision = 0 if known is None else known.revision
    async with pool.reader() as connection:
        for _ in range(READ_ATTEMPTS):
            row = await connection.fetch_one(
                sql.select_session_and_known_event, {**key, "known_revision": known_revision}
            )
            if row is None:
                return None
            session, known_event_id = codec.session_and_known_event_from_row(row)
            after = (
                known_revision
                if known is not None
                and known.create_time == session.create_time
                and known_revision <= session.revision
                and known_event_id == known.last_event_id
                else 0
            )
            if after == session.revision:
                return SessionDocuments(session, after, [])
            values = {
                **key,
                "after_seq": after,
                "revision": session.revision,
                "created": session.create_time,
            }
            rows = await connection.fetch_all(sql.select_events_since, values)
            # No rows although some were due: the session was deleted (and perhaps created
            # again) since its row was read; read it again.
            if rows:
                return SessionDocuments(session, after, codec.event_documents_from_rows(rows))
    raise _recreated_while_read(key)


def _recreated_while_read(key: dict[str, str]) -> DatabaseError:
    return DatabaseError(
        f"session {key['session_id']!r} of user {key['user_id']!r} in app "
        f"{key['app_name']!r} was deleted and created again {READ_ATTEMPTS} times while it "
        "was being read"
    )


async def _still_there(
    connection: Connection, sql: Statements, key: dict[str, str], session: Session
) -> bool:
    """Whether the incarnation of ``session`` (its create time) is still stored."""
    row = await connection.fetch_one(sql.select_revision, key)
    return row is not None and revision_from_row(row)[1] == session.create_time


@dataclass(frozen=True)
class SessionListQuery:
    """A ``list_sessions`` call planned: its query, its values, and how to page its rows."""

    query: str
    values: dict[str, Any]
    limit: int | None
    across_users: bool
    newest_first: bool

    def page(self, rows: Sequence[Any], codec: RowCodec) -> ListSessionsResponse:
        """The sessions of ``rows``, at most ``limit``, and the token of the next page."""
        sessions = codec.sessions_from_rows(rows)
        next_token = None
        if self.limit is not None and len(sessions) > self.limit:
            del sessions[self.limit :]
            last = sessions[-1]
            next_token = encode_page_token(
                last.last_update_time,
                last.user_id,
                last.id,
                with_user_id=self.across_users,
                newest_first=self.newest_first,
            )
        return ListSessionsResponse(sessions=sessions, next_page_token=next_token)


def plan_session_list(
    sql: Statements,
    *,
    app_name: str,
    user_id: str | None,
    limit: int | None,
    page_token: str | None,
    newest_first: bool,
) -> SessionListQuery:
    """The query and values for one ``list_sessions`` page; a bad page token raises here.

    >>> listing = plan_session_list(sql, app_name="app", user_id=None, limit=10,
    ...                             page_token=None, newest_first=False)
    """
    across_users = user_id is None
    values: dict[str, Any] = {"app_name": app_name}
    if user_id is not None:
        values["user_id"] = user_id
    if limit is not None:
        values["limit"] = min(limit, MAX_ROWS) + 1
        if page_token is not None:
            values.update(
                decode_page_token(page_token, with_user_id=across_users, newest_first=newest_first)
            )
    query = sql.session_list(
        of_user=not across_users,
        page=limit is not None,
        after_token=page_token is not None,
        newest_first=newest_first,
    )
    return SessionListQuery(query, values, limit, across_users, newest_first)
