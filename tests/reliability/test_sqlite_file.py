"""A SQLite file deleted or replaced under an open service is noticed, and nothing is written.

Without the check, appends went on being acknowledged into the deleted file (and were lost),
and a replacement renamed over the path received the old service's WAL.
"""

from __future__ import annotations

import os

import pytest

import adk_store
from adk_store import Event

from .._db import dump, sqlite_path

pytestmark = [pytest.mark.reliability, pytest.mark.databases("sqlite")]


def _remove_database_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


async def test_a_deleted_file_is_refused(service: adk_store.SessionService, db_url: str) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.append_event(session, Event(author="user"))
    _remove_database_files(sqlite_path(db_url))
    for _ in range(2):
        with pytest.raises(adk_store.DatabaseError, match="deleted or replaced"):
            await service.append_event(session, Event(author="user"))
        with pytest.raises(adk_store.DatabaseError, match="deleted or replaced"):
            await service.get_session(app_name="a", user_id="u", session_id="s")


async def test_a_replaced_file_is_refused_and_left_untouched(
    service: adk_store.SessionService, db_url: str, tmp_path: str
) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.append_event(session, Event(author="user"))
    other_url = f"sqlite+aiosqlite:///{tmp_path}/other.db"
    async with adk_store.SessionService(other_url, create_schema=True) as other:
        await other.create_session(app_name="a", user_id="u", session_id="s")
    path = sqlite_path(db_url)
    _remove_database_files(path)
    os.replace(sqlite_path(other_url), path)
    before = await dump(db_url)
    with pytest.raises(adk_store.DatabaseError, match="deleted or replaced"):
        await service.append_event(session, Event(author="user"))
    await service.close()
    assert await dump(db_url) == before, "the replacement file was written to"
    async with adk_store.SessionService(db_url) as reopened:
        stored = await reopened.get_session(app_name="a", user_id="u", session_id="s")
        assert stored is not None
        assert stored.events == []
