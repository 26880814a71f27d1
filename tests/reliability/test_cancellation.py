"""A caller cancelled at any await point inside a write leaves all of it or none of it.

No sleeping: a :class:`QueryHook` counts the service's database calls and, at call ``n``
(just before it runs, or just after it returned), cancels the caller's cancel scope and then
blocks the database work until the service cancels it in turn. Cancellation thus reaches the
operation exactly there, the way a caller's timeout or a task-group failure would. Every
``n`` is tried, from "cancelled before the first call" until the operation runs out of
calls; after each, the database must hold the whole operation or nothing of it, and the same
service must keep working.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
import sniffio
from databases.core import Connection

import adk_store
from adk_store import Event, EventActions

from .._db import dump, placeholder, raw_fetch
from ._support import Call, QueryHook

pytestmark = pytest.mark.reliability

POSITIONS = ("before", "after")
APP = "cancel-app"
USER = "cancel-user"
MOST_CALLS = 30
SHIELD_WAIT = 1.0
"""Seconds a database call waits to be cancelled before concluding it is shielded."""
REPO_ROOT = Path(__file__).resolve().parents[2]


def _caller_canceller(scope: anyio.CancelScope) -> Callable[[], None]:
    """Cancels ``scope`` from the service's loop, whichever thread that loop runs on."""
    if sniffio.current_async_library() == "trio":
        import trio

        token = trio.lowlevel.current_trio_token()
        return lambda: token.run_sync_soon(scope.cancel)
    loop = asyncio.get_running_loop()
    return lambda: loop.call_soon_threadsafe(scope.cancel)


async def _cancel_at_call(
    hook: QueryHook, position: str, n: int, operation: Callable[[], Awaitable[Any]]
) -> bool:
    """Run ``operation``, cancelling the caller at database call ``n`` (from 1).

    Returns whether the cancellation happened; ``False`` means the operation made fewer than
    ``n`` calls and completed normally.
    """
    calls_seen = 0
    fired = False

    async def interrupt(connection: Connection, call: Call) -> None:
        nonlocal calls_seen, fired
        if fired:
            return
        calls_seen += 1
        if calls_seen == n:
            fired = True
            cancel_caller()
            # Wait for the service to cancel this database work in turn. Inside one of its
            # shielded sections (a COMMIT once sent, a ROLLBACK) it never does: the work
            # goes on and the caller sees its cancellation when the operation has finished.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.get_running_loop().create_future(), SHIELD_WAIT)

    with anyio.CancelScope() as scope:
        cancel_caller = _caller_canceller(scope)
        if position == "before":
            hook.before = interrupt
        else:
            hook.after = interrupt
        try:
            await operation()
        finally:
            hook.before = hook.after = None
    if fired:
        assert scope.cancelled_caught, "the cancelled caller did not see its cancellation"
    return fired


async def _load(service: adk_store.SessionService, session_id: str) -> adk_store.Session | None:
    return await service.get_session(app_name=APP, user_id=USER, session_id=session_id)


@pytest.mark.parametrize("position", POSITIONS)
async def test_cancelled_append_event_stores_all_or_nothing(
    service: adk_store.SessionService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    position: str,
) -> None:
    hook = QueryHook(recording=False).install(monkeypatch)
    await service.create_session(app_name=APP, user_id=USER, session_id="s", state={"base": 0})
    interrupted = 0
    for n in range(1, MOST_CALLS):
        before = await _load(service, "s")
        assert before is not None
        before_dump = await dump(db_url)
        delta = {f"k{n}": n, f"user:k{n}": n, f"app:k{n}": n}
        event = Event(author="agent", actions=EventActions(state_delta=dict(delta)))
        target = await _load(service, "s")
        assert target is not None

        fired = await _cancel_at_call(
            hook, position, n, partial(service.append_event, target, event)
        )

        after = await _load(service, "s")
        assert after is not None
        # The caller's session says what happened, even though the caller was cancelled.
        assert target.revision == after.revision, f"call {n}: the session object is out of date"
        assert [e.id for e in target.events] == [e.id for e in after.events], f"call {n}"
        if after.revision == before.revision:
            assert await dump(db_url) == before_dump, f"call {n}: a partial append is visible"
        else:
            assert after.revision == before.revision + 1, f"call {n}"
            assert [e.id for e in after.events] == [*(e.id for e in before.events), event.id]
            assert after.state == {**before.state, **delta}, f"call {n}: state half applied"
        if not fired:
            assert after.revision == before.revision + 1
            break
        interrupted += 1
        follow_up = Event(author="agent", actions=EventActions(state_delta={"follow": n}))
        await service.append_event(after, follow_up)
    else:
        pytest.fail(f"append_event made more than {MOST_CALLS} database calls")
    assert interrupted >= 1, "append_event made no database call to interrupt"


