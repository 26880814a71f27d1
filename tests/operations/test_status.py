"""``status()`` counts what the store holds; ``list_sessions`` pages newest first too."""

from __future__ import annotations

import pytest

import adk_store
from adk_store import Event

from ._contents import fill_memories, fill_store


async def test_status_of_an_empty_store(service: adk_store.SessionService) -> None:
    status = await service.status()

    assert status.schema_version == adk_store.SCHEMA_VERSION
    assert status.database == service.dialect_name
    assert (status.apps, status.users, status.sessions, status.events) == (0, 0, 0, 0)
    assert status.memories == 0
    assert status.oldest_update_time is None
    assert status.newest_update_time is None


async def test_status_counts_apps_users_sessions_and_events(
    service: adk_store.SessionService,
) -> None:
    sessions = await fill_store(service, sessions_per_user=2, events_per_session=3)
    await service.import_user_state(adk_store.UserStateRecord("tutor", "no-sessions", {}))

    status = await service.status()

    assert (status.apps, status.users, status.sessions, status.events) == (2, 7, 12, 36)
    times = [session.last_update_time for session in sessions]
    assert status.oldest_update_time == min(times)
    assert status.newest_update_time == max(times)


async def test_status_counts_memories_of_every_user_deleted_sessions_included(
    service: adk_store.SessionService,
) -> None:
    sessions = await fill_store(service, sessions_per_user=1, events_per_session=2)
    remembered = await fill_memories(service, sessions)
    memory = adk_store.MemoryService(service)

    status = await service.status()

    assert status.memories == remembered == await memory.count()
    assert status.sessions == len(sessions) - 1
    await memory.delete_user_memories(app_name="tutor", user_id="ada")
    assert (await service.status()).memories == await memory.count() < remembered


async def test_list_sessions_newest_first_pages_through_all(
    service: adk_store.SessionService,
) -> None:
    for number in range(7):
        session = await service.create_session(
            app_name="app", user_id="u", session_id=f"s{number}"
        )
        await service.append_event(session, Event(author="user", timestamp=1000.0 + number))
    seen: list[str] = []
    token = None
    while True:
        page = await service.list_sessions(
            app_name="app", limit=3, page_token=token, newest_first=True
        )
        seen.extend(session.id for session in page.sessions)
        token = page.next_page_token
        if token is None:
            break

    assert seen == [f"s{number}" for number in reversed(range(7))]


async def test_a_page_token_only_works_in_its_own_order(
    service: adk_store.SessionService,
) -> None:
    for number in range(3):
        await service.create_session(app_name="app", user_id="u", session_id=f"s{number}")
    page = await service.list_sessions(app_name="app", limit=1)
    assert page.next_page_token is not None

    with pytest.raises(adk_store.InvalidArgumentError, match="page_token"):
        await service.list_sessions(
            app_name="app", limit=1, page_token=page.next_page_token, newest_first=True
        )


async def test_list_app_names_in_byte_order(service: adk_store.SessionService) -> None:
    for app_name in ("b", "a", "B", "é"):
        await service.create_session(app_name=app_name, user_id="u")

    assert await service.list_app_names() == ["B", "a", "b", "é"]
