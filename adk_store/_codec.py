"""Objects to row values and rows back to objects: the only place either happens.

Going in, :class:`RowCodec` turns events and state deltas into the values a statement binds
(text and JSON as the dialect must receive them). Coming out, its ``*_from_row`` methods turn
the rows the statements return into :class:`Session` and :class:`Event` objects and state
dicts, undoing what the dialect did to store them (NUL on PostgreSQL). Sessions, state and
export records are worked out here; events, in ``_event_codec``; JSON text, in
``_json_text``; memories, in ``_memory_codec``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._event_codec import event_documents, event_values, events_from_values
from ._json_text import dumps
from ._models import Event, JsonDict, Session
from ._operations import SessionKey
from ._records import AppStateRecord, SessionRecord, UserStateRecord
from ._state import APP_PREFIX, USER_PREFIX, ScopedDelta, merge_scopes, prefixed
from .dialects import Dialect

_IMMUTABLE_JSON = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class SharedStateJson:
    """The app and user parts of a state delta as JSON; ``None`` where nothing changes."""

    app_json: str | None
    user_json: str | None


class RowCodec:
    """Turns events into row values and rows into events and sessions for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect

    def state_json(self, state: JsonDict, where: str) -> str:
        return self._dialect.adapt_json(dumps(state, where), where)

    def shared_state_json(self, scoped: ScopedDelta, where: str) -> SharedStateJson:
        """JSON for the app and user parts of a delta; ``None`` for a part that is empty."""
        return SharedStateJson(
            self.state_json(scoped.app_state, where) if scoped.app_state else None,
            self.state_json(scoped.user_state, where) if scoped.user_state else None,
        )

    def event_values(self, event: Event) -> dict[str, Any]:
        """Column values for ``event`` (the caller adds the session key and ``seq``)."""
        return event_values(event, self._dialect)

    # -- rows to objects ---------------------------------------------------------------------

    def events_from_rows(self, rows: Sequence[Any]) -> list[Event]:
        """:class:`Event` objects from rows in ``EVENT_COLUMNS`` order."""
        return events_from_values([row_values(row) for row in rows], self._dialect)

    def event_documents_from_rows(self, rows: Sequence[Any]) -> list[str]:
        """Each row of ``EVENT_COLUMNS`` as one event's JSON document, without parsing it
        (see :func:`~adk_store._event_codec.event_documents`)."""
        return event_documents([row_values(row) for row in rows], self._dialect)

    def session_from_row(self, row: Sequence[Any], events: list[Event]) -> Session:
        """A :class:`Session` from a row of ``Statements.select_session``'s columns."""
        columns = SessionColumns(*row_values(row))
        return Session(
            id=columns.session_id,
            app_name=columns.app_name,
            user_id=columns.user_id,
            state=merge_scopes(
                self.state_from_value(columns.app_state),
                self.state_from_value(columns.user_state),
                self.state_from_value(columns.session_state),
            ),
            events=events,
            last_update_time=columns.update_time,
            revision=columns.revision,
            create_time=columns.create_time,
            last_event_time=columns.last_event_time,
        )

    def session_and_known_event_from_row(self, row: Sequence[Any]) -> tuple[Session, str | None]:
        """A session (without events) and the id of the event at the revision a reader
        knew, from a row of ``Statements.select_session_and_known_event``."""
        *session_values, known_event_id = row_values(row)
        session = self.session_from_row(session_values, [])
        if known_event_id is not None:
            known_event_id = self._dialect.restore_text(known_event_id)
        return session, known_event_id

    def sessions_from_rows(self, rows: Sequence[Any]) -> list[Session]:
        """Sessions (without events) from rows of ``Statements.select_session``'s columns.

        The app and user state columns repeat on every row of one app or user: each distinct
        text is parsed once per call, and its prefixed keys are reused for every session
        that has it when all its values are immutable (str, number, bool, null), so that no
        caller can change one session's state through another's.
        """
        reusable: dict[tuple[str, str | None], JsonDict] = {}

        def scope(prefix: str, text: str | None) -> JsonDict:
            keys = reusable.get((prefix, text))
            if keys is None:
                keys = prefixed(prefix, self.state_from_value(text))
                if all(type(value) in _IMMUTABLE_JSON for value in keys.values()):
                    reusable[(prefix, text)] = keys
            return keys

        sessions = []
        for row in rows:
            columns = SessionColumns(*row_values(row))
            state = self.state_from_value(columns.session_state)
            state.update(scope(APP_PREFIX, columns.app_state))
            state.update(scope(USER_PREFIX, columns.user_state))
            sessions.append(
                Session(
                    id=columns.session_id,
                    app_name=columns.app_name,
                    user_id=columns.user_id,
                    state=state,
                    events=[],
                    last_update_time=columns.update_time,
                    revision=columns.revision,
                    create_time=columns.create_time,
                    last_event_time=columns.last_event_time,
                )
            )
        return sessions

    def state_from_value(self, text: str | None) -> JsonDict:
        """A state dict from a stored state column; ``{}`` when there is no row."""
        if text is None or text == "{}":
            return {}
        return dict(json.loads(self._dialect.restore_json(text)))

    def scopes_from_row(self, row: Sequence[Any]) -> tuple[JsonDict, JsonDict]:
        """The app and user state of a ``Statements.select_scopes`` row."""
        app_state, user_state = row_values(row)
        return self.state_from_value(app_state), self.state_from_value(user_state)

    def session_record_from_row(self, row: Sequence[Any], events: list[Event]) -> SessionRecord:
        """A :class:`SessionRecord` from a row of ``StoreStatements.sessions_page``'s columns."""
        app_name, user_id, session_id, session_state, _revision, create_time, update_time = (
            row_values(row)
        )
        return SessionRecord(
            app_name=app_name,
            user_id=user_id,
            id=session_id,
            state=self.state_from_value(session_state),
            create_time=create_time,
            update_time=update_time,
            events=events,
        )

    def app_state_record_from_row(self, row: Sequence[Any]) -> AppStateRecord:
        app_name, state = row_values(row)
        return AppStateRecord(app_name=app_name, state=self.state_from_value(state))

    def user_state_record_from_row(self, row: Sequence[Any]) -> UserStateRecord:
        app_name, user_id, state = row_values(row)
        return UserStateRecord(
            app_name=app_name, user_id=user_id, state=self.state_from_value(state)
        )


class SessionColumns(NamedTuple):
    """A row of ``Statements.select_session``'s columns, in their order."""

    app_name: str
    user_id: str
    session_id: str
    session_state: str | None
    revision: int
    update_time: float
    app_state: str | None
    user_state: str | None
    create_time: float | None
    last_event_time: float | None


def row_values(row: Any) -> tuple[Any, ...]:
    """The values of a ``databases`` record in column order.

    Iterating a record yields its column names; its ``_mapping`` is the driver's row (an
    SQLAlchemy ``Row`` or an asyncpg ``Record``), whose iteration yields the values.
    """
    return tuple(getattr(row, "_mapping", row))


def revision_from_row(row: Sequence[Any]) -> tuple[int, float]:
    """The revision and create time of a ``Statements.select_revision`` row."""
    revision, create_time = row_values(row)
    return int(revision), create_time


def session_key_from_row(row: Sequence[Any]) -> SessionKey:
    """A :class:`SessionKey` from a row of app_name, user_id, id, update_time."""
    app_name, user_id, session_id, update_time = row_values(row)
    return SessionKey(app_name, user_id, session_id, update_time)
