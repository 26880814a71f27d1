"""Explicit transactions on a held connection, safe against cancellation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from databases.core import Connection

from ._errors import DatabaseError

if TYPE_CHECKING:
    from ._dialects import Dialect


@asynccontextmanager
async def write_transaction(connection: Connection, dialect: Dialect) -> AsyncIterator[None]:
    """Run the block in one transaction that takes the write lock up front.

    Anything raised in the block, cancellation included, rolls the transaction back; the
    rollback itself is shielded so a cancelled caller cannot leave it half done. If even the
    rollback fails, :class:`DatabaseError` is raised and the connection must not be reused.
    """
    await connection.execute(dialect.begin_write)
    try:
        yield
        await connection.execute("COMMIT")
    except BaseException:
        with anyio.CancelScope(shield=True):
            try:
                await connection.execute("ROLLBACK")
            except Exception as rollback_error:
                raise DatabaseError(
                    f"rolling back failed ({rollback_error}); the connection was dropped"
                ) from rollback_error
        raise
