"""adk-store on the application's own ``databases.Database``: no waits for ever, no commits
into the application's test transaction.

An application that hands adk-store its own ``Database`` shares that Database's connection
pool (PostgreSQL) with adk-store, and may be a test fixture with ``force_rollback=True``.
``databases`` runs on asyncio only, so the application's side of these tests does too.
"""

from __future__ import annotations

import anyio
import asyncpg
import databases
import pytest

import adk_store
from adk_store import Event, EventActions

from .._db import TABLES, asyncpg_dsn, raw_fetch, raw_script

pytestmark = [pytest.mark.reliability, pytest.mark.parametrize("anyio_backend", ["asyncio"])]

APP = "shared-app"
USER = "shared-user"
HANG_GUARD = 60
"""Seconds after which a call is declared hung (never reached when fixed)."""


def _small_pool(db_url: str, max_size: int) -> databases.Database:
    return databases.Database(db_url, min_size=1, max_size=max_size)


@pytest.mark.databases("postgresql")
async def test_more_calls_than_the_shared_pool_has_connections_all_finish(db_url: str) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await service.create_session(app_name=APP, user_id=USER, session_id="s")
    database = _small_pool(db_url, max_size=2)
    await database.connect()
    service = adk_store.SessionService(database)  # pool_size=5, more than the pool's 2
    found = []

    async def read() -> None:
        found.append(await service.get_session(app_name=APP, user_id=USER, session_id="s"))

    try:
        with anyio.fail_after(HANG_GUARD):
            async with anyio.create_task_group() as group:
                for _ in range(6):
                    group.start_soon(read)
            # adk-store holds none of the application's connections between calls.
            assert await database.fetch_val("SELECT 1") == 1
            await service.close()
    finally:
        with anyio.fail_after(HANG_GUARD):
            await database.disconnect()
    assert len(found) == 6
    assert all(session is not None and session.id == "s" for session in found)


@pytest.mark.databases("postgresql")
async def test_waiting_for_a_connection_raises_a_database_error_naming_the_pools(
    db_url: str,
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await service.create_session(app_name=APP, user_id=USER, session_id="s")
    database = _small_pool(db_url, max_size=1)
    await database.connect()
    service = adk_store.SessionService(database, pool_size=3, pool_timeout=0.2)
    try:
        await service.open()
        with anyio.fail_after(HANG_GUARD):
            async with database.connection() as connection:
                # The application holds the pool's only connection.
                assert await connection.fetch_val("SELECT 1") == 1
                with pytest.raises(adk_store.DatabaseError) as raised:
                    await service.get_session(app_name=APP, user_id=USER, session_id="s")
            message = str(raised.value)
            assert "pool_timeout" in message
            assert "up to 3 at once (pool_size)" in message
            assert "allows 1 (max_size)" in message
            # Once the application let go of its connection, calls work again.
            assert await service.get_session(app_name=APP, user_id=USER, session_id="s")
            await service.close()
    finally:
        await database.disconnect()


@pytest.mark.databases("postgresql")
async def test_the_application_may_disconnect_its_database_before_closing_the_service(
    db_url: str,
) -> None:
    database = _small_pool(db_url, max_size=3)
    await database.connect()
    service = adk_store.SessionService(database, create_schema=True, pool_size=3)
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    await service.append_event(session, Event(author="user"))
    assert await service.get_session(app_name=APP, user_id=USER, session_id="s")
    with anyio.fail_after(HANG_GUARD):
        await database.disconnect()
        await service.close()
    stored = await raw_fetch(db_url, "SELECT revision FROM adk_sessions")
    assert stored == [(1,)]


async def test_a_force_rollback_database_keeps_everything_in_its_outer_transaction(
    db_url: str,
) -> None:
    """The usual fixture for an application's tests: adk-store's work (and the application's
    own rows) are visible inside it, survive adk-store's failed statements, and are gone
    after disconnect."""
    async with adk_store.SessionService(db_url, create_schema=True):
        pass
    await raw_script(db_url, ["CREATE TABLE app_notes (note TEXT)"])
    database = databases.Database(db_url, force_rollback=True)
    await database.connect()
    try:
        await database.execute("INSERT INTO app_notes (note) VALUES ('from the app')")
        async with adk_store.SessionService(database) as service:
            session = await service.create_session(
                app_name=APP, user_id=USER, session_id="s", state={"app:n": 1, "k": 1}
            )
            stale = await service.get_session(app_name=APP, user_id=USER, session_id="s")
            assert stale is not None
            await service.append_event(
                session, Event(id="e1", author="user", actions=EventActions(state_delta={"k": 2}))
            )
            # Failed statements are undone without spoiling the outer transaction.
            with pytest.raises(adk_store.SessionExistsError):
                await service.create_session(app_name=APP, user_id=USER, session_id="s")
            with pytest.raises(adk_store.StaleSessionError):
                await service.append_event(stale, Event(author="user"))
            with pytest.raises(adk_store.EventExistsError):
                await service.append_event(session, Event(id="e1", author="user"))
            await service.append_event(session, Event(id="e2", author="user"))
            loaded = await service.get_session(app_name=APP, user_id=USER, session_id="s")
            assert loaded is not None
            assert [event.id for event in loaded.events] == ["e1", "e2"]
            assert loaded.state == {"app:n": 1, "k": 2}
            # Deleting takes the events along, even where SQLite's foreign keys are off.
            await service.delete_session(app_name=APP, user_id=USER, session_id="s")
            await service.create_session(app_name=APP, user_id=USER, session_id="s")
            again = await service.get_session(app_name=APP, user_id=USER, session_id="s")
            assert again is not None
            assert again.events == []
            listed = await service.list_sessions(app_name=APP, user_id=USER)
            assert [listed_session.id for listed_session in listed.sessions] == ["s"]
        assert await database.fetch_val("SELECT count(*) FROM app_notes") == 1
        assert await database.fetch_val("SELECT count(*) FROM adk_sessions") == 1
    finally:
        await database.disconnect()
    for table in (*TABLES, "app_notes"):
        assert await raw_fetch(db_url, f"SELECT * FROM {table}") == [], f"{table} kept rows"


@pytest.mark.databases("postgresql")
async def test_a_write_that_times_out_in_a_force_rollback_database_leaves_it_usable(
    db_url: str,
) -> None:
    """A write whose outcome would be looked up on a new connection elsewhere: here the one
    connection is the application's, and the write ran in a savepoint; ending its server
    process to look the write up would end the application's connection."""
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await service.create_session(
            app_name=APP, user_id=USER, session_id="first", state={"app:n": 1}
        )
    blocker = await asyncpg.connect(asyncpg_dsn(db_url))
    database = databases.Database(db_url, force_rollback=True)
    await database.connect()
    try:
        await blocker.execute("BEGIN")
        await blocker.execute("SELECT * FROM adk_app_states FOR UPDATE")
        service = adk_store.SessionService(database, write_timeout=0.5)
        with anyio.fail_after(HANG_GUARD), pytest.raises(adk_store.DatabaseError) as raised:
            await service.create_session(app_name=APP, user_id=USER, state={"app:n": 2})
        assert not isinstance(raised.value, adk_store.OutcomeUnknownError)
        await blocker.execute("ROLLBACK")

        assert await database.fetch_val("SELECT 1") == 1
        created = await service.create_session(app_name=APP, user_id=USER, session_id="next")
        assert created.id == "next"
        await service.close()
    finally:
        await blocker.close()
        await database.disconnect()
