"""The session stores under test, behind one small interface.

Each implementation builds its own event objects (outside the clock), and its timed calls
return whatever its API returns; :class:`StoredEvent` views of those results are taken
outside the clock, for checking.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from google.adk.events import Event as AdkEvent
from google.adk.events import EventActions as AdkEventActions
from google.adk.sessions import DatabaseSessionService
from google.adk.sessions.base_session_service import GetSessionConfig as AdkGetSessionConfig
from google.genai import types

import adk_store
from adk_store.adk import AdkSessionService

AUTHOR = "model"
INVOCATION_ID = "bench-invocation"


def event_text(index: int) -> str:
    return f"reply {index}: " + "lorem ipsum dolor sit amet " * 8


def state_delta(index: int) -> dict[str, Any]:
    """A delta touching every scope: app, user, session, and temp (which is never stored)."""
    return {
        "app:events_total": index,
        "user:last_seen": index,
        "turn": index,
        "temp:scratch": f"draft {index}",
    }


def stored_delta(index: int) -> dict[str, Any]:
    return {key: value for key, value in state_delta(index).items() if not key.startswith("temp:")}


@dataclass(frozen=True)
class StoredEvent:
    """What the checks compare: the same for every implementation."""

    author: str
    text: str
    state_delta: dict[str, Any]


class Implementation(ABC):
    """One session store. ``open`` and ``close`` bracket every use."""

    name: str
    description: str

    def __init__(self, url: str) -> None:
        self.url = url

    @abstractmethod
    async def open(self) -> None:
        """Connect and create the schema."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def new_event(self, index: int) -> Any:
        """The event appended as number ``index``, built before any clock starts."""

    @abstractmethod
    async def create_session(
        self, app_name: str, user_id: str, session_id: str, state: dict[str, Any]
    ) -> Any: ...

    @abstractmethod
    async def append_event(self, session: Any, event: Any) -> None: ...

    @abstractmethod
    async def get_session(
        self, app_name: str, user_id: str, session_id: str, recent: int | None
    ) -> Any:
        """The stored session with all its events, or the ``recent`` last ones."""

    @abstractmethod
    async def list_sessions(self, app_name: str, user_id: str, limit: int | None) -> Any:
        """The user's sessions: all, or the first page of ``limit`` where paging exists."""

    @abstractmethod
    def stored_events(self, session: Any) -> list[StoredEvent]: ...

    @abstractmethod
    def state(self, session: Any) -> dict[str, Any]: ...

    @abstractmethod
    def listed_ids(self, listing: Any) -> list[str]: ...

    has_paging = True


class GoogleAdk(Implementation):
    """google-adk's own ``DatabaseSessionService`` (SQLAlchemy ORM)."""

    name = "adk"
    description = "google-adk DatabaseSessionService"
    has_paging = False

    async def open(self) -> None:
        self.service = DatabaseSessionService(self.url)

    async def close(self) -> None:
        await self.service.close()

    def new_event(self, index: int) -> AdkEvent:
        return AdkEvent(
            author=AUTHOR,
            invocation_id=INVOCATION_ID,
            content=types.Content(role="model", parts=[types.Part(text=event_text(index))]),
            actions=AdkEventActions(state_delta=state_delta(index)),
        )

    async def create_session(
        self, app_name: str, user_id: str, session_id: str, state: dict[str, Any]
    ) -> Any:
        return await self.service.create_session(
            app_name=app_name, user_id=user_id, session_id=session_id, state=state
        )

    async def append_event(self, session: Any, event: Any) -> None:
        await self.service.append_event(session, event)

    async def get_session(
        self, app_name: str, user_id: str, session_id: str, recent: int | None
    ) -> Any:
        config = None if recent is None else AdkGetSessionConfig(num_recent_events=recent)
        return await self.service.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id, config=config
        )

    async def list_sessions(self, app_name: str, user_id: str, limit: int | None) -> Any:
        return await self.service.list_sessions(app_name=app_name, user_id=user_id)

    def stored_events(self, session: Any) -> list[StoredEvent]:
        return [
            StoredEvent(
                event.author,
                event.content.parts[0].text if event.content else "",
                dict(event.actions.state_delta),
            )
            for event in session.events
        ]

    def state(self, session: Any) -> dict[str, Any]:
        return dict(session.state)

    def listed_ids(self, listing: Any) -> list[str]:
        return [session.id for session in listing.sessions]


class Adapter(GoogleAdk):
    """adk-store's ``AdkSessionService``: google-adk's contract over the core."""

    name = "adapter"
    description = "adk-store AdkSessionService"

    async def open(self) -> None:
        self.service = AdkSessionService(self.url, create_schema=True)
        await self.service.__aenter__()
        self.uncached = AdkSessionService(self.service.core, event_cache_size=0)

    async def get_session_cold(self, app_name: str, user_id: str, session_id: str) -> Any:
        """The whole session through a service on the same database without an event cache:
        every event is built from its stored JSON, as a first read in a new process is."""
        return await self.uncached.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )


class Core(Implementation):
    """adk-store's ``SessionService``, with its own dataclass events and paged lists."""

    name = "core"
    description = "adk-store SessionService"

    async def open(self) -> None:
        self.service = adk_store.SessionService(self.url, create_schema=True)
        await self.service.open()

    async def close(self) -> None:
        await self.service.close()

    def new_event(self, index: int) -> adk_store.Event:
        return adk_store.Event(
            author=AUTHOR,
            invocation_id=INVOCATION_ID,
            content={"role": "model", "parts": [{"text": event_text(index)}]},
            actions=adk_store.EventActions(state_delta=state_delta(index)),
        )

    async def create_session(
        self, app_name: str, user_id: str, session_id: str, state: dict[str, Any]
    ) -> Any:
        return await self.service.create_session(
            app_name=app_name, user_id=user_id, session_id=session_id, state=state
        )

    async def append_event(self, session: Any, event: Any) -> None:
        await self.service.append_event(session, event)

    async def get_session(
        self, app_name: str, user_id: str, session_id: str, recent: int | None
    ) -> Any:
        return await self.service.get_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            config=adk_store.GetSessionConfig(num_recent_events=recent),
        )

    async def list_sessions(self, app_name: str, user_id: str, limit: int | None) -> Any:
        return await self.service.list_sessions(app_name=app_name, user_id=user_id, limit=limit)

    def stored_events(self, session: Any) -> list[StoredEvent]:
        return [
            StoredEvent(
                event.author,
                event.content["parts"][0]["text"] if event.content else "",
                dict(event.actions.state_delta),
            )
            for event in session.events
        ]

    def state(self, session: Any) -> dict[str, Any]:
        return dict(session.state)

    def listed_ids(self, listing: Any) -> list[str]:
        return [session.id for session in listing.sessions]