@pytest.mark.parametrize("position", POSITIONS)
async def test_cancelled_create_session_creates_all_or_nothing(
    service: adk_store.SessionService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    position: str,
) -> None:
    hook = QueryHook(recording=False).install(monkeypatch)
    interrupted = 0
    for n in range(1, MOST_CALLS):
        session_id = f"created-{n}"
        state = {"local": n, f"app:a{n}": n, f"user:u{n}": n}
        before_dump = await dump(db_url)

        fired = await _cancel_at_call(
            hook,
            position,
            n,
            partial(
                service.create_session,
                app_name=APP,
                user_id=USER,
                session_id=session_id,
                state=state,
            ),
        )

        created = await _load(service, session_id)
        if created is None:
            assert await dump(db_url) == before_dump, f"call {n}: a partial create is visible"
            await service.create_session(
                app_name=APP, user_id=USER, session_id=session_id, state=state
            )
            created = await _load(service, session_id)
            assert created is not None
        assert {key: created.state.get(key) for key in state} == state, f"call {n}"
        if not fired:
            break
        interrupted += 1
    else:
        pytest.fail(f"create_session made more than {MOST_CALLS} database calls")
    assert interrupted >= 1


@pytest.mark.parametrize("position", POSITIONS)
async def test_cancelled_delete_session_deletes_all_or_nothing(
    service: adk_store.SessionService,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    position: str,
) -> None:
    hook = QueryHook(recording=False).install(monkeypatch)
    mark = placeholder(db_url)
    interrupted = 0
    for n in range(1, MOST_CALLS):
        session_id = f"doomed-{n}"
        session = await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
        for _ in range(2):
            await service.append_event(session, Event(author="user"))
        before_dump = await dump(db_url)

        fired = await _cancel_at_call(
            hook,
            position,
            n,
            partial(service.delete_session, app_name=APP, user_id=USER, session_id=session_id),
        )

        if await _load(service, session_id) is not None:
            assert await dump(db_url) == before_dump, f"call {n}: a partial delete is visible"
        else:
            orphans = await raw_fetch(
                db_url,
                f"SELECT count(*) FROM adk_events WHERE session_id = {mark}",
                session_id,
            )
            assert orphans == [(0,)], f"call {n}: events outlived their session"
        await service.delete_session(app_name=APP, user_id=USER, session_id=session_id)
        assert await _load(service, session_id) is None
        if not fired:
            break
        interrupted += 1
    else:
        pytest.fail(f"delete_session made more than {MOST_CALLS} database calls")
    assert interrupted >= 1


HANG_LIMIT = 20
"""Seconds after which the pre-cancelled call is declared hung (it needs well under one)."""


async def test_call_from_an_already_cancelled_caller_does_nothing_and_returns(
    tmp_path: Path, anyio_backend: str
) -> None:
    """The runner, not the database, is under test here: a SQLite file is enough."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'precancelled.db'}"
    command = [sys.executable, "-m", "tests.reliability._precancelled", db_url, anyio_backend]
    with anyio.move_on_after(HANG_LIMIT) as timer:
        finished = await anyio.run_process(command, cwd=REPO_ROOT, check=False)
    assert not timer.cancelled_caught, "the cancelled call never returned"
    stderr = finished.stderr.decode(errors="replace")
    assert finished.returncode == 0, stderr
    assert finished.stdout.decode().strip() == "ok"
