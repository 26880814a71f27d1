"""Where database work runs, and how a caller's cancellation reaches it.

``databases``, asyncpg and aiosqlite only run on an asyncio event loop. Every database
operation therefore runs as its own asyncio task on *the service's loop*:

* under asyncio, that is the caller's loop (:class:`AsyncioRunner`);
* under trio, it is a private asyncio loop in a daemon thread (:class:`ThreadRunner`); the trio
  task waits for the result without blocking its own loop.

Either way, when the caller is cancelled the operation's task is cancelled exactly once and the
caller waits, shielded, until the task has finished rolling back. So a cancelled call leaves
the database as it was and the connection clean, and the next call works.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import anyio
import sniffio

from ._errors import AdkStoreError

T = TypeVar("T")


class Runner(Protocol):
    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation()`` on the service's asyncio loop and return its result."""
        ...

    async def aclose(self) -> None: ...


def open_runner() -> Runner:
    """The runner for the async library of the calling task."""
    library = sniffio.current_async_library()
    if library == "asyncio":
        return AsyncioRunner(asyncio.get_running_loop())
    if library == "trio":
        return ThreadRunner()
    raise AdkStoreError(f"adk-store runs under asyncio or trio, not {library!r}")


async def _as_task_result(operation: Callable[[], Awaitable[T]]) -> T:
    return await operation()


class AsyncioRunner:
    """Runs each operation as a child task of the caller's own loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        if sniffio.current_async_library() != "asyncio" or (
            asyncio.get_running_loop() is not self._loop
        ):
            raise AdkStoreError(
                "this service was opened on another event loop; open one service per loop"
            )
        task = self._loop.create_task(_as_task_result(operation))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.cancel()
            await _wait_shielded(task)
            raise

    async def aclose(self) -> None:
        return None


async def _wait_shielded(task: asyncio.Task[Any]) -> None:
    """Wait until ``task`` is done, ignoring further cancellation of the waiter."""
    with anyio.CancelScope(shield=True):
        while not task.done():
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                continue
    if not task.cancelled():
        task.exception()


class _Call:
    """One operation submitted from trio to the loop thread."""

    def __init__(self, operation: Callable[[], Awaitable[Any]], on_done: Callable[[], None]):
        self._operation = operation
        self._on_done = on_done
        self._task: asyncio.Task[Any] | None = None
        self.outcome: tuple[bool, Any] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(_as_task_result(self._operation))
        # A done callback, not a try/finally in the task: a task cancelled before its first
        # step never runs its body, but its callbacks always run.
        self._task.add_done_callback(self._finish)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _finish(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self.outcome = (False, asyncio.CancelledError())
        elif task.exception() is not None:
            self.outcome = (False, task.exception())
        else:
            self.outcome = (True, task.result())
        self._on_done()


class ThreadRunner:
    """Runs operations on an asyncio loop in a daemon thread, for trio callers."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="adk-store-asyncio", daemon=True
        )
        self._thread.start()

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        import trio

        if sniffio.current_async_library() != "trio":
            raise AdkStoreError("this service was opened under trio; call it from trio")
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()

        def wake() -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        call = _Call(operation, wake)
        # A fresh context: the caller's says "trio" to sniffio, and the loop thread is asyncio.
        self._loop.call_soon_threadsafe(call.start, context=contextvars.Context())
        try:
            await done.wait()
        except trio.Cancelled:
            self._loop.call_soon_threadsafe(call.cancel)
            with trio.CancelScope(shield=True):
                await done.wait()
            raise
        assert call.outcome is not None
        succeeded, value = call.outcome
        if succeeded:
            return value  # type: ignore[no-any-return]
        if isinstance(value, asyncio.CancelledError):
            raise AdkStoreError("the operation was cancelled inside adk-store") from value
        raise value

    async def aclose(self) -> None:
        def stop() -> None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

        await anyio.to_thread.run_sync(stop)
