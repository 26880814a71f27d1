"""Schema version 2 (memories) on a filled version-1 database: several processes upgrade at
once, every session stays, and memories work at once; going back to 1 drops only them, and
needs ``force`` only while memories are stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import adk_store
from adk_store import MemoryService, NewMemory, _migrations
from adk_store._migrations import migrations_root
from adk_store._runtime import ConnectionPool

from .._db import raw_fetch
from ..operations._contents import fill_store

ROOT = Path(__file__).resolve().parents[2]
SESSION_TABLES = ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states")


def start_upgrade(url: str, target: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    worker = ROOT / "tests" / "_migrate_worker.py"
    return subprocess.Popen(
        [sys.executable, str(worker), url, str(migrations_root()), str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


async def session_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(await raw_fetch(url, f"SELECT * FROM {table}"), key=repr)
        for table in SESSION_TABLES
    }


async def test_three_processes_upgrade_a_filled_version_1_store_to_memories(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = start_upgrade(db_url, 1)
    assert first.communicate(timeout=120)[0].strip() == "0"
    with monkeypatch.context() as version_1:
        version_1.setattr(_migrations, "SCHEMA_VERSION", 1)
        async with adk_store.SessionService(db_url) as service:
            sessions = await fill_store(service, sessions_per_user=2, events_per_session=3)
    before = await session_rows(db_url)

    workers = [start_upgrade(db_url, 2) for _ in range(3)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]

    for worker, (_, stderr) in zip(workers, outcomes, strict=True):
        assert worker.returncode == 0, stderr
    assert sorted(stdout.strip() for stdout, _ in outcomes) == ["1", "2", "2"]
    versions = "SELECT version FROM adk_schema_versions ORDER BY version"
    assert await raw_fetch(db_url, versions) == [(1,), (2,)]
    assert await session_rows(db_url) == before
    async with adk_store.SessionService(db_url) as service:
        memory = MemoryService(service)
        stored = await memory.add_session(sessions[0])
        assert stored == len(sessions[0].events)
        found = await memory.search(
            app_name=sessions[0].app_name, user_id=sessions[0].user_id, query="héllo"
        )
        assert {m.session_id for m in found} == {sessions[0].id}


async def back_to_version_1(db_url: str, *, force: bool) -> int:
    """Take the store at ``db_url`` back to schema version 1 as adk-store's own downgrade
    does; the version found before."""
    async with adk_store.SessionService(db_url) as service:
        dialect, statements = service.store.dialect, service.store.statements

        async def downgrade(pool: ConnectionPool) -> int:
            async with pool.writer() as connection:
                return await _migrations.downgrade(
                    connection, dialect, statements, target=1, force=force
                )

        return await service.store.connector.call("downgrade", downgrade)


async def memory_tables(db_url: str) -> list[tuple[object, ...]]:
    if db_url.startswith("sqlite"):
        query = "SELECT name FROM sqlite_master WHERE name LIKE 'adk_memor%'"
    elif db_url.startswith("mysql"):
        query = (
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'adk_memor%'"
        )
    else:
        query = "SELECT relname FROM pg_class WHERE relname LIKE 'adk_memor%'"
    return await raw_fetch(db_url, query)


async def test_going_back_to_version_1_keeps_the_sessions_without_force(db_url: str) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await fill_store(service, sessions_per_user=1, events_per_session=2)
    before = await session_rows(db_url)

    assert await back_to_version_1(db_url, force=False) == 2

    assert await raw_fetch(db_url, "SELECT version FROM adk_schema_versions") == [(1,)]
    assert await session_rows(db_url) == before
    assert await memory_tables(db_url) == []


async def test_going_back_to_version_1_refuses_while_memories_are_stored_unless_forced(
    db_url: str,
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        await fill_store(service, sessions_per_user=1, events_per_session=2)
        await MemoryService(service).add_memories(
            app_name="tutor", user_id="ada", memories=[NewMemory(text="likes tides")]
        )
    before = await session_rows(db_url)

    with pytest.raises(adk_store.StoreNotEmptyError, match="holds 1 memory") as refused:
        await back_to_version_1(db_url, force=False)

    assert (refused.value.sessions, refused.value.memories) == (0, 1)
    assert await raw_fetch(db_url, "SELECT text FROM adk_memories") == [("likes tides",)]
    assert await back_to_version_1(db_url, force=True) == 2
    assert await raw_fetch(db_url, "SELECT version FROM adk_schema_versions") == [(1,)]
    assert await session_rows(db_url) == before
    assert await memory_tables(db_url) == []
