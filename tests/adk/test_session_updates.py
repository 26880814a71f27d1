"""What an append does to the caller's google-adk Session in memory (no database)."""

from __future__ import annotations

from google.adk.events import Event, EventActions
from google.adk.sessions import Session

import adk_store
from adk_store.adk._convert import event_to_core
from adk_store.adk._session_updates import catch_up


def _event(text_id: str, timestamp: float, delta: dict[str, object]) -> Event:
    return Event(
        id=text_id,
        author="agent",
        invocation_id="inv",
        timestamp=timestamp,
        actions=EventActions(state_delta=delta),
    )


def test_catching_up_keeps_the_stored_order_around_the_appended_event() -> None:
    # A stale append whose reply was lost and retried: another writer appended before it
    # (missed) and another after it (later); the caller's event stays in its stored place.
    missed, mine, later = (
        _event("missed", 1.0, {"a": 1}),
        _event("mine", 2.0, {"b": 2}),
        _event("later", 3.0, {"b": 3}),
    )
    stored_mine = event_to_core(mine)
    core_session = adk_store.Session(
        id="s",
        app_name="app",
        user_id="u",
        state={"a": 1, "b": 3},
        events=[event_to_core(missed), stored_mine, event_to_core(later)],
    )
    session = Session(id="s", app_name="app", user_id="u", state={"temp:t": 1})

    catch_up(session, core_session, mine, stored_mine, Event)

    assert [event.id for event in session.events] == ["missed", "mine", "later"]
    assert session.events[1] is mine
    assert session.state == {"a": 1, "b": 3, "temp:t": 1}
    assert session.last_update_time == 3.0
