"""Explicit transactions on a held connection, safe against cancellation."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from databases.core import Connection

from ._dialects import Dialect
from ._errors import DatabaseError


@asynccontextmanager
async def write_transaction(connection: Connection, dialect: Dialect) -> AsyncIterator[None]:
    """Run the block in one transaction that takes the write lock up front.

    Anything raised in the block, cancellation included, rolls the transaction back. Once the
    block has finished, ``COMMIT`` is shielded: a cancellation arriving then waits for the
    commit instead of leaving its outcome unknown. Rollbacks are shielded too; if one fails,
    :class:`DatabaseError` is raised and the connection must not be reused.
    """
    await connection.execute(dialect.begin_write)
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
