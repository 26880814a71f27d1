"""Objects to row values and rows back to objects: the only place either happens.

Going in, :class:`RowCodec` turns events and state deltas into the values a statement binds
(text and JSON as the dialect must receive them). Coming out, its ``*_from_row`` methods turn
the rows the statements return into :class:`Session` and :class:`Event` objects and state
dicts, undoing what the dialect did to store them (NUL on PostgreSQL).
"""

from __future__ import annotations

import json
import math
from collections.abc import Container, Sequence
from dataclasses import dataclass, fields
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from ._errors import InvalidArgumentError, StateSerializationError
from ._models import Event, EventActions, JsonDict, Session
from ._operations import SessionKey
from ._records import AppStateRecord, SessionRecord, UserStateRecord
from ._schema import EVENT_COLUMNS
from ._state import (
    APP_PREFIX,
    USER_PREFIX,
    ScopedDelta,
    check_json_value,
    merge_scopes,
    prefixed,
)
from .dialects import Dialect

_ACTION_FIELDS = tuple(f.name for f in fields(EventActions) if f.name != "extra")
_ACTION_DEFAULTS = {name: EventActions().__dict__[name] for name in _ACTION_FIELDS}

_EVENT_COLUMN_FIELDS = frozenset(EVENT_COLUMNS) - {"seq", "extra_fields"}
"""Event fields stored in a column of their own; the others go to ``extra_fields``."""
_EXTRA_EVENT_FIELDS = tuple(
    f.name for f in fields(Event) if f.name not in _EVENT_COLUMN_FIELDS and f.name != "extra"
)
_IMMUTABLE_JSON = frozenset({str, int, float, bool, type(None)})
_TEXT_COLUMNS = ("id", "invocation_id", "author", "branch", "error_code", "error_message")


