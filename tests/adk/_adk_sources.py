"""google-adk session databases built by google-adk itself, for the import and export tests.

Each ``build_*`` function fills a new source with sessions whose events take many shapes
(text, function calls and responses, state deltas in every scope, long-running tool ids,
custom and usage metadata, errors, transfers, tool confirmations, compaction, ties in time),
written through google-adk's own services. ``adk_view`` reads a database back through the
google-adk service that owns it: what a correct import must reproduce.

google-adk's services run only under asyncio, so everything here is synchronous and runs its
own loop (``asyncio.run``); call it from a worker thread inside an async test.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.adk.events import Event, EventActions
from google.adk.events.event_actions import EventCompaction
from google.adk.sessions import BaseSessionService, DatabaseSessionService
from google.adk.sessions.sqlite_session_service import SqliteSessionService
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

from ._google_adk import GOOGLE_ADK_2

APPS = ("weather", "travel")
USERS = ("alice", "bob", "carol")


@dataclass(frozen=True)
class SessionView:
    """One session as a google-adk service returns it, in comparable form."""

    app_name: str
    user_id: str
    id: str
    state: dict[str, Any]
    last_update_time: float
    events: list[dict[str, Any]]


def _content(role: str, *parts: types.Part) -> types.Content:
    return types.Content(role=role, parts=list(parts))


def _event(rng: random.Random, index: int, timestamp: float, invocation: str) -> Event:
    """The ``index``-th event of a session: its shape cycles through what agents produce."""
    shape = index % 9
    common: dict[str, Any] = {"invocation_id": invocation, "timestamp": timestamp}
    if shape == 0:
        return Event(
            author="user",
            content=_content("user", types.Part(text=f"question {index} ✓ {rng.random()}")),
            **common,
        )
    if shape == 1:
        call_id = f"call-{index}"
        return Event(
            author="planner",
            content=_content(
                "model",
                types.Part(
                    function_call=types.FunctionCall(
                        id=call_id, name="lookup", args={"city": "Zürich", "days": index}
                    )
                ),
            ),
            long_running_tool_ids={call_id, f"other-{index}"},
            branch="root.planner",
            **common,
        )
    if shape == 2:
        return Event(
            author="planner",
            content=_content(
                "user",
                types.Part(
                    function_response=types.FunctionResponse(
                        id=f"call-{index - 1}",
                        name="lookup",
                        response={"forecast": ["sun", None, 3.25], "nested": {"ok": True}},
                    )
                ),
            ),
            actions=EventActions(
                state_delta={
                    "step": index,
                    "app:calls": index,
                    f"user:seen_{index % 3}": True,
                    "temp:scratch": "never stored",
                    "notes": {"last": index, "list": [1, "two", None]},
                }
            ),
            **common,
        )
    if shape == 3:
        return Event(
            author="writer",
            content=_content("model", types.Part(text="draft"), types.Part(text=" more")),
            custom_metadata={"trace": f"t-{index}", "scores": [0.5, 1], "flag": None},
            usage_metadata=types.GenerateContentResponseUsageMetadata(
                prompt_token_count=10 + index, candidates_token_count=3, total_token_count=13
            ),
            turn_complete=True,
            **common,
        )
    if shape == 4:
        return Event(
            author="writer",
            actions=EventActions(
                transfer_to_agent="reviewer",
                skip_summarization=True,
                artifact_delta={"report.md": index},
                state_delta={"user:name": f"Ada {index}", "app:theme": "dark"},
            ),
            **common,
        )
    if shape == 5:
        return Event(
            author="reviewer",
            error_code="RATE_LIMIT",
            error_message=f"try again in {index} s",
            interrupted=True,
            **common,
        )
    if shape == 6:
        return Event(
            author="reviewer",
            actions=EventActions(
                requested_tool_confirmations={
                    f"call-{index}": ToolConfirmation(hint="Book it?", payload={"seats": 2})
                },
                escalate=True,
                end_of_agent=True,
                agent_state={"phase": "review", "round": index},
            ),
            **common,
        )
    if shape == 7:
        return Event(
            author="user",
            actions=EventActions(
                compaction=EventCompaction(
                    start_timestamp=timestamp - 10,
                    end_timestamp=timestamp - 1,
                    compacted_content=_content("model", types.Part(text="summary")),
                ),
                state_delta={"step": None, "app:calls": 0},
            ),
            **common,
        )
    return Event(
        author="model",
        content=_content("model", types.Part(text=f"answer {index}")),
        partial=False,
        **common,
    )


async def _fill(service: BaseSessionService, *, sessions: int, events: int, seed: int) -> None:
    rng = random.Random(seed)
    base = time.time() - 3600
    for number in range(sessions):
        app_name = APPS[number % len(APPS)]
        user_id = USERS[number % len(USERS)]
        session = await service.create_session(
            app_name=app_name,
            user_id=user_id,
            session_id=f"session-{number:03d}",
            state={"topic": f"t{number}", "app:version": 1, "user:tier": "gold", "temp:x": 1},
        )
        count = 0 if number == 1 else events + rng.randint(-3, 3)
        for index in range(count):
            timestamp = base + number * 100 + index * 0.25
            event = _event(rng, index, timestamp, f"inv-{number}-{index // 3}")
            if index == 5:
                # Two events in the same instant, appended in reverse id order.
                event.id = "zz-tied"
                await service.append_event(session, event)
                event = _event(rng, index, timestamp, event.invocation_id)
                event.id = "aa-tied"
            await service.append_event(session, event)


def build_database(url: str, *, sessions: int = 12, events: int = 25, seed: int = 0) -> None:
    """A google-adk ``DatabaseSessionService`` database (schema v1) at ``url``."""

    async def build() -> None:
        async with DatabaseSessionService(url) as service:
            await _fill(service, sessions=sessions, events=events, seed=seed)

    asyncio.run(build())


def build_legacy_database(
    url: str, *, sessions: int = 12, events: int = 25, seed: int = 0
) -> None:
    """A google-adk database of the legacy v0 schema (pickled actions) at ``url``.

    The tables come from google-adk's own v0 models; google-adk's service then recognises
    the schema and writes through those models.
    """
    from google.adk.sessions.schemas.v0 import Base as LegacyBase
    from sqlalchemy.ext.asyncio import create_async_engine

    async def build() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(LegacyBase.metadata.create_all)
        await engine.dispose()
        async with DatabaseSessionService(url) as service:
            # google-adk 1.x names it _prepare_tables.
            prepare = getattr(service, "prepare_tables", None) or service._prepare_tables
            await prepare()
            await _fill(service, sessions=sessions, events=events, seed=seed)

    asyncio.run(build())


def build_sqlite_service_file(
    path: str, *, sessions: int = 12, events: int = 25, seed: int = 0
) -> None:
    """A google-adk ``SqliteSessionService`` file at ``path``."""

    async def build() -> None:
        service = SqliteSessionService(path)
        try:
            await _fill(service, sessions=sessions, events=events, seed=seed)
        finally:
            await close_adk_service(service)

    asyncio.run(build())


async def close_adk_service(service: BaseSessionService) -> None:
    """Close a google-adk service (1.x's ``SqliteSessionService`` has nothing to close)."""
    close = getattr(service, "close", None)
    if close is not None:
        await close()


def open_adk_service(kind: str, location: str) -> BaseSessionService:
    """google-adk's own service for a source built by this module."""
    if kind == "sqlite-service":
        return SqliteSessionService(location)
    return DatabaseSessionService(location)


async def view_sessions(service: BaseSessionService) -> dict[tuple[str, str, str], SessionView]:
    """Every session of every app in ``APPS``, with all events, as ``service`` returns it."""
    views: dict[tuple[str, str, str], SessionView] = {}
    for app_name in APPS:
        listed = await service.list_sessions(app_name=app_name)
        for entry in listed.sessions:
            session = await service.get_session(
                app_name=app_name, user_id=entry.user_id, session_id=entry.id
            )
            assert session is not None
            views[(app_name, session.user_id, session.id)] = SessionView(
                app_name=app_name,
                user_id=session.user_id,
                id=session.id,
                state=dict(session.state),
                last_update_time=_as_read(session.last_update_time),
                events=[
                    {**dumped, "timestamp": _as_read(dumped["timestamp"])}
                    for dumped in (event.model_dump() for event in session.events)
                ],
            )
    return views


def _as_read(timestamp: float) -> float:
    """A time as google-adk reads it back: exact on 2.x, which keeps each event's own
    timestamp; to the microsecond on 1.x, which reads it from a DATETIME column (adk-store
    keeps it exact: comparing at 1.x's precision is all a test under 1.x can do)."""
    if GOOGLE_ADK_2:
        return timestamp
    return datetime.fromtimestamp(timestamp).timestamp()


async def view_sessions_of(url: str) -> dict[tuple[str, str, str], SessionView]:
    """``view_sessions`` through google-adk's ``DatabaseSessionService`` on ``url`` (call it
    under asyncio)."""
    async with DatabaseSessionService(url) as service:
        return await view_sessions(service)


def adk_view(kind: str, location: str) -> dict[tuple[str, str, str], SessionView]:
    """``view_sessions`` through google-adk's own service for the source."""

    async def read() -> dict[tuple[str, str, str], SessionView]:
        service = open_adk_service(kind, location)
        try:
            return await view_sessions(service)
        finally:
            await close_adk_service(service)

    return asyncio.run(read())
