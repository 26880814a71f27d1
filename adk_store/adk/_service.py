"""``AdkSessionService``: google-adk's ``BaseSessionService`` on top of adk-store's core."""

from __future__ import annotations

from typing import Any

import databases
from google.adk.events import Event as AdkEvent
from google.adk.sessions import BaseSessionService
from google.adk.sessions import Session as AdkSession
from google.adk.sessions.base_session_service import GetSessionConfig as AdkGetSessionConfig
from google.adk.sessions.base_session_service import (
    ListSessionsResponse as AdkListSessionsResponse,
)
from typing_extensions import override

from .. import (
    AdkStoreError,
    EventExistsError,
    GetSessionConfig,
    InvalidArgumentError,
    Session,
    SessionService,
    StaleSessionError,
)
from .._lifecycle import Wrapping
from ._adk_internals import remember_revision, remembered_revision
from ._convert import (
    event_from_core,
    event_to_core,
    events_from_documents,
    jsonable_state,
    session_from_core,
)
from ._errors import SessionNotFoundError as AdkSessionNotFoundError
from ._errors import StaleSessionError as AdkStaleSessionError
from ._errors import as_adk_error
from ._event_cache import DEFAULT_EVENT_CACHE_SIZE, EventCache, SessionKey
from ._session_updates import apply_append, bring_up_to_date, catch_up


