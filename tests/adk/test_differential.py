"""AdkSessionService behaves like google-adk's InMemorySessionService.

Both services get the same random sequence of operations and must give the same observable
results: returned sessions (ids, merged state, events), the caller's session objects after
appends (temp state included), listings and their order, user state, and which operations
fail with which google-adk error.

Intended differences, kept out of the generated operations and listed in docs/adk.md:

* clock values: each service stamps ``last_update_time`` on create with its own clock;
* session ids are always given, since generated ids differ by design;
* a stale session object: the in-memory service cannot notice one, adk-store raises
  ``StaleSessionError`` (``test_service.py`` covers it). Here each service's caller keeps
  one current session object per id, as a single-writer application does;
* state values are converted to JSON on the way in (a tuple becomes a list); the in-memory
  service keeps Python objects. Generated values are JSON already.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events import Event, EventActions
from google.adk.sessions import BaseSessionService, InMemorySessionService, Session
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adk_store.adk import AdkSessionService

from ._google_adk import GOOGLE_ADK_2, GOOGLE_ADK_VERSION

USERS = ("u1", "u2")
SESSION_IDS = ("s1", "s2", "s3")
STATE_KEYS = ("step", "mood", "app:theme", "app:count", "user:name", "user:seen", "temp:scratch")

json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(alphabet="ab", max_size=3),
    st.lists(st.integers(0, 3), max_size=2),
)
states = st.dictionaries(st.sampled_from(STATE_KEYS), json_values, max_size=4)
keys = st.tuples(st.sampled_from(USERS), st.sampled_from(SESSION_IDS))


@dataclass(frozen=True)
class Create:
    user_id: str
    session_id: str
    state: dict[str, Any]


@dataclass(frozen=True)
class Append:
    user_id: str
    session_id: str
    state_delta: dict[str, Any]
    text: str
    partial: bool


@dataclass(frozen=True)
class Redeliver:
    user_id: str
    session_id: str


@dataclass(frozen=True)
class Get:
    user_id: str
    session_id: str
    num_recent_events: int | None
    after_event: int | None
    """Index into the session's appended events whose timestamp is ``after_timestamp``."""
    nudge_after: bool
    """Add a little to ``after_timestamp``, so it falls between two events."""


@dataclass(frozen=True)
class List:
    user_id: str | None


@dataclass(frozen=True)
class Delete:
    user_id: str
    session_id: str


@dataclass(frozen=True)
class GetUserState:
    user_id: str


operations = st.one_of(
    st.builds(lambda key, state: Create(*key, state), keys, states),
    st.builds(
        lambda key, delta, text, partial: Append(*key, delta, text, partial),
        keys,
        states,
        st.text(alphabet="xyz", max_size=4),
        st.booleans(),
    ),
    # google-adk 1.x's in-memory service stores a re-delivered event twice; 2.x and the
    # adapter on both lines store it once.
    *([st.builds(lambda key: Redeliver(*key), keys)] if GOOGLE_ADK_2 else []),
    st.builds(
        lambda key, recent, after, nudge: Get(*key, recent, after, nudge),
        keys,
        # Before 1.29 google-adk's in-memory service read num_recent_events=0 as "all events".
        st.sampled_from([None, 0, 1, 2, 5] if GOOGLE_ADK_VERSION >= (1, 29) else [None, 1, 2, 5]),
        st.one_of(st.none(), st.integers(0, 6)),
        st.booleans(),
    ),
    st.builds(List, st.one_of(st.none(), st.sampled_from(USERS))),
    st.builds(lambda key: Delete(*key), keys),
    # google-adk 1.x has no get_user_state to compare with (the adapter keeps it there too).
    *([st.builds(GetUserState, st.sampled_from(USERS))] if GOOGLE_ADK_2 else []),
)


