"""A caller cancelled while its call opens the service leaves a service that opens normally.

The first call on a service opens it: connect the database, take and prepare a connection,
check or create the schema. A hook on ``databases`` (``Database.connect``, taking a connection,
every query) cancels the caller at each of those steps in turn, just before it runs or just
after it returned, the way a request timeout during a web app's first request would. After
each, the same service's next calls work and ``close()`` returns (a connection left taken by
the cancelled open would make it wait for ever).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import anyio
import databases
import pytest
from databases.core import Connection

import adk_store
from adk_store._runtime import Connection as HeldConnection

from .test_cancellation import POSITIONS, _caller_canceller

pytestmark = pytest.mark.reliability

APP = "open-app"
USER = "open-user"
MOST_STEPS = 40
SHIELD_WAIT = 0.3
"""Seconds a step waits to be cancelled before concluding it is shielded."""
HANG_GUARD = 60
"""Seconds after which a call that should return is declared hung (never reached when fixed)."""

Step = Callable[[], Awaitable[None]]


class OpenSteps:
    """Calls ``self.step`` before (or after) every step of ``databases`` the service takes
    (its queries go through the held connection, ``adk_store._runtime.Connection``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.before: Step | None = None
        self.after: Step | None = None
        # Connecting and taking a connection are interrupted only before they run: the code
        # after them runs with no await in between, so no cancellation can land "just after".
        for owner, name in ((databases.Database, "connect"), (Connection, "__aenter__")):
            monkeypatch.setattr(owner, name, self._wrap(getattr(owner, name), after=False))
        for name in ("execute", "fetch_one", "fetch_val", "fetch_all"):
            monkeypatch.setattr(HeldConnection, name, self._wrap(getattr(HeldConnection, name)))

    def _wrap(self, original: Callable[..., Awaitable[Any]], *, after: bool = True) -> Any:
        steps = self

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if steps.before is not None:
                await steps.before()
            result = await original(*args, **kwargs)
            if after and steps.after is not None:
                await steps.after()
            return result

        return wrapper


async def _cancel_at_step(
    steps: OpenSteps, position: str, n: int, call: Callable[[], Awaitable[Any]]
) -> bool:
    """Run ``call``, cancelling the caller at step ``n``; whether that step was reached."""
    seen = 0
    fired = False

    async def interrupt() -> None:
        nonlocal seen, fired
        seen += 1
        if seen == n and not fired:
            fired = True
            cancel_caller()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.get_running_loop().create_future(), SHIELD_WAIT)

    with anyio.CancelScope() as scope:
        cancel_caller = _caller_canceller(scope)
        if position == "before":
            steps.before = interrupt
        else:
            steps.after = interrupt
        try:
            await call()
        finally:
            steps.before = steps.after = None
    return fired


@pytest.mark.parametrize("position", POSITIONS)
async def test_a_cancelled_open_leaves_a_service_that_opens_and_closes(
    db_url: str, monkeypatch: pytest.MonkeyPatch, position: str
) -> None:
    async with adk_store.SessionService(db_url, create_schema=True):
        pass
    steps = OpenSteps(monkeypatch)
    interrupted = 0
    for n in range(1, MOST_STEPS):
        service = adk_store.SessionService(db_url)

        first_call = partial(
            service.create_session, app_name=APP, user_id=USER, session_id=f"first-{n}"
        )
        fired = await _cancel_at_step(steps, position, n, first_call)
        with anyio.fail_after(HANG_GUARD):
            created = await service.create_session(
                app_name=APP, user_id=USER, session_id=f"next-{n}"
            )
            loaded = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)
            assert loaded is not None, f"step {n}: the next call did not store its session"
            await service.close()
        if not fired:
            break
        interrupted += 1
    else:
        pytest.fail(f"opening and a first call took more than {MOST_STEPS} steps")
    assert interrupted >= 3, "opening took fewer steps than expected"
