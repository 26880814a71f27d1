"""Writes whose reply was lost: an append, a create or a delete on a writer connection, and
its outcome found out on a new connection when the old one failed after the write was sent.

:func:`sent_once` runs a write on a writer connection of the pool. When the connection fails
after the write was sent (PostgreSQL or MariaDB may have committed it, its reply lost), it
waits until the old server process is gone (until then the write may still commit) and looks
the write up on a new connection: found, the write succeeded; not found, the failure is the
whole truth; not to be found out in time, :class:`OutcomeUnknownError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from ._append import AppendOutcome, PreparedAppend, write_append
from ._errors import AdkStoreError, OutcomeUnknownError
from ._runtime import Connection, ConnectionPool
from ._store import Store
from ._telemetry import logger

T = TypeVar("T")


async def sent_once(
    pool: ConnectionPool,
    store: Store,
    write: Callable[[Connection], Awaitable[T]],
    look_up: Callable[[Connection], Awaitable[T | None]],
    unknown: Callable[[str], OutcomeUnknownError],
    *,
    find_out_within: float,
    committing: Callable[[], bool] = lambda: True,
) -> T:
    """``write`` on a writer connection; if that connection fails once the write was sent,
    what ``look_up`` finds on a new connection (for up to ``find_out_within`` seconds).

    ``look_up`` returns what ``write`` would have returned if the write is stored, ``None``
    if it is not (then the failure is raised), or raises :class:`OutcomeUnknownError`; when
    the database cannot be asked in time, ``unknown(reason)`` is raised. ``committing`` says
    whether the statement that commits had been reached when the write failed (a write in a
    transaction that failed before its ``COMMIT`` committed nothing).
    """
    server_process = None
    try:
        async with pool.writer() as connection:
            server_process = connection.server_process
            return await write(connection)
    except AdkStoreError:
        raise
    except Exception as failure:
        if (
            server_process is None
            or not committing()
            or not store.dialect.outcome_unknown(failure)
        ):
            raise
        logger.debug("a write failed after it was sent (%r); looking it up", failure)
        return await _find_out(
            pool, store, server_process, failure, find_out_within, look_up, unknown
        )


async def store_append(
    pool: ConnectionPool, append: PreparedAppend, store: Store, *, find_out_within: float
) -> AppendOutcome:
    """:func:`write_append` on a writer connection, found out as :func:`sent_once` says.

    Raises the failure itself when the append is known not to be stored, and
    :class:`OutcomeUnknownError` when that could not be found out.
    """

    async def write(connection: Connection) -> AppendOutcome:
        return await write_append(connection, append, store)

    async def look_up(connection: Connection) -> AppendOutcome | None:
        return await _stored_outcome(connection, append, store)

    def unknown(reason: str) -> OutcomeUnknownError:
        return OutcomeUnknownError(*append.names, event_id=append.event_id, reason=reason)

    return await sent_once(pool, store, write, look_up, unknown, find_out_within=find_out_within)


async def _find_out(
    pool: ConnectionPool,
    store: Store,
    server_process: int,
    failure: Exception,
    within: float,
    look_up: Callable[[Connection], Awaitable[T | None]],
    unknown: Callable[[str], OutcomeUnknownError],
) -> T:
    """Look the write up on a new connection, trying again until ``within`` runs out."""
    last_error: Exception = failure
    delay = 0.05
    with anyio.move_on_after(within):
        while True:
            try:
                async with pool.writer() as connection:
                    if connection.server_process == server_process:
                        # The same connection again (the one connection of an application's
                        # force_rollback Database): the write ran in a savepoint, rolled
                        # back or not there at all, and ending its server would end the
                        # application's connection.
                        raise failure
                    # Until the old server process is gone, the write may still commit.
                    await store.dialect.end_server_process(connection, server_process)
                    outcome = await look_up(connection)
            except OutcomeUnknownError:
                raise
            except Exception as error:
                if error is failure:
                    raise
                last_error = error
                await anyio.sleep(delay)
                delay = min(2 * delay, 1.0)
                continue
            if outcome is None:
                raise failure  # looked up: not stored, so the failure is the whole truth
            return outcome
    raise unknown(
        f"the connection failed after it was sent ({_describe(failure)}) and the "
        f"database could not be asked within {within:g} s ({_describe(last_error)})"
    ) from failure


async def _stored_outcome(
    connection: Connection, append: PreparedAppend, store: Store
) -> AppendOutcome | None:
    """What a successful append would have returned, if the event is stored unchanged in the
    caller's session; ``None`` if it is not stored (another event holding its id included)."""
    statements, codec = store.statements, store.codec
    session_row = await connection.fetch_one(statements.select_session, append.key)
    stored = None if session_row is None else codec.session_from_row(session_row, [])
    if stored is None or (append.created is not None and stored.create_time != append.created):
        # Deleted (or deleted and created again): a committed append went with it.
        raise OutcomeUnknownError(
            *append.names,
            event_id=append.event_id,
            reason="the connection failed after it was sent, and the session was deleted since",
        )
    since = codec.events_from_rows(
        await connection.fetch_all(
            statements.select_events_between,
            {
                **append.key,
                "after_seq": append.expected_revision,
                "before_seq": stored.revision + 1,
            },
        )
    )
    position = next(
        (index for index, event in enumerate(since) if event.id == append.event_id), None
    )
    if position is None or since[position] != append.stored_event:
        return None
    revision = append.expected_revision + 1 + position
    logger.debug("a failed append was committed after all, at revision %d", revision)
    if position == 0:
        return AppendOutcome(revision, [], None)
    return AppendOutcome(
        stored.revision, since[:position], stored, later_events=since[position + 1 :]
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
