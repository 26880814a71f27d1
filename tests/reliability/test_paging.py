"""A paged walk over sessions lists every session that existed throughout at least once.

Sessions are listed by update time. An event stamped earlier than the page cursor (clocks of
several writers, imported or replayed events) must not move its session behind the cursor.
"""

from __future__ import annotations

import pytest

import adk_store
from adk_store import Event

pytestmark = pytest.mark.reliability

APP = "paging-app"
USER = "paging-user"


@pytest.mark.parametrize("across_users", [False, True])
async def test_an_event_stamped_before_the_cursor_does_not_hide_its_session(
    service: adk_store.SessionService, across_users: bool
) -> None:
    sessions = {}
    for name in ("A", "B", "C"):
        sessions[name] = await service.create_session(app_name=APP, user_id=USER, session_id=name)
    user_id = None if across_users else USER
    seen: list[str] = []
    page = await service.list_sessions(app_name=APP, user_id=user_id, limit=1)
    seen += [session.id for session in page.sessions]
    assert seen == ["A"]
    # C gets an event stamped long before A's update time, the cursor of the next page.
    stamped_early = Event(author="user", timestamp=sessions["A"].last_update_time - 1000)
    await service.append_event(sessions["C"], stamped_early)
    assert sessions["C"].last_update_time >= sessions["C"].create_time
    while page.next_page_token is not None:
        page = await service.list_sessions(
            app_name=APP, user_id=user_id, limit=1, page_token=page.next_page_token
        )
        seen += [session.id for session in page.sessions]
    assert set(seen) == {"A", "B", "C"}, f"the walk listed {seen}"
    stored = await service.get_session(app_name=APP, user_id=USER, session_id="C")
    assert stored is not None
    assert stored.last_update_time == sessions["C"].last_update_time
    assert stored.events[0].timestamp == stamped_early.timestamp


async def test_a_stale_append_stamped_early_keeps_the_update_time(
    service: adk_store.SessionService,
) -> None:
    """The transactional path (a stale caller with ``allow_stale``) keeps it too."""
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    stale = await service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert stale is not None
    await service.append_event(session, Event(author="user"))
    early = Event(author="user", timestamp=session.create_time - 1000)
    await service.append_event(stale, early, allow_stale=True)
    stored = await service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert stored is not None
    assert stored.last_update_time == session.last_update_time
    assert stale.last_update_time == stored.last_update_time
