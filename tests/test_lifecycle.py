"""Opening and closing a service while calls are in flight, and in-memory databases."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

import adk_store
from adk_store import AdkStoreError, Event, EventActions

from ._cancel import cancel_after

APP = "app"


async def test_close_waits_for_calls_in_flight(db_url: str) -> None:
    service = adk_store.SessionService(db_url, create_schema=True)
    session = await service.create_session(app_name=APP, user_id="u")
    outcomes: list[str] = []

    async def read() -> None:
        try:
            loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
            outcomes.append("read" if loaded is not None else "missing")
        except AdkStoreError as error:
            outcomes.append("refused" if "closed" in str(error) else repr(error))

    async with anyio.create_task_group() as group:
        for _ in range(40):
            group.start_soon(read)
        await anyio.lowlevel.checkpoint()
        await service.close()
    assert len(outcomes) == 40
    assert set(outcomes) <= {"read", "refused"}
    with pytest.raises(AdkStoreError, match="closed"):
        await service.get_app_state(app_name=APP)


async def test_close_during_open_leaves_the_service_closed(db_url: str) -> None:
    await adk_store.create_schema(db_url)
    service = adk_store.SessionService(db_url)
    opened: list[str] = []

    async def open_it() -> None:
        try:
            await service.open()
            opened.append("opened")
        except AdkStoreError as error:
            opened.append("refused" if "closed" in str(error) else repr(error))

    async with anyio.create_task_group() as group:
        group.start_soon(open_it)
        await anyio.lowlevel.checkpoint()
        await service.close()
    assert opened in (["opened"], ["refused"])
    with pytest.raises(AdkStoreError, match="closed"):
        await service.create_session(app_name=APP, user_id="u")


async def test_a_second_opener_succeeds_when_the_first_is_cancelled(db_url: str) -> None:
    await adk_store.create_schema(db_url)
    service = adk_store.SessionService(db_url)
    first = anyio.CancelScope()
    results: list[dict[str, object]] = []

    async def cancelled_opener() -> None:
        with first:
            await service.get_app_state(app_name=APP)

    async def second_opener() -> None:
        results.append(await service.get_app_state(app_name=APP))

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(cancelled_opener)
            group.start_soon(second_opener)
            await anyio.lowlevel.checkpoint()
            first.cancel()
        assert results == [{}]
    finally:
        await service.close()


@pytest.mark.parametrize("checkpoints", [0, 1, 3, 8])
async def test_an_in_memory_database_survives_cancelled_calls(
    checkpoints: int,
) -> None:
    async with adk_store.SessionService(
        "sqlite+aiosqlite:///:memory:", create_schema=True
    ) as service:
        session = await service.create_session(app_name=APP, user_id="u", state={"k": 0})
        event = Event(actions=EventActions(state_delta={"k": 1}))
        await cancel_after(checkpoints, lambda: service.append_event(session, event))
        loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert loaded is not None
        assert loaded.revision == session.revision
        assert loaded.state["k"] == (1 if loaded.revision else 0)


async def test_huge_counts_mean_all_rows(service: adk_store.SessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    await service.append_event(session, Event())
    loaded = await service.get_session(
        app_name=APP,
        user_id="u",
        session_id=session.id,
        config=adk_store.GetSessionConfig(num_recent_events=2**64),
    )
    assert loaded is not None
    assert len(loaded.events) == 1
    listed = await service.list_sessions(app_name=APP, limit=2**64)
    assert [s.id for s in listed.sessions] == [session.id]
