"""Explicit transactions on a held connection, and statements that commit on their own, both
safe against cancellation.

Inside a ``databases.Database(..., force_rollback=True)`` everything already runs in one
outer transaction that is rolled back at disconnect (an application's test fixture). There a
write transaction is a savepoint instead, so adk-store never commits (or ends) the outer
transaction, and each operation runs in a savepoint of its own (:func:`operation_savepoint`),
so a failed statement is undone without aborting the outer transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

import anyio
import databases

from .._errors import DatabaseError
from .compiled import Connection

T = TypeVar("T")


async def run_to_completion(connection: Connection, step: Awaitable[T]) -> T:
    """Await ``step``, a statement on ``connection``, even if the caller is cancelled
    meanwhile, for at most the connection's ``write_timeout``.

    For a statement that commits on its own: a caller cancelled while it runs still learns
    (and records) that it committed, instead of being left guessing. A server that does not
    answer in time (a silent network) raises :class:`TimeoutError`; the statement may have
    been committed all the same, and the connection must be dropped.
    """
    with bounded_shield(connection):
        outcome = await step
    return outcome  # noqa: RET504 (mypy: a cancel scope could swallow a return inside it)


@contextlib.contextmanager
def bounded_shield(connection: Connection) -> Iterator[None]:
    """Shield the block from the caller's cancellation, for at most ``write_timeout``.

    Past that bound the block is cancelled and :class:`TimeoutError` raised: nothing
    shielded waits forever for a server that went silent (packets dropped, socket up).
    """
    limit = connection.write_timeout
    with anyio.CancelScope(shield=True) as scope:
        if limit is not None:
            scope.deadline = anyio.current_time() + limit
        yield
    if scope.cancelled_caught:
        raise TimeoutError(
            f"the database did not answer within {limit:g} s (write_timeout); "
            "the connection was dropped"
        )


@asynccontextmanager
async def write_transaction(connection: Connection, begin: str) -> AsyncIterator[None]:
    """Run the block in one transaction that takes the write lock up front.

    ``begin`` is the dialect's statement that opens such a transaction.

    Anything raised in the block, cancellation included, rolls the transaction back. Once the
    block has finished, ``COMMIT`` is shielded: a cancellation arriving then waits for the
    commit instead of leaving its outcome unknown. Rollbacks are shielded too; if one fails,
    :class:`DatabaseError` is raised and the connection must not be reused.
    """
    if _in_outer_transaction(connection):
        async with _savepoint(connection, "adk_store_write"):
            yield
        return
    await connection.execute(begin)
    try:
        yield
    except BaseException:
        await _roll_back(connection)
        raise
    try:
        with bounded_shield(connection):
            await connection.execute("COMMIT")
    except TimeoutError:
        raise  # the server is silent: a ROLLBACK would wait as long again
    except BaseException:
        # The failed COMMIT may have ended the transaction already; its error is the one
        # to report, and the pool drops the connection either way.
        with contextlib.suppress(DatabaseError):
            await _roll_back(connection)
        raise


def nested_in_outer_transaction(database: databases.Database) -> bool:
    """Whether ``database`` runs every query in one outer transaction (``force_rollback``)."""
    return getattr(database, "_global_connection", None) is not None


def _in_outer_transaction(connection: Connection) -> bool:
    held = connection.databases_connection
    database = getattr(held, "_database", None)
    return getattr(database, "_global_connection", None) is held


def operation_savepoint(connection: Connection) -> AbstractAsyncContextManager[None]:
    """One operation inside the outer transaction of a ``force_rollback`` Database."""
    return _savepoint(connection, "adk_store_operation")


@asynccontextmanager
async def _savepoint(connection: Connection, name: str) -> AsyncIterator[None]:
    await connection.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await _roll_back(connection, f"ROLLBACK TO SAVEPOINT {name}")
        with contextlib.suppress(Exception), bounded_shield(connection):
            await connection.execute(f"RELEASE SAVEPOINT {name}")
        raise
    with bounded_shield(connection):
        await connection.execute(f"RELEASE SAVEPOINT {name}")


async def _roll_back(connection: Connection, statement: str = "ROLLBACK") -> None:
    try:
        with bounded_shield(connection):
            await connection.execute(statement)
    except Exception as rollback_error:
        raise DatabaseError(
            f"rolling back failed ({rollback_error}); the connection was dropped"
        ) from rollback_error
