"""Concurrent writers: what merges, what raises, and that nothing is lost or locked."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import threading
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import adk_store
from adk_store import Event, EventActions, StaleSessionError

from ._cancel import cancel_after
from ._db import dump, raw_fetch

APP = "app"


async def test_appends_to_different_sessions_keep_every_shared_update(
    service: adk_store.SessionService,
) -> None:
    sessions = [await service.create_session(app_name=APP, user_id="u") for _ in range(8)]

    async def writer(index: int, session: adk_store.Session) -> None:
        for step in range(10):
            delta = {f"app:w{index}": step, f"user:w{index}": step, "mine": step}
            await service.append_event(session, Event(actions=EventActions(state_delta=delta)))

    async with anyio.create_task_group() as group:
        for index, session in enumerate(sessions):
            group.start_soon(writer, index, session)

    expected = {f"w{index}": 9 for index in range(8)}
    assert await service.get_app_state(app_name=APP) == expected
    assert await service.get_user_state(app_name=APP, user_id="u") == expected
    for session in sessions:
        loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert loaded is not None
        assert len(loaded.events) == 10
        assert loaded.state["mine"] == 9


async def test_stale_copy_of_a_session_is_refused_and_writes_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    copy = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert copy is not None
    await service.append_event(session, Event(actions=EventActions(state_delta={"k": "first"})))
    before = await dump(db_url)
    with pytest.raises(StaleSessionError) as raised:
        await service.append_event(
            copy, Event(actions=EventActions(state_delta={"k": "lost?", "app:x": 1}))
        )
    assert (raised.value.expected_revision, raised.value.stored_revision) == (0, 1)
    assert await dump(db_url) == before
    assert copy.events == []


async def test_stale_detection_works_across_service_instances(db_url: str) -> None:
    async with (
        adk_store.SessionService(db_url, create_schema=True) as first,
        adk_store.SessionService(db_url) as second,
    ):
        session = await first.create_session(app_name=APP, user_id="u")
        other_copy = await second.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert other_copy is not None
        await first.append_event(session, Event())
        with pytest.raises(StaleSessionError):
            await second.append_event(other_copy, Event())


async def test_allow_stale_appends_and_brings_the_session_up_to_date(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", state={"a": 0})
    copy = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert copy is not None
    copy.state["temp:mine"] = "kept"
    missed = Event(author="other", actions=EventActions(state_delta={"a": 1, "user:u": 1}))
    await service.append_event(session, missed)

    late = Event(author="late", actions=EventActions(state_delta={"b": 2}))
    await service.append_event(copy, late, allow_stale=True)

    assert [e.id for e in copy.events] == [missed.id, late.id]
    assert copy.state == {"a": 1, "user:u": 1, "b": 2, "temp:mine": "kept"}
    assert copy.revision == 2
    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert loaded is not None
    assert [e.id for e in loaded.events] == [missed.id, late.id]
    assert loaded.state == {"a": 1, "user:u": 1, "b": 2}


async def test_allow_stale_can_be_the_service_default(db_url: str) -> None:
    async with adk_store.SessionService(
        db_url, create_schema=True, allow_stale_appends=True
    ) as service:
        session = await service.create_session(app_name=APP, user_id="u")
        copy = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert copy is not None
        await service.append_event(session, Event())
        await service.append_event(copy, Event())
        assert copy.revision == 2
        with pytest.raises(StaleSessionError):
            await service.append_event(session, Event(), allow_stale=False)


async def test_racing_writers_on_one_session_are_totally_ordered(
    service: adk_store.SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    acknowledged: dict[int, str] = {}  # revision the append got -> event id
    stale = 0

    async def writer(name: str) -> None:
        nonlocal stale
        copy = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert copy is not None
        for step in range(6):
            event = Event(author=name, actions=EventActions(state_delta={name: step}))
            while True:
                try:
                    await service.append_event(copy, event)
                    assert copy.revision not in acknowledged
                    acknowledged[copy.revision] = event.id
                    break
                except StaleSessionError:
                    stale += 1
                    fresh = await service.get_session(
                        app_name=APP, user_id="u", session_id=session.id
                    )
                    assert fresh is not None
                    copy = fresh

    async with anyio.create_task_group() as group:
        for name in ("a", "b", "c", "d"):
            group.start_soon(writer, name)

    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert loaded is not None
    # Tasks may hear of their commits out of order; the revisions they were given may not.
    assert sorted(acknowledged) == list(range(1, 25))
    assert [e.id for e in loaded.events] == [acknowledged[r] for r in sorted(acknowledged)]
    assert loaded.state == {"a": 5, "b": 5, "c": 5, "d": 5}
    assert loaded.revision == 24


async def test_eight_sqlite_services_write_at_once_without_locking_errors(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    await adk_store.create_schema(url)
    services = [adk_store.SessionService(url) for _ in range(8)]
    try:

        async def writer(index: int) -> None:
            service = services[index]
            session = await service.create_session(app_name=APP, user_id=f"u{index}")
            for step in range(15):
                delta = {"app:last": index, f"user:n{index}": step}
                await service.append_event(session, Event(actions=EventActions(state_delta=delta)))

        async with anyio.create_task_group() as group:
            for index in range(8):
                group.start_soon(writer, index)
        listed = await services[0].list_sessions(app_name=APP)
        assert len(listed.sessions) == 8
        assert all(s.revision == 15 for s in listed.sessions)
    finally:
        for service in services:
            await service.close()


_PROCESS_WRITER = textwrap.dedent(
    """
    import sys, anyio, adk_store
    from adk_store import Event, EventActions, StaleSessionError

    async def main(url, name, session_id, count):
        async with adk_store.SessionService(url) as service:
            stale = 0
            for step in range(count):
                while True:
                    copy = await service.get_session(
                        app_name="app", user_id="u", session_id=session_id,
                        config=adk_store.GetSessionConfig(num_recent_events=0),
                    )
                    delta = {name: step, "app:" + name: step, "user:" + name: step}
                    try:
                        await service.append_event(
                            copy, Event(author=name, actions=EventActions(state_delta=delta))
                        )
                        break
                    except StaleSessionError:
                        stale += 1
            print(stale)

    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
    """
)


@pytest.mark.slow
async def test_processes_appending_to_one_session_lose_nothing(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    names = ["p0", "p1", "p2", "p3"]
    count = 25

    async def run(name: str) -> str:
        result = await anyio.run_process(
            [sys.executable, "-c", _PROCESS_WRITER, db_url, name, session.id, str(count)],
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()

    async with anyio.create_task_group() as group:
        for name in names:
            group.start_soon(run, name)

    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert loaded is not None
    assert loaded.revision == len(names) * count
    for name in names:
        steps = [e.actions.state_delta[name] for e in loaded.events if e.author == name]
        assert steps == list(range(count))
        assert loaded.state[name] == loaded.state[f"app:{name}"] == count - 1


@pytest.mark.parametrize("checkpoints", [0, 1, 2, 5, 20])
async def test_cancelled_append_is_all_or_nothing_and_the_service_still_works(
    service: adk_store.SessionService, checkpoints: int
) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    event = Event(actions=EventActions(state_delta={"k": 1, "app:k": 1, "user:k": 1}))
    await cancel_after(checkpoints, lambda: service.append_event(session, event))
    # The session object matches the database whichever way the append went.
    loaded = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert loaded is not None
    stored = [e.id for e in loaded.events]
    assert [e.id for e in session.events] == stored
    if stored:
        assert stored == [event.id]
        assert loaded.state == {"k": 1, "app:k": 1, "user:k": 1}
    else:
        assert loaded.state == {}
        assert await service.get_app_state(app_name=APP) == {}
    await service.append_event(loaded, Event())
    assert loaded.revision == len(stored) + 1


def _hold_session_row_lock(dsn: str, locked: threading.Event, release: threading.Event) -> None:
    """Bump every session's revision in a transaction kept open until ``release`` is set."""

    async def hold() -> None:
        import asyncpg

        connection = await asyncpg.connect(dsn)
        try:
            async with connection.transaction():
                await connection.execute("UPDATE adk_sessions SET revision = revision + 1")
                locked.set()
                await asyncio.get_running_loop().run_in_executor(None, release.wait)
        finally:
            await connection.close()

    asyncio.run(hold())


