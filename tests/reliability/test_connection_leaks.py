"""Cancelled calls never leave connections behind, and never more than the pool allows.

A storm of 200 appends, each alongside six reads and all of them cancelled a little later
than the round before (from before they start to after they finished), on a service with
``pool_size=3``. Meanwhile and afterwards,
the connections open to the database are counted: SQLite file handles of this process
(readers plus the one writer), PostgreSQL server connections of this database. After
``close()`` none may be left, without any help from the garbage collector.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import pytest

import adk_store
from adk_store import Event

from .._db import database_name, is_mysql, is_sqlite, raw_fetch, sqlite_path

pytestmark = pytest.mark.reliability

POOL_SIZE = 3
STORM = 200
HANG_GUARD = 60
CONCURRENT_READS = 2 * POOL_SIZE


async def _read(service: adk_store.SessionService) -> None:
    await service.get_session(app_name="a", user_id="u", session_id="s")


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _open_connections(db_url: str) -> int:
    if is_sqlite(db_url):
        path = sqlite_path(db_url)  # tmp_path: already absolute and resolved
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == path:
                    count += 1
            except OSError:
                continue
        return count
    if is_mysql(db_url):
        query = (
            "SELECT count(*) FROM information_schema.PROCESSLIST "
            "WHERE DB = %s AND ID <> CONNECTION_ID()"
        )
    else:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
        )
    rows = await raw_fetch(db_url, query, database_name(db_url))
    return int(rows[0][0])


async def _until_none_open(db_url: str) -> int:
    """Server processes end a moment after their client closed; wait for that, not longer."""
    with anyio.move_on_after(HANG_GUARD):
        while await _open_connections(db_url):  # noqa: ASYNC110 (polling the server)
            await anyio.sleep(0.05)
    return await _open_connections(db_url)


async def test_cancelled_appends_leak_no_connections(db_url: str) -> None:
    bound = POOL_SIZE + 1 if is_sqlite(db_url) else POOL_SIZE  # SQLite: readers + the writer
    most_open = 0
    with _no_garbage_collection():
        service = adk_store.SessionService(db_url, create_schema=True, pool_size=POOL_SIZE)
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        cancelled = 0
        for index in range(STORM):
            with anyio.CancelScope() as scope:
                scope.deadline = anyio.current_time() + (index % 40) * 0.0002
                async with anyio.create_task_group() as group:
                    for _ in range(CONCURRENT_READS):
                        group.start_soon(_read, service)
                    await service.append_event(session, Event(author="user"))
            cancelled += scope.cancelled_caught
            if index % 10 == 0:
                most_open = max(most_open, await _open_connections(db_url))
                reloaded = await service.get_session(app_name="a", user_id="u", session_id="s")
                assert reloaded is not None
                session = reloaded
        most_open = max(most_open, await _open_connections(db_url))
        with anyio.fail_after(HANG_GUARD):
            await service.close()
        left = await _until_none_open(db_url)
    assert cancelled > STORM // 4, "the storm hardly cancelled anything"
    assert most_open <= bound, f"{most_open} connections open with pool_size={POOL_SIZE}"
    assert left == 0, f"{left} connections left open after close()"
