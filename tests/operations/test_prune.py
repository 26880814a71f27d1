"""Pruning: old sessions and their events go in bounded batches; state and new sessions stay."""

from __future__ import annotations

import time
from collections.abc import Sequence

import anyio

import adk_store
from adk_store import Event, SessionKey, SessionRecord, UserStateRecord

from .._db import dump, raw_fetch


async def old_and_new_sessions(
    service: adk_store.SessionService, old: int, new: int, *, app_name: str = "app"
) -> float:
    """``old`` sessions updated long ago and ``new`` ones updated now; returns a cut-off
    between the two."""
    long_ago = time.time() - 86_400
    await service.import_user_state(UserStateRecord(app_name, "u", {"kept": 1}))
    for number in range(old):
        # Imported: a session's update time is never set back by appending old events.
        event = Event(author="user", timestamp=long_ago + number)
        await service.import_session(
            SessionRecord(
                app_name,
                "u",
                f"old{number}",
                create_time=long_ago,
                update_time=event.timestamp,
                events=[event],
            )
        )
    for number in range(new):
        session = await service.create_session(
            app_name=app_name, user_id="u", session_id=f"new{number}"
        )
        await service.append_event(session, Event(author="user"))
    return time.time() - 3_600


async def session_ids(db_url: str) -> set[str]:
    return {row[0] for row in await raw_fetch(db_url, "SELECT id FROM adk_sessions")}


async def test_prune_deletes_old_sessions_with_their_events_and_keeps_state(
    service: adk_store.SessionService, db_url: str
) -> None:
    cutoff = await old_and_new_sessions(service, old=3, new=2)
    await service.create_session(app_name="app", user_id="u", state={"app:kept": 2})

    assert await service.prune(updated_before=cutoff) == 3

    assert {i for i in await session_ids(db_url) if i.startswith(("old", "new"))} == {
        "new0",
        "new1",
    }
    event_sessions = await raw_fetch(db_url, "SELECT DISTINCT session_id FROM adk_events")
    assert {row[0] for row in event_sessions} == {"new0", "new1"}
    assert await service.get_user_state(app_name="app", user_id="u") == {"kept": 1}
    assert await service.get_app_state(app_name="app") == {"kept": 2}


async def test_memories_of_pruned_and_deleted_sessions_stay_and_are_found(
    service: adk_store.SessionService, db_url: str
) -> None:
    long_ago = time.time() - 86_400
    memory = adk_store.MemoryService(service)
    for session_id in ("pruned", "deleted"):
        said = Event(
            author="user",
            timestamp=long_ago,
            content={"role": "user", "parts": [{"text": f"the {session_id} one likes tides"}]},
        )
        record = SessionRecord("app", "u", session_id, update_time=long_ago, events=[said])
        await service.import_session(record)
        session = await service.get_session(app_name="app", user_id="u", session_id=session_id)
        assert session is not None
        assert await memory.add_session(session) == 1
    before = await raw_fetch(db_url, "SELECT session_id, text FROM adk_memories ORDER BY seq")

    await service.delete_session(app_name="app", user_id="u", session_id="deleted")
    assert await service.prune(updated_before=long_ago + 1) == 1

    assert await session_ids(db_url) == set()
    after = await raw_fetch(db_url, "SELECT session_id, text FROM adk_memories ORDER BY seq")
    assert after == before
    found = await memory.search(app_name="app", user_id="u", query="tides")
    assert sorted(m.session_id or "" for m in found) == ["deleted", "pruned"]


async def test_prune_dry_run_reports_and_deletes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    cutoff = await old_and_new_sessions(service, old=5, new=1)
    before = await dump(db_url)
    reported: list[SessionKey] = []

    count = await service.prune(
        updated_before=cutoff, dry_run=True, batch_size=2, on_batch=reported.extend
    )

    assert count == 5
    assert [key.session_id for key in reported] == [f"old{n}" for n in range(5)]
    assert await dump(db_url) == before


async def test_prune_works_in_batches_of_the_given_size(
    service: adk_store.SessionService,
) -> None:
    cutoff = await old_and_new_sessions(service, old=5, new=1)
    batches: list[Sequence[SessionKey]] = []

    count = await service.prune(updated_before=cutoff, batch_size=2, on_batch=batches.append)

    assert count == 5
    assert [len(batch) for batch in batches] == [2, 2, 1]


async def test_prune_of_one_app_leaves_other_apps(
    service: adk_store.SessionService, db_url: str
) -> None:
    await old_and_new_sessions(service, old=2, new=0, app_name="other")
    cutoff = await old_and_new_sessions(service, old=2, new=0, app_name="app")

    assert await service.prune(updated_before=cutoff, app_name="app") == 2

    rows = await raw_fetch(db_url, "SELECT app_name FROM adk_sessions")
    assert {row[0] for row in rows} == {"other"}


async def test_prune_while_appends_go_on_keeps_every_appended_session(
    service: adk_store.SessionService, db_url: str
) -> None:
    cutoff = await old_and_new_sessions(service, old=60, new=0)
    fresh = [
        await service.create_session(app_name="app", user_id="u", session_id=f"fresh{n}")
        for n in range(4)
    ]

    async def keep_appending(session: adk_store.Session) -> None:
        for _ in range(10):
            await service.append_event(session, Event(author="user"))

    async with anyio.create_task_group() as group:
        for session in fresh:
            group.start_soon(keep_appending, session)
        group.start_soon(lambda: service.prune(updated_before=cutoff, batch_size=7))

    assert await session_ids(db_url) == {f"fresh{n}" for n in range(4)}
    for session in fresh:
        loaded = await service.get_session(app_name="app", user_id="u", session_id=session.id)
        assert loaded is not None
        assert len(loaded.events) == 10
