"""google-adk's stored sessions as :mod:`adk_store._records`, read as google-adk reads them.

Every event is rebuilt exactly as google-adk's own service rebuilds it on ``get_session`` (the
same fields from the same columns, in the same order: by time, ties by event id for
``DatabaseSessionService``, by insertion for ``SqliteSessionService``), then converted to
adk-store's event, so the session reads back through ``AdkSessionService`` as it did through
google-adk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from google.adk.events import Event as AdkEvent
from google.adk.events import EventActions as AdkEventActions
from google.genai import types
from pydantic import BaseModel, ValidationError

from ... import AdkStoreError, AppStateRecord, SessionRecord, UserStateRecord
from ..._runtime import Connection
from .._convert import event_to_core
from ._database import AdkDatabase, fetch
from ._layouts import StoreKind, detect_layout
from ._unpickler import load_actions
from ._values import SourceFormatError, epoch_seconds, json_object, json_value


class SessionName(NamedTuple):
    """The key of one session in a google-adk database."""

    app_name: str
    user_id: str
    session_id: str

    def __str__(self) -> str:
        return f"session {self.session_id!r} of user {self.user_id!r} in app {self.app_name!r}"


_LEGACY_MODEL_COLUMNS: dict[str, type[BaseModel]] = {
    "content": types.Content,
    "grounding_metadata": types.GroundingMetadata,
    "usage_metadata": types.GenerateContentResponseUsageMetadata,
    "citation_metadata": types.CitationMetadata,
    "input_transcription": types.Transcription,
    "output_transcription": types.Transcription,
}
_LEGACY_PLAIN_COLUMNS = ("branch", "error_code", "error_message")
_LEGACY_FLAG_COLUMNS = ("partial", "turn_complete", "interrupted")
_LEGACY_COLUMNS = (
    "id",
    "invocation_id",
    "author",
    "timestamp",
    "actions",
    "long_running_tool_ids_json",
    "custom_metadata",
    *_LEGACY_PLAIN_COLUMNS,
    *_LEGACY_FLAG_COLUMNS,
    *_LEGACY_MODEL_COLUMNS,
)
"""The v0 event columns adk-store reads; a database from an older google-adk may lack some
(they read as unset, as google-adk reads them)."""


_SESSION_QUERY = (
    "SELECT state, create_time, update_time FROM sessions "
    "WHERE app_name = :app_name AND user_id = :user_id AND id = :session_id"
)


class AdkStoreReader:
    """Reads sessions, events and app/user state from an open google-adk database.

    >>> reader = await AdkStoreReader.open(source)
    >>> for key in await reader.session_keys(app_name=None):
    ...     record = await reader.session(key)
    """

    def __init__(self, database: AdkDatabase, kind: StoreKind, event_columns: Sequence[str]):
        self.database = database
        self.kind = kind
        self._event_columns = tuple(event_columns)

    @classmethod
    async def open(cls, database: AdkDatabase) -> AdkStoreReader:
        """A reader for ``database``, whose layout is detected from its tables."""
        kind = await detect_layout(database)
        if kind is None:
            raise SourceFormatError(
                f"{database.location}: holds no google-adk sessions (no 'sessions' and "
                "'events' tables)"
            )
        if kind is StoreKind.DATABASE_V0:
            present = await database.columns("events")
            columns: Sequence[str] = [name for name in _LEGACY_COLUMNS if name in present]
        elif kind is StoreKind.DATABASE_V1:
            columns = ("id", "invocation_id", "timestamp", "event_data")
        else:
            columns = ("event_data",)
        return cls(database, kind, columns)

    async def session_keys(self, app_name: str | None) -> list[SessionName]:
        """Every session (of ``app_name``, or of every app), sorted."""
        query, values = _where_app("SELECT app_name, user_id, id FROM sessions", app_name)

        async def read(connection: Connection) -> list[SessionName]:
            rows = await fetch(connection, f"{query} ORDER BY app_name, user_id, id", values)
            return [SessionName(*row) for row in rows]

        return await self.database.run("list_sessions", read)

    async def session(self, key: SessionName) -> SessionRecord | None:
        """One session with its state, times and every event in google-adk's order.

        Anything in it adk-store cannot read (state that is not a JSON object, a time that is
        not one, an event google-adk's ``Event`` rejects, a refused pickle) raises an
        :class:`~adk_store.AdkStoreError` naming the session.
        """
        values = {"app_name": key.app_name, "user_id": key.user_id, "session_id": key.session_id}

        async def read(connection: Connection) -> tuple[Sequence[Any], list[Sequence[Any]]] | None:
            rows = await fetch(connection, _SESSION_QUERY, values)
            if not rows:
                return None
            return rows[0], await fetch(connection, self._events_query(), values)

        read_rows = await self.database.run("read_session", read)
        if read_rows is None:
            return None
        (state, create_time, update_time), event_rows = read_rows
        with _reading(key):
            return SessionRecord(
                app_name=key.app_name,
                user_id=key.user_id,
                id=key.session_id,
                state=json_object(state, f"the state of {key}"),
                create_time=epoch_seconds(create_time),
                update_time=epoch_seconds(update_time),
                events=[event_to_core(self._event(row, key)) for row in event_rows],
            )

    def _events_query(self) -> str:
        order = "timestamp, rowid" if self.kind is StoreKind.SQLITE_SERVICE else "timestamp, id"
        return (
            f"SELECT {', '.join(self._event_columns)} FROM events WHERE app_name = :app_name "
            f"AND user_id = :user_id AND session_id = :session_id ORDER BY {order}"
        )

    def _event(self, row: Sequence[Any], key: SessionName) -> AdkEvent:
        try:
            if self.kind is StoreKind.SQLITE_SERVICE:
                return AdkEvent.model_validate_json(row[0])
            if self.kind is StoreKind.DATABASE_V1:
                return _json_event(*row)
            return _legacy_event(dict(zip(self._event_columns, row, strict=True)), key)
        except ValidationError as error:
            raise SourceFormatError(f"an event of {key} is not a valid event: {error}") from None
        except SourceFormatError as error:
            raise SourceFormatError(f"an event of {key}: {error}") from None

    async def app_states(self, app_name: str | None) -> list[AppStateRecord]:
        """The app-scope state of every app (or of ``app_name``)."""
        query, values = _where_app("SELECT app_name, state FROM app_states", app_name)

        async def read(connection: Connection) -> list[Sequence[Any]]:
            return await fetch(connection, f"{query} ORDER BY app_name", values)

        return [
            AppStateRecord(app_name=app, state=json_object(state, f"the state of app {app!r}"))
            for app, state in await self.database.run("read_app_states", read)
        ]

    async def user_states(self, app_name: str | None) -> list[UserStateRecord]:
        """The user-scope state of every user (of ``app_name``, or of every app)."""
        query, values = _where_app("SELECT app_name, user_id, state FROM user_states", app_name)

        async def read(connection: Connection) -> list[Sequence[Any]]:
            return await fetch(connection, f"{query} ORDER BY app_name, user_id", values)

        return [
            UserStateRecord(
                app_name=app,
                user_id=user,
                state=json_object(state, f"the state of user {user!r} in app {app!r}"),
            )
            for app, user, state in await self.database.run("read_user_states", read)
        ]


@contextmanager
def _reading(key: SessionName) -> Iterator[None]:
    """Turns whatever converting the session's values raises into an error naming it: the
    values come from a database adk-store did not write, so any of them may be damaged."""
    try:
        yield
    except AdkStoreError as error:
        if str(key) not in str(error):
            error.args = (f"{key}: {error}",)
        raise
    except Exception as error:
        raise SourceFormatError(
            f"{key} cannot be read ({type(error).__name__}: {error})"
        ) from None


def _where_app(query: str, app_name: str | None) -> tuple[str, dict[str, Any]]:
    if app_name is None:
        return query, {}
    return f"{query} WHERE app_name = :app_name", {"app_name": app_name}


def _json_event(event_id: str, invocation_id: str, timestamp: Any, event_data: Any) -> AdkEvent:
    """A v1 event: its JSON document, with id and invocation id from their columns and the
    document's exact timestamp (the column's, to the microsecond, only if it has none)."""
    document = json_object(event_data, f"event {event_id!r}")
    exact_time = document.get("timestamp")
    return AdkEvent.model_validate(
        {
            **document,
            "id": event_id,
            "invocation_id": invocation_id,
            "timestamp": epoch_seconds(timestamp) if exact_time is None else exact_time,
        }
    )


def _legacy_event(row: dict[str, Any], key: SessionName) -> AdkEvent:
    """A v0 event, from one column per field and its pickled actions."""
    where = f"event {row['id']!r} of {key}"
    fields: dict[str, Any] = {
        "id": row["id"],
        "invocation_id": row["invocation_id"],
        "author": row["author"],
        "timestamp": epoch_seconds(row["timestamp"]),
        "actions": _legacy_actions(row.get("actions"), where),
        "long_running_tool_ids": set(
            json_value(row.get("long_running_tool_ids_json") or "[]", where)
        ),
        "custom_metadata": _legacy_json(row.get("custom_metadata"), where),
    }
    for name in _LEGACY_PLAIN_COLUMNS:
        fields[name] = row.get(name)
    for name in _LEGACY_FLAG_COLUMNS:
        flag = row.get(name)
        fields[name] = None if flag is None else bool(flag)
    for name, model in _LEGACY_MODEL_COLUMNS.items():
        document = _legacy_json(row.get(name), where)
        fields[name] = model.model_validate(document) if isinstance(document, dict) else None
    return AdkEvent(**fields)


def _legacy_json(value: Any, where: str) -> Any:
    return None if value is None else json_value(value, where)


def _legacy_actions(pickled: Any, where: str) -> AdkEventActions:
    """The event's actions, unpickled with only data types admitted, then validated by the
    installed google-adk (an older google-adk may have pickled fewer fields)."""
    if pickled is None:
        return AdkEventActions()
    actions = load_actions(bytes(pickled), where)
    if isinstance(actions, BaseModel):
        return AdkEventActions.model_validate(actions.model_dump())
    if isinstance(actions, dict):
        return AdkEventActions.model_validate(actions)
    raise SourceFormatError(f"{where}: its pickled actions hold {type(actions).__name__}")
