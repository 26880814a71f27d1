"""The google-adk adapter accepts a session copy without adk-store's revision marker only
when it provably holds the stored session; otherwise it raises ``StaleSessionError``.

A session rebuilt from JSON loses the private marker. If another writer appended meanwhile an
event stamped earlier than the copy's ``last_update_time``, the update times cannot tell, and
accepting the copy would let its increment overwrite the other one.
"""

from __future__ import annotations

import pytest

pytest.importorskip("google.adk")

from google.adk.errors import StaleSessionError as AdkStaleSessionError
from google.adk.events import Event, EventActions
from google.adk.sessions import Session

from adk_store.adk import AdkSessionService

pytestmark = pytest.mark.reliability

APP = "copies-app"


def _increment(session: Session, timestamp: float) -> Event:
    return Event(
        author="agent",
        invocation_id="i",
        timestamp=timestamp,
        actions=EventActions(state_delta={"counter": session.state.get("counter", 0) + 1}),
    )


async def test_a_copy_rebuilt_from_json_cannot_overwrite_another_writers_increment(
    db_url: str,
) -> None:
    async with AdkSessionService(db_url, create_schema=True) as service:
        session = await service.create_session(app_name=APP, user_id="u", state={"counter": 0})
        copy = Session.model_validate_json(session.model_dump_json())
        other = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert other is not None
        # Another writer increments, its event stamped before the copy's update time.
        await service.append_event(other, _increment(other, session.last_update_time - 10))
        with pytest.raises(AdkStaleSessionError):
            await service.append_event(copy, _increment(copy, session.last_update_time + 1))
        # A copy that does hold the stored session is accepted.
        current = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert current is not None
        rebuilt = Session.model_validate_json(current.model_dump_json())
        await service.append_event(rebuilt, _increment(rebuilt, session.last_update_time + 2))
        stored = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert stored is not None
        assert stored.state["counter"] == 2
        assert len(stored.events) == 2
