"""Where database work runs, and how a caller's cancellation reaches it.

``databases``, asyncpg and aiosqlite only run on an asyncio event loop. Every database
operation therefore runs as its own asyncio task on *the service's loop*:

* under asyncio, that is the caller's loop (:class:`AsyncioBridge`);
* under trio, it is a private asyncio loop in a daemon thread (:class:`TrioThreadBridge`); the trio
  task waits for the result without blocking its own loop.

Either way, when the caller is cancelled the operation is cancelled through an anyio cancel
scope around it, and the caller waits, shielded, until it has finished. Because the scope is
anyio's, the operation's own shielded sections (a ``COMMIT`` once sent, a ``ROLLBACK``) run to
their end. So a cancelled call either rolled back completely or committed completely (and then
finished its in-memory bookkeeping); the connection is clean and the next call works.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import anyio
import sniffio

from .._errors import AdkStoreError

T = TypeVar("T")


class LoopBridge(Protocol):
    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation()`` on the service's asyncio loop and return its result."""
        ...

    async def aclose(self) -> None: ...

    def release_at_end(self, release: Callable[[], Awaitable[None]]) -> None:
        """Run ``release()`` on the service's loop when that loop (or the process) ends
        while the service is still open; a service that is never closed thus still closes
        its connections (and SQLite checkpoints its WAL) instead of hanging or complaining."""
        ...


def open_bridge() -> LoopBridge:
    """The bridge for the async library of the calling task."""
    library = sniffio.current_async_library()
    if library == "asyncio":
        return AsyncioBridge(asyncio.get_running_loop())
    if library == "trio":
        return TrioThreadBridge()
    raise AdkStoreError(f"adk-store runs under asyncio or trio, not {library!r}")


class _Cancelled(Exception):
    """The operation stopped because its caller was cancelled."""


class _CancellableOperation(Generic[T]):
    """One operation as an asyncio task whose cancellation goes through an anyio scope."""

    def __init__(self, operation: Callable[[], Awaitable[T]]) -> None:
        self._operation = operation
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False

    async def main(self) -> T:
        with anyio.CancelScope() as scope:
            self._scope = scope
            if self._cancel_requested:
                scope.cancel()
            return await self._operation()
        raise _Cancelled

    def cancel(self) -> None:
        """Ask the operation to stop; call it on the loop the operation runs on."""
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()


class AsyncioBridge:
    """Runs each operation as a child task of the caller's own loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._sentinel: asyncio.Task[None] | None = None

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        if sniffio.current_async_library() != "asyncio" or (
            asyncio.get_running_loop() is not self._loop
        ):
            raise AdkStoreError(
                "this service was opened on another event loop; open one service per loop"
            )
        call = _CancellableOperation(operation)
        task = self._loop.create_task(call.main())
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            call.cancel()
            await _wait_shielded(task)
            raise

    async def aclose(self) -> None:
        if self._sentinel is not None:
            self._sentinel.cancel()
            self._sentinel = None

    def release_at_end(self, release: Callable[[], Awaitable[None]]) -> None:
        # ``asyncio.run()`` cancels the tasks left when its main coroutine returns, and waits
        # for them, before it closes the loop: this one then releases the service.
        async def wait_for_the_end() -> None:
            try:
                await asyncio.get_running_loop().create_future()
            except asyncio.CancelledError:
                if self._sentinel is not None:  # not cancelled by aclose()
                    self._sentinel = None
                    await release()
                raise

        self._sentinel = self._loop.create_task(wait_for_the_end(), name="adk-store-release")


async def _wait_shielded(task: asyncio.Task[Any]) -> None:
    """Wait until ``task`` is done, ignoring further cancellation of the waiter."""
    with anyio.CancelScope(shield=True):
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
    if not task.cancelled():
        task.exception()


class _TrioSubmission:
    """One operation submitted from trio to the loop thread."""

    def __init__(self, operation: Callable[[], Awaitable[Any]], on_done: Callable[[], None]):
        self._operation = _CancellableOperation(operation)
        self._on_done = on_done
        self.outcome: tuple[bool, Any] | None = None

    def start(self) -> None:
        task = asyncio.get_running_loop().create_task(self._operation.main())
        # A done callback, not a try/finally in the task: a task cancelled before its first
        # step never runs its body, but its callbacks always run.
        task.add_done_callback(self._finish)

    def cancel(self) -> None:
        self._operation.cancel()

    def _finish(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self.outcome = (False, _Cancelled())
        elif task.exception() is not None:
            self.outcome = (False, task.exception())
        else:
            self.outcome = (True, task.result())
        self._on_done()


class TrioThreadBridge:
    """Runs operations on an asyncio loop in a daemon thread, for trio callers."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="adk-store-asyncio", daemon=True
        )
        self._thread.start()
        self._release: Callable[[], Awaitable[None]] | None = None

    def release_at_end(self, release: Callable[[], Awaitable[None]]) -> None:
        # The loop thread is a daemon: at interpreter exit, release the service on it first.
        self._release = release
        _OPEN_AT_EXIT.add(self)

    def _release_at_exit(self) -> None:
        release, self._release = self._release, None
        if release is None or not self._thread.is_alive():
            return

        async def run() -> None:
            await release()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(run(), self._loop).result(_EXIT_WAIT)

    def _submit(self, callback: Callable[[], None]) -> None:
        # A fresh context: the caller's says "trio" to sniffio, and the loop thread is asyncio.
        try:
            self._loop.call_soon_threadsafe(callback, context=contextvars.Context())
        except RuntimeError:
            raise AdkStoreError("the service is closed") from None

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        import trio

        if sniffio.current_async_library() != "trio":
            raise AdkStoreError("this service was opened under trio; call it from trio")
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()

        def wake() -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        call = _TrioSubmission(operation, wake)
        self._submit(call.start)
        try:
            await done.wait()
        except trio.Cancelled:
            self._submit(call.cancel)
            with trio.CancelScope(shield=True):
                await done.wait()
            raise
        assert call.outcome is not None
        succeeded, value = call.outcome
        if succeeded:
            return value  # type: ignore[no-any-return]
        if isinstance(value, _Cancelled):
            raise AdkStoreError("the operation was cancelled inside adk-store") from value
        raise value

    async def aclose(self) -> None:
        """Cancel what still runs on the loop, wait for it, then stop the loop and thread."""

        async def drain() -> None:
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self._loop.shutdown_asyncgens()
            await self._loop.shutdown_default_executor()

        self._release = None
        _OPEN_AT_EXIT.discard(self)

        def stop() -> None:
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(drain(), self._loop).result()
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

        await anyio.to_thread.run_sync(stop)


_EXIT_WAIT = 10.0
"""Seconds the interpreter waits at exit for a never-closed trio-side service to release."""
_OPEN_AT_EXIT: weakref.WeakSet[TrioThreadBridge] = weakref.WeakSet()


@atexit.register
def _release_open_services() -> None:
    for bridge in list(_OPEN_AT_EXIT):
        bridge._release_at_exit()
