"""The adapter's conversion of core sessions builds the same google-adk objects as validation."""

from __future__ import annotations

from google.adk.events import Event as AdkEvent
from google.adk.sessions import Session as AdkSession

import adk_store
from adk_store.adk._convert import session_from_core


def test_a_converted_session_equals_the_validated_one() -> None:
    core = adk_store.Session(
        id="s1",
        app_name="app",
        user_id="u1",
        state={"app:plan": "pro", "user:tags": ["a"], "n": 1},
        events=[adk_store.Event(author="user", id="e1", timestamp=5.0)],
        last_update_time=12.5,
        revision=1,
        create_time=2.0,
    )
    converted = session_from_core(core, AdkEvent)
    validated = AdkSession(
        id="s1",
        app_name="app",
        user_id="u1",
        state=dict(core.state),
        events=converted.events,
        last_update_time=12.5,
    )
    assert converted.__dict__ == validated.__dict__
    assert converted.model_fields_set == validated.model_fields_set
    assert converted.model_dump() == validated.model_dump()
    assert isinstance(converted.events[0], AdkEvent)
    assert converted.events[0].id == "e1"
    assert converted.state is not validated.state