class Caller:
    """One application using one service: it holds the session objects it was given."""

    def __init__(self, service: BaseSessionService, app_name: str) -> None:
        self.service = service
        self.app_name = app_name
        self.held: dict[tuple[str, str], Session] = {}
        self.last_appended: dict[tuple[str, str], Event] = {}

    async def run(self, operation: object, event: Event | None, after: float | None) -> object:
        try:
            return await self._run(operation, event, after)
        except AlreadyExistsError:
            return "AlreadyExistsError"
        except SessionNotFoundError:
            return "SessionNotFoundError"

    async def _run(self, operation: object, event: Event | None, after: float | None) -> object:
        app = self.app_name
        if isinstance(operation, Create):
            created = await self.service.create_session(
                app_name=app,
                user_id=operation.user_id,
                session_id=operation.session_id,
                state=copy.deepcopy(operation.state),
            )
            self.held[operation.user_id, operation.session_id] = created
            return observed(created)
        if isinstance(operation, Append):
            session = self.held.get((operation.user_id, operation.session_id))
            if session is None or event is None:
                return "nothing held"
            if not (GOOGLE_ADK_2 or event.partial) and await self._deleted_in_memory(session):
                # google-adk 1.x's in-memory service only logs a warning here; its database
                # service raises, as every 2.x service does.
                return "SessionNotFoundError"
            own_event = event.model_copy(deep=True)
            returned = await self.service.append_event(session, own_event)
            if not own_event.partial:
                self.last_appended[operation.user_id, operation.session_id] = own_event
            return returned.model_dump(), observed(session)
        if isinstance(operation, Redeliver):
            key = (operation.user_id, operation.session_id)
            if key not in self.held or key not in self.last_appended:
                return "nothing held"
            await self.service.append_event(self.held[key], self.last_appended[key])
            return observed(self.held[key])
        if isinstance(operation, Get):
            config = GetSessionConfig(
                num_recent_events=operation.num_recent_events, after_timestamp=after
            )
            loaded = await self.service.get_session(
                app_name=app,
                user_id=operation.user_id,
                session_id=operation.session_id,
                config=config,
            )
            if loaded is None:
                return None
            self.held[operation.user_id, operation.session_id] = loaded
            return observed(loaded)
        if isinstance(operation, List):
            listed = await self.service.list_sessions(app_name=app, user_id=operation.user_id)
            sessions = [observed(session) for session in listed.sessions]
            # google-adk 1.x lists in no particular order; 2.x, oldest update first.
            return sessions if GOOGLE_ADK_2 else sorted(sessions, key=repr)
        if isinstance(operation, Delete):
            await self.service.delete_session(
                app_name=app, user_id=operation.user_id, session_id=operation.session_id
            )
            return "deleted"
        assert isinstance(operation, GetUserState)
        return await self.service.get_user_state(app_name=app, user_id=operation.user_id)

    async def _deleted_in_memory(self, session: Session) -> bool:
        if not isinstance(self.service, InMemorySessionService):
            return False
        stored = await self.service.get_session(
            app_name=session.app_name, user_id=session.user_id, session_id=session.id
        )
        return stored is None


def observed(session: Session) -> tuple[object, ...]:
    """What a caller can see of a session, except clock values."""
    return (
        session.app_name,
        session.user_id,
        session.id,
        session.state,
        [event.model_dump() for event in session.events],
    )


def event_for(operation: Append) -> Event:
    return Event(
        author="agent",
        invocation_id="inv",
        content=types.Content(role="model", parts=[types.Part(text=operation.text)]),
        actions=EventActions(state_delta=copy.deepcopy(operation.state_delta)),
        partial=operation.partial or None,
        timestamp=time.time(),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=4, max_size=30))
async def test_same_results_as_adk_in_memory_service(
    adk_service: AdkSessionService, steps: list[object]
) -> None:
    app_name = f"app-{uuid.uuid4()}"
    reference = Caller(InMemorySessionService(), app_name)
    ours = Caller(adk_service, app_name)
    appended_timestamps: dict[tuple[str, str], list[float]] = {}
    for number, operation in enumerate(steps):
        event = event_for(operation) if isinstance(operation, Append) else None
        after = None
        if isinstance(operation, Get) and operation.after_event is not None:
            timestamps = appended_timestamps.get((operation.user_id, operation.session_id), [])
            if timestamps:
                after = timestamps[operation.after_event % len(timestamps)]
                after += 1e-7 if operation.nudge_after else 0.0
        expected = await reference.run(operation, event, after)
        actual = await ours.run(operation, event, after)
        assert actual == expected, f"step {number}: {operation}"
        if (
            isinstance(operation, Append)
            and event
            and not event.partial
            and expected != "nothing held"
        ):
            key = (operation.user_id, operation.session_id)
            appended_timestamps.setdefault(key, []).append(event.timestamp)
        if isinstance(operation, (Create, Delete)):
            appended_timestamps.pop((operation.user_id, operation.session_id), None)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_listing_order_matches_for_sessions_updated_out_of_creation_order(
    adk_service: AdkSessionService,
) -> None:
    reference = InMemorySessionService()
    services: list[BaseSessionService] = [reference, adk_service]
    for service in services:
        first = await service.create_session(app_name="app", user_id="u2", session_id="a")
        await service.create_session(app_name="app", user_id="u1", session_id="b")
        await service.append_event(first, Event(author="x", timestamp=time.time() + 60))
    listings = [await service.list_sessions(app_name="app") for service in services]
    orders = [[(s.user_id, s.id) for s in listing.sessions] for listing in listings]
    assert orders[1] == [("u1", "b"), ("u2", "a")]
    if GOOGLE_ADK_2:  # 1.x's in-memory service lists in no particular order
        assert orders[0] == orders[1]
