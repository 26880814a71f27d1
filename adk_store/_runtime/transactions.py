"""Explicit transactions on a held connection, and statements that commit on their own, both
safe against cancellation."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
from databases.core import Connection

from .._errors import DatabaseError

T = TypeVar("T")


async def run_to_completion(step: Awaitable[T]) -> T:
    """Await ``step`` even if the caller is cancelled meanwhile.

    For a statement that commits on its own: a caller cancelled while it runs still learns
    (and records) that it committed, instead of being left guessing.
    """
    with anyio.CancelScope(shield=True):
        outcome = await step
    return outcome  # noqa: RET504 (mypy: a cancel scope could swallow a return inside it)


@asynccontextmanager
async def write_transaction(connection: Connection, begin: str) -> AsyncIterator[None]:
    """Run the block in one transaction that takes the write lock up front.

    ``begin`` is the dialect's statement that opens such a transaction.

    Anything raised in the block, cancellation included, rolls the transaction back. Once the
    block has finished, ``COMMIT`` is shielded: a cancellation arriving then waits for the
    commit instead of leaving its outcome unknown. Rollbacks are shielded too; if one fails,
    :class:`DatabaseError` is raised and the connection must not be reused.
    """
    await connection.execute(begin)
    try:
        yield
    except BaseException:
        await _roll_back(connection)
        raise
    try:
        with anyio.CancelScope(shield=True):
            await connection.execute("COMMIT")
    except BaseException:
        # The failed COMMIT may have ended the transaction already; its error is the one
        # to report, and the pool drops the connection either way.
        with contextlib.suppress(DatabaseError):
            await _roll_back(connection)
        raise


async def _roll_back(connection: Connection) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await connection.execute("ROLLBACK")
        except Exception as rollback_error:
            raise DatabaseError(
                f"rolling back failed ({rollback_error}); the connection was dropped"
            ) from rollback_error
