"""Cancelling a call from outside after a given number of scheduler checkpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel


async def cancel_after(checkpoints: int, call: Callable[[], Awaitable[Any]]) -> None:
    """Run ``call()``, cancelling it once a sibling task has passed ``checkpoints`` yields."""
    with anyio.CancelScope() as scope:

        async def cancel_later() -> None:
            for _ in range(checkpoints):
                await anyio.lowlevel.checkpoint()
            scope.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(cancel_later)
            await call()
