"""SQLite's write-ahead log under a long reader: it grows while the reader holds its snapshot
(SQLite cannot restart the log under it), and is cut back to ``WAL_SIZE_LIMIT`` once the
reader is gone and the next writes checkpoint it, instead of keeping its largest size."""

from __future__ import annotations

import sqlite3

import anyio
import pytest

import adk_store
from adk_store import Event
from adk_store.dialects.sqlite import WAL_SIZE_LIMIT

from .._db import sqlite_path

pytestmark = [pytest.mark.reliability, pytest.mark.databases("sqlite")]

KEY = {"app_name": "wal-app", "user_id": "wal-user", "session_id": "wal-session"}
TEXT = "x" * 100_000


async def test_the_wal_is_cut_back_after_a_long_reader_lets_go(
    service: adk_store.SessionService, db_url: str
) -> None:
    path = sqlite_path(db_url)
    wal = anyio.Path(f"{path}-wal")
    session = await service.create_session(**KEY)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM adk_events").fetchall()
    for _ in range(2 * WAL_SIZE_LIMIT // len(TEXT) + 10):
        await service.append_event(session, Event(author="user", content={"text": TEXT}))
    grown = (await wal.stat()).st_size

    reader.execute("COMMIT")
    reader.close()
    for _ in range(3):
        await service.append_event(session, Event(author="user"))

    assert grown > 2 * WAL_SIZE_LIMIT
    assert (await wal.stat()).st_size <= WAL_SIZE_LIMIT