@pytest.mark.databases("postgresql")
@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
async def test_stale_appends_raise_stale_whatever_the_default_isolation(
    db_url: str, isolation: str
) -> None:
    name = db_url.rsplit("/", 1)[1]
    await raw_fetch(
        db_url, f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = '{isolation}'"
    )
    dsn = db_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        session = await service.create_session(app_name=APP, user_id="u")
        locked, release = threading.Event(), threading.Event()
        outcomes: list[str] = []

        async def append() -> None:
            try:
                await service.append_event(
                    session, Event(actions=EventActions(state_delta={"app:n": 1, "k": 1}))
                )
                outcomes.append("stored")
            except StaleSessionError:
                outcomes.append("stale")

        async with anyio.create_task_group() as group:
            group.start_soon(
                anyio.to_thread.run_sync, _hold_session_row_lock, dsn, locked, release
            )
            await anyio.to_thread.run_sync(locked.wait)
            for _ in range(3):
                group.start_soon(append)
            # Let go only once the appends wait on the session row's lock.
            waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            try:
                for _ in range(3000):
                    if (await raw_fetch(db_url, waiting))[0][0] >= 3:
                        break
                    await anyio.sleep(0.01)
                else:
                    pytest.fail("the appends never waited on the session's row lock")
            finally:
                release.set()
    assert outcomes == ["stale"] * 3


async def test_creates_and_appends_sharing_app_and_user_rows_never_deadlock(
    service: adk_store.SessionService,
) -> None:
    sessions = [await service.create_session(app_name=APP, user_id="u") for _ in range(4)]

    async def appender(session: adk_store.Session) -> None:
        for step in range(25):
            delta = {"app:a": step, "user:b": step}
            await service.append_event(session, Event(actions=EventActions(state_delta=delta)))

    async def creator() -> None:
        for step in range(25):
            await service.create_session(
                app_name=APP, user_id="u", state={"app:c": step, "user:d": step}
            )

    async with anyio.create_task_group() as group:
        for session in sessions:
            group.start_soon(appender, session)
        for _ in range(2):
            group.start_soon(creator)
    assert await service.get_app_state(app_name=APP) == {"a": 24, "c": 24}
    assert await service.get_user_state(app_name=APP, user_id="u") == {"b": 24, "d": 24}


@pytest.mark.parametrize("allow_stale", [False, True])
async def test_a_copy_of_a_deleted_session_cannot_append_to_its_successor(
    service: adk_store.SessionService, db_url: str, allow_stale: bool
) -> None:
    old = await service.create_session(app_name=APP, user_id="u", session_id="s", state={"k": 1})
    await service.delete_session(app_name=APP, user_id="u", session_id="s")
    await service.create_session(app_name=APP, user_id="u", session_id="s", state={"k": "new"})
    before = await dump(db_url)
    # Both are at revision 0: only the create time tells them apart.
    with pytest.raises(StaleSessionError):
        await service.append_event(
            old, Event(actions=EventActions(state_delta={"k2": 1})), allow_stale=allow_stale
        )
    assert await dump(db_url) == before
    assert old.events == []
