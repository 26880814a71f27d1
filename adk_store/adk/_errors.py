"""adk-store's errors as google-adk's own types, so either ``except`` clause catches them.

Each class here is both the adk-store error and the google-adk error that ADK's contract
names for the same situation. google-adk 1.x has no ``StaleSessionError``: its database
service raises ``ValueError`` for a stale session, so on 1.x the adapter's
``StaleSessionError`` is a ``ValueError`` (as 2.x's is too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import (
    SessionNotFoundError as AdkSessionNotFoundError,
)

import adk_store

if TYPE_CHECKING:
    from google.adk.errors import StaleSessionError as AdkStaleSessionError
else:
    try:
        from google.adk.errors import StaleSessionError as AdkStaleSessionError
    except ImportError:  # google-adk 1.x
        AdkStaleSessionError = ValueError


class SessionExistsError(adk_store.SessionExistsError, AlreadyExistsError):
    """``create_session`` got the id of an existing session (google-adk's AlreadyExistsError).

    The message starts with google-adk's own sentence for it.
    """

    def __init__(self, app_name: str, user_id: str, session_id: str) -> None:
        super().__init__(app_name, user_id, session_id)
        self.args = (f"Session with id {session_id} already exists: {self.args[0]}",)


class EventExistsError(adk_store.EventExistsError, AlreadyExistsError):
    """A different event with the same id is already stored in the session."""


class StaleSessionError(adk_store.StaleSessionError, AdkStaleSessionError):
    """The session changed in storage since it was loaded (google-adk's StaleSessionError;
    on google-adk 1.x, a ``ValueError``, which its ``DatabaseSessionService`` raises).

    The message starts with the sentence google-adk's own services use, which callers match
    on, and names the adapter's setting for appending anyway.
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
        super().__init__(
            app_name,
            user_id,
            session_id,
            expected_revision=expected_revision,
            stored_revision=stored_revision,
        )
        stored = "was deleted" if stored_revision is None else f"is at {stored_revision}"
        self.args = (
            "The session has been modified in storage since it was loaded: session "
            f"{session_id!r} of user {user_id!r} in app {app_name!r} (the caller holds revision "
            f"{expected_revision}, the stored session {stored}). Please reload the session "
            "with get_session() before appending more events, or create the service with "
            "AdkSessionService(..., allow_stale_appends=True) to append after the other "
            "writers' events.",
        )


class SessionNotFoundError(adk_store.SessionNotFoundError, AdkSessionNotFoundError):
    """``append_event`` named a session that is not stored (google-adk's SessionNotFoundError).

    The message starts with google-adk's own sentence for it.
    """

    def __init__(self, app_name: str, user_id: str, session_id: str) -> None:
        super().__init__(app_name, user_id, session_id)
        self.args = (f"Session {session_id} not found: {self.args[0]}",)


def as_adk_error(error: adk_store.AdkStoreError) -> adk_store.AdkStoreError:
    """The google-adk-compatible twin of ``error``, or ``error`` itself if it has none.

    >>> isinstance(as_adk_error(core_stale_error), AdkStaleSessionError)
    True
    """
    twin: adk_store.AdkStoreError
    if isinstance(error, adk_store.SessionExistsError):
        twin = SessionExistsError(error.app_name, error.user_id, error.session_id)
    elif isinstance(error, adk_store.EventExistsError):
        twin = EventExistsError(error.app_name, error.user_id, error.session_id, error.event_id)
    elif isinstance(error, adk_store.StaleSessionError):
        twin = StaleSessionError(
            error.app_name,
            error.user_id,
            error.session_id,
            expected_revision=error.expected_revision,
            stored_revision=error.stored_revision,
        )
    elif isinstance(error, adk_store.SessionNotFoundError):
        twin = SessionNotFoundError(error.app_name, error.user_id, error.session_id)
    else:
        return error
    twin.__cause__ = error.__cause__
    return twin
