"""A separate process whose caller is already cancelled when it calls the service.

    python -m tests.reliability._precancelled DB_URL BACKEND

Prints ``ok`` when the cancelled call left nothing behind and the next call worked. It runs in
a process of its own so that the parent can detect a hang and kill it.

Under trio the service's loop runs in another thread, and a call queues its operation there.
To make "cancelled before the operation started" deterministic, another call holds that loop
busy (its first query blocks the thread) while the cancelled call queues its operation and
its cancellation; only then is the loop let go, so it sees both at once.
"""

from __future__ import annotations

import sys
import threading

import anyio
import pytest
from databases.core import Connection

import adk_store

from ._support import Call, QueryHook

KEY = {"app_name": "app", "user_id": "user", "session_id": "session"}


async def _cancelled_call(service: adk_store.SessionService) -> None:
    with anyio.CancelScope() as scope:
        scope.cancel()
        await service.create_session(**KEY)
    assert scope.cancelled_caught


async def _cancelled_while_the_loop_is_busy(service: adk_store.SessionService) -> None:
    import trio.testing

    entered, release = threading.Event(), threading.Event()
    hook = QueryHook(recording=False)
    patch = pytest.MonkeyPatch()
    hook.install(patch)

    async def block_the_loop(connection: Connection, call: Call) -> None:
        hook.before = None
        entered.set()
        release.wait()

    async def busy_call() -> None:
        await service.get_app_state(app_name="app")

    async def release_when_all_wait() -> None:
        await trio.testing.wait_all_tasks_blocked()
        release.set()

    hook.before = block_the_loop
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(busy_call)
            await anyio.to_thread.run_sync(entered.wait)
            group.start_soon(release_when_all_wait)
            await _cancelled_call(service)
    finally:
        patch.undo()


async def _main(db_url: str, backend: str) -> None:
    async with adk_store.SessionService(db_url, create_schema=True) as service:
        if backend == "trio":
            await _cancelled_while_the_loop_is_busy(service)
        else:
            await _cancelled_call(service)
        assert await service.get_session(**KEY) is None
        await service.create_session(**KEY)
        assert await service.get_session(**KEY) is not None
    print("ok", flush=True)


if __name__ == "__main__":
    anyio.run(_main, sys.argv[1], sys.argv[2], backend=sys.argv[2])
