"""``last_update_time`` as google-adk reports it: the timestamp of the last event.

google-adk's dev UI restores a saved session by creating it and appending its events, whose
timestamps are older than the creation. google-adk then reports the last event's timestamp as
the session's update time, and so does the adapter; the core's own update time, by which
lists are paged, never goes back, so a paged walk still skips nothing.
"""

from __future__ import annotations

import time

from google.adk.events import Event as AdkEvent
from google.adk.sessions import InMemorySessionService

from adk_store.adk import AdkSessionService


def restored_events(start: float) -> list[AdkEvent]:
    return [
        AdkEvent(id=f"e{index}", author="user", invocation_id="i", timestamp=start + index)
        for index in range(3)
    ]


async def test_a_restored_session_reports_its_last_events_time_as_google_adk_does(
    adk_service: AdkSessionService,
) -> None:
    week_ago = time.time() - 7 * 24 * 3600
    google_adk = InMemorySessionService()
    seen = []
    for service in (google_adk, adk_service):
        session = await service.create_session(app_name="app", user_id="u", session_id="s")
        for event in restored_events(week_ago):
            await service.append_event(session, event)
        loaded = await service.get_session(app_name="app", user_id="u", session_id="s")
        listed = await service.list_sessions(app_name="app", user_id="u")
        assert loaded is not None
        seen.append(
            (
                session.last_update_time,
                loaded.last_update_time,
                listed.sessions[0].last_update_time,
            )
        )

    assert seen[1] == seen[0] == (week_ago + 2, week_ago + 2, week_ago + 2)


async def test_a_session_without_events_reports_its_creation_time(
    adk_service: AdkSessionService,
) -> None:
    before = time.time()
    created = await adk_service.create_session(app_name="app", user_id="u", session_id="s")
    loaded = await adk_service.get_session(app_name="app", user_id="u", session_id="s")
    assert loaded is not None
    assert before <= created.last_update_time == loaded.last_update_time <= time.time()


async def test_core_pages_still_follow_an_update_time_that_never_goes_back(
    adk_service: AdkSessionService,
) -> None:
    week_ago = time.time() - 7 * 24 * 3600
    for session_id in ("restored", "fresh"):
        session = await adk_service.create_session(
            app_name="app", user_id="u", session_id=session_id
        )
        if session_id == "restored":
            for event in restored_events(week_ago):
                await adk_service.append_event(session, event)
    core = adk_service.core
    first = await core.list_sessions(app_name="app", user_id="u", limit=1)
    second = await core.list_sessions(
        app_name="app", user_id="u", limit=1, page_token=first.next_page_token
    )
    walked = [session.id for session in first.sessions + second.sessions]
    assert walked == ["restored", "fresh"]
    assert first.sessions[0].last_update_time >= first.sessions[0].create_time  # type: ignore[operator]
    assert first.sessions[0].last_event_time == week_ago + 2