def dumps(value: Any, where: str) -> str:
    """Compact JSON text for ``value``; a value JSON cannot hold raises, naming ``where``."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        raise StateSerializationError(where, str(error) or type(error).__name__) from None
    _check_encodable(text, where)
    return text


def _check_encodable(text: str, where: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise StateSerializationError(
            where, "it contains a lone surrogate, which no database can store as UTF-8"
        ) from None


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
        timestamp = event.timestamp
        if type(timestamp) is not float:
            if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
                raise InvalidArgumentError(
                    f"event {event.id!r}: timestamp must be a float, not {timestamp!r}"
                )
            try:
                timestamp = float(timestamp)
            except OverflowError:
                raise InvalidArgumentError(
                    f"event {event.id!r}: timestamp must be finite, not an integer too large "
                    "for a float"
                ) from None
        if not math.isfinite(timestamp):
            raise InvalidArgumentError(
                f"event {event.id!r}: timestamp must be finite, not {timestamp!r}"
            )
        values: dict[str, Any] = {"timestamp": timestamp}
        for name in _TEXT_COLUMNS:
            text = getattr(event, name)
            if text is not None:
                if not isinstance(text, str):
                    raise InvalidArgumentError(
                        f"event {event.id!r}: {name} must be a str, not {type(text).__name__}"
                    )
                _check_encodable(text, f"event {event.id!r} {name}")
                text = self._dialect.encode_text(text)
            values[name] = text
        where = f"event {event.id!r}"
        values["content"] = (
            None if event.content is None else self._json(event.content, f"{where} content")
        )
        values["actions"] = self._json(_actions_dict(event.actions), f"{where} actions")
        values["extra_fields"] = self._json(_extra_fields(event), where)
        return values

    def _json(self, value: Any, where: str) -> str:
        # The same strict check as state: JSON would turn a tuple into a list or an int key
        # into a str, and the event would no longer read back as it was appended.
        check_json_value(value, where)
        return self._dialect.adapt_json(dumps(value, where), where)

    # -- rows to objects ---------------------------------------------------------------------

    def events_from_rows(self, rows: Sequence[Any]) -> list[Event]:
        """:class:`Event` objects from rows in ``EVENT_COLUMNS`` order.

        The three JSON columns of every row are parsed in one ``json.loads`` call over a single
        array: the parser's per-call cost, not the text, dominates for typical events.
        """
        values = [row_values(row) for row in rows]
        if not values:
            return []
        documents = json.loads(
            self._dialect.restore_json(
                "["
                + ",".join(
                    f"{'null' if row[8] is None else row[8]},{row[9]},{row[10]}" for row in values
                )
                + "]"
            )
        )
        escape = self._dialect.text_escape
        if escape is not None and escape in "".join(
            text for row in values for text in row[2:8] if type(text) is str
        ):
            values = [self._restore_text_columns(row) for row in values]
        return [
            _event(row, documents[3 * index], documents[3 * index + 1], documents[3 * index + 2])
            for index, row in enumerate(values)
        ]

    def event_documents_from_rows(self, rows: Sequence[Any]) -> list[str]:
        """Each row of ``EVENT_COLUMNS`` as one event's JSON document, without parsing it.

        The document holds the modelled fields under their names, ``content`` and
        ``actions`` as stored, and the stored extra fields at the top level: what a reader
        with a model of its own (google-adk's ``Event``) validates in one step. The stored
        JSON is spliced in as text; what the dialect escaped is restored only in a document
        that holds its marker.
        """
        restore = self._dialect.restore_json
        return [restore(_event_document(EventColumns(*row_values(row)))) for row in rows]

    def _restore_text_columns(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        restore = self._dialect.restore_text
        return (
            *row[:2],
            *(None if text is None else restore(text) for text in row[2:5]),
            row[5],
            *(None if text is None else restore(text) for text in row[6:8]),
            *row[8:],
        )

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


def _actions_dict(actions: EventActions) -> JsonDict:
    stored = {
        name: value
        for name in _ACTION_FIELDS
        if (value := getattr(actions, name)) != _ACTION_DEFAULTS[name]
    }
    _refuse_shadowing(actions.extra, stored.keys() | set(_ACTION_FIELDS), "actions.extra")
    stored.update(actions.extra)
    return stored


def _extra_fields(event: Event) -> JsonDict:
    stored = {
        name: value for name in _EXTRA_EVENT_FIELDS if (value := getattr(event, name)) is not None
    }
    _refuse_shadowing(event.extra, set(_EXTRA_EVENT_FIELDS) | _EVENT_COLUMN_FIELDS, "extra")
    stored.update(event.extra)
    return stored


def _refuse_shadowing(extra: JsonDict, modelled: set[str], where: str) -> None:
    clash = sorted(modelled.intersection(extra))
    if clash:
        raise InvalidArgumentError(
            f"{where} repeats modelled field(s) {', '.join(clash)}: set the field itself"
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


class EventColumns(NamedTuple):
    """A row of ``EVENT_COLUMNS``, in their order."""

    seq: int
    id: str
    invocation_id: str
    author: str
    branch: str | None
    timestamp: float
    error_code: str | None
    error_message: str | None
    content: str | None
    actions: str
    extra_fields: str


def _json_text(text: str | None) -> str:
    return "null" if text is None else encode_basestring(text)


def _event_document(columns: EventColumns) -> str:
    extra = columns.extra_fields.strip()[1:-1].strip()
    return (
        f'{{"id":{encode_basestring(columns.id)},'
        f'"invocation_id":{encode_basestring(columns.invocation_id)},'
        f'"author":{encode_basestring(columns.author)},'
        f'"branch":{_json_text(columns.branch)},'
        f'"timestamp":{float(columns.timestamp)!r},'
        f'"error_code":{_json_text(columns.error_code)},'
        f'"error_message":{_json_text(columns.error_message)},'
        f'"content":{"null" if columns.content is None else columns.content},'
        f'"actions":{columns.actions}{"," + extra if extra else ""}}}'
    )


def row_values(row: Any) -> tuple[Any, ...]:
    """The values of a ``databases`` record in column order.

    Iterating a record yields its column names; its ``_mapping`` is the driver's row (an
    SQLAlchemy ``Row`` or an asyncpg ``Record``), whose iteration yields the values.
    """
    return tuple(getattr(row, "_mapping", row))


def _event(
    row: tuple[Any, ...], content: JsonDict | None, actions: JsonDict, extra_fields: JsonDict
) -> Event:
    _seq, event_id, invocation_id, author, branch, timestamp, error_code, error_message = row[:8]
    fields, extra = _split_modelled(extra_fields, _EXTRA_EVENT_FIELDS)
    action_fields, action_extra = _split_modelled(actions, _ACTION_DEFAULTS)
    return Event(
        id=event_id,
        invocation_id=invocation_id,
        author=author,
        branch=branch,
        timestamp=timestamp,
        error_code=error_code,
        error_message=error_message,
        content=content,
        actions=EventActions(**action_fields, extra=action_extra),
        **fields,
        extra=extra,
    )


def _split_modelled(stored: JsonDict, modelled: Container[str]) -> tuple[JsonDict, JsonDict]:
    """``stored`` split into the fields a dataclass models and the rest (its ``extra``)."""
    if all(name in modelled for name in stored):
        return stored, {}
    known = {name: value for name, value in stored.items() if name in modelled}
    return known, {name: value for name, value in stored.items() if name not in modelled}


def revision_from_row(row: Sequence[Any]) -> tuple[int, float]:
    """The revision and create time of a ``Statements.select_revision`` row."""
    revision, create_time = row_values(row)
    return int(revision), create_time


def session_key_from_row(row: Sequence[Any]) -> SessionKey:
    """A :class:`SessionKey` from a row of app_name, user_id, id, update_time."""
    app_name, user_id, session_id, update_time = row_values(row)
    return SessionKey(app_name, user_id, session_id, update_time)