class AdkSessionService(Wrapping, BaseSessionService):
    """google-adk's session service contract, stored by adk-store in SQLite, PostgreSQL or
    MariaDB.

    >>> service = AdkSessionService("sqlite+aiosqlite:///sessions.db")
    >>> runner = Runner(agent=agent, app_name="app", session_service=service)

    The schema: in a database without adk-store's tables, the service creates them on first
    use, as google-adk's database services do. A schema of an older version is never changed
    silently: the first call raises :class:`~adk_store.SchemaVersionError` naming the command
    that upgrades it (``adk-store migrate``), unless ``create_schema=True``. A schema newer
    than this adk-store always raises.

    ``database`` is a URL, the application's own ``databases.Database`` (the pool is shared),
    or an existing core :class:`~adk_store.SessionService` (used as is and never closed here;
    configure it instead of passing options). The options are those of
    :class:`~adk_store.SessionService`. ``event_type`` is the class events are read back as:
    google-adk's ``Event``, or a subclass that declares more fields.

    ``async with service:`` opens the core service; ``close()``, or leaving the block, closes
    it only if this service created it (a handed-over one stays open).

    Sessions come back as google-adk ``Session`` objects that remember the stored revision
    they reflect, so ``append_event`` raises google-adk's ``StaleSessionError`` when another
    writer appended to the session after it was loaded.

    The event cache: the service keeps the google-adk events it has read or appended, for up
    to ``event_cache_size`` events across sessions (least recently used first out; ``0``
    turns it off), so that reading a session again (google-adk's Runner does, every turn)
    builds only the events stored since. Each read checks, in the round trip that reads the
    session row, that the stored session is still the one the cached events belong to, so a
    change by another process or service always shows. Every read returns its own
    ``Session``, ``events`` list and ``state`` dict; the ``Event`` objects in it are shared
    with other reads of this service and must not be changed in place.
    """

    def __init__(
        self,
        database: str | databases.Database | SessionService,
        *,
        create_schema: bool = False,
        pool_size: int = 5,
        allow_stale_appends: bool = False,
        sqlite_busy_timeout: float = 30.0,
        sqlite_synchronous: str = "NORMAL",
        schema: str | None = None,
        event_type: type[AdkEvent] = AdkEvent,
        event_cache_size: int = DEFAULT_EVENT_CACHE_SIZE,
    ) -> None:
        self._events = EventCache(
            event_cache_size, lambda stored: event_from_core(stored, self._event_type)
        )
        if isinstance(database, SessionService):
            options = (create_schema, pool_size, allow_stale_appends, schema)
            sqlite_options = (sqlite_busy_timeout, sqlite_synchronous)
            if options != (False, 5, False, None) or sqlite_options != (30.0, "NORMAL"):
                raise InvalidArgumentError(
                    "options configure a SessionService this service creates; pass them to "
                    "the SessionService you hand over instead"
                )
            self._core = database
        else:
            self._core = SessionService(
                database,
                create_schema=create_schema,
                pool_size=pool_size,
                allow_stale_appends=allow_stale_appends,
                sqlite_busy_timeout=sqlite_busy_timeout,
                sqlite_synchronous=sqlite_synchronous,
                schema=schema,
            )
        self._wrap(self._core, owned=not isinstance(database, SessionService))
        self._event_type = event_type

    @property
    def core(self) -> SessionService:
        """The core service underneath, for what google-adk's contract does not cover."""
        return self._core

    @override
    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> AdkSession:
        """Create a session; an existing id raises google-adk's ``AlreadyExistsError``.

        State values are stored as JSON, converted the way google-adk's database services
        convert them (a datetime becomes ISO text), and come back converted.
        """
        try:
            created = await self._core.create_session(
                app_name=app_name,
                user_id=user_id,
                state=jsonable_state(state or {}, "state"),
                session_id=session_id,
            )
        except AdkStoreError as error:
            raise as_adk_error(error) from error.__cause__
        return session_from_core(created, self._event_type)

    @override
    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: AdkGetSessionConfig | None = None,
    ) -> AdkSession | None:
        """The session with merged state and the events ``config`` selects, or ``None``."""
        if config is None:
            return await self._read_through_cache((app_name, user_id, session_id))
        loaded = await self._core.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            config=GetSessionConfig(
                num_recent_events=config.num_recent_events,
                after_timestamp=config.after_timestamp,
            ),
        )
        return None if loaded is None else session_from_core(loaded, self._event_type)

    async def _read_through_cache(self, key: SessionKey) -> AdkSession | None:
        """The whole session, building only the events stored after those the cache holds."""
        holding = self._events.holding(key)
        held, known = (None, None) if holding is None else holding
        app_name, user_id, session_id = key
        snapshot = await self._core.get_session_documents(
            app_name=app_name, user_id=user_id, session_id=session_id, known=known
        )
        if snapshot is None:
            self._events.forget(key)
            return None
        stored = snapshot.session
        assert stored.create_time is not None
        events = events_from_documents(snapshot.event_documents, self._event_type, key)
        if held is not None and snapshot.after_revision:
            events[:0] = self._events.first(held, snapshot.after_revision)
        if self._events.enabled:
            self._events.record(key, stored.create_time, events, held)
        stored.events = []
        adk_session = session_from_core(stored, self._event_type)
        adk_session.events = events
        return adk_session

    @override
    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None
    ) -> AdkListSessionsResponse:
        """Every session of the app (or of one user), without events, oldest update first."""
        listed = await self._core.list_sessions(app_name=app_name, user_id=user_id)
        return AdkListSessionsResponse(
            sessions=[session_from_core(session, self._event_type) for session in listed.sessions]
        )

    @override
    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        """Delete the session and its events; a missing session is not an error."""
        self._events.forget((app_name, user_id, session_id))
        await self._core.delete_session(app_name=app_name, user_id=user_id, session_id=session_id)

    @override
    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        """The user's shared state, keys without the ``user:`` prefix."""
        return await self._core.get_user_state(app_name=app_name, user_id=user_id)

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        """The app's shared state, keys without the ``app:`` prefix."""
        return await self._core.get_app_state(app_name=app_name)

    @override
    async def append_event(self, session: AdkSession, event: AdkEvent) -> AdkEvent:
        """Store ``event`` and update ``session`` in memory exactly as google-adk does.

        Partial events are neither stored nor applied. ``temp:`` keys reach ``session.state``
        but not storage. Appending an event that is already stored, unchanged, is a no-op.
        Raises google-adk's ``StaleSessionError`` when the session changed in storage since
        ``session`` was loaded, and its ``SessionNotFoundError`` when it is not stored.
        """
        if event.partial:
            return event
        self._apply_temp_state(session, event)
        event = self._trim_temp_delta_state(event)
        version = remembered_revision(session)
        if version is None:
            version = await self._adopt(session)
        expected_revision, create_time = version
        core_session = Session(
            id=session.id,
            app_name=session.app_name,
            user_id=session.user_id,
            last_update_time=session.last_update_time,
            revision=expected_revision,
            create_time=create_time,
        )
        stored_event = event_to_core(event)
        try:
            await self._core.append_event(core_session, stored_event)
        except (EventExistsError, StaleSessionError) as error:
            stored = await self._stored_with(session, event)
            if stored is None:
                raise as_adk_error(error) from error.__cause__
            bring_up_to_date(session, stored, event)
            return event
        except AdkStoreError as error:
            raise as_adk_error(error) from error.__cause__
        if len(core_session.events) > 1:
            # Behind the stored session (allow_stale): the core returned the events around
            # this one too, and the stored state that already holds its delta.
            catch_up(session, core_session, event, stored_event, self._event_type)
        else:
            if self._events.enabled and create_time is not None:
                self._events.append(
                    (session.app_name, session.user_id, session.id),
                    create_time,
                    expected_revision,
                    stored_event,
                )
            apply_append(session, event)
        remember_revision(session, core_session)
        return event

    async def _adopt(self, session: AdkSession) -> tuple[int, float | None]:
        """The stored version (revision, create time) a session we did not produce stands
        for, if it is current.

        It is current only when it holds exactly the stored events (as many as the stored
        revision, the last one with the stored last event's id); otherwise appending to it
        would lose another writer's update. Its update time proves nothing: another writer's
        event may carry an earlier timestamp.
        """
        stored = await self._core.get_session(
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=session.id,
            config=GetSessionConfig(num_recent_events=1),
        )
        if stored is None:
            raise AdkSessionNotFoundError(session.app_name, session.user_id, session.id)
        holds_stored_events = len(session.events) == stored.revision and (
            [event.id for event in session.events[-1:]] == [event.id for event in stored.events]
        )
        if holds_stored_events:
            return stored.revision, stored.create_time
        raise AdkStaleSessionError(
            session.app_name,
            session.user_id,
            session.id,
            expected_revision=len(session.events),
            stored_revision=stored.revision,
        )

    async def _stored_with(self, session: AdkSession, event: AdkEvent) -> AdkSession | None:
        """The stored session, if it holds ``event`` unchanged (an append retried after its
        reply was lost); ``None`` otherwise."""
        stored = await self._read_through_cache((session.app_name, session.user_id, session.id))
        if stored is None:
            return None
        expected = event.model_dump(mode="json")
        holds_event = any(
            stored_event.id == event.id and stored_event.model_dump(mode="json") == expected
            for stored_event in stored.events
        )
        return stored if holds_event else None
