"""Deleting a session: its events and its row in one transaction.

When the connection fails after the ``COMMIT`` was sent, the session is looked up on a new
connection (see :func:`~adk_store._append_outcome.sent_once`): gone, the delete succeeded
(whoever deleted it, the caller's wish holds); still there, the failure is raised.
"""

from __future__ import annotations

from ._append_outcome import sent_once
from ._errors import OutcomeUnknownError
from ._runtime import Connection, ConnectionPool
from ._store import Store


async def write_delete(
    pool: ConnectionPool, key: dict[str, str], store: Store, *, find_out_within: float
) -> None:
    """Delete the session under ``key`` (``app_name``, ``user_id``, ``session_id``) and its
    events; a missing session is not an error."""
    statements = store.statements

    async def write(connection: Connection) -> bool:
        async with store.write_transaction(connection):
            await connection.execute(statements.delete_events, key)
            await connection.execute(statements.delete_session, key)
        return True

    async def look_up(connection: Connection) -> bool | None:
        return (
            True if await connection.fetch_one(statements.select_revision, key) is None else None
        )

    def unknown(reason: str) -> OutcomeUnknownError:
        names = key["app_name"], key["user_id"], key["session_id"]
        return OutcomeUnknownError(*names, event_id=None, reason=reason, deleting=True)

    await sent_once(pool, store, write, look_up, unknown, find_out_within=find_out_within)
