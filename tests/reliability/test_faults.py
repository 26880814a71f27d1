"""Faults: a killed PostgreSQL backend, a restarted server, a SQLite writer killed with -9.

The operation in flight must fail with adk-store's own :class:`DatabaseError`, nothing that
was acknowledged may be lost, and the next operation must work without any help from the
caller. PostgreSQL faults are injected at a precise database call through a
:class:`QueryHook`, so the failure always lands inside an open transaction.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.text import TextReceiveStream
from databases.core import Connection

import adk_store
from adk_store import Event, EventActions

from .._db import asyncpg_dsn, database_name, raw_fetch, sqlite_path
from ._load import APP, SESSIONS, USERS, create_sessions, session_of, worker_command
from ._support import Call, QueryHook

pytestmark = pytest.mark.reliability

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = {"app_name": "fault-app", "user_id": "fault-user", "session_id": "fault-session"}
TERMINATE = (
    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
    "WHERE datname = $1 AND pid <> pg_backend_pid()"
)


async def _terminate_backends(db_url: str) -> None:
    """Kill every server process serving ``db_url`` and wait until they are gone."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(db_url))
    try:
        await connection.execute(TERMINATE, database_name(db_url))
    finally:
        await connection.close()


def _at_call(n: int, fault: Callable[[], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """A hook that runs ``fault`` (on the service's loop) just before database call ``n``.

    Call 1 of an append is its first statement inside the write (``BEGIN`` or the single
    statement that does the whole append), so the fault always hits the write itself.
    """
    seen = 0

    async def before(connection: Connection, call: Call) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            await fault()

    return before


async def _session_with_events(service: adk_store.SessionService, count: int) -> Any:
    session = await service.create_session(**KEY)
    for index in range(count):
        await service.append_event(
            session, Event(author="user", actions=EventActions(state_delta={"n": index + 1}))
        )
    return session


async def _assert_fails_then_recovers(
    service: adk_store.SessionService,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[], Awaitable[None]],
) -> None:
    session = await _session_with_events(service, 3)
    acknowledged = [event.id for event in session.events]
    hook = QueryHook(recording=False).install(monkeypatch)
    hook.before = _at_call(1, fault)
    doomed = Event(author="user", actions=EventActions(state_delta={"n": 99}))

    with pytest.raises(adk_store.DatabaseError):
        await service.append_event(session, doomed)
    hook.before = None

    stored = await service.get_session(**KEY)
    assert stored is not None
    assert [event.id for event in stored.events] == acknowledged
    assert stored.state == {"n": 3}
    survivor = Event(author="user", actions=EventActions(state_delta={"n": 4}))
    await service.append_event(session, survivor)
    stored = await service.get_session(**KEY)
    assert stored is not None
    assert [event.id for event in stored.events] == [*acknowledged, survivor.id]
    assert stored.state == {"n": 4}


@pytest.mark.databases("postgresql")
async def test_killed_backend_fails_the_write_in_flight_and_the_next_write_works(
    service: adk_store.SessionService, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _assert_fails_then_recovers(service, monkeypatch, lambda: _terminate_backends(db_url))


@pytest.mark.databases("postgresql")
async def test_backends_killed_between_operations_go_unnoticed(
    service: adk_store.SessionService, db_url: str
) -> None:
    session = await _session_with_events(service, 2)
    await anyio.to_thread.run_sync(lambda: asyncio.run(_terminate_backends(db_url)))

    await service.append_event(session, Event(author="user"))
    stored = await service.get_session(**KEY)
    assert stored is not None
    assert len(stored.events) == 3


@pytest.mark.databases("postgresql")
async def test_server_restart_fails_the_write_in_flight_and_the_next_write_works(
    service: adk_store.SessionService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    server = request.getfixturevalue("postgres").server
    if server is None:
        pytest.skip("the PostgreSQL server is external (ADK_STORE_TEST_POSTGRES_URL)")

    async def restart() -> None:
        await asyncio.to_thread(server.restart)

    await _assert_fails_then_recovers(service, monkeypatch, restart)


@pytest.mark.databases("postgresql")
async def test_server_restart_between_operations_goes_unnoticed(
    service: adk_store.SessionService, db_url: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("postgres").server
    if server is None:
        pytest.skip("the PostgreSQL server is external (ADK_STORE_TEST_POSTGRES_URL)")
    session = await _session_with_events(service, 2)
    await anyio.to_thread.run_sync(server.restart)

    await service.append_event(session, Event(author="user"))
    stored = await service.get_session(**KEY)
    assert stored is not None
    assert len(stored.events) == 3


KILL_AFTER_ACKS = 100
WRITERS = 4


async def _run_and_kill_writer(db_url: str, anyio_backend: str) -> list[list[Any]]:
    """Start a writer process, SIGKILL it after some acknowledged appends, return its acks."""
    command = worker_command(db_url, anyio_backend, 1000, range(WRITERS))
    output = ""
    async with await anyio.open_process(command, cwd=REPO_ROOT) as process:
        assert process.stdout is not None
        async for chunk in TextReceiveStream(process.stdout):
            output += chunk
            if output.count("\n") >= KILL_AFTER_ACKS:
                process.kill()
                break
        async for chunk in TextReceiveStream(process.stdout):
            output += chunk
        assert await process.wait() == -9
    complete_lines = output.split("\n")[:-1]
    return [json.loads(line)["ack"] for line in complete_lines]


def _check_sqlite_file(path: str) -> dict[str, list[tuple[int, str, str]]]:
    """Integrity-check the file; the events of each session as (seq, id, actions)."""
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        events: dict[str, list[tuple[int, str, str]]] = {}
        for session_id in SESSIONS:
            rows = connection.execute(
                "SELECT seq, id, actions FROM adk_events WHERE session_id = ? ORDER BY seq",
                (session_id,),
            ).fetchall()
            events[session_id] = rows
    return events


@pytest.mark.databases("sqlite")
async def test_sqlite_writer_killed_mid_append_leaves_a_clean_consistent_file(
    service: adk_store.SessionService, db_url: str, anyio_backend: str
) -> None:
    await create_sessions(service)

    acks = await _run_and_kill_writer(db_url, anyio_backend)

    assert len(acks) >= KILL_AFTER_ACKS
    events = await anyio.to_thread.run_sync(_check_sqlite_file, sqlite_path(db_url))
    stored_ids = {event_id for rows in events.values() for _, event_id, _ in rows}
    lost = [event_id for _, event_id, _ in acks if event_id not in stored_ids]
    assert lost == [], f"acknowledged appends lost by the crash: {lost}"
    for session_id, revision_rows in zip(
        SESSIONS, [await _revision(db_url, s) for s in SESSIONS], strict=True
    ):
        rows = events[session_id]
        assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
        assert revision_rows == len(rows), f"{session_id}: revision disagrees with its events"
    for writer in range(WRITERS):
        user_id, session_id = session_of(writer)
        indexes = [
            json.loads(actions)["state_delta"][f"w{writer}"]
            for _, event_id, actions in events[session_id]
            if event_id.startswith(f"w{writer}-")
        ]
        assert indexes == list(range(len(indexes)))
        stored = await service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
        assert stored is not None
        if indexes:
            for key in (f"w{writer}", f"user:w{writer}", f"app:w{writer}"):
                assert stored.state[key] == indexes[-1], f"{key} disagrees with the events"
    session = await service.get_session(app_name=APP, user_id=USERS[0], session_id=SESSIONS[0])
    assert session is not None
    await service.append_event(session, Event(author="user"))


async def _revision(db_url: str, session_id: str) -> int:
    rows = await raw_fetch(db_url, "SELECT revision FROM adk_sessions WHERE id = ?", session_id)
    return int(rows[0][0])
