"""The exceptions adk-store raises: every one is an :class:`AdkStoreError`."""

from __future__ import annotations


class AdkStoreError(Exception):
    """Base class of every error adk-store raises on purpose."""


class InvalidArgumentError(AdkStoreError, ValueError):
    """An argument cannot be used: an empty id, a negative count, a wrong type."""


class SessionNotFoundError(AdkStoreError, LookupError):
    """The session named by ``(app_name, user_id, session_id)`` does not exist."""

    def __init__(self, app_name: str, user_id: str, session_id: str) -> None:
        super().__init__(
            f"session {session_id!r} of user {user_id!r} in app {app_name!r} does not exist; "
            "create it with create_session() or check the ids"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id


class SessionExistsError(AdkStoreError):
    """``create_session`` was given the id of a session that already exists."""

    def __init__(self, app_name: str, user_id: str, session_id: str) -> None:
        super().__init__(
            f"session {session_id!r} of user {user_id!r} in app {app_name!r} already exists; "
            "load it with get_session() or choose another id"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id


class EventExistsError(AdkStoreError):
    """An event with the same id was already appended to this session."""

    def __init__(self, app_name: str, user_id: str, session_id: str, event_id: str) -> None:
        super().__init__(
            f"event {event_id!r} is already stored in session {session_id!r} of user "
            f"{user_id!r} in app {app_name!r}; give each event a new id"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id
        self.event_id = event_id


class StaleSessionError(AdkStoreError):
    """The caller's copy of the session is behind the stored one.

    Another writer appended to the session since the caller loaded it. Reload the session
    with ``get_session`` and retry, or pass ``allow_stale=True`` to ``append_event`` to append
    anyway and have the in-memory session brought up to date.
    """

    def __init__(
        self,
        app_name: str,
        user_id: str,
        session_id: str,
        *,
        expected_revision: int,
        stored_revision: int | None,
    ) -> None:
        stored = "was deleted" if stored_revision is None else f"is at {stored_revision}"
        super().__init__(
            f"session {session_id!r} of user {user_id!r} in app {app_name!r} changed since it "
            f"was loaded (the caller holds revision {expected_revision}, the stored session "
            f"{stored}); reload it with get_session() and retry, or append with allow_stale=True"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id
        self.expected_revision = expected_revision
        self.stored_revision = stored_revision


class StateSerializationError(AdkStoreError, TypeError):
    """A state value or event field cannot be stored as JSON."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where} cannot be stored: {reason}")
        self.where = where
        self.reason = reason


class StoredEventError(AdkStoreError):
    """A stored event cannot be read back as the event type asked for (say, an imported event
    that google-adk's ``Event`` model refuses). Names the session and the event."""

    def __init__(
        self, app_name: str, user_id: str, session_id: str, event_id: str, reason: str
    ) -> None:
        super().__init__(
            f"event {event_id!r} of session {session_id!r} (user {user_id!r}, app "
            f"{app_name!r}) cannot be read: {reason}"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id
        self.event_id = event_id


class SchemaVersionError(AdkStoreError):
    """The database schema is missing, older or newer than this version of adk-store."""


class StoreNotEmptyError(AdkStoreError):
    """Dropping adk-store's tables was refused because they still hold what the drop would
    delete: sessions, or memories.

    ``sessions`` and ``memories`` count what the refused drop would have deleted (a
    downgrade to schema version 1 deletes memories only).
    """

    def __init__(self, sessions: int, memories: int = 0) -> None:
        held = [
            f"{count} {what}(s)"
            for count, what in ((sessions, "session"), (memories, "memory"))
            if count
        ]
        super().__init__(
            f"the store holds {' and '.join(held)}; dropping the schema would delete them: "
            "export them first (adk-store export) or force it (drop_schema(..., force=True), "
            "adk-store uninstall --force)"
        )
        self.sessions = sessions
        self.memories = memories


class DatabaseError(AdkStoreError):
    """The database failed an operation for a reason outside the caller's control.

    The original driver exception is chained as ``__cause__``. Nothing from the failed
    operation was committed, except when it is an :class:`OutcomeUnknownError`.
    """


class OutcomeUnknownError(DatabaseError):
    """A write was sent, the connection failed before its reply, and adk-store could not
    find out afterwards whether the database committed it.

    Raised on PostgreSQL and MariaDB by ``append_event``, ``create_session``,
    ``delete_session`` and ``import_session``: the write is either stored whole or not at
    all, and the caller's ``Session`` was left as it was. To find out, read the session with
    ``get_session`` once the database answers again: an append was stored if the event with
    ``event_id`` is among its events (appending it again raises :class:`EventExistsError`,
    or :class:`StaleSessionError` through the old ``Session``); a create or an import, if
    the session is there; a delete, if it is not (deleting again is harmless).
    """

    def __init__(
        self,
        app_name: str,
        user_id: str,
        session_id: str,
        *,
        event_id: str | None,
        reason: str,
        deleting: bool = False,
    ) -> None:
        where = f"session {session_id!r} of user {user_id!r} in app {app_name!r}"
        if deleting:
            what = f"deleting {where}"
            how = "read it with get_session() once the database answers again"
        elif event_id is None:
            what = f"creating {where}"
            how = "read it with get_session() once the database answers again"
        else:
            what = f"appending event {event_id!r} to {where}"
            how = (
                "read the session with get_session() once the database answers again and "
                f"look for event {event_id!r} among its events"
            )
        super().__init__(
            f"{what} may or may not have been committed: {reason}; to find out, {how}"
        )
        self.app_name = app_name
        self.user_id = user_id
        self.session_id = session_id
        self.event_id = event_id
