"""Values google-adk's serializer would store as something else are refused, not changed.

google-adk writes an object it cannot serialize as its ``repr`` and NaN or infinity as
``null``; bytes that are not UTF-8 fail deep inside pydantic. The adapter refuses all of them
with :class:`adk_store.StateSerializationError` and stores nothing.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.adk.events import Event as AdkEvent
from google.adk.events import EventActions as AdkEventActions
from google.genai import types

from adk_store import StateSerializationError
from adk_store.adk import AdkSessionService

UNSTORABLE = [
    pytest.param(object(), id="object"),
    pytest.param(math.nan, id="nan"),
    pytest.param(-math.inf, id="infinity"),
    pytest.param([1.0, {"deep": math.inf}], id="nested-infinity"),
    pytest.param(b"\xff", id="bytes-not-utf8"),
]


async def stored_events(service: AdkSessionService, session_id: str) -> list[AdkEvent]:
    loaded = await service.get_session(app_name="app", user_id="u", session_id=session_id)
    assert loaded is not None
    return loaded.events


@pytest.mark.parametrize("value", UNSTORABLE)
async def test_an_unstorable_state_delta_value_is_refused_and_nothing_stored(
    adk_service: AdkSessionService, value: Any
) -> None:
    session = await adk_service.create_session(app_name="app", user_id="u", session_id="s")
    event = AdkEvent(author="model", actions=AdkEventActions(state_delta={"key": value}))

    with pytest.raises(StateSerializationError, match="state_delta"):
        await adk_service.append_event(session, event)

    assert await stored_events(adk_service, "s") == []
    assert session.events == []
    assert "key" not in session.state
    await adk_service.append_event(session, AdkEvent(author="model"))  # still usable


@pytest.mark.parametrize("value", [math.nan, math.inf])
async def test_nan_anywhere_in_an_event_is_refused(
    adk_service: AdkSessionService, value: float
) -> None:
    session = await adk_service.create_session(app_name="app", user_id="u", session_id="s")
    call = types.FunctionCall(name="tool", args={"x": value})
    events = [
        AdkEvent(author="model", custom_metadata={"score": value}),
        AdkEvent(author="model", content=types.Content(parts=[types.Part(function_call=call)])),
    ]
    for event in events:
        with pytest.raises(StateSerializationError):
            await adk_service.append_event(session, event)
    assert await stored_events(adk_service, "s") == []


@pytest.mark.parametrize("value", UNSTORABLE)
async def test_create_session_refuses_the_same_values(
    adk_service: AdkSessionService, value: Any
) -> None:
    with pytest.raises(StateSerializationError):
        await adk_service.create_session(
            app_name="app", user_id="u", session_id="s", state={"key": value}
        )
    assert await adk_service.get_session(app_name="app", user_id="u", session_id="s") is None
