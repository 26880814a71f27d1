"""``AdkMemoryService``: google-adk's ``BaseMemoryService`` on top of the core's
:class:`~adk_store.MemoryService`, in the sessions' database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from google.adk.events import Event as AdkEvent
from google.adk.memory.base_memory_service import BaseMemoryService, SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions import Session as AdkSession
from google.genai import types

from .. import Event, InvalidArgumentError, Memory, MemoryService, NewMemory, SessionService
from .._lifecycle import Wrapping
from .._memory import DEFAULT_SEARCH_LIMIT
from .._runtime import Database
from ._service import AdkSessionService


class AdkMemoryService(Wrapping, BaseMemoryService):
    """google-adk's memory service, stored by adk-store beside the sessions.

    >>> sessions = AdkSessionService("postgresql+asyncpg://app:pw@db/app")
    >>> memory = AdkMemoryService(sessions)
    >>> runner = Runner(agent=agent, app_name="app", session_service=sessions,
    ...                 memory_service=memory)

    ``store``: an :class:`AdkSessionService` or a core :class:`~adk_store.SessionService`
    (their database and connections are shared, and they stay open when this service
    closes), a core :class:`~adk_store.MemoryService`, or a database URL or
    ``databases.Database`` (a service of its own is made with ``options``, such as
    ``create_schema=True``, and closed with this one).

    ``max_results``: memories a search returns at most. ``text_search_config``: on
    PostgreSQL, the text search configuration (see :class:`~adk_store.MemoryService`).

    Adding a session again, or events added before, stores nothing twice. A memory added with
    :meth:`add_memory` keeps the ``id`` of its ``MemoryEntry``, or gets one derived from its
    content and author. ``delete_memory`` without ``memory_id`` deletes every memory of the
    user.
    """

    def __init__(
        self,
        store: AdkSessionService | SessionService | MemoryService | str | Database,
        *,
        max_results: int = DEFAULT_SEARCH_LIMIT,
        text_search_config: str | None = None,
        **options: Any,
    ) -> None:
        if type(max_results) is not int or max_results < 1:
            raise InvalidArgumentError(f"max_results must be a positive int, not {max_results!r}")
        self._max_results = max_results
        config = {} if text_search_config is None else {"text_search_config": text_search_config}
        if isinstance(store, MemoryService):
            if config or options:
                raise InvalidArgumentError(
                    "a MemoryService given is used as it is, without options"
                )
            self._core = store
        elif isinstance(store, AdkSessionService):
            self._core = MemoryService(store.core, **config, **options)
        else:
            self._core = MemoryService(store, **config, **options)
        owned = not isinstance(store, (AdkSessionService, SessionService, MemoryService))
        self._wrap(self._core, owned=owned)

    @property
    def core(self) -> MemoryService:
        """The core memory service underneath."""
        return self._core

    async def add_session_to_memory(self, session: AdkSession) -> None:
        """Remember the session's events that hold text; those stored before are skipped."""
        await self.add_events_to_memory(
            app_name=session.app_name,
            user_id=session.user_id,
            events=session.events,
            session_id=session.id,
        )

    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[AdkEvent],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember ``events`` (a delta: others stay as they are)."""
        await self._core.add_events(
            app_name=app_name,
            user_id=user_id,
            events=[_core_event(event) for event in events],
            session_id=session_id,
            custom_metadata=custom_metadata,
        )

    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember each ``MemoryEntry`` on its own (its id, author, time and metadata kept)."""
        await self._core.add_memories(
            app_name=app_name,
            user_id=user_id,
            memories=[_new_memory(entry) for entry in memories],
            custom_metadata=custom_metadata,
        )

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        """The user's memories that match ``query`` best, at most ``max_results``."""
        found = await self._core.search(
            app_name=app_name, user_id=user_id, query=query, limit=self._max_results
        )
        return SearchMemoryResponse(memories=[_memory_entry(memory) for memory in found])

    async def delete_memory(
        self, *, app_name: str, user_id: str, memory_id: str | None = None
    ) -> None:
        """Delete one memory by the id ``search_memory`` gave it, or, without ``memory_id``,
        every memory of the user."""
        if memory_id is None:
            await self._core.delete_user_memories(app_name=app_name, user_id=user_id)
        else:
            await self._core.delete_memory(app_name=app_name, user_id=user_id, memory_id=memory_id)


def _content_json(content: types.Content | None) -> dict[str, Any] | None:
    if content is None:
        return None
    return content.model_dump(mode="json", exclude_none=True)


def _core_event(event: AdkEvent) -> Event:
    if not isinstance(event, AdkEvent):
        raise InvalidArgumentError(f"events must be google-adk Events, not {type(event).__name__}")
    return Event(
        author=event.author,
        content=_content_json(event.content),
        id=event.id,
        timestamp=event.timestamp,
        partial=event.partial,
    )


def _new_memory(entry: MemoryEntry) -> NewMemory:
    if not isinstance(entry, MemoryEntry):
        raise InvalidArgumentError(f"memories must be MemoryEntry, not {type(entry).__name__}")
    timestamp = None
    if entry.timestamp is not None:
        try:
            timestamp = datetime.fromisoformat(entry.timestamp).timestamp()
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"memory {entry.id!r}: timestamp {entry.timestamp!r} is not an ISO 8601 time"
            ) from None
    return NewMemory(
        content=_content_json(entry.content),
        id=entry.id,
        author=entry.author,
        timestamp=timestamp,
        custom_metadata=dict(entry.custom_metadata),
    )


def _memory_entry(memory: Memory) -> MemoryEntry:
    if memory.content is None:
        content = types.Content(role="user", parts=[types.Part(text=memory.text)])
    else:
        content = types.Content.model_validate(memory.content)
    source = {"session_id": memory.session_id, "event_id": memory.event_id}
    return MemoryEntry(
        content=content,
        custom_metadata={
            **{key: value for key, value in source.items() if value is not None},
            **memory.custom_metadata,
        },
        id=memory.id,
        author=memory.author,
        timestamp=datetime.fromtimestamp(memory.timestamp).isoformat(),
    )
