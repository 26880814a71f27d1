from __future__ import annotations

import adk_store
from adk_store import Event, EventActions


async def test_append_and_read_back(service: adk_store.SessionService) -> None:
    session = await service.create_session(app_name="app", user_id="u1", state={"k": 1})
    event = Event(author="user", actions=EventActions(state_delta={"k": 2, "app:a": "x"}))
    await service.append_event(session, event)
    loaded = await service.get_session(app_name="app", user_id="u1", session_id=session.id)
    assert loaded is not None
    assert loaded.state == {"k": 2, "app:a": "x"}
    assert [e.id for e in loaded.events] == [event.id]
