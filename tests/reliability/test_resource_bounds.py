"""Reads cost what they return, not what is stored.

* The 10 most recent events of a 50,000-event session: the client receives 11 rows (the
  session and 10 events), and the database itself touches only those rows (PostgreSQL:
  ``EXPLAIN ANALYZE`` row counts; MariaDB: the rows ``ANALYZE`` says each table access read;
  SQLite: virtual-machine steps, counted with a progress handler, are no more than for a
  20-event session).
* A paginated ``list_sessions`` walk over thousands of sessions: the peak of traced memory
  while walking them all stays within a small multiple of fetching one page.

Work and memory are measured, never time. The big data is inserted with the plain driver by
copying a row the service itself wrote, so it is valid data.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from typing import Any

import pytest
from databases.core import Connection

import adk_store
from adk_store import Event, GetSessionConfig

from .._db import is_mysql, is_sqlite, placeholder, raw_executemany, raw_fetch, raw_script
from ._support import Call, QueryHook

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

APP = "bounds-app"
USER = "bounds-user"
BIG_SESSION_EVENTS = int(os.environ.get("ADK_STORE_BIG_SESSION_EVENTS", "50000"))
LISTED_SESSIONS = 3000
PAGE = 50


def _placeholders(db_url: str, count: int) -> str:
    return ", ".join(placeholder(db_url, n) for n in range(1, count + 1))


def _as_text(db_url: str) -> str:
    """The cast that reads a JSON column as its text (PostgreSQL's JSONB is not text)."""
    return "::text" if db_url.startswith("postgresql") else ""


def _as_jsonb(db_url: str, marks: str, *numbers: int) -> str:
    """``marks`` with the given placeholders cast to JSONB on PostgreSQL."""
    if not db_url.startswith("postgresql"):
        return marks
    for number in numbers:
        marks = marks.replace(f"${number}", f"${number}::jsonb")
    return marks


async def _clone_events(db_url: str, session_id: str, total: int) -> None:
    """Fill the session with ``total`` events copied from its first (real) event."""
    cast = _as_text(db_url)
    rows = await raw_fetch(
        db_url,
        f"SELECT app_name, user_id, session_id, seq, id, invocation_id, author, branch, "
        f"timestamp, error_code, error_message, content{cast}, actions{cast}, "
        f"extra_fields{cast} FROM adk_events WHERE session_id = "
        f"{placeholder(db_url)}",
        session_id,
    )
    (template,) = rows
    clones = []
    for seq in range(2, total + 1):
        row = list(template)
        row[3], row[4], row[8] = seq, f"event-{seq}", template[8] + seq
        clones.append(tuple(row))
    marks = _as_jsonb(db_url, _placeholders(db_url, 14), 12, 13, 14)
    await raw_executemany(db_url, f"INSERT INTO adk_events VALUES ({marks})", clones)
    await raw_script(
        db_url,
        [
            f"UPDATE adk_sessions SET revision = {total}, "
            f"update_time = update_time + {total} WHERE id = '{session_id}'"
        ],
    )


async def _session_with_events(
    service: adk_store.SessionService, db_url: str, session_id: str, total: int
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    await service.append_event(
        session, Event(author="user", content={"parts": [{"text": "hello"}]}, timestamp=1e9)
    )
    await _clone_events(db_url, session_id, total)


class _WorkMeter:
    """Measures the database work of the service's event queries.

    PostgreSQL: the rows every plan node produced, from ``EXPLAIN ANALYZE`` of the same query
    with the same values; MariaDB: the rows every table access read, from ``ANALYZE``.
    SQLite: virtual-machine steps (in units of 100 instructions).
    """

    def __init__(self, db_url: str) -> None:
        self.sqlite = is_sqlite(db_url)
        self.mysql = is_mysql(db_url)
        self.work = 0
        self._explaining = False

    async def before(self, connection: Connection, call: Call) -> None:
        if self.sqlite and call.method == "fetch_all":
            await connection.raw_connection.set_progress_handler(self._step, 100)

    def _step(self) -> int:
        self.work += 1
        return 0

    async def after(self, connection: Connection, call: Call) -> None:
        if call.method != "fetch_all" or self._explaining:
            return
        if self.sqlite:
            await connection.raw_connection.set_progress_handler(None, 100)
            return
        self._explaining = True
        explain = "ANALYZE FORMAT=JSON" if self.mysql else "EXPLAIN (ANALYZE, FORMAT JSON)"
        try:
            plan = await connection.fetch_val(f"{explain} {call.query}", call.values)
        finally:
            self._explaining = False
        if self.mysql:
            self.work += _rows_read_by_tables(json.loads(plan))
        else:
            self.work += _rows_in_plan(json.loads(plan)[0]["Plan"])


def _rows_in_plan(node: dict[str, Any]) -> int:
    rows = int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
    return rows + sum(_rows_in_plan(child) for child in node.get("Plans", []))


def _rows_read_by_tables(node: Any) -> int:
    """The rows every table access of a MariaDB ``ANALYZE FORMAT=JSON`` plan read."""
    if isinstance(node, list):
        return sum(_rows_read_by_tables(child) for child in node)
    if not isinstance(node, dict):
        return 0
    rows = 0
    if "table_name" in node:
        rows = int((node.get("r_rows") or 0) * (node.get("r_loops") or 1))
    return rows + sum(_rows_read_by_tables(child) for child in node.values())


async def _recent_ten(
    service: adk_store.SessionService, db_url: str, monkeypatch: pytest.MonkeyPatch, sid: str
) -> tuple[list[str], int, int]:
    """Ids of the 10 most recent events, rows the client received, database work."""
    meter = _WorkMeter(db_url)
    hook = QueryHook(before=meter.before, after=meter.after).install(monkeypatch)
    loaded = await service.get_session(
        app_name=APP, user_id=USER, session_id=sid, config=GetSessionConfig(10)
    )
    monkeypatch.undo()
    hook.calls = [
        call for call in hook.calls if not str(call.query).startswith(("EXPLAIN", "ANALYZE"))
    ]
    assert loaded is not None
    return [event.id for event in loaded.events], hook.rows_returned(), meter.work


async def test_recent_events_of_a_huge_session_touch_only_those_rows(
    service: adk_store.SessionService, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _session_with_events(service, db_url, "small", 20)
    await _session_with_events(service, db_url, "big", BIG_SESSION_EVENTS)

    small_ids, small_rows, small_work = await _recent_ten(service, db_url, monkeypatch, "small")
    big_ids, big_rows, big_work = await _recent_ten(service, db_url, monkeypatch, "big")

    total = BIG_SESSION_EVENTS
    assert big_ids == [f"event-{seq}" for seq in range(total - 9, total + 1)]
    assert small_ids == [f"event-{seq}" for seq in range(11, 21)]
    assert big_rows == small_rows == 11, "the client received more rows than it returned"
    print(f"\n{service.dialect_name}: work for 10 of 20 = {small_work}, of {total} = {big_work}")
    if is_sqlite(db_url):
        assert big_work <= 2 * small_work + 10, "the read visited far more than 10 events"
    else:
        assert big_work <= 50, "the plan touched far more rows than the 10 it returned"


async def _fill_app_with_sessions(
    service: adk_store.SessionService, db_url: str, total: int
) -> None:
    """``total`` sessions of about 2 KB of state each, copied from one the service created."""
    await service.create_session(
        app_name=APP, user_id=USER, session_id="session-0", state={"blob": "x" * 2000}
    )
    cast = _as_text(db_url)
    (template,) = await raw_fetch(
        db_url,
        f"SELECT app_name, user_id, id, state{cast}, revision, create_time, update_time "
        "FROM adk_sessions",
    )
    clones = []
    for number in range(1, total):
        row = list(template)
        row[2], row[6] = f"session-{number}", template[6] + number
        clones.append(tuple(row))
    marks = _as_jsonb(db_url, _placeholders(db_url, 7), 4)
    await raw_executemany(db_url, f"INSERT INTO adk_sessions VALUES ({marks})", clones)


async def test_paginated_listing_walk_holds_memory_flat(
    service: adk_store.SessionService, db_url: str
) -> None:
    await _fill_app_with_sessions(service, db_url, LISTED_SESSIONS)
    await service.list_sessions(app_name=APP, limit=PAGE)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await service.list_sessions(app_name=APP, limit=PAGE)
        one_page = tracemalloc.get_traced_memory()[1] - base

        seen = 0
        last_id = None
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        token = None
        while True:
            page = await service.list_sessions(app_name=APP, limit=PAGE, page_token=token)
            seen += len(page.sessions)
            last_id = page.sessions[-1].id
            token = page.next_page_token
            del page
            if token is None:
                break
        walk = tracemalloc.get_traced_memory()[1] - base

        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        everything = await service.list_sessions(app_name=APP)
        unpaginated = tracemalloc.get_traced_memory()[1] - base
        del everything
    finally:
        tracemalloc.stop()

    assert seen == LISTED_SESSIONS
    assert last_id == f"session-{LISTED_SESSIONS - 1}"
    print(
        f"\n{service.dialect_name}: peak KiB one page {one_page // 1024}, "
        f"walk of {LISTED_SESSIONS} {walk // 1024}, unpaginated {unpaginated // 1024}"
    )
    assert unpaginated > 10 * one_page, "the meter cannot tell one page from all sessions"
    assert walk < 3 * one_page, "memory grew while walking the pages"
